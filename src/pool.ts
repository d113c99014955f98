/**
 * `Pool`: Python's `multiprocessing.Pool` — a set of worker processes that run
 * functions over inputs, in order or as results come, and never hang when a worker dies.
 *
 * @module
 */
import { AsyncResult, type ResultCallbacks, settleResult } from "./async_result.ts";
import { ProcessError } from "./errors.ts";
import { MapIterator } from "./map_iterator.ts";
import { type AnyFunction, copyInto, type PoolEngine, startEngine, type TaskSink } from "./pool_engine.ts";
import { startMethodOf } from "./process.ts";

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
}

class ApplyJob implements TaskSink {
  constructor(readonly result: AsyncResult<unknown>) {}
  settle(_index: number, ok: boolean, value: unknown): void {
    settleResult(this.result, ok, value);
  }
}

/** Gathers the chunks of a map; the first error fails the whole map, as in Python. */
class MapJob implements TaskSink {
  done = false;
  readonly #out: unknown[];
  #left: number;
  constructor(readonly result: AsyncResult<unknown[]>, readonly items: number, readonly chunksize: number) {
    this.#out = new Array(items);
    this.#left = Math.ceil(items / chunksize);
  }
  settle(index: number, ok: boolean, value: unknown): void {
    if (this.done) return;
    if (!ok) {
      this.done = true;
      settleResult(this.result, false, value);
      return;
    }
    copyInto(this.#out, value as ArrayLike<unknown>, index * this.chunksize);
    if (--this.#left === 0) {
      this.done = true;
      settleResult(this.result, true, this.#out);
    }
  }
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

function checkIterable(iterable: unknown, where: string, allowAsync = false): void {
  const it = iterable as Partial<Iterable<unknown> & AsyncIterable<unknown>> | null | undefined;
  const ok = it != null &&
    (typeof it[Symbol.iterator] === "function" ||
      (allowAsync && typeof it[Symbol.asyncIterator] === "function"));
  if (!ok) {
    throw new TypeError(
      `${where}: the input must be ${allowAsync ? "an iterable or async iterable" : "an iterable"}, got ${
        iterable === null ? "null" : typeof iterable
      }`,
    );
  }
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
 * task, a crash) never hangs the pool: the tasks it held reject with
 * `BrokenProcessPool`, and a fresh worker takes its place.
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
 */
export class Pool implements AsyncDisposable {
  readonly #engine: PoolEngine;

  /** Starts the workers: `new Pool(4)` or `new Pool({ processes, initializer, initargs, maxTasksPerChild })`. */
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
      method: startMethodOf(new.target),
    });
  }

  /** The number of worker processes. */
  get processes(): number {
    return this.#engine.processes;
  }

  /** Runs `fn(...args)` in a worker and resolves with its result. */
  apply<A extends unknown[], R>(fn: (...args: A) => R, args?: A): Promise<Awaited<R>> {
    return this.applyAsync(fn, args).get();
  }

  /**
   * Runs `fn(...args)` in a worker; the returned {@linkcode AsyncResult} is awaitable.
   * `callback` / `errorCallback` run in this process when the task ends.
   */
  applyAsync<A extends unknown[], R>(
    fn: (...args: A) => R,
    args?: A,
    callbacks?: ResultCallbacks<Awaited<R>>,
  ): AsyncResult<Awaited<R>> {
    this.#engine.assertRunning();
    if (args !== undefined && !Array.isArray(args)) {
      throw new TypeError(`Pool.applyAsync: args must be an array, got ${typeof args}`);
    }
    const f = this.#engine.function(fn as AnyFunction);
    const result = new AsyncResult<Awaited<R>>(callbacks);
    this.#engine.apply(f, args ?? [], new ApplyJob(result as AsyncResult<unknown>));
    return result;
  }

  /**
   * Applies `fn` to every item, in chunks (default: about four per worker, as Python),
   * and resolves with the results in order. The first error rejects the whole map.
   */
  map<T, R>(fn: (item: T) => R, iterable: Iterable<T>, chunksize?: number): Promise<Awaited<R>[]> {
    return this.#mapAsync<Awaited<R>>(fn as AnyFunction, iterable, chunksize, false, undefined, "Pool.map")
      .get();
  }

  /** Like {@linkcode Pool.map}, returning an {@linkcode AsyncResult} with callbacks. */
  mapAsync<T, R>(
    fn: (item: T) => R,
    iterable: Iterable<T>,
    chunksize?: number,
    callbacks?: ResultCallbacks<Awaited<R>[]>,
  ): AsyncResult<Awaited<R>[]> {
    return this.#mapAsync(fn as AnyFunction, iterable, chunksize, false, callbacks, "Pool.mapAsync");
  }

  /** Like {@linkcode Pool.map}, calling `fn(...args)` for each args array. */
  starmap<A extends unknown[], R>(
    fn: (...args: A) => R,
    iterable: Iterable<A>,
    chunksize?: number,
  ): Promise<Awaited<R>[]> {
    return this.#mapAsync<Awaited<R>>(fn as AnyFunction, iterable, chunksize, true, undefined, "Pool.starmap")
      .get();
  }

  /** Like {@linkcode Pool.starmap}, returning an {@linkcode AsyncResult} with callbacks. */
  starmapAsync<A extends unknown[], R>(
    fn: (...args: A) => R,
    iterable: Iterable<A>,
    chunksize?: number,
    callbacks?: ResultCallbacks<Awaited<R>[]>,
  ): AsyncResult<Awaited<R>[]> {
    return this.#mapAsync(fn as AnyFunction, iterable, chunksize, true, callbacks, "Pool.starmapAsync");
  }

  #mapAsync<R>(
    fn: AnyFunction,
    iterable: Iterable<unknown>,
    chunksize: number | undefined,
    star: boolean,
    callbacks: ResultCallbacks<R[]> | undefined,
    where: string,
  ): AsyncResult<R[]> {
    this.#engine.assertRunning();
    checkIterable(iterable, where);
    const size = checkChunksize(chunksize, where);
    const f = this.#engine.function(fn);
    const items = Array.isArray(iterable) ? iterable : [...iterable];
    const result = new AsyncResult<R[]>(callbacks);
    if (items.length === 0) {
      queueMicrotask(() => settleResult(result, true, []));
      return result;
    }
    const cs = size ?? defaultChunksize(items.length, this.#engine.processes);
    const job = new MapJob(result as AsyncResult<unknown[]>, items.length, cs);
    for (let i = 0, k = 0; i < items.length; i += cs, k++) {
      this.#engine.chunk(f, items.slice(i, i + cs), star, job, k);
    }
    return result;
  }

  /**
   * Applies `fn` to each item lazily and yields the results in order. The input (even
   * an endless or async one) is read only a bounded distance ahead of the consumer. A
   * task's error is thrown at its place.
   */
  imap<T, R>(
    fn: (item: T) => R,
    iterable: Iterable<T> | AsyncIterable<T>,
    chunksize = 1,
  ): AsyncIterableIterator<Awaited<R>> {
    return this.#imap(fn as AnyFunction, iterable, chunksize, true, "Pool.imap");
  }

  /** Like {@linkcode Pool.imap}, yielding results as they finish. */
  imapUnordered<T, R>(
    fn: (item: T) => R,
    iterable: Iterable<T> | AsyncIterable<T>,
    chunksize = 1,
  ): AsyncIterableIterator<Awaited<R>> {
    return this.#imap(fn as AnyFunction, iterable, chunksize, false, "Pool.imapUnordered");
  }

  #imap<R>(
    fn: AnyFunction,
    iterable: Iterable<unknown> | AsyncIterable<unknown>,
    chunksize: number,
    ordered: boolean,
    where: string,
  ): AsyncIterableIterator<R> {
    this.#engine.assertRunning();
    checkIterable(iterable, where, true);
    const cs = checkChunksize(chunksize, where) ?? 1;
    const f = this.#engine.function(fn);
    return new MapIterator<R>(this.#engine, f, iterable, { chunksize: cs, star: false, ordered });
  }

  /** Takes no more tasks; the workers exit once the queued tasks are done. */
  close(): void {
    this.#engine.close();
  }

  /** Stops the workers at once; unfinished tasks reject. Resolves when all have ended. */
  terminate(): Promise<void> {
    return this.#engine.terminate();
  }

  /** Waits for the workers to exit; call `close()` or `terminate()` first. */
  join(): Promise<void> {
    if (!this.#engine.closed) {
      throw new ProcessError("Pool is still running: call close() or terminate() before join()");
    }
    return this.#engine.join();
  }

  /** `await using pool = new Pool()` terminates the pool at the end of the scope, like Python's `with`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.terminate();
  }
}
