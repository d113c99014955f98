/**
 * `ProcessPoolExecutor`: Python's `concurrent.futures.ProcessPoolExecutor` on the
 * pool engine — `submit` returns a Promise, `map` an ordered async iterator.
 *
 * @module
 */
import { ProcessError } from "../internal/errors.ts";
import { MapIterator } from "./map_iterator.ts";
import { Submission } from "./pool.ts";
import { type PoolEngine, type PoolStats, preview, startEngine } from "./_engine.ts";
import type { AnyFunction } from "../internal/_types.ts";
import { startMethodOf } from "../process/process.ts";
import { checkTaskOptions, type TaskOptions } from "./task_options.ts";
import { checkTimeout } from "../internal/_timeouts.ts";
import { inspectable } from "../internal/_inspect.ts";

/** Options of {@linkcode ProcessPoolExecutor}. */
// deno-lint-ignore no-explicit-any
export interface ExecutorOptions<I extends unknown[] = any[]> {
  /** Number of worker processes; defaults to `cpuCount()`. */
  maxWorkers?: number;
  /** Runs once in each worker before its first task. */
  initializer?: (...args: I) => unknown;
  /** Arguments for `initializer`. */
  initargs?: I;
  /** A worker is replaced by a fresh one after this many tasks (undefined: never). */
  maxTasksPerChild?: number;
  /**
   * The most tasks waiting to start; beyond it `submit` rejects with `Full` (or waits,
   * with `submitWith(fn, args, { wait: true })`). Undefined: no limit.
   */
  maxQueue?: number;
}

/** Options of {@linkcode ProcessPoolExecutor.shutdown}. */
export interface ShutdownOptions {
  /** Wait until the queued tasks are done and the workers have exited (default true). */
  wait?: boolean;
  /** Reject the tasks that have not started yet (default false). */
  cancelFutures?: boolean;
  /** After this many ms, terminate whatever is still running or queued (the wait ends then too). */
  timeout?: number;
}

function* zip(iterables: Iterable<unknown>[]): Generator<unknown[]> {
  const its = iterables.map((it) => it[Symbol.iterator]());
  try {
    for (;;) {
      const row: unknown[] = [];
      for (const it of its) {
        const r = it.next();
        if (r.done) return;
        row.push(r.value);
      }
      yield row;
    }
  } finally {
    for (const it of its) it.return?.();
  }
}

/**
 * Runs functions in worker processes and hands back Promises (Python's
 * `concurrent.futures.ProcessPoolExecutor`). Functions are found by reference, as for
 * `Pool`. A worker that dies rejects the tasks it held with `BrokenProcessPool` and is
 * replaced; unlike Python, the executor stays usable. `await using` shuts it down and
 * waits.
 *
 * @example Submit tasks and map over inputs
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 *
 * export function power(x: number, y: number) {
 *   return x ** y;
 * }
 *
 * if (import.meta.main) {
 *   await using executor = new mp.ProcessPoolExecutor({ maxWorkers: 2 });
 *   console.log(await executor.submit(power, 2, 10)); // 1024
 *   for await (const v of executor.map(power, [1, 2, 3], [2, 2, 2])) console.log(v); // 1 4 9
 * }
 * ```
 */
export class ProcessPoolExecutor implements AsyncDisposable {
  readonly #engine: PoolEngine;
  #shutdown = false;

  /**
   * A one-line description: `<ProcessPoolExecutor state=RUN max_workers=4>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<ProcessPoolExecutor state=${this.#engine.stateName} max_workers=${this.#engine.processes}>`;
  }

  /**
   * Starts the workers.
   *
   * @param options `maxWorkers` (default `cpuCount()`), `initializer` and `initargs`,
   * `maxTasksPerChild`, `maxQueue` (see {@linkcode ExecutorOptions}).
   * @throws {TypeError} If `options` is not an object, `initializer` is not a function
   * or `initargs` not an array.
   * @throws {RangeError} If `maxWorkers`, `maxTasksPerChild` or `maxQueue` is not a
   * positive integer.
   * @throws {ProcessError} If called in a daemonic process (a pool worker), while a
   * module is being imported in a child, or if `initargs` cannot be copied.
   */
  constructor(options: ExecutorOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        "new ProcessPoolExecutor(options): options must be an object like { maxWorkers: 4 }",
      );
    }
    this.#engine = startEngine({
      owner: "ProcessPoolExecutor",
      countName: "maxWorkers",
      count: options.maxWorkers,
      initializer: options.initializer,
      initargs: options.initargs,
      maxTasksPerChild: options.maxTasksPerChild,
      maxQueue: options.maxQueue,
      method: startMethodOf(new.target),
    });
  }

  #check(what: string): void {
    if (this.#shutdown) {
      throw new ProcessError(
        `ProcessPoolExecutor: cannot ${what} after shutdown: create a new ProcessPoolExecutor`,
      );
    }
    this.#engine.assertRunning();
  }

  /**
   * Runs `fn(...args)` in a worker. The Promise rejects with the task's error (same class
   * and message, `cause` the worker's stack). A rejection nobody awaits stays silent, as
   * an unread Python future does.
   *
   * @param fn The function to run, exported from a module (found by reference).
   * @param args The arguments of `fn`; they are copied.
   * @returns A promise that resolves to what `fn` returns (awaited), or rejects with
   * its error, with `BrokenProcessPool` if the worker died running it, or with `Full`
   * if `maxQueue` tasks are already waiting.
   * @throws {ProcessError} If the executor was shut down (thrown at once, not a
   * rejection), or is broken (`BrokenProcessPool`).
   * @throws {TypeError} If `fn` is not a function.
   * @throws {ProcessError} If `fn` cannot be found by reference (not an export of a
   * module, under the spawn start method): the task rejects with it.
   */
  submit<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Promise<Awaited<R>> {
    return this.#submit(fn, args, {}, "ProcessPoolExecutor.submit");
  }

  /**
   * `submit` with options: `fn(...args)` cancelled by `signal` or after `timeout` ms
   * (see {@linkcode TaskOptions}), and `wait` for room when `maxQueue` tasks wait.
   * (`submit(fn, ...args)` cannot take options: its arguments are the task's.)
   *
   * @param fn The function to run, exported from a module (found by reference).
   * @param args The arguments of `fn`, an array; they are copied.
   * @param options `signal`, `timeout` (milliseconds, `>= 0`) and `wait` (see
   * {@linkcode TaskOptions}).
   * @returns A promise that resolves to what `fn` returns (awaited), or rejects with
   * its error, with `TimeoutError` after `timeout` ms, with `signal.reason` once
   * `signal` aborts, with `BrokenProcessPool` if the worker died running it, or with
   * `Full` if `maxQueue` tasks are waiting and `wait` is not `true`.
   * @throws {TypeError} If `args` is not an array, `fn` is not a function, or
   * `options` or `options.signal` has the wrong type.
   * @throws {RangeError} If `options.timeout` is not a number `>= 0`.
   * @throws {ProcessError} If the executor was shut down or is broken.
   * @throws {ProcessError} If `fn` cannot be found by reference (not an export of a
   * module, under the spawn start method): the task rejects with it.
   *
   * @example A task with a deadline
   * ```ts ignore
   * import * as mp from "@mp/multiprocessing";
   *
   * export function power(x: number, y: number) {
   *   return x ** y;
   * }
   *
   * if (import.meta.main) {
   *   await using executor = new mp.ProcessPoolExecutor({ maxWorkers: 2 });
   *   console.log(await executor.submitWith(power, [2, 10], { timeout: 1000 })); // 1024
   * }
   * ```
   */
  submitWith<A extends unknown[], R>(
    fn: (...args: A) => R,
    args: A,
    options?: TaskOptions,
  ): Promise<Awaited<R>> {
    if (!Array.isArray(args)) {
      throw new TypeError(`ProcessPoolExecutor.submitWith: args must be an array, got ${typeof args}`);
    }
    return this.#submit(
      fn,
      args,
      checkTaskOptions(options, "ProcessPoolExecutor.submitWith"),
      "ProcessPoolExecutor.submitWith",
    );
  }

  #submit<A extends unknown[], R>(
    fn: (...args: A) => R,
    args: A,
    options: TaskOptions,
    where: string,
  ): Promise<Awaited<R>> {
    this.#check("schedule new futures");
    const f = this.#engine.function(fn as AnyFunction);
    if (options.signal === undefined && options.timeout === undefined && !this.#engine.bounded) {
      // The common case, kept lean: nothing to watch, always room.
      const p = new Promise<Awaited<R>>((resolve, reject) => {
        this.#engine.apply(f, args, {
          settle: (_index, ok, value) => ok ? resolve(value as Awaited<R>) : reject(value),
        });
      });
      p.catch(() => {});
      return p;
    }
    const p = new Promise<Awaited<R>>((resolve, reject) => {
      let submission: Submission | null = null;
      let settled = false;
      const settle = (ok: boolean, value: unknown) => {
        if (settled) return;
        settled = true;
        submission?.finish();
        if (ok) resolve(value as Awaited<R>);
        else reject(value);
      };
      submission = new Submission(
        this.#engine,
        options,
        where,
        () => `task ${fn.name || "(anonymous function)"}(${preview(args)})`,
        (e) => settle(false, e),
        (s) => s.tasks.push(this.#engine.apply(f, args, { settle: (_i, ok, value) => settle(ok, value) })),
      );
    });
    p.catch(() => {});
    return p;
  }

  /**
   * Counters and gauges of the workers and tasks (see {@linkcode PoolStats}).
   *
   * @returns A snapshot of the counters.
   */
  stats(): PoolStats {
    return this.#engine.stats();
  }

  /**
   * Calls `fn` with one item of each iterable at a time (stopping at the shortest) and
   * yields the results in order. Inputs are read lazily, a bounded distance ahead.
   * Like Python's `Executor.map`, a task's error is thrown by the iterator when its
   * result is reached.
   *
   * @param fn The function to run, exported from a module (found by reference).
   * @param iterables One iterable per parameter of `fn`; the shortest ends the map.
   * @returns An async iterator of the results, in input order.
   * @throws {TypeError} If no iterable is given, an argument is not iterable, or `fn`
   * is not a function.
   * @throws {ProcessError} If the executor was shut down or is broken.
   * @throws {ProcessError} If `fn` cannot be found by reference (not an export of a
   * module, under the spawn start method): the task rejects with it.
   */
  // deno-lint-ignore no-explicit-any
  map<R>(fn: (...args: any[]) => R, ...iterables: Iterable<unknown>[]): AsyncIterableIterator<Awaited<R>> {
    this.#check("map");
    if (iterables.length === 0) throw new TypeError("ProcessPoolExecutor.map: give at least one iterable");
    for (const [i, it] of iterables.entries()) {
      if (it == null || typeof (it as Iterable<unknown>)[Symbol.iterator] !== "function") {
        throw new TypeError(
          `ProcessPoolExecutor.map: argument ${i + 1} must be an iterable, got ${typeof it}`,
        );
      }
    }
    const f = this.#engine.function(fn as AnyFunction);
    return new MapIterator(this.#engine, f, zip(iterables), { chunksize: 1, star: true, ordered: true });
  }

  /**
   * Takes no more tasks. `cancelFutures` rejects the tasks that have not started; `wait`
   * (default true) resolves once the rest are done and the workers have exited;
   * `timeout` (ms) terminates whatever is left when it passes.
   *
   * @param options `wait` (default `true`), `cancelFutures` (default `false`) and
   * `timeout` in milliseconds (default: none), see {@linkcode ShutdownOptions}.
   * @returns A promise that resolves once the executor is shut down (and, with `wait`,
   * its workers have exited).
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined`).
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    const { wait = true, cancelFutures = false } = options;
    const timeout = checkTimeout(options.timeout, "ProcessPoolExecutor.shutdown()");
    this.#shutdown = true;
    if (cancelFutures) {
      this.#engine.cancelPending(
        new ProcessError("The task was cancelled before it started: shutdown({ cancelFutures: true })"),
      );
    }
    this.#engine.close(timeout);
    if (wait) await this.#engine.join(timeout);
  }

  /**
   * `await using` shuts the executor down and waits, like Python's `with`.
   *
   * @returns A promise that resolves once the workers have exited.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }
}

inspectable(ProcessPoolExecutor);
