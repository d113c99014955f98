/**
 * What every `mp.dummy` class that waits shares: FIFO wait lists on promises (no
 * thread ever blocks), bounded timers, and the error a `*Sync` call throws when it
 * would have to wait for another task of this same thread.
 *
 * @module
 */
import { ProcessError } from "../internal/errors.ts";
import { checkTimeout } from "../internal/_timeouts.ts";
import { inspectable } from "../internal/_inspect.ts";

/** Above this, `setTimeout` overflows and fires at once: treat such waits as "no limit". */
const MAX_TIMER_MS = 0x7fffffff;

/**
 * Checks a timeout in milliseconds and normalizes it: `undefined` for "no limit"
 * (`undefined`, `null`, `Infinity` or more than `setTimeout` can hold), otherwise the number.
 */
export function timeoutMs(timeout: unknown, where: string): number | undefined {
  const ms = checkTimeout(timeout, where);
  return ms === undefined || ms > MAX_TIMER_MS ? undefined : ms;
}

/** True when a normalized timeout means "do not wait". */
export function noWait(ms: number | undefined): boolean {
  return ms !== undefined && ms <= 0;
}

/** How a wait ended: woken with a value, or timed out. */
export type Woken<T> = { woken: true; value: T } | { woken: false };

interface Waiter<T> {
  wake(value: T): void;
  fail(error: unknown): void;
  tag: unknown;
}

/** A FIFO list of parked async waiters, each with an optional timeout. */
export class WaitList<T = void> {
  #list: Waiter<T>[] = [];

  /** The number of waiters parked now. */
  get length(): number {
    return this.#list.length;
  }

  /**
   * Parks until {@linkcode WaitList.wakeOne} / {@linkcode WaitList.wakeAll} hands a value
   * (`{ woken: true }`), or `ms` pass (`{ woken: false }`; `undefined`: no limit).
   * {@linkcode WaitList.failAll} rejects it. `tag` says who waits (see `firstTag`).
   */
  park(ms: number | undefined, tag?: unknown): Promise<Woken<T>> {
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const w: Waiter<T> = {
        tag,
        wake: (value) => {
          clearTimeout(timer);
          resolve({ woken: true, value });
        },
        fail: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#list.push(w);
      if (ms !== undefined) {
        timer = setTimeout(() => {
          const i = this.#list.indexOf(w);
          if (i >= 0) this.#list.splice(i, 1);
          resolve({ woken: false });
        }, Math.max(0, ms));
      }
    });
  }

  /** The tag of the longest-waiting waiter (the next `wakeOne` wakes it), if any waits. */
  get firstTag(): unknown {
    return this.#list[0]?.tag;
  }

  /** Wakes the longest-waiting waiter with `value`; false if none waits. */
  wakeOne(value: T): boolean {
    const w = this.#list.shift();
    if (w === undefined) return false;
    w.wake(value);
    return true;
  }

  /** Wakes every waiter with `value`; returns how many. */
  wakeAll(value: T): number {
    const all = this.#list;
    this.#list = [];
    for (const w of all) w.wake(value);
    return all.length;
  }

  /** Rejects every waiter with `error`. */
  failAll(error: unknown): void {
    const all = this.#list;
    this.#list = [];
    for (const w of all) w.fail(error);
  }
}

/**
 * Resolves `true` once `promise` settles, `false` after `ms` (`undefined`: no limit;
 * `<= 0`: only if it has already settled). Never leaves a timer behind.
 */
export function settlesWithin(promise: Promise<unknown>, ms: number | undefined): Promise<boolean> {
  const done = promise.then(() => true, () => true);
  if (ms === undefined) return done;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<boolean>((
    resolve,
  ) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))));
  return Promise.race([done, expired]).finally(() => clearTimeout(timer));
}

/**
 * The error of a `*Sync` call that would have to wait: everything of `mp.dummy` runs
 * on the calling thread, so no other task could run to end the wait while it blocked.
 * `call` names the call (`Lock.acquireSync()`), `why` says what it would wait for,
 * `instead` the async form to use.
 */
export function wouldBlock(call: string, why: string, instead: string): ProcessError {
  return new ProcessError(
    `${call}: this call would block: ${why}, and mp.dummy runs every task on this one thread, so no ` +
      `other task could change that while it blocked (it could only hang or time out): use ${instead} ` +
      "instead (or a timeout of 0 to try without waiting)",
  );
}

/**
 * Makes `console.log` (Deno's and Bun's) print instances of `classes` as their
 * `toString()`, like Python's repr (the package's one {@linkcode inspectable}).
 */
export const printable: typeof inspectable = inspectable;
