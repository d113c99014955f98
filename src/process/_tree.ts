/**
 * The process tree's shared table: pid allocation and liveness, in one
 * SharedArrayBuffer that every process of the tree holds.
 *
 * Layout (Int32): `[0]` the last pid handed out, `[1]` the root's pid, then
 * `SLOTS` pids of live processes and `SLOTS` pids of their parents. A pid lives in
 * slot `pid % SLOTS`. A process is alive while its slot holds its pid and its
 * parent is alive: a terminated Worker takes its descendants with it, so their
 * slots need not be cleared one by one.
 *
 * @module
 */

const SLOTS = 4096;
const LAST = 0;
const ROOT = 1;
const LIVE = 2;
const PARENT = LIVE + SLOTS;

/**
 * Byte offset, in the table's buffer, where the tree-wide shared memory arena begins
 * (`src/arena.ts`). The buffer is growable: the arena grows it on demand, and every
 * process of the tree sees the growth, since all hold the same buffer.
 */
export const ARENA_OFFSET: number = Math.ceil(((PARENT + SLOTS) * 4) / 64) * 64;

/** Largest size the buffer may grow to, tried in turn (a runtime may refuse to reserve more). */
const MAX_BYTES = [2 ** 32, 2 ** 30, 2 ** 28];

function growableBuffer(length: number): SharedArrayBuffer {
  for (const maxByteLength of MAX_BYTES) {
    try {
      return new SharedArrayBuffer(length, { maxByteLength });
    } catch { /* cannot reserve that much: try less */ }
  }
  return new SharedArrayBuffer(length);
}

/** The tree table as a typed view. */
export type TreeTable = Int32Array<SharedArrayBuffer>;

/** Creates the table for a tree whose root (the main process) has `rootPid`. */
export function createTree(rootPid: number): TreeTable {
  const t = new Int32Array(growableBuffer(ARENA_OFFSET), 0, PARENT + SLOTS);
  t[LAST] = rootPid;
  t[ROOT] = rootPid;
  return t;
}

/** The root (main process) pid of the tree. */
export function rootPid(t: TreeTable): number {
  return t[ROOT];
}

/** True while process `pid` and all its ancestors are running. */
export function isPidAlive(t: TreeTable, pid: number): boolean {
  for (let depth = 0; depth < 256; depth++) {
    if (pid === t[ROOT]) return true;
    const slot = pid % SLOTS;
    if (Atomics.load(t, LIVE + slot) !== pid) return false;
    pid = Atomics.load(t, PARENT + slot);
  }
  return false;
}

/** Hands out a pid for a new child of `parent`, unique within the tree. */
export function allocatePid(t: TreeTable, parent: number): number {
  for (;;) {
    const pid = Atomics.add(t, LAST, 1) + 1;
    const slot = pid % SLOTS;
    const holder = Atomics.load(t, LIVE + slot);
    if (holder !== 0 && isPidAlive(t, holder)) continue;
    if (Atomics.compareExchange(t, LIVE + slot, holder, pid) !== holder) continue;
    Atomics.store(t, PARENT + slot, parent);
    return pid;
  }
}

/** Records that `pid` has ended. */
export function markPidDead(t: TreeTable, pid: number): void {
  Atomics.compareExchange(t, LIVE + (pid % SLOTS), pid, 0);
}
