/**
 * `Barrier`: parties wait until all have arrived, with Python's states (filling,
 * draining, resetting, broken) kept in shared memory under a monitor.
 *
 * @module
 */
import { deadlineOf, type SharedInt32 } from "../internal/_atomics.ts";
import { adopt, adoptedState, registerShared, SHARE, type SharedHandle } from "../internal/_codec.ts";
import { BrokenBarrierError } from "../internal/errors.ts";
import { enter, leave, MONITOR_WORDS, signal, waitIn } from "./_monitor.ts";
import { runAsync, runSync, type Steps } from "./_steps.ts";
import { checkTimeout } from "../internal/_timeouts.ts";
import { inspectable } from "../internal/_inspect.ts";

const COUNT = MONITOR_WORDS;
const STATE = COUNT + 1;
const PARTIES = COUNT + 2;
const WORDS = COUNT + 3;

const FILLING = 0;
const DRAINING = 1;
const RESETTING = -1;
const BROKEN = -2;

/** Options of {@linkcode Barrier}. */
export interface BarrierOptions {
  /** Default timeout of `wait`, in milliseconds. */
  timeout?: number;
}

function broken(why: string): BrokenBarrierError {
  return new BrokenBarrierError(`The barrier is broken: ${why}: call reset() to use it again`);
}

function* waitSteps(a: SharedInt32, timeout: number | undefined): Steps<number> {
  yield* enter(a, 0);
  try {
    while (a[STATE] === DRAINING || a[STATE] === RESETTING) yield* waitIn(a, 0, Infinity);
    if (a[STATE] === BROKEN) throw broken("it was aborted, reset or timed out");
    const index = a[COUNT]++;
    try {
      if (index + 1 === a[PARTIES]) {
        a[STATE] = DRAINING;
        signal(a, 0);
      } else {
        const deadline = deadlineOf(timeout);
        while (a[STATE] === FILLING) {
          if ((yield* waitIn(a, 0, deadline)) === "timed-out" && a[STATE] === FILLING) {
            a[STATE] = BROKEN;
            signal(a, 0);
            throw broken(`a party timed out after ${timeout} ms`);
          }
        }
        if (a[STATE] < 0) throw broken("it was aborted or reset while waiting");
      }
      return index;
    } finally {
      if (--a[COUNT] === 0 && (a[STATE] === RESETTING || a[STATE] === DRAINING)) {
        a[STATE] = FILLING;
        signal(a, 0);
      }
    }
  } finally {
    leave(a, 0);
  }
}

function* update(a: SharedInt32, change: (a: SharedInt32) => void): Steps<void> {
  yield* enter(a, 0);
  try {
    change(a);
    signal(a, 0);
  } finally {
    leave(a, 0);
  }
}

/**
 * A barrier across processes (Python's `multiprocessing.Barrier`): each of `parties`
 * processes calls `wait()`, and all go on once the last has arrived. `wait` returns
 * a distinct index in `0..parties-1`. A timeout, `abort()` or `reset()` breaks the
 * barrier for every waiter with `BrokenBarrierError`. Timeouts follow
 * {@linkcode Lock}'s rule (`null` too uses the barrier's default, as Python's `None`;
 * `0` or less breaks the barrier at once unless this party is the last), and `wait()`
 * never throws: a bad timeout and a broken barrier reject the promise.
 *
 * @example Three processes meet
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export async function party(b: mp.Barrier) {
 *   const i = await b.wait(5000);
 *   console.log("passed with index", i);
 * }
 *
 * if (import.meta.main) {
 *   const b = new mp.Barrier(3);
 *   const ps = [1, 2].map(() => new mp.Process({ target: party, args: [b] }));
 *   for (const p of ps) await p.start();
 *   await party(b);
 *   for (const p of ps) await p.join();
 * }
 * ```
 */
export class Barrier {
  #a: SharedInt32;
  #timeout: number | undefined;

  /**
   * Creates a barrier for `parties` processes; `timeout` is the default of `wait`.
   *
   * @param parties How many processes must call `wait` before all pass, an integer >= 1.
   * @param options `timeout`: the default timeout of `wait`, in milliseconds.
   * @throws {RangeError} If `parties` is not an integer >= 1.
   * @throws {TypeError} If `options.timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  constructor(parties: number, options: BarrierOptions = {}) {
    const adopted = adoptedState<{ a: SharedInt32; timeout: number | undefined }>(new.target);
    if (adopted) {
      ({ a: this.#a, timeout: this.#timeout } = adopted);
      return;
    }
    if (typeof parties !== "number" || !Number.isInteger(parties) || parties < 1) {
      throw new RangeError(`Barrier(parties): parties must be an integer >= 1, got ${String(parties)}`);
    }
    this.#timeout = checkTimeout(options?.timeout, "Barrier(options)");
    this.#a = new Int32Array(new SharedArrayBuffer(WORDS * 4));
    this.#a[PARTIES] = parties;
  }

  /**
   * Waits until all parties have called `wait`, at most `timeout` ms (default: the
   * barrier's). Resolves this party's index; rejects with `BrokenBarrierError` if the
   * barrier is or becomes broken (a timeout breaks it).
   *
   * @param timeout How long to wait, in milliseconds; `undefined` or `null` uses the
   *   barrier's default (itself `undefined`: as long as it takes), `Infinity` waits as
   *   long as it takes, `0` or less does not wait (this party breaks the barrier unless
   *   it is the last).
   * @returns A promise that resolves to this party's index, from `0` to `parties - 1`.
   * @throws {BrokenBarrierError} If the barrier is broken, or is broken, reset or
   *   times out while waiting.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  wait(timeout?: number): Promise<number> {
    let ms: number | undefined;
    try {
      ms = checkTimeout(timeout, "Barrier.wait()") ?? this.#timeout;
    } catch (e) {
      return Promise.reject(e);
    }
    return runAsync(waitSteps(this.#a, ms));
  }

  /**
   * Like {@linkcode Barrier.wait}, blocking the thread.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` or `null` uses the
   *   barrier's default (itself `undefined`: as long as it takes), `Infinity` waits as
   *   long as it takes, `0` or less does not wait (this party breaks the barrier unless
   *   it is the last).
   * @returns This party's index, from `0` to `parties - 1`.
   * @throws {BrokenBarrierError} If the barrier is broken, or is broken, reset or
   *   times out while waiting.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  waitSync(timeout?: number): number {
    const ms = checkTimeout(timeout, "Barrier.waitSync()") ?? this.#timeout;
    return runSync(waitSteps(this.#a, ms));
  }

  /** Breaks the barrier: current and future waiters get `BrokenBarrierError`. */
  abort(): void {
    runSync(update(this.#a, (a) => void (a[STATE] = BROKEN)));
  }

  /**
   * Returns the barrier to its initial state. Parties waiting now get
   * `BrokenBarrierError`.
   */
  reset(): void {
    runSync(update(this.#a, (a) => {
      if (a[COUNT] === 0) a[STATE] = FILLING;
      else if (a[STATE] !== DRAINING) a[STATE] = RESETTING;
    }));
  }

  /** The number of parties needed to pass. */
  get parties(): number {
    return this.#a[PARTIES];
  }

  /** The number of parties waiting now. */
  get nWaiting(): number {
    return Atomics.load(this.#a, STATE) === FILLING ? Atomics.load(this.#a, COUNT) : 0;
  }

  /** Whether the barrier is broken. */
  get broken(): boolean {
    return Atomics.load(this.#a, STATE) === BROKEN;
  }

  /**
   * Describes the barrier: `<Barrier(waiters=1/3)>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<Barrier(${this.broken ? "broken, " : ""}waiters=${this.nWaiting}/${this.parties})>`;
  }

  /**
   * The handle this barrier travels as (codec).
   * @ignore
   */
  [SHARE](): SharedHandle {
    return { type: "Barrier", module: import.meta.url, state: { a: this.#a, timeout: this.#timeout } };
  }
}

registerShared("Barrier", (state) => adopt(Barrier, state, () => new Barrier(1)));

inspectable(Barrier);
