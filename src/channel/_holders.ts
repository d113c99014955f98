/**
 * Who holds one side of a pipe: a small table in shared memory of `[pid, count]`
 * slots, so that a side counts as gone once every handle on it is closed or every
 * process holding one has ended (the way an OS closes a dead process's file
 * descriptors). A table whose slots are all taken by live processes counts further
 * holders in an overflow word, never seen as gone.
 *
 * Layout from `base`: `[overflow, pid0, count0, pid1, count1, ...]`.
 *
 * @module
 */
import type { SharedInt32 } from "../internal/_atomics.ts";
import { pidAlive } from "../process/_liveness.ts";

/** Slots per table. */
const SLOTS = 7;
/** Int32 words one table occupies. */
export const HOLDER_WORDS: number = 1 + 2 * SLOTS;

/** Counts `n` more handles held by process `pid`. */
export function addHolder(a: SharedInt32, base: number, pid: number, n: number = 1): void {
  for (let s = base + 1; s < base + HOLDER_WORDS; s += 2) {
    if (Atomics.load(a, s) === pid) {
      Atomics.add(a, s + 1, n);
      return;
    }
  }
  for (let s = base + 1; s < base + HOLDER_WORDS; s += 2) {
    const owner = Atomics.load(a, s);
    if ((owner === 0 || !pidAlive(owner)) && Atomics.compareExchange(a, s, owner, pid) === owner) {
      Atomics.store(a, s + 1, n);
      return;
    }
  }
  Atomics.add(a, base, n);
}

/** Counts `n` fewer handles held by process `pid`. */
export function removeHolder(a: SharedInt32, base: number, pid: number, n: number = 1): void {
  for (let s = base + 1; s < base + HOLDER_WORDS; s += 2) {
    if (Atomics.load(a, s) === pid) {
      Atomics.sub(a, s + 1, n);
      return;
    }
  }
  Atomics.sub(a, base, n);
}

/** True while some live process holds an open handle. */
export function hasHolder(a: SharedInt32, base: number): boolean {
  if (Atomics.load(a, base) > 0) return true;
  for (let s = base + 1; s < base + HOLDER_WORDS; s += 2) {
    const owner = Atomics.load(a, s);
    if (owner !== 0 && Atomics.load(a, s + 1) > 0 && pidAlive(owner)) return true;
  }
  return false;
}
