/**
 * Python's `concurrent.futures` module functions, for the promises of
 * `ProcessPoolExecutor.submit()` and the `AsyncResult`s of a pool (any
 * `PromiseLike`): {@linkcode asCompleted} and {@linkcode wait}. Exported as
 * `mp.futures`; `mp.wait` stays `multiprocessing.connection.wait`.
 *
 * @module
 */
import { TimeoutError } from "../internal/errors.ts";
import { checkTimeout } from "../internal/_timeouts.ts";

/** `wait()` returns when any future finishes or is cancelled. */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/** `wait()` returns when any future rejects, or when all have settled. */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/** `wait()` returns when all futures have settled. */
export const ALL_COMPLETED = "ALL_COMPLETED";

/** When {@linkcode wait} returns: Python's `return_when`. */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/** Options of {@linkcode wait}. */
export interface WaitOptions {
  /** The most to wait, in milliseconds (`undefined`: as long as it takes). */
  timeout?: number;
  /** When to return; defaults to {@linkcode ALL_COMPLETED}. */
  returnWhen?: ReturnWhen;
}

/** What {@linkcode wait} returns: Python's `(done, not_done)`. */
export interface WaitResult<P> {
  /** The futures that settled (resolved or rejected). */
  done: Set<P>;
  /** The others. */
  notDone: Set<P>;
}

type Settled = { ok: boolean };

/** Watches each future once, remembering how it settled. */
function watch<P extends PromiseLike<unknown>>(
  futures: Iterable<P>,
  where: string,
): Map<P, Promise<Settled>> {
  if (futures === null || typeof (futures as Partial<Iterable<P>>)?.[Symbol.iterator] !== "function") {
    throw new TypeError(`${where}: futures must be an iterable of promises, got ${String(futures)}`);
  }
  const out = new Map<P, Promise<Settled>>();
  for (const f of futures) {
    if (out.has(f)) continue;
    if (typeof f?.then !== "function") {
      throw new TypeError(`${where}: every future must be a promise (PromiseLike), got ${String(f)}`);
    }
    out.set(f, Promise.resolve(f).then(() => ({ ok: true }), () => ({ ok: false })));
  }
  return out;
}

/** A promise of `null` after `ms` (never for `undefined`), and how to stop its timer. */
function deadline(ms: number | undefined): { expired: Promise<null>; stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = ms === undefined
    ? new Promise<null>(() => {})
    : new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), Math.max(0, ms))));
  return { expired, stop: () => clearTimeout(timer) };
}

/**
 * The futures' outcomes in the order they settle, like Python's `as_completed`: the
 * first promise returned settles like the first future to settle, and so on. `await`
 * each for its value or its error. Those still pending when `timeout` ms have passed
 * reject with {@linkcode TimeoutError}.
 *
 * @param futures Promises, executor futures or pool `AsyncResult`s; repeats count once.
 * @param timeout The most to wait for all of them, in milliseconds: `undefined`,
 * `null` or `Infinity` waits as long as it takes, `0` or less times out the pending
 * ones at once.
 * @returns One promise per future, in completion order; each resolves to a future's
 * value or rejects with its error, or with `TimeoutError` once `timeout` ms pass.
 * @throws {TypeError} When `futures` is not an iterable of promises, or `timeout` is
 * `NaN` or not a number (nor `undefined` or `null`).
 *
 * @example Results in the order they finish
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * const slow = new Promise<string>((r) => setTimeout(() => r("slow"), 20));
 * const fast = Promise.resolve("fast");
 * for (const next of mp.futures.asCompleted([slow, fast], 5000)) {
 *   console.log(await next); // "fast", then "slow"
 * }
 * ```
 */
export function asCompleted<T>(futures: Iterable<PromiseLike<T>>, timeout?: number): Promise<T>[] {
  const ms = checkTimeout(timeout, "futures.asCompleted()");
  const all = [...watch(futures, "futures.asCompleted()").keys()];
  const slots = all.map(() => {
    let settle!: { resolve(v: T): void; reject(e: unknown): void };
    const promise = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
    promise.catch(() => {}); // an outcome nobody awaits is not an unhandled rejection
    return { promise, settle };
  });
  let next = 0;
  const { expired, stop } = deadline(ms);
  for (const f of all) {
    Promise.resolve(f).then(
      (v) => next < slots.length && slots[next++].settle.resolve(v),
      (e) => next < slots.length && slots[next++].settle.reject(e),
    ).then(() => next === slots.length && stop());
  }
  if (all.length === 0) stop();
  expired.then(() => {
    const left = slots.length - next;
    while (next < slots.length) {
      slots[next++].settle.reject(
        new TimeoutError(`futures.asCompleted(): ${left} of the futures had not settled after ${ms} ms`),
      );
    }
  });
  return slots.map((s) => s.promise);
}

/**
 * Waits for the futures as Python's `concurrent.futures.wait` does: until all have
 * settled ({@linkcode ALL_COMPLETED}, the default), the first has settled
 * ({@linkcode FIRST_COMPLETED}), or the first has rejected ({@linkcode FIRST_EXCEPTION}),
 * or `timeout` ms have passed. Never rejects: a timeout returns what is done so far.
 *
 * @param futures Promises, executor futures or pool `AsyncResult`s.
 * @param options `timeout` in milliseconds (`undefined`, `null` or `Infinity`: as long
 * as it takes; `0` or less: do not wait) and `returnWhen` (default
 * {@linkcode ALL_COMPLETED}).
 * @returns A promise that resolves to the `done` and `notDone` sets.
 * @throws {TypeError} When `futures` is not an iterable of promises, `returnWhen` is
 * unknown, or `timeout` is `NaN` or not a number (a rejection: the one way it rejects).
 *
 * @example Wait for the first result
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * const a = new Promise((r) => setTimeout(() => r("a"), 50));
 * const b = Promise.resolve("b");
 * const { done, notDone } = await mp.futures.wait([a, b], { returnWhen: mp.futures.FIRST_COMPLETED });
 * console.log(done.size, notDone.size); // 1 1
 * ```
 */
export async function wait<P extends PromiseLike<unknown>>(
  futures: Iterable<P>,
  options: WaitOptions = {},
): Promise<WaitResult<P>> {
  const ms = checkTimeout(options.timeout, "futures.wait()");
  const returnWhen = options.returnWhen ?? ALL_COMPLETED;
  if (![FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED].includes(returnWhen)) {
    throw new TypeError(
      `futures.wait(): returnWhen must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, got ${
        String(returnWhen)
      }`,
    );
  }
  const all = watch(futures, "futures.wait()");
  const done = new Set<P>();
  const { expired, stop } = deadline(ms);
  const finished = new Promise<void>((resolve) => {
    if (all.size === 0) resolve();
    for (const [f, settled] of all) {
      settled.then(({ ok }) => {
        done.add(f);
        const stopNow = returnWhen === FIRST_COMPLETED || (returnWhen === FIRST_EXCEPTION && !ok);
        if (stopNow || done.size === all.size) resolve();
      });
    }
  });
  await Promise.race([finished, expired]).finally(stop);
  const snapshot = new Set(done);
  return { done: snapshot, notDone: new Set([...all.keys()].filter((f) => !snapshot.has(f))) };
}
