/**
 * `AsyncResult`: the pending result of `Pool.applyAsync`, `mapAsync` and
 * `starmapAsync`, as in Python, and awaitable.
 *
 * @module
 */
import { ProcessError, TimeoutError } from "./errors.ts";
import { writeStderr } from "./runtime.ts";
import { checkTimeout } from "./wait.ts";

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

/**
 * Settles `r` (pool internals only): runs its callback or error callback first, as
 * Python does, then wakes every waiter. Later calls are ignored.
 */
export function settleResult<R>(r: AsyncResult<R>, ok: boolean, value: unknown): void {
  settle(r as AsyncResult<unknown>, ok, value);
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
  #callbacks: ResultCallbacks<R> | undefined;

  static {
    settle = (r, ok, value) => r.#settle(ok, value);
  }

  /** Creates a pending result whose callbacks run when it settles (pools do this). */
  constructor(callbacks?: ResultCallbacks<R>) {
    this.#callbacks = callbacks;
  }

  #settle(ok: boolean, value: unknown): void {
    if (this.#state !== PENDING) return;
    this.#state = ok ? FULFILLED : REJECTED;
    this.#value = value;
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

  /** Whether the task has finished (successfully or not). */
  ready(): boolean {
    return this.#state !== PENDING;
  }

  /** Whether the task finished without error; throws `ProcessError` if it is not ready yet. */
  successful(): boolean {
    if (this.#state === PENDING) {
      throw new ProcessError("the result is not ready: check ready() or await wait() before successful()");
    }
    return this.#state === FULFILLED;
  }

  /**
   * Waits until the result is ready, at most `timeout` ms (undefined: no limit).
   * Resolves `true` if it is ready, `false` on timeout.
   */
  wait(timeout?: number): Promise<boolean> {
    return this.#whenReady(checkTimeout(timeout, "AsyncResult.wait()"));
  }

  /**
   * The result, once ready. Rejects with the task's error, or with `TimeoutError` if it
   * is not ready within `timeout` ms (undefined: no limit).
   */
  get(timeout?: number): Promise<R> {
    const ms = checkTimeout(timeout, "AsyncResult.get()");
    if (this.#state !== PENDING) return this.#outcome();
    return this.#whenReady(ms).then((ready) => {
      if (ready) return this.#outcome();
      throw new TimeoutError(
        `the result was not ready within ${ms} ms: wait longer (get(timeout)), or check ready() first`,
      );
    });
  }

  /** Makes the result awaitable: `await r` is `await r.get()`. */
  then<T1 = R, T2 = never>(
    onfulfilled?: ((value: R) => T1 | PromiseLike<T1>) | null,
    onrejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    return this.get().then(onfulfilled, onrejected);
  }

  /** A one-line description, like Python's repr. */
  toString(): string {
    const state = this.#state === PENDING ? "pending" : this.#state === FULFILLED ? "fulfilled" : "rejected";
    return `<AsyncResult ${state}>`;
  }
}
