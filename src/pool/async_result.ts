/**
 * `AsyncResult`: the pending result of `Pool.applyAsync`, `mapAsync` and
 * `starmapAsync`, as in Python, and awaitable.
 *
 * @module
 */
import { ProcessError, TimeoutError } from "../internal/errors.ts";
import { writeStderr } from "../internal/runtime.ts";
import { checkTimeout } from "../internal/_timeouts.ts";
import { inspectable } from "../internal/_inspect.ts";

/** Callbacks run in the parent when a result is ready, like Python's `callback` / `error_callback`. */
export interface ResultCallbacks<R> {
  /** Called with the result when the task succeeds. */
  callback?: (result: R) => void;
  /** Called with the error when the task fails. */
  errorCallback?: (error: Error) => void;
}

const PENDING = 0;
const FULFILLED = 1;
const REJECTED = 2;

let settle: (r: AsyncResult<unknown>, ok: boolean, value: unknown) => void;
/** What `AsyncResult.cancel()` calls (pool internals). */
export interface Canceller {
  cancel(reason: unknown): void;
}

let setCanceller: (r: AsyncResult<unknown>, cancel: Canceller) => void;

/**
 * Options of {@linkcode AsyncResult.get}.
 *
 * @example Wait 1 s, then give up on the task altogether
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 *
 * export function slow() {
 *   return new Promise((r) => setTimeout(r, 60_000));
 * }
 *
 * if (import.meta.main) {
 *   await using pool = new mp.Pool(1);
 *   await pool.applyAsync(slow).get(1000, { cancel: true }).catch((e) => console.log(e.name)); // TimeoutError
 * }
 * ```
 */
export interface GetOptions {
  /** On timeout, also cancel the task (as {@linkcode AsyncResult.cancel} with the `TimeoutError`). */
  cancel?: boolean;
}

/**
 * Settles `r` (pool internals only): runs its callback or error callback first, as
 * Python does, then wakes every waiter. Later calls are ignored.
 */
export function settleResult<R>(r: AsyncResult<R>, ok: boolean, value: unknown): void {
  settle(r as AsyncResult<unknown>, ok, value);
}

/** Makes `r.cancel(reason)` call `canceller.cancel(reason)` (pool internals only). */
export function onCancel<R>(r: AsyncResult<R>, canceller: Canceller): void {
  setCanceller(r as AsyncResult<unknown>, canceller);
}

/** The reason of `cancel()` without one: an `AbortError`, as `AbortController.abort()` gives. */
function cancelledReason(): DOMException {
  return new DOMException("the task was cancelled by AsyncResult.cancel()", "AbortError");
}

/**
 * The result of a task that runs in a pool (Python's `AsyncResult`). Await it, or use
 * `get(timeout)`, `wait(timeout)`, `ready()` and `successful()`. Pools create it.
 *
 * @example Wait for one task with a timeout
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 *
 * export function square(x: number) {
 *   return x * x;
 * }
 *
 * if (import.meta.main) {
 *   await using pool = new mp.Pool(2);
 *   const r = pool.applyAsync(square, [7]);
 *   console.log(await r.get(5000)); // 49
 *   console.log(r.ready(), r.successful()); // true true
 * }
 * ```
 */
export class AsyncResult<R> implements PromiseLike<R> {
  #state = PENDING;
  #value: unknown = undefined;
  #waiters: Set<() => void> | null = null;
  // Not `ResultCallbacks<R>`: a field that takes R would make AsyncResult<T> invariant,
  // and an AsyncResult<number> must be usable as an AsyncResult<unknown>.
  // deno-lint-ignore no-explicit-any
  #callbacks: ResultCallbacks<any> | undefined;
  #cancel: Canceller | null = null;

  static {
    settle = (r, ok, value) => r.#settle(ok, value);
    setCanceller = (r, cancel) => (r.#cancel = cancel);
  }

  /**
   * Creates a pending result whose callbacks run when it settles (pools do this).
   *
   * @param callbacks `callback` and `errorCallback`, run in this process when the
   * result settles (see {@linkcode ResultCallbacks}).
   */
  constructor(callbacks?: ResultCallbacks<R>) {
    this.#callbacks = callbacks;
  }

  #settle(ok: boolean, value: unknown): void {
    if (this.#state !== PENDING) return;
    this.#state = ok ? FULFILLED : REJECTED;
    this.#value = value;
    this.#cancel = null;
    const cb = ok ? this.#callbacks?.callback : this.#callbacks?.errorCallback;
    this.#callbacks = undefined;
    if (cb) {
      try {
        cb(value as R & Error);
      } catch (e) {
        const what = ok ? "callback" : "errorCallback";
        const stack = e instanceof Error ? (e.stack ?? String(e)) : String(e);
        writeStderr(`Exception in the ${what} of a pool task (the pool goes on):\n${stack}\n`);
      }
    }
    const waiters = this.#waiters;
    this.#waiters = null;
    if (waiters) { for (const w of waiters) w(); }
  }

  /** Resolves `true` once settled, or `false` after `ms` (undefined: no limit). */
  #whenReady(ms: number | undefined): Promise<boolean> {
    if (this.#state !== PENDING) return Promise.resolve(true);
    if (ms !== undefined && ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      (this.#waiters ??= new Set()).add(waiter);
      if (ms !== undefined) {
        timer = setTimeout(() => {
          this.#waiters?.delete(waiter);
          resolve(false);
        }, ms);
      }
    });
  }

  #outcome(): Promise<R> {
    return this.#state === FULFILLED ? Promise.resolve(this.#value as R) : Promise.reject(this.#value);
  }

  /**
   * Whether the task has finished (successfully or not).
   *
   * @returns `true` once the result is settled.
   */
  ready(): boolean {
    return this.#state !== PENDING;
  }

  /**
   * Whether the task finished without error; throws `ProcessError` if it is not ready yet.
   *
   * @returns `true` if the task succeeded, `false` if it failed or was cancelled.
   * @throws {ProcessError} If the result is not ready yet (as Python's `ValueError`).
   */
  successful(): boolean {
    if (this.#state === PENDING) {
      throw new ProcessError(
        "AsyncResult.successful(): the result is not ready: check ready() or await wait() first",
      );
    }
    return this.#state === FULFILLED;
  }

  /**
   * Waits until the result is ready, at most `timeout` ms (undefined: no limit).
   * Resolves `true` if it is ready, `false` on timeout.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to `true` once the result is ready, `false` on timeout.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`); thrown at once.
   */
  wait(timeout?: number): Promise<boolean> {
    return this.#whenReady(checkTimeout(timeout, "AsyncResult.wait()"));
  }

  /**
   * The result, once ready. Rejects with the task's error, or with `TimeoutError` if it
   * is not ready within `timeout` ms (undefined: no limit); with `{ cancel: true }` the
   * task is then cancelled too, so it stops using a worker.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait.
   * @param options `cancel`: on timeout, also cancel the task (default `false`).
   * @returns A promise that resolves to the task's result, or rejects with the task's
   * error (same class and message, `cause` the worker's stack), with
   * `BrokenProcessPool` if its worker died, or with the reason of `cancel()`.
   * @throws {TimeoutError} If the result is not ready within `timeout` ms (a rejection).
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`); thrown at once.
   */
  get(timeout?: number, options?: GetOptions): Promise<R> {
    const ms = checkTimeout(timeout, "AsyncResult.get()");
    if (this.#state !== PENDING) return this.#outcome();
    return this.#whenReady(ms).then((ready) => {
      if (ready) return this.#outcome();
      const error = new TimeoutError(
        `AsyncResult.get(): the result was not ready within ${ms} ms: wait longer (get(timeout)), check ready() first` +
          (options?.cancel ? "; the task was cancelled (get(timeout, { cancel: true }))" : ""),
      );
      if (options?.cancel) this.cancel(error);
      throw error;
    });
  }

  /**
   * Cancels the task if it has not finished: a queued task is dropped, a running one
   * stopped by ending its worker (a fresh one replaces it). The result rejects with
   * `reason` (default: an `AbortError` DOMException). Returns whether it was cancelled
   * (false once settled).
   *
   * @param reason What the result rejects with; default an `AbortError` `DOMException`.
   * @returns `true` if the task was cancelled, `false` if it had already settled.
   *
   * @example Give up on a slow task
   * ```ts ignore
   * import * as mp from "@mp/multiprocessing";
   *
   * export function spin(ms: number) {
   *   const end = Date.now() + ms;
   *   while (Date.now() < end);
   * }
   *
   * if (import.meta.main) {
   *   await using pool = new mp.Pool(1);
   *   const r = pool.applyAsync(spin, [60_000]);
   *   setTimeout(() => r.cancel(), 100);
   *   await r.then(() => {}, (e) => console.log(e.name)); // AbortError
   * }
   * ```
   */
  cancel(reason?: unknown): boolean {
    if (this.#state !== PENDING) return false;
    const cancel = this.#cancel;
    const why = reason === undefined ? cancelledReason() : reason;
    cancel?.cancel(why);
    this.#settle(false, why); // no-op if the pool settled it already
    return true;
  }

  /**
   * Makes the result awaitable: `await r` is `await r.get()`.
   *
   * @param onfulfilled Called with the result.
   * @param onrejected Called with the task's error.
   * @returns A promise of what the called handler returns.
   */
  then<T1 = R, T2 = never>(
    onfulfilled?: ((value: R) => T1 | PromiseLike<T1>) | null,
    onrejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    return this.get().then(onfulfilled, onrejected);
  }

  /**
   * A one-line description, like Python's repr: `<AsyncResult pending>`.
   *
   * @returns The description.
   */
  toString(): string {
    const state = this.#state === PENDING ? "pending" : this.#state === FULFILLED ? "fulfilled" : "rejected";
    return `<AsyncResult ${state}>`;
  }
}

inspectable(AsyncResult);
