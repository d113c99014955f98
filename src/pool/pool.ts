/**
 * `Pool`: Python's `multiprocessing.Pool` — a set of worker processes that run
 * functions over inputs, in order or as results come, and never hang when a worker dies.
 *
 * @module
 */
import { AsyncResult, onCancel, type ResultCallbacks, settleResult } from "./async_result.ts";
import { describe } from "../internal/_codec.ts";
import { ProcessError } from "../internal/errors.ts";
import { type IMapIterator, MapIterator } from "./map_iterator.ts";
import type { AnyFunction } from "../internal/_types.ts";
import {
  chunkResults,
  type PoolEngine,
  type PoolStats,
  preview,
  startEngine,
  type Task,
  type TaskSink,
} from "./_engine.ts";
import { startMethodOf } from "../process/process.ts";
import { checkIterable, checkTaskOptions, type TaskOptions, watchCancel } from "./task_options.ts";
import { checkTimeout } from "../internal/_timeouts.ts";
import { inspectable } from "../internal/_inspect.ts";

/** Options of {@linkcode Pool}. */
// deno-lint-ignore no-explicit-any
export interface PoolOptions<I extends unknown[] = any[]> {
  /** Number of worker processes; defaults to `cpuCount()`. */
  processes?: number;
  /** Runs once in each worker before its first task (an export of a module, like task functions). */
  initializer?: (...args: I) => unknown;
  /** Arguments for `initializer`. */
  initargs?: I;
  /** A worker is replaced by a fresh one after this many tasks (undefined: never). */
  maxTasksPerChild?: number;
  /**
   * The most tasks waiting to start (queued, or sent ahead to a busy worker); beyond
   * it a submission rejects with `Full`, or waits for room with `{ wait: true }`.
   * Undefined: no limit. `imap` is bounded by itself and ignores it.
   */
  maxQueue?: number;
}

/**
 * Options of {@linkcode Pool.applyAsync}: callbacks, cancellation, and what to do when the queue is full.
 *
 * @example A callback, and a timeout
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 *
 * export function square(x: number) {
 *   return x * x;
 * }
 *
 * if (import.meta.main) {
 *   await using pool = new mp.Pool(2);
 *   await pool.applyAsync(square, [4], { callback: console.log, timeout: 1000 }); // 16
 * }
 * ```
 */
export interface ApplyOptions<R> extends ResultCallbacks<R>, TaskOptions {}

/**
 * Options of the map methods: `chunksize`, cancellation, and for `mapAsync` / `starmapAsync` callbacks.
 *
 * @example A map cancelled as a whole after 10 s
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 *
 * export function square(x: number) {
 *   return x * x;
 * }
 *
 * if (import.meta.main) {
 *   await using pool = new mp.Pool(2);
 *   console.log(await pool.map(square, [1, 2, 3], { chunksize: 2, timeout: 10_000 })); // [1, 4, 9]
 * }
 * ```
 */
export interface MapOptions<R = unknown> extends ResultCallbacks<R[]>, TaskOptions {
  /** Items per task (default: about four tasks per worker, as Python; 1 for `imap`). */
  chunksize?: number;
}

/**
 * Options of {@linkcode Pool.close}.
 *
 * @example Give the queued tasks 5 s, then terminate
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 *
 * export function square(x: number) {
 *   return x * x;
 * }
 *
 * if (import.meta.main) {
 *   const pool = new mp.Pool(2);
 *   pool.applyAsync(square, [3]);
 *   pool.close({ timeout: 5000 });
 *   await pool.join();
 * }
 * ```
 */
export interface CloseOptions {
  /** After this many ms, terminate whatever is still running or queued. */
  timeout?: number;
}

/**
 * One submission (a task or a whole map): watches its signal and timeout, waits for
 * room in a full queue when asked, and cancels its tasks. `fail` settles it with an
 * error; `submit` queues its tasks (once there is room).
 */
export class Submission {
  readonly tasks: Task[] = [];
  #over = false;
  #unwatch: () => void = () => {};
  #withdraw: (() => void) | null = null;

  constructor(
    readonly engine: PoolEngine,
    options: TaskOptions,
    where: string,
    what: () => string,
    readonly fail: (error: unknown) => void,
    submit: (s: Submission) => void,
  ) {
    this.#unwatch = watchCancel(options, what, (reason) => this.cancel(reason));
    if (this.#over) return; // the signal was already aborted
    if (engine.hasRoom()) submit(this);
    else if (options.wait) {
      this.#withdraw = engine.whenRoom({
        admit: () => {
          this.#withdraw = null;
          if (!this.#over) submit(this);
        },
        fail: (error) => {
          this.#withdraw = null;
          this.finish();
          fail(error);
        },
      });
    } else {
      this.finish();
      fail(engine.fullError(where));
    }
  }

  /** Cancels the submission's tasks (or the wait for room) with `reason`. */
  cancel(reason: unknown): void {
    if (this.#over) return;
    this.finish();
    if (this.#withdraw) {
      this.#withdraw();
      this.#withdraw = null;
    }
    for (const t of this.tasks) this.engine.cancel(t, reason);
    this.fail(reason); // ignored if a task settled it already
  }

  /** Stops watching the signal and timeout: the submission has settled. */
  finish(): void {
    this.#over = true;
    this.#unwatch();
  }
}

class ApplyJob implements TaskSink {
  submission: Submission | null = null;
  task: Task | null = null;
  constructor(readonly result: AsyncResult<unknown>, readonly engine: PoolEngine) {}
  /** `AsyncResult.cancel()` (a method, not a closure: applyAsync stays lean). */
  cancel(reason: unknown): void {
    if (this.submission) this.submission.cancel(reason);
    else if (this.task) this.engine.cancel(this.task, reason);
  }
  settle(_index: number, ok: boolean, value: unknown): void {
    this.submission?.finish();
    settleResult(this.result, ok, value);
  }
}

/** Gathers the chunks of a map; the first error fails the whole map, as in Python. */
class MapJob implements TaskSink {
  done = false;
  readonly copiesAtOnce = true;
  submission: Submission | null = null;
  #out: unknown[] | null = null;
  #left: number;
  constructor(readonly result: AsyncResult<unknown[]>, readonly items: number, readonly chunksize: number) {
    this.#left = Math.ceil(items / chunksize);
  }
  settle(index: number, ok: boolean, value: unknown): void {
    if (this.done) return;
    if (!ok) {
      this.done = true;
      this.submission?.finish();
      settleResult(this.result, false, value);
      return;
    }
    if (--this.#left === 0 && index === 0 && Array.isArray(value) && value.length === this.items) {
      // The whole map in one chunk: its results are the result.
      this.#finish(value);
      return;
    }
    const out = this.#out ??= new Array(this.items);
    chunkResults(value, out, index * this.chunksize);
    if (this.#left === 0) this.#finish(out);
  }
  #finish(out: unknown[]): void {
    this.done = true;
    this.submission?.finish();
    settleResult(this.result, true, out);
  }
}

function fnName(fn: AnyFunction): string {
  return fn.name || "(anonymous function)";
}

/** Splits a map's third argument: a chunksize, or an options object with one. */
function mapArgs<R>(
  chunksizeOrOptions: number | MapOptions<R> | undefined | null,
  more: MapOptions<R> | undefined,
  where: string,
): { chunksize: number | undefined; options: MapOptions<R> } {
  if (typeof chunksizeOrOptions === "object" && chunksizeOrOptions !== null) {
    const options = checkTaskOptions(chunksizeOrOptions, where) as MapOptions<R>;
    return { chunksize: checkChunksize(options.chunksize, where), options };
  }
  return {
    chunksize: checkChunksize(chunksizeOrOptions, where),
    options: checkTaskOptions(more, where) as MapOptions<R>,
  };
}

/** Python's default chunksize for `map`: about four chunks per worker. */
export function defaultChunksize(items: number, processes: number): number {
  return Math.max(1, Math.ceil(items / (processes * 4)));
}

function checkChunksize(chunksize: unknown, where: string): number | undefined {
  if (chunksize === undefined || chunksize === null) return undefined;
  if (!Number.isInteger(chunksize) || (chunksize as number) < 1) {
    throw new RangeError(`${where}: chunksize must be an integer of at least 1, got ${String(chunksize)}`);
  }
  return chunksize as number;
}

/**
 * A pool of worker processes (Python's `multiprocessing.Pool`). Task functions are
 * found by reference like Process targets: export them from a module and guard the
 * entry point with `if (import.meta.main)`. Workers are daemonic processes named
 * `SpawnPoolWorker-N`; an idle pool does not keep the program alive, but close or
 * terminate it (`await using` terminates it).
 *
 * A task's error rejects that task with an error of the same class and message, whose
 * `cause` is a `RemoteError` with the worker's stack. A worker that dies (`exit()` in a
 * task, a crash) never hangs the pool: only the task it ran rejects with
 * `BrokenProcessPool`, its other tasks run elsewhere, and a fresh worker takes its place.
 *
 * Every submission takes `{ signal, timeout }` (see {@linkcode TaskOptions}): a queued
 * task is dropped, a running one stopped by replacing its worker. No task waits behind
 * a long one on a busy worker while another worker is idle. `maxQueue` bounds what
 * waits; {@linkcode Pool.stats} tells how the pool is doing.
 *
 * @example Square numbers on three workers
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 *
 * export function square(x: number) {
 *   return x * x;
 * }
 *
 * if (import.meta.main) {
 *   await using pool = new mp.Pool(3);
 *   console.log(await pool.map(square, [1, 2, 3, 4, 5])); // [1, 4, 9, 16, 25]
 * }
 * ```
 *
 * @example Results as they come, from an endless input
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 *
 * export function double(x: number) {
 *   return 2 * x;
 * }
 *
 * function* naturals() {
 *   for (let i = 0;; i++) yield i;
 * }
 *
 * if (import.meta.main) {
 *   await using pool = new mp.Pool(2);
 *   for await (const y of pool.imap(double, naturals())) {
 *     if (y > 100) break;
 *   }
 * }
 * ```
 *
 * @example A request's work, cancelled when the client goes away or after 5 s
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 *
 * export function render(page: number) {
 *   return `page ${page}`;
 * }
 *
 * if (import.meta.main) {
 *   const pool = new mp.Pool({ processes: 2, maxQueue: 100 });
 *   Deno.serve(async (request) => {
 *     try {
 *       return new Response(await pool.apply(render, [1], { signal: request.signal, timeout: 5000 }));
 *     } catch (e) {
 *       return new Response(String(e), { status: e instanceof mp.Full ? 503 : 500 });
 *     }
 *   });
 * }
 * ```
 */
export class Pool implements AsyncDisposable {
  readonly #engine: PoolEngine;

  /**
   * Starts the workers: `new Pool(4)` or `new Pool({ processes, initializer, initargs, maxTasksPerChild, maxQueue })`.
   *
   * @param options The number of worker processes (default `cpuCount()`), or the
   * options `{ processes, initializer, initargs, maxTasksPerChild, maxQueue }` (see
   * {@linkcode PoolOptions}).
   * @throws {TypeError} If `options` is neither a number nor an object, `initializer` is
   * not a function or `initargs` not an array.
   * @throws {RangeError} If `processes`, `maxTasksPerChild` or `maxQueue` is not a
   * positive integer.
   * @throws {ProcessError} If called in a daemonic process (a pool worker), or while a
   * module is being imported by a child (guard the entry point with `import.meta.main`).
   */
  constructor(options: number | PoolOptions = {}) {
    const o: PoolOptions = typeof options === "number" || options === undefined || options === null
      ? { processes: options ?? undefined }
      : options;
    if (typeof o !== "object") {
      throw new TypeError(
        `new Pool(options): options must be a number of processes or an object, got ${typeof o}`,
      );
    }
    this.#engine = startEngine({
      owner: "Pool",
      countName: "processes",
      count: o.processes,
      initializer: o.initializer,
      initargs: o.initargs,
      maxTasksPerChild: o.maxTasksPerChild,
      maxQueue: o.maxQueue,
      method: startMethodOf(new.target),
    });
  }

  /**
   * The number of worker processes.
   *
   * @returns The pool's size, as given or `cpuCount()`.
   */
  get processes(): number {
    return this.#engine.processes;
  }

  /**
   * A one-line description, like Python's repr: `<Pool state=RUN pool_size=4>`.
   *
   * @returns The description (`state` is `RUN`, `CLOSE` or `TERMINATE`).
   */
  toString(): string {
    return `<Pool state=${this.#engine.stateName} pool_size=${this.#engine.processes}>`;
  }

  /**
   * Runs `fn(...args)` in a worker and resolves with its result. `options.signal` /
   * `options.timeout` cancel it (see {@linkcode TaskOptions}).
   *
   * @param fn The function to run, exported from a module (found by reference).
   * @param args The arguments of `fn`, an array (default none); they are copied.
   * @param options `signal`, `timeout` (milliseconds, `>= 0`) and `wait` (see
   * {@linkcode TaskOptions}).
   * @returns A promise that resolves to what `fn` returns (awaited), or rejects with
   * its error (same class and message, `cause` a `RemoteError` with the worker's
   * stack), with `BrokenProcessPool` if its worker died, with `TimeoutError` after
   * `timeout` ms, with `signal.reason` once `signal` aborts, or with `Full` if
   * `maxQueue` tasks are waiting and `wait` is not `true`.
   * @throws {ProcessError} If the pool was closed or terminated, or is broken (thrown
   * at once, not a rejection).
   * @throws {TypeError} If `fn` is not a function, `args` is not an array, or `options`
   * or `options.signal` has the wrong type (thrown at once).
   * @throws {RangeError} If `options.timeout` is not a number `>= 0` (thrown at once).
   * @throws {ProcessError} If `fn` cannot be found by reference (not an export of a
   * module, under the spawn start method): the task rejects with it.
   */
  apply<A extends unknown[], R>(fn: (...args: A) => R, args?: A, options?: TaskOptions): Promise<Awaited<R>> {
    return this.#applyAsync(fn, args, options, "Pool.apply").get();
  }

  /**
   * Runs `fn(...args)` in a worker; the returned {@linkcode AsyncResult} is awaitable
   * and cancellable (`cancel()`). `callback` / `errorCallback` run in this process when
   * the task ends; `signal` / `timeout` cancel it (see {@linkcode TaskOptions}).
   *
   * @param fn The function to run, exported from a module (found by reference).
   * @param args The arguments of `fn`, an array (default none); they are copied.
   * @param options `callback`, `errorCallback` (see {@linkcode ResultCallbacks}),
   * `signal`, `timeout` (milliseconds, `>= 0`) and `wait` (see {@linkcode TaskOptions}).
   * @returns The pending result; it settles as {@linkcode Pool.apply}'s promise does.
   * @throws {ProcessError} If the pool was closed or terminated, or is broken.
   * @throws {TypeError} If `fn` is not a function, `args` is not an array, or `options`
   * or `options.signal` has the wrong type.
   * @throws {RangeError} If `options.timeout` is not a number `>= 0`.
   * @throws {ProcessError} If `fn` cannot be found by reference (not an export of a
   * module, under the spawn start method): the task rejects with it.
   */
  applyAsync<A extends unknown[], R>(
    fn: (...args: A) => R,
    args?: A,
    options?: ApplyOptions<Awaited<R>>,
  ): AsyncResult<Awaited<R>> {
    return this.#applyAsync(fn, args, options, "Pool.applyAsync");
  }

  #applyAsync<A extends unknown[], R>(
    fn: (...args: A) => R,
    args: A | undefined,
    options: ApplyOptions<Awaited<R>> | undefined,
    where: string,
  ): AsyncResult<Awaited<R>> {
    this.#engine.assertRunning();
    if (args !== undefined && !Array.isArray(args)) {
      throw new TypeError(`${where}: args must be an array, got ${typeof args}`);
    }
    const o = checkTaskOptions(options, where);
    const f = this.#engine.function(fn as AnyFunction);
    const result = new AsyncResult<Awaited<R>>(options);
    const job = new ApplyJob(result as AsyncResult<unknown>, this.#engine);
    const list = args ?? [];
    if (o.signal === undefined && o.timeout === undefined && !this.#engine.bounded) {
      // The common case, kept lean: nothing to watch, always room.
      job.task = this.#engine.apply(f, list, job);
      onCancel(result, job);
      return result;
    }
    job.submission = new Submission(
      this.#engine,
      o,
      where,
      () => `task ${fnName(fn as AnyFunction)}(${preview(list)})`,
      (e) => settleResult(result, false, e),
      (s) => s.tasks.push(this.#engine.apply(f, list, job)),
    );
    onCancel(result, job);
    return result;
  }

  /**
   * Applies `fn` to every item, in chunks (default: about four per worker, as Python),
   * and resolves with the results in order. The first error rejects the whole map.
   * The third argument is a chunksize or `{ chunksize, signal, timeout, wait }`;
   * cancelling cancels every chunk.
   *
   * @param fn The function to run on each item, exported from a module.
   * @param iterable The items; read at once, into an array.
   * @param chunksize Items per task, an integer `>= 1` (default: about four tasks per
   * worker), or the options `{ chunksize, signal, timeout, wait }` (see
   * {@linkcode MapOptions}).
   * @returns A promise that resolves to the results, in input order; it rejects with
   * the first task error, `BrokenProcessPool`, `TimeoutError`, `signal.reason` or
   * `Full`, as {@linkcode Pool.apply}'s does.
   * @throws {ProcessError} If the pool was closed or terminated, or is broken (thrown
   * at once).
   * @throws {TypeError} If `fn` is not a function, `iterable` is not iterable, or the
   * options have the wrong type (thrown at once).
   * @throws {RangeError} If `chunksize` is not an integer `>= 1`, or `timeout` not a
   * number `>= 0` (thrown at once).
   * @throws {ProcessError} If `fn` cannot be found by reference (not an export of a
   * module, under the spawn start method): the task rejects with it.
   */
  map<T, R>(
    fn: (item: T) => R,
    iterable: Iterable<T>,
    chunksize?: number | MapOptions<Awaited<R>>,
  ): Promise<Awaited<R>[]> {
    return this.#mapAsync<Awaited<R>>(fn as AnyFunction, iterable, chunksize, undefined, false, "Pool.map")
      .get();
  }

  /**
   * Like {@linkcode Pool.map}, returning a cancellable {@linkcode AsyncResult}; callbacks
   * and cancellation go in the options (the third or fourth argument).
   *
   * @param fn The function to run on each item, exported from a module.
   * @param iterable The items; read at once, into an array.
   * @param chunksize Items per task, an integer `>= 1` (default: about four tasks per
   * worker), or the options (then `options` is not used).
   * @param options `callback`, `errorCallback`, `signal`, `timeout` and `wait` (see
   * {@linkcode MapOptions}).
   * @returns The pending result; it settles to the results in input order, or as
   * {@linkcode Pool.map}'s promise rejects.
   * @throws {ProcessError} If the pool was closed or terminated, or is broken.
   * @throws {TypeError} If `fn` is not a function, `iterable` is not iterable, or the
   * options have the wrong type.
   * @throws {RangeError} If `chunksize` is not an integer `>= 1`, or `timeout` not a
   * number `>= 0`.
   * @throws {ProcessError} If `fn` cannot be found by reference (not an export of a
   * module, under the spawn start method): the task rejects with it.
   */
  mapAsync<T, R>(
    fn: (item: T) => R,
    iterable: Iterable<T>,
    chunksize?: number | MapOptions<Awaited<R>>,
    options?: MapOptions<Awaited<R>>,
  ): AsyncResult<Awaited<R>[]> {
    return this.#mapAsync(fn as AnyFunction, iterable, chunksize, options, false, "Pool.mapAsync");
  }

  /**
   * Like {@linkcode Pool.map}, calling `fn(...args)` for each args array.
   *
   * @param fn The function to run on each args array, exported from a module.
   * @param iterable The args arrays; read at once.
   * @param chunksize Items per task, an integer `>= 1`, or the options (see
   * {@linkcode MapOptions}).
   * @returns A promise that resolves to the results in input order, or rejects as
   * {@linkcode Pool.map}'s does.
   * @throws {ProcessError} If the pool was closed or terminated, or is broken (thrown
   * at once).
   * @throws {TypeError} If `fn` is not a function or `iterable` not iterable (thrown at
   * once).
   * @throws {RangeError} If `chunksize` is not an integer `>= 1` (thrown at once).
   */
  starmap<A extends unknown[], R>(
    fn: (...args: A) => R,
    iterable: Iterable<A>,
    chunksize?: number | MapOptions<Awaited<R>>,
  ): Promise<Awaited<R>[]> {
    return this.#mapAsync<Awaited<R>>(fn as AnyFunction, iterable, chunksize, undefined, true, "Pool.starmap")
      .get();
  }

  /**
   * Like {@linkcode Pool.starmap}, returning a cancellable {@linkcode AsyncResult} with callbacks.
   *
   * @param fn The function to run on each args array, exported from a module.
   * @param iterable The args arrays; read at once.
   * @param chunksize Items per task, an integer `>= 1`, or the options (then `options`
   * is not used).
   * @param options `callback`, `errorCallback`, `signal`, `timeout` and `wait` (see
   * {@linkcode MapOptions}).
   * @returns The pending result, settling as {@linkcode Pool.mapAsync}'s does.
   * @throws {ProcessError} If the pool was closed or terminated, or is broken.
   * @throws {TypeError} If `fn` is not a function or `iterable` not iterable.
   * @throws {RangeError} If `chunksize` is not an integer `>= 1`.
   */
  starmapAsync<A extends unknown[], R>(
    fn: (...args: A) => R,
    iterable: Iterable<A>,
    chunksize?: number | MapOptions<Awaited<R>>,
    options?: MapOptions<Awaited<R>>,
  ): AsyncResult<Awaited<R>[]> {
    return this.#mapAsync(fn as AnyFunction, iterable, chunksize, options, true, "Pool.starmapAsync");
  }

  #mapAsync<R>(
    fn: AnyFunction,
    iterable: Iterable<unknown>,
    chunksizeOrOptions: number | MapOptions<R> | undefined,
    more: MapOptions<R> | undefined,
    star: boolean,
    where: string,
  ): AsyncResult<R[]> {
    this.#engine.assertRunning();
    checkIterable(iterable, where);
    const { chunksize, options } = mapArgs(chunksizeOrOptions, more, where);
    const f = this.#engine.function(fn);
    const items = Array.isArray(iterable) ? iterable : [...iterable];
    const result = new AsyncResult<R[]>(options);
    const cs = chunksize ?? defaultChunksize(items.length, this.#engine.processes);
    const job = new MapJob(result as AsyncResult<unknown[]>, items.length, cs);
    job.submission = new Submission(
      this.#engine,
      options,
      where,
      () => `${where}(${fnName(fn)}) over ${items.length} items`,
      (e) => settleResult(result, false, e),
      (s) => {
        if (items.length === 0) {
          queueMicrotask(() => {
            s.finish();
            settleResult(result, true, []);
          });
          return;
        }
        for (let i = 0, k = 0; i < items.length; i += cs, k++) {
          s.tasks.push(
            this.#engine.chunk(f, items, i, Math.min(i + cs, items.length), star, job, k),
          );
        }
      },
    );
    onCancel(result, job.submission);
    return result;
  }

  /**
   * Applies `fn` to each item lazily and yields the results in order. The input (even
   * an endless or async one) is read only a bounded distance ahead of the consumer. A
   * task's error is thrown at its place.
   *
   * @param fn The function to run on each item, exported from a module.
   * @param iterable The items, sync or async, possibly endless; read lazily.
   * @param chunksize Items per task, an integer `>= 1` (default 1), or the options
   * `{ chunksize, signal, timeout }` (see {@linkcode MapOptions}).
   * @returns An async iterator of the results in input order (with `next(timeout)`, see
   * {@linkcode IMapIterator}); it throws a task's error, `BrokenProcessPool`,
   * `TimeoutError` or `signal.reason` when reached.
   * @throws {ProcessError} If the pool was closed or terminated, or is broken.
   * @throws {TypeError} If `fn` is not a function, `iterable` is neither iterable nor
   * async iterable, or the options have the wrong type.
   * @throws {RangeError} If `chunksize` is not an integer `>= 1`, or `timeout` not a
   * number `>= 0`.
   * @throws {ProcessError} If `fn` cannot be found by reference (not an export of a
   * module, under the spawn start method): the task rejects with it.
   */
  imap<T, R>(
    fn: (item: T) => R,
    iterable: Iterable<T> | AsyncIterable<T>,
    chunksize: number | MapOptions<Awaited<R>> = 1,
  ): IMapIterator<Awaited<R>> {
    return this.#imap(fn as AnyFunction, iterable, chunksize, true, "Pool.imap");
  }

  /**
   * Like {@linkcode Pool.imap}, yielding results as they finish.
   *
   * @param fn The function to run on each item, exported from a module.
   * @param iterable The items, sync or async; read as the workers take them.
   * @param chunksize Items per task, an integer `>= 1` (default 1), or the options
   * `{ chunksize, signal, timeout }`.
   * @returns An async iterator of the results in the order they finish; `next(timeout)`
   * rejects with `TimeoutError` and keeps the pending result, as Python's.
   * @throws {ProcessError} If the pool was closed or terminated, or is broken.
   * @throws {TypeError} If `fn` is not a function or `iterable` not iterable.
   * @throws {RangeError} If `chunksize` is not an integer `>= 1`.
   */
  imapUnordered<T, R>(
    fn: (item: T) => R,
    iterable: Iterable<T> | AsyncIterable<T>,
    chunksize: number | MapOptions<Awaited<R>> = 1,
  ): IMapIterator<Awaited<R>> {
    return this.#imap(fn as AnyFunction, iterable, chunksize, false, "Pool.imapUnordered");
  }

  #imap<R>(
    fn: AnyFunction,
    iterable: Iterable<unknown> | AsyncIterable<unknown>,
    chunksizeOrOptions: number | MapOptions<R>,
    ordered: boolean,
    where: string,
  ): IMapIterator<R> {
    this.#engine.assertRunning();
    checkIterable(iterable, where, true);
    const { chunksize, options } = mapArgs(chunksizeOrOptions, undefined, where);
    const f = this.#engine.function(fn);
    return new MapIterator<R>(this.#engine, f, iterable, {
      chunksize: chunksize ?? 1,
      star: false,
      ordered,
      signal: options.signal,
      timeout: options.timeout,
      what: `${where}(${fnName(fn)})`,
    });
  }

  /**
   * Counters and gauges: `{ queued, running, completed, failed, cancelled, workers,
   * replaced, meanRunMs, meanWaitMs, waiting, zombies }` (see {@linkcode PoolStats}).
   *
   * @returns A snapshot of the counters.
   *
   * @example Watch a pool at work
   * ```ts ignore
   * import * as mp from "@mp/multiprocessing";
   *
   * export function square(x: number) {
   *   return x * x;
   * }
   *
   * if (import.meta.main) {
   *   await using pool = new mp.Pool(2);
   *   await pool.map(square, [1, 2, 3]);
   *   const { completed, failed, workers } = pool.stats();
   *   console.log(completed, failed, workers); // 2 0 2 (a map of 3 items runs as 2 chunks here)
   * }
   * ```
   */
  stats(): PoolStats {
    return this.#engine.stats();
  }

  /**
   * Takes no more tasks; the workers exit once the queued tasks are done. With
   * `{ timeout }` (ms), whatever is still running or queued then is terminated.
   *
   * @param options `timeout`: milliseconds after which what is left is terminated
   * (default: none), see {@linkcode CloseOptions}.
   * @throws {TypeError} If `options` is not an object, or `timeout` is `NaN` or not a
   * number (nor `undefined` or `null`).
   */
  close(options?: CloseOptions): void {
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      throw new TypeError(
        `Pool.close(options): options must be an object like { timeout: 5000 }, got ${describe(options)}`,
      );
    }
    const timeout = checkTimeout(options?.timeout, "Pool.close()");
    this.#engine.close(timeout);
  }

  /**
   * Stops the workers at once; unfinished tasks reject. Resolves when all have ended.
   *
   * @returns A promise that resolves once every worker has ended.
   */
  terminate(): Promise<void> {
    return this.#engine.terminate();
  }

  /**
   * Waits for the workers to exit; call `close()` or `terminate()` first. With
   * `timeout` (ms), terminates whatever is left when it passes (and waits for that).
   *
   * @param timeout Milliseconds after which whatever is left is terminated (default:
   * none, wait as long as it takes).
   * @returns A promise that resolves once every worker has exited.
   * @throws {ProcessError} If the pool is still running (neither `close()` nor
   * `terminate()` was called; thrown at once).
   * @throws {TypeError} If `timeout` is `NaN` or not a number (thrown at once).
   */
  join(timeout?: number): Promise<void> {
    if (!this.#engine.closed) {
      throw new ProcessError("Pool is still running: call close() or terminate() before join()");
    }
    return this.#engine.join(checkTimeout(timeout, "Pool.join()"));
  }

  /**
   * `await using pool = new Pool()` terminates the pool at the end of the scope, like Python's `with`.
   *
   * @returns A promise that resolves once every worker has ended.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.terminate();
  }
}

inspectable(Pool);
