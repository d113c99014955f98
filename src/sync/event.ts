/**
 * `Event`: a flag in shared memory that processes wait for.
 *
 * @module
 */
import { deadlineOf, remaining, type SharedInt32 } from "../internal/_atomics.ts";
import { adopt, adoptedState, registerShared, SHARE, type SharedHandle } from "../internal/_codec.ts";
import { runAsync, runSync, type Steps, wait } from "./_steps.ts";
import { checkTimeout } from "../internal/_timeouts.ts";
import { inspectable } from "../internal/_inspect.ts";

/** Int32 words: the flag (0 or 1), and how many times `set()` was called (waiters sleep on it). */
const FLAG = 0;
const SETS = 1;

/**
 * Waits until the flag is set, or was set at any moment since the wait began (a
 * `set()` then `clear()` still wakes every waiter, as Python's documented "set to true
 * ... after the wait starts"), or the deadline passes.
 */
function* waitSteps(a: SharedInt32, timeout: number | undefined): Steps<boolean> {
  const deadline = deadlineOf(timeout);
  const sets = Atomics.load(a, SETS);
  for (;;) {
    if (Atomics.load(a, FLAG) === 1 || Atomics.load(a, SETS) !== sets) return true;
    const left = remaining(deadline);
    if (left <= 0) return false;
    yield wait(a, SETS, sets, left);
  }
}

/**
 * An event across processes (Python's `multiprocessing.Event`): a flag that starts
 * false; `set()` makes it true and wakes every waiter, `clear()` resets it. Timeouts
 * follow {@linkcode Lock}'s rule (`wait(-1)` returns at once, as in Python), and `wait()`
 * never throws: a bad timeout rejects the promise.
 *
 * @example Start together
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export async function runner(go: mp.Event) {
 *   await go.wait();
 *   console.log("running");
 * }
 *
 * if (import.meta.main) {
 *   const go = new mp.Event();
 *   const p = new mp.Process({ target: runner, args: [go] });
 *   await p.start();
 *   go.set();
 *   await p.join();
 * }
 * ```
 */
export class Event {
  #a: SharedInt32;

  /** Creates an event whose flag is false. */
  constructor() {
    this.#a = adoptedState<SharedInt32>(new.target) ?? new Int32Array(new SharedArrayBuffer(8));
  }

  /**
   * Whether the flag is set.
   *
   * @returns `true` if the flag is set.
   */
  isSet(): boolean {
    return Atomics.load(this.#a, FLAG) === 1;
  }

  /** Sets the flag and wakes every waiter (even if the flag is cleared again at once). */
  set(): void {
    Atomics.store(this.#a, FLAG, 1);
    Atomics.add(this.#a, SETS, 1);
    Atomics.notify(this.#a, SETS);
  }

  /** Resets the flag to false. */
  clear(): void {
    Atomics.store(this.#a, FLAG, 0);
  }

  /**
   * Waits until the flag is set, at most `timeout` ms. Resolves `true` if it is set, or
   * was set since the wait began (a `set()` at once undone by `clear()` still wakes
   * every waiter, as Python documents), `false` on timeout.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns A promise that resolves to `true` once the flag is set, `false` on timeout.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`),
   *   as a rejection, whether the flag is set or not.
   */
  wait(timeout?: number): Promise<boolean> {
    let ms: number | undefined;
    try {
      ms = checkTimeout(timeout, "Event.wait()");
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.isSet()) return Promise.resolve(true);
    return runAsync(waitSteps(this.#a, ms));
  }

  /**
   * Like {@linkcode Event.wait}, blocking the thread.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns `true` once the flag is set, `false` on timeout.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  waitSync(timeout?: number): boolean {
    return runSync(waitSteps(this.#a, checkTimeout(timeout, "Event.waitSync()")));
  }

  /**
   * Describes the event: `<Event(set)>` or `<Event(unset)>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<Event(${this.isSet() ? "set" : "unset"})>`;
  }

  /**
   * The handle this event travels as (codec).
   * @ignore
   */
  [SHARE](): SharedHandle {
    return { type: "Event", module: import.meta.url, state: this.#a };
  }
}

registerShared("Event", (state) => adopt(Event, state, () => new Event()));

inspectable(Event);
