/**
 * The robust mutex every lock of this package is built on: two Int32 words in shared
 * memory, `[i]` the holder's pid (0 = free) and
 * `[i + 1]` the number of sleeping waiters, so that an uncontended release costs a
 * store and a load (no `Atomics.notify`). A holder whose process ended is taken over.
 *
 * Waiters spin a little, then sleep on the holder word in slices of
 * `LIVENESS_POLL_MS`, re-checking that the holder still lives.
 *
 * @module
 */
import { deadlineOf, LIVENESS_POLL_MS, remaining, type SharedInt32 } from "../internal/_atomics.ts";
import { ownPid, pidAlive } from "../process/_liveness.ts";
import { runAsync, runSync, type Steps, wait } from "./_steps.ts";

/** Number of Int32 words a mutex occupies. */
export const MUTEX_WORDS = 2;

/** Tries taken before a waiter goes to sleep. */
const SPINS = 100;

/**
 * How long a holder must have been seen dead before a waiter takes the mutex over. A
 * terminated Worker may still run for a moment (Deno stops it only when it returns to
 * its event loop); within this time it reaches its next liveness check and stops, so
 * that two processes never work under the mutex at once.
 */
const TAKEOVER_GRACE_MS = 20;

/** Takes the mutex, blocking the thread at most `timeout` ms (`undefined`: forever). */
export function mutexSync(a: SharedInt32, i: number, timeout?: number): boolean {
  const pid = ownPid();
  if (Atomics.compareExchange(a, i, 0, pid) === 0) return true;
  return runSync(mutexSteps(a, i, pid, deadlineOf(timeout)));
}

/** Takes the mutex without blocking the event loop, waiting at most `timeout` ms. */
export function mutex(a: SharedInt32, i: number, timeout?: number): Promise<boolean> {
  const pid = ownPid();
  if (Atomics.compareExchange(a, i, 0, pid) === 0) return Promise.resolve(true);
  return runAsync(mutexSteps(a, i, pid, deadlineOf(timeout)));
}

/** The slow path of taking the mutex: spin, then sleep until it is free or `deadline`. */
export function* mutexSteps(a: SharedInt32, i: number, pid: number, deadline: number): Steps<boolean> {
  if (deadline === Infinity || remaining(deadline) > 0) {
    for (let n = 0; n < SPINS; n++) {
      if (Atomics.load(a, i) === 0 && Atomics.compareExchange(a, i, 0, pid) === 0) return true;
    }
  }
  Atomics.add(a, i + 1, 1);
  let deadSince = -1;
  let deadHolder = 0;
  try {
    for (;;) {
      const holder = Atomics.compareExchange(a, i, 0, pid);
      if (holder === 0) return true;
      let slice = LIVENESS_POLL_MS;
      if (!pidAlive(holder)) {
        if (holder !== deadHolder) [deadHolder, deadSince] = [holder, performance.now()];
        const waited = performance.now() - deadSince;
        if (waited >= TAKEOVER_GRACE_MS && Atomics.compareExchange(a, i, holder, pid) === holder) return true;
        slice = Math.max(1, TAKEOVER_GRACE_MS - waited);
      }
      const left = remaining(deadline);
      if (left <= 0) return false;
      yield wait(a, i, holder, Math.min(left, slice));
    }
  } finally {
    Atomics.sub(a, i + 1, 1);
  }
}

/** Frees the mutex, waking one sleeper if there is one. */
export function unlockMutex(a: SharedInt32, i: number): void {
  Atomics.store(a, i, 0);
  if (Atomics.load(a, i + 1) > 0) Atomics.notify(a, i, 1);
}

/** The pid holding the mutex, 0 if free. */
export function mutexHolder(a: SharedInt32, i: number): number {
  return Atomics.load(a, i);
}
