/**
 * Cancellation options shared by every pool submission (`{ signal, timeout }`) and the
 * helpers that watch them.
 *
 * @module
 */
import { describe } from "../internal/_codec.ts";
import { TimeoutError } from "../internal/errors.ts";

/**
 * How a pool submission may be cancelled, and what it does when the queue is full.
 * Every `Pool` and `ProcessPoolExecutor` submission takes it.
 *
 * @example Cancel a task after 2 s, or when a request goes away
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 *
 * export function fib(n: number): number {
 *   return n < 2 ? n : fib(n - 1) + fib(n - 2);
 * }
 *
 * if (import.meta.main) {
 *   await using pool = new mp.Pool(2);
 *   const controller = new AbortController();
 *   try {
 *     console.log(await pool.apply(fib, [40], { signal: controller.signal, timeout: 2000 }));
 *   } catch (e) {
 *     console.log(e instanceof mp.TimeoutError ? "too slow" : "aborted");
 *   }
 * }
 * ```
 */
export interface TaskOptions {
  /**
   * Aborting it cancels the task: a queued task is dropped, a running one is stopped
   * by ending its worker (a fresh one replaces it; the other tasks are unaffected).
   * The task rejects with `signal.reason`.
   */
  signal?: AbortSignal;
  /**
   * Milliseconds from submission (queueing included) after which the task is
   * cancelled as by `signal`, rejecting with `TimeoutError`.
   */
  timeout?: number;
  /**
   * When the pool's `maxQueue` tasks already wait to start: `false` (default) rejects
   * the submission with `Full` at once; `true` queues it as soon as there is room
   * (still cancellable meanwhile).
   */
  wait?: boolean;
}

const NO_OPTIONS: TaskOptions = Object.freeze({});

/** Checks a submission's options, naming the value at fault. */
export function checkTaskOptions(options: unknown, where: string): TaskOptions {
  if (options === undefined || options === null) return NO_OPTIONS;
  if (typeof options !== "object") {
    throw new TypeError(
      `${where}: options must be an object like { signal, timeout }, got ${describe(options)}`,
    );
  }
  const o = options as TaskOptions;
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new TypeError(`${where}: options.signal must be an AbortSignal, got ${describe(o.signal)}`);
  }
  if (
    o.timeout !== undefined && (typeof o.timeout !== "number" || Number.isNaN(o.timeout) || o.timeout < 0)
  ) {
    throw new RangeError(
      `${where}: options.timeout must be a number of milliseconds (>= 0), got ${String(o.timeout)}`,
    );
  }
  return o;
}

/**
 * Calls `cancel(reason)` once when `options.signal` aborts or `options.timeout` passes
 * (a `TimeoutError` naming `what`). Returns the function that stops watching; call it
 * when the work settles. An already aborted signal cancels at once (synchronously).
 */
export function watchCancel(
  options: TaskOptions,
  what: () => string,
  cancel: (reason: unknown) => void,
): () => void {
  const { signal, timeout } = options;
  if (signal === undefined && timeout === undefined) return () => {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  let done = false;
  const stop = () => {
    done = true;
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  };
  const fire = (reason: unknown) => {
    if (done) return;
    stop();
    cancel(reason);
  };
  const onAbort = () => fire(signal!.reason);
  if (signal?.aborted) {
    fire(signal.reason);
    return stop;
  }
  signal?.addEventListener("abort", onAbort, { once: true });
  if (timeout !== undefined) {
    timer = setTimeout(() => {
      fire(
        new TimeoutError(
          `${what()}: the task did not finish within its timeout of ${timeout} ms (queueing included), so ` +
            "it was cancelled: give it a longer timeout, or more workers",
        ),
      );
    }, timeout);
  }
  return stop;
}

/** Throws a `TypeError` naming `where` unless `iterable` is iterable (or async iterable when allowed). */
export function checkIterable(iterable: unknown, where: string, allowAsync = false): void {
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
