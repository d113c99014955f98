/**
 * The messages between a pool and its workers. Tasks and results travel in batches:
 * the fixed fields of each entry in one `Float64Array` (a single copy, far cheaper to
 * clone than many small arrays), the rest in a side list of values. Number arrays
 * travel as their `ArrayBuffer`: Deno's `node:worker_threads` (the workers of a pool
 * on Deno) clones a typed array about four times slower than its buffer. Other chunks
 * of items and of results travel packed by `batch_codec.ts` when they can.
 *
 * @module
 */
import type { FunctionRef } from "../process/_resolve.ts";

/** Task kind: `fn(...args)`, the args array is the next `data` entry. */
export const KIND_APPLY = 0;
/** Task kind: `fn(...args)` with only numeric args, inline in `meta` after their count. */
export const KIND_APPLY_NUMBERS = 1;
/** Task kind: `fn(item)` for each item of a chunk (the next `data` entry). */
export const KIND_MAP = 2;
/** Task kind: `fn(...args)` for each args array of a chunk (the next `data` entry). */
export const KIND_STARMAP = 3;

/** Result status: the task returned `undefined`. */
export const RESULT_UNDEFINED = 0;
/** Result status: the task returned a number, inline in `meta`. */
export const RESULT_NUMBER = 1;
/** Result status: the value is the next `data` entry. */
export const RESULT_VALUE = 2;
/** Result status: the task threw; the next `data` entry is its `ErrorData`. */
export const RESULT_ERROR = 3;
/** Result status: a chunk's results, all numbers, packed as a `Float64Array`'s buffer in `data`. */
export const RESULT_NUMBERS = 4;

/** Result status: a chunk's (or an array result's) values packed by `packBatch` in `data`. */
export const RESULT_PACKED = 5;

/**
 * Result status: a map chunk of strings whose results are its items, the same strings in
 * the same order; no `data` entry (the pool has the items packed already).
 */
export const RESULT_SAME = 6;

/**
 * Result status: a chunk's (or an array result's) values, all numbers, in the worker's
 * `NumberRing` (`_number_ring.ts`): the inline number in `meta` is their offset there,
 * the next `data` entry their count. The pool releases the record once it has read it.
 */
export const RESULT_RING = 7;

/** Numbers per result in `DoneMessage.meta`: id, status, inline number, run time (ms). */
export const RESULT_STRIDE = 4;

/**
 * Shared control block of one pool worker (an `Int32Array` on a SharedArrayBuffer),
 * through which the pool takes back tasks the worker has not started, even while the
 * worker is stuck in a long task.
 *
 * - `CTL_SYNC`: the `seq + 1` of the task whose code is on the worker's stack right
 *   now (0: none) — a terminated worker with this set still runs on Deno (see zombies).
 * - `CTL_SLOTS + seq % CTL_RING`: one claim slot per task sent, holding
 *   `slotTag(seq, SLOT_*)`. The pool writes `SLOT_OFFERED` before sending; the worker
 *   moves it to `SLOT_STARTED` by compare-and-swap before running the task and to
 *   `SLOT_DONE` after; the pool takes a task back by swapping `SLOT_OFFERED` for
 *   `SLOT_REVOKED`. Exactly one side wins, so a task is never run twice nor lost.
 */
export const CTL_SYNC = 0;
/** Control block index: the `seq + 1` of the last task the worker started (its progress). */
export const CTL_STARTED = 1;
/** First claim slot of the control block. */
export const CTL_SLOTS = 2;
/** Claim slots per worker: more than the tasks a worker ever holds at once. */
export const CTL_RING = 8192;
/** Slot state: taken back by the pool (the worker skips the task). */
export const SLOT_REVOKED = 0;
/** Slot state: sent, not started. */
export const SLOT_OFFERED = 1;
/** Slot state: the worker runs it. */
export const SLOT_STARTED = 2;
/** Slot state: the worker finished it (its result is sent or about to be). */
export const SLOT_DONE = 3;

/** The value of a claim slot: the task's sequence number on its worker and its state. */
export function slotTag(seq: number, state: number): number {
  return ((seq & 0x1fffffff) << 2) | state;
}

/** A new control block for a pool worker. */
export function createPoolControl(): Int32Array<SharedArrayBuffer> {
  return new Int32Array(new SharedArrayBuffer((CTL_SLOTS + CTL_RING) * 4));
}

/** What a pool worker needs besides the init message. */
export interface PoolWorkerConfig {
  initializer: FunctionRef | null;
  /** The encoded initializer arguments. */
  initargs: unknown;
  /** Tasks after which the worker exits (0: no limit). */
  maxTasks: number;
  /** This worker's control block (see `CTL_SYNC`), set per worker. */
  ctl?: Int32Array<SharedArrayBuffer>;
}

/**
 * Pool to worker: a batch of tasks. `meta` holds, per task, `id, fnId, kind, argc`
 * followed by `argc` numbers for `KIND_APPLY_NUMBERS`; `fns` defines the functions
 * the worker has not seen yet.
 */
export interface TasksMessage {
  t: "tasks";
  fns: [number, FunctionRef][];
  /** A `Float64Array`'s buffer. */
  meta: ArrayBuffer;
  data: unknown[];
  /**
   * The pool's `NumberRing` for this worker, in the first message that uses it: a map
   * chunk of numbers whose `argc` in `meta` is not 0 has its `argc` numbers there, at
   * the offset its `data` entry gives; the worker releases the record once the chunk
   * is over (or skipped).
   */
  ring?: SharedArrayBuffer;
}

/** Pool to worker: finish the queued tasks, then exit. */
export interface StopMessage {
  t: "stop";
}

/**
 * Worker to pool: finished tasks (`RESULT_STRIDE` numbers each in `meta`), with the
 * time they took (`busy` ms for `count` tasks) to size the next batches.
 */
export interface DoneMessage {
  t: "done";
  /** A `Float64Array`'s buffer. */
  meta: ArrayBuffer;
  data: unknown[];
  busy: number;
  count: number;
  /** The worker's `NumberRing`, in the first message with a `RESULT_RING` result. */
  ring?: SharedArrayBuffer;
}

/** Worker to pool: task `id` called `exit()`; the worker ends after this message. */
export interface ExitingMessage {
  t: "exiting";
  id: number;
}

/** Any message of a pool worker. */
export type WorkerMessage = DoneMessage | ExitingMessage;

/** True when there are at least 8 items and every one is a number (a `Float64Array` holds them losslessly). */
export function allNumbers(items: ArrayLike<unknown>): items is ArrayLike<number> {
  const n = items.length;
  if (n < 8) return false;
  for (let i = 0; i < n; i++) if (typeof items[i] !== "number") return false;
  return true;
}
