/**
 * A monitor in shared memory: a robust mutex (see `mutex.ts`) plus a signal word that
 * waiters sleep on. The state of Semaphore, Barrier, Event and the shared memory arena
 * is guarded by one. Waiting leaves the mutex, sleeps until the signal changes (or the
 * time is up), and enters again; the signal only changes inside the mutex, so no
 * wake-up is lost between a waiter's check and its sleep.
 *
 * @module
 */
import { remaining, type SharedInt32, type WaitResult } from "../internal/_atomics.ts";
import { ownPid } from "../process/_liveness.ts";
import { MUTEX_WORDS, mutexSteps, unlockMutex } from "./_mutex.ts";
import { type Steps, wait } from "./_steps.ts";

/** Number of Int32 words a monitor occupies. */
export const MONITOR_WORDS: number = MUTEX_WORDS + 1;
const SIGNAL = MUTEX_WORDS;

/** Enters the monitor at `a[i]` (as steps; no time limit: it is only held briefly). */
export function* enter(a: SharedInt32, i: number): Steps<void> {
  const pid = ownPid();
  if (Atomics.compareExchange(a, i, 0, pid) !== 0) yield* mutexSteps(a, i, pid, Infinity);
}

/** Leaves the monitor. */
export function leave(a: SharedInt32, i: number): void {
  unlockMutex(a, i);
}

/**
 * Inside the monitor: leaves it, sleeps until signalled, or `deadline` passes
 * (`performance.now()` time), or `slice` ms pass, and enters again.
 */
export function* waitIn(a: SharedInt32, i: number, deadline: number, slice = Infinity): Steps<WaitResult> {
  const seen = Atomics.load(a, i + SIGNAL);
  unlockMutex(a, i);
  const r = yield wait(a, i + SIGNAL, seen, Math.min(remaining(deadline), slice));
  yield* enter(a, i);
  return r;
}

/** Inside the monitor: wakes up to `count` waiters. */
export function signal(a: SharedInt32, i: number, count = Infinity): void {
  Atomics.add(a, i + SIGNAL, 1);
  Atomics.notify(a, i + SIGNAL, count);
}
