/**
 * The pool's tasks: what one is (`Task`: its function, payload and sink, and where it
 * is: queued, sent to a worker under a claim slot, settled), the functions tasks run
 * (`PoolFunction`), the FIFO they wait in (`TaskQueue`), and how a task is named in
 * messages (`describeTask`, `preview`). Plain data: the engine moves tasks around.
 *
 * @module
 */
import { describe } from "../internal/_codec.ts";
import type { FunctionRef } from "../process/_resolve.ts";
import type { AnyFunction } from "../internal/_types.ts";
import { KIND_APPLY, KIND_APPLY_NUMBERS } from "./_protocol.ts";
import type { WorkerSlot } from "./_worker_slot.ts";

/** Where the outcome of a task goes: `index` is the task's place in its job. */
export interface TaskSink {
  settle(index: number, ok: boolean, value: unknown): void;
  /** True once the job needs no more results (a map that already failed): its queued tasks are dropped. */
  readonly done?: boolean;
  /**
   * True when `settle` has copied a map chunk's results out by the time it returns (a
   * `map`): they may then be given as a view of shared memory that is reused next.
   */
  readonly copiesAtOnce?: boolean;
}

/** A function the pool runs, with how the workers find it. */
export interface PoolFunction {
  readonly fn: AnyFunction;
  readonly id: number;
  ref: FunctionRef | null;
  error: unknown;
}

/** A queued, sent or finished task. Pool classes hold it only to cancel it. */
export class Task {
  /** The worker it was sent to (null while queued). */
  worker: WorkerSlot | null = null;
  /** In the pool's queue. */
  queued = false;
  /** Its number on that worker (its claim slot). */
  seq = -1;
  settled = false;
  /** When it was submitted (`performance.now()`, shared by a burst: see the engine's `#stamp`). */
  submitted = 0;
  /**
   * A map chunk of strings: its items as the caller gave them (the very strings), which
   * are its results when the worker says they are (`RESULT_SAME`).
   */
  strings: unknown[] | null = null;
  constructor(
    readonly id: number,
    readonly fn: PoolFunction,
    readonly kind: number,
    /** Its args or items (a map chunk's `Float64Array` is taken back once it has settled). */
    public payload: unknown,
    readonly sink: TaskSink,
    readonly index: number,
  ) {}
}

/** A FIFO with cheap removal at the front. */
export class TaskQueue {
  #items: Task[] = [];
  #head = 0;
  get size(): number {
    return this.#items.length - this.#head;
  }
  push(t: Task): void {
    this.#items.push(t);
  }
  peek(): Task {
    return this.#items[this.#head];
  }
  shift(): Task {
    const t = this.#items[this.#head];
    this.#items[this.#head++] = undefined as unknown as Task;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return t;
  }
  /** Puts `tasks` back at the front, in their order. */
  unshift(tasks: Task[]): void {
    this.#items = [...tasks, ...this.#items.slice(this.#head)];
    this.#head = 0;
  }
  drain(): Task[] {
    const out = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return out;
  }
}

/** A short, readable form of task arguments for messages. */
export function preview(args: ArrayLike<unknown>): string {
  const parts: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const v = args[i];
    parts.push(
      typeof v === "string"
        ? JSON.stringify(v)
        : typeof v === "object" && v !== null || typeof v === "function"
        ? describe(v)
        : String(v),
    );
  }
  const s = parts.join(", ");
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Describes a task for messages: `task square(3)`, or a chunk of a map. */
export function describeTask(t: Task): string {
  const name = t.fn.fn.name || "(anonymous function)";
  if (t.kind === KIND_APPLY || t.kind === KIND_APPLY_NUMBERS) {
    return `task ${name}(${preview(t.payload as unknown[])})`;
  }
  const p = t.payload as ArrayLike<unknown> | { n: number } | null;
  if (p === null) return `task ${name} over chunk ${t.index} of its map`; // settled: its numbers reused
  const n = "n" in p ? p.n : p.length; // a packed chunk says its length in n
  return `task ${name} over chunk ${t.index} of its map (${n} item${n === 1 ? "" : "s"})`;
}
