/**
 * The wait/notify helpers every blocking class is built on: `Atomics.wait` for the
 * `*Sync` methods, `Atomics.waitAsync` for the async ones, both with millisecond
 * timeouts. (Whether a process still lives is `liveness.ts`.)
 *
 * @module
 */
import { keepAlive } from "./runtime.ts";

/** An Int32 view over shared memory. */
export type SharedInt32 = Int32Array<SharedArrayBuffer>;

/** The outcome of one wait. */
export type WaitResult = "ok" | "not-equal" | "timed-out";

/** How often a waiter re-checks that the holder of a robust lock still lives (ms). */
export const LIVENESS_POLL_MS = 50;

/** Absolute deadline (in `performance.now()` time) of a timeout; `Infinity` if none. */
export function deadlineOf(timeout: number | undefined): number {
  if (timeout === undefined) return Infinity;
  return performance.now() + Math.max(0, timeout);
}

/** Milliseconds left until `deadline` (never negative; `Infinity` stays). */
export function remaining(deadline: number): number {
  return deadline === Infinity ? Infinity : Math.max(0, deadline - performance.now());
}

/** Waits without blocking while `a[i] === value`, at most `timeout` ms. */
export function waitAsync(
  a: SharedInt32,
  i: number,
  value: number,
  timeout: number = Infinity,
): Promise<WaitResult> {
  const r = Atomics.waitAsync(a, i, value, timeout);
  return r.async ? keepAlive(r.value) : Promise.resolve(r.value);
}
