/**
 * The engine shared by `Pool` and `ProcessPoolExecutor`: worker processes, the task
 * queue, batching, results, and recovery when a worker dies.
 *
 * Tasks are sent in batches sized from the measured task time (a few milliseconds of
 * work per message, at most two batches in flight per worker), so tiny tasks cost one
 * message per thousand and slow tasks are spread one by one. Sending ahead never makes
 * a task wait behind a long one: each task sent has a claim slot in shared memory (see
 * `CTL_SLOTS`), and when a worker is idle while another has not reported for a while,
 * the pool takes back the tasks that worker has not started and hands them out again.
 *
 * A worker that ends, for whatever reason, never hangs anything and loses no task it
 * had not started: only the task it ran rejects (`BrokenProcessPool`), the others go
 * back to the queue, and a fresh worker takes its place. Cancelling a running task
 * (signal, timeout, `AsyncResult.cancel()`) ends its worker the same way.
 *
 * The tasks and their queue are in `_task_queue.ts`, one worker and its claim slots in
 * `_worker_slot.ts`, the checking of a pool's settings in `_settings.ts`.
 *
 * @module
 */
import { packBatch, type PackedBatch, packRange, unpackBatch, unpackInto } from "./_batch_codec.ts";
import { cloneError, decode, describe, encode } from "../internal/_codec.ts";
import { BrokenProcessPool, Full, ProcessError } from "../internal/errors.ts";
import { type ErrorData, errorFromData } from "../internal/_error_wire.ts";
import {
  type DoneMessage,
  KIND_APPLY,
  KIND_APPLY_NUMBERS,
  KIND_MAP,
  KIND_STARMAP,
  type PoolWorkerConfig,
  RESULT_ERROR,
  RESULT_NUMBER,
  RESULT_NUMBERS,
  RESULT_PACKED,
  RESULT_RING,
  RESULT_SAME,
  RESULT_STRIDE,
  RESULT_VALUE,
  SLOT_DONE,
  SLOT_STARTED,
  type TasksMessage,
  type WorkerMessage,
} from "./_protocol.ts";
import { callerModules, type FunctionRef, resolveFunction, resolveNow } from "../process/_resolve.ts";
import { runtimeName, unrefTimer } from "../internal/runtime.ts";
import { settlesWithin } from "../internal/_timeouts.ts";
import type { AnyFunction } from "../internal/_types.ts";
import { describeTask, type PoolFunction, Task, TaskQueue, type TaskSink } from "./_task_queue.ts";
import { WorkerSlot } from "./_worker_slot.ts";
import { MIN_RING, NumberRing, NumberSpares } from "./_number_ring.ts";
import { checkSettings, type EngineOptions, type PoolSettings } from "./_settings.ts";

// What the pool classes import from the engine, wherever it lives now.
export { describeTask, type PoolFunction, preview, type Task, type TaskSink } from "./_task_queue.ts";

/** Work per batch the sizing aims at (ms). */
const BATCH_TARGET_MS = 5;
/** Tasks per batch before any task time is known. */
const FIRST_BATCH = 4;
/** The largest batch. */
const MAX_BATCH = 2048;
/** Tasks of a burst that share one submission stamp (see `PoolEngine.#stamp`). */
const STAMP_EVERY = 64;
/** How long a retired worker may still deliver results it has finished (ms). */
const RETIRE_GRACE_MS = 50;
/** A worker silent this long (ms, or twice the mean task time up to STEAL_MAX_MS) gives up its unstarted tasks to an idle one. */
const STEAL_MIN_MS = 5;
const STEAL_MAX_MS = 50;
/**
 * Deno (2.9) does not stop a terminated Worker that runs synchronous code: its thread
 * goes on until that code returns (denoland/deno PR #35657). Bun stops it.
 */
const TERMINATE_LEAVES_CODE_RUNNING = runtimeName === "deno";

/**
 * What `Pool.stats()` and `ProcessPoolExecutor.stats()` report.
 *
 * @example Log the pool's state every second
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 *
 * const pool = new mp.Pool(2);
 * setInterval(() => {
 *   const s: mp.PoolStats = pool.stats();
 *   console.log(`${s.running} running, ${s.queued} queued, ${s.completed} done, ${s.failed} failed`);
 * }, 1000);
 * ```
 */
export interface PoolStats {
  /** Tasks submitted and not started yet (in the pool's queue, or sent ahead to a busy worker). */
  queued: number;
  /** Tasks running now (at most one per worker). */
  running: number;
  /** Tasks that finished with a result. */
  completed: number;
  /** Tasks that failed: the task threw, its worker died, or it was cancelled or timed out. */
  failed: number;
  /** Of `failed`, the tasks cancelled (signal, timeout, `cancel()`, `terminate()`). */
  cancelled: number;
  /** Live worker processes. */
  workers: number;
  /** Workers started to replace one that ended (a crash, `exit()`, cancellation, `maxTasksPerChild`). */
  replaced: number;
  /** Mean run time of the finished tasks in their worker (ms). */
  meanRunMs: number;
  /** Mean time from submission to result, minus the run time: queueing and transfer (ms). */
  meanWaitMs: number;
  /** Submissions waiting for room in a full queue (`maxQueue` with `{ wait: true }`). */
  waiting: number;
  /**
   * Terminated workers whose thread still runs a task's synchronous code (Deno only:
   * its Worker `terminate()` cannot stop a busy thread, denoland/deno PR #35657). Each
   * uses a CPU core and keeps the program alive until that code returns.
   */
  zombies: number;
}

/**
 * Checks a pool's settings (Python's errors for misuse, see `checkSettings`) and starts
 * its engine. Call it synchronously from the constructor: the initializer is looked for
 * in the caller's modules.
 */
export function startEngine(s: PoolSettings): PoolEngine {
  return new PoolEngine(checkSettings(s));
}

/**
 * Copies `from` (a chunk's results: an array, or a `Float64Array` when all are numbers)
 * into `to` at `offset`, and returns `to`. A loop: `Array.from` of a typed array is
 * several times slower.
 */
export function copyInto(to: unknown[], from: ArrayLike<unknown>, offset: number): unknown[] {
  for (let i = 0; i < from.length; i++) to[offset + i] = from[i];
  return to;
}

/**
 * The items `from` to `to`, copied by a loop: `slice` is several times slower on
 * JavaScriptCore (Bun), and only a little faster on V8. (A hole reads as `undefined`,
 * which is what the task function would receive from it anyway.)
 */
function chunkOf(items: ArrayLike<unknown>, from: number, to: number): unknown[] {
  const chunk = new Array(to - from);
  for (let i = from; i < to; i++) chunk[i - from] = items[i];
  return chunk;
}

/**
 * A map chunk's results as the engine settles them (a `Float64Array` of numbers, a
 * `PackedBatch`, or an array) copied into `out` from `offset`; each source has its own
 * loop, so each stays monomorphic.
 */
export function chunkResults(value: unknown, out: unknown[], offset: number): void {
  if (value instanceof Float64Array) { for (let i = 0; i < value.length; i++) out[offset + i] = value[i]; }
  else if (Array.isArray(value)) { for (let i = 0; i < value.length; i++) out[offset + i] = value[i]; }
  else unpackInto(value as PackedBatch, out, offset);
}

/** A map chunk's results (see {@linkcode chunkResults}) as an array-like to index. */
export function chunkValues(value: unknown): ArrayLike<unknown> {
  return value instanceof Float64Array || Array.isArray(value) ? value : unpackBatch(value as PackedBatch);
}

/**
 * The value of a result of `status` (`RESULT_*`) whose data is `raw`, for `task`: a map
 * chunk's numbers stay packed in a `Float64Array`; an error is rebuilt.
 */
function resultValue(status: number, raw: unknown, task: Task): unknown {
  const kind = task.kind;
  // A map chunk of strings returned as they were: its results are its items, which the
  // pool still holds (the caller's strings, or packed in case the chunk is sent again).
  if (status === RESULT_SAME) return task.strings ?? task.payload;
  if (status === RESULT_NUMBERS) {
    const numbers = new Float64Array(raw as ArrayBuffer);
    return kind <= KIND_APPLY_NUMBERS ? copyInto([], numbers, 0) : numbers;
  }
  // A map chunk's packed results go to its job as they are (see `chunkResults`).
  if (status === RESULT_PACKED) return kind >= KIND_MAP ? raw : unpackBatch(raw as PackedBatch);
  if (status === RESULT_ERROR) return errorFromData(raw as ErrorData);
  return raw;
}

/**
 * The value of a `RESULT_RING` result, whose numbers are `view` (in the worker's ring,
 * reused once the result is settled): a copy, but for a map that copies them out itself.
 */
function ringValue(view: Float64Array<SharedArrayBuffer>, task: Task): unknown {
  if (task.kind <= KIND_APPLY_NUMBERS) return copyInto([], view, 0);
  return task.sink.copiesAtOnce === true ? view : view.slice();
}

/** The tasks of one message to a worker, as they are packed (see `TasksMessage`). */
interface Batch {
  meta: number[];
  data: unknown[];
  fns: [number, FunctionRef][];
  tasks: Task[];
  /** How many of them have their numbers in the worker's ring. */
  ringed: number;
}

/** A submission waiting for room in a full queue. */
interface Waiting {
  admit(): void;
  fail(error: unknown): void;
}

/** A terminated worker whose thread still runs a task's synchronous code (see `#noteZombie`). */
interface Zombie {
  w: WorkerSlot;
  /** Its `CTL_SYNC` word then: it changes once that code returns. */
  sync: number;
}

/** The worker processes and the task queue behind a pool. */
export class PoolEngine {
  readonly processes: number;
  readonly #o: EngineOptions;
  #state: "run" | "close" | "terminate" = "run";
  #broken: Error | null = null;
  #config: PoolWorkerConfig | null = null;
  readonly #workers = new Set<WorkerSlot>();
  readonly #pending = new TaskQueue();
  /** Tasks of `#pending` already settled (cancelled): skipped when reached. */
  #deadQueued = 0;
  readonly #fns = new Map<AnyFunction, PoolFunction>();
  #nextTask = 1;
  #nextFn = 1;
  #flushQueued = false;
  /** The shared submission stamp of a burst, and how many tasks took it (see `#stamp`). */
  #stampAt = 0;
  #stampUses = STAMP_EVERY;
  #avgMs = -1;
  #outstanding = 0;
  #joining = 0;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #stealTimer: ReturnType<typeof setTimeout> | undefined;
  #waiting: Waiting[] = [];
  /** Arrays of numbers to pack map chunks into (see `NumberSpares`). */
  readonly #spares = new NumberSpares();
  readonly #exited: Promise<void>;
  #resolveExited!: () => void;
  #completed = 0;
  #failed = 0;
  #cancelled = 0;
  #replaced = 0;
  #runMs = 0;
  #waitMs = 0;
  #measured = 0;
  #zombies: Zombie[] = [];
  #warned = false;

  constructor(options: EngineOptions) {
    this.#o = options;
    this.processes = options.processes;
    this.#exited = new Promise((resolve) => (this.#resolveExited = resolve));
    const initargs = encode(options.initargs);
    try {
      structuredClone(initargs);
    } catch (e) {
      throw cloneError({ initargs: options.initargs }, `the ${options.owner} workers`, e);
    }
    const workers = Array.from({ length: options.processes }, () => this.#newWorker());
    // Started at once when the initializer is found at once (the usual case), so that a
    // task submitted right after can be handed to a worker still starting.
    const { initializer, callers, method } = options;
    const now = initializer ? resolveNow(initializer, callers, method, "initializer") : null;
    if (!initializer || now !== null) {
      this.#config = { initializer: now, initargs, maxTasks: options.maxTasksPerChild };
      for (const w of workers) this.#start(w);
      return;
    }
    this.#resolveConfig(initargs).then((config) => {
      this.#config = config;
      for (const w of workers) this.#start(w);
    }, (e) => this.#break(e instanceof Error ? e : new ProcessError(String(e))));
  }

  async #resolveConfig(initargs: unknown): Promise<PoolWorkerConfig> {
    const { initializer, callers, method } = this.#o;
    const ref = initializer ? await resolveFunction(initializer, callers, method, "initializer") : null;
    return { initializer: ref, initargs, maxTasks: this.#o.maxTasksPerChild };
  }

  /** Throws when the pool takes no more tasks (closed, terminated, or broken). */
  assertRunning(): void {
    if (this.#broken) throw this.#broken;
    if (this.#state !== "run") {
      // message: python
      throw new ProcessError(
        `${this.#o.owner} not running: it was ${this.#state === "close" ? "closed" : "terminated"}, ` +
          `so it takes no new tasks: create a new ${this.#o.owner}`,
      );
    }
  }

  /** Python's pool state names: `RUN`, `CLOSE`, `TERMINATE` (or `BROKEN`). */
  get stateName(): string {
    return this.#broken ? "BROKEN" : this.#state.toUpperCase();
  }

  /** True once `close()` or `terminate()` was called. */
  get closed(): boolean {
    return this.#state !== "run";
  }

  /**
   * The pool's handle on `fn`, found by reference (or as source under fork). Call it
   * synchronously from the public method: a new function is looked for in the
   * caller's modules.
   */
  function(fn: AnyFunction): PoolFunction {
    let f = this.#fns.get(fn);
    if (f) return f;
    if (typeof fn !== "function") {
      throw new TypeError(`${this.#o.owner}: the task function must be a function, got ${describe(fn)}`);
    }
    const entry: PoolFunction = { fn, id: this.#nextFn++, ref: null, error: null };
    f = entry;
    this.#fns.set(fn, entry);
    const callers = callerModules();
    // Found at once in the usual case, so that a task can leave before the caller blocks.
    entry.ref = resolveNow(fn, callers, this.#o.method, "pool function");
    if (entry.ref !== null) return entry;
    resolveFunction(fn, callers, this.#o.method, "pool function").then((ref) => {
      entry.ref = ref;
      this.#scheduleFlush();
    }, (e) => {
      entry.error = e;
      this.#fns.delete(fn);
      this.#scheduleFlush();
    });
    return entry;
  }

  /** Queues `fn(...args)`. */
  apply(f: PoolFunction, args: unknown[], sink: TaskSink, index = 0): Task {
    let numeric = true;
    for (let i = 0; i < args.length && numeric; i++) numeric = typeof args[i] === "number";
    return this.#submit(f, numeric ? KIND_APPLY_NUMBERS : KIND_APPLY, args, sink, index);
  }

  /**
   * Queues one chunk of a map, the items `from` to `to` of `items`: `fn(item)` (or
   * `fn(...item)` when `star`) for each. The chunk is taken here, at once (the caller
   * may change its array afterwards): packed straight from `items` when it can be
   * (numbers, one constant), else copied.
   */
  chunk(
    f: PoolFunction,
    items: ArrayLike<unknown>,
    from: number,
    to: number,
    star: boolean,
    sink: TaskSink,
    index: number,
  ): Task {
    // Numbers and a constant are packed here, straight from `items` (cheap); other items
    // are copied here and packed when sent (see `#pack`), so that the workers start on
    // the first chunks while the next ones are packed. Strings are copied too (an array
    // of references): if the results are these strings (`RESULT_SAME`), they are taken
    // from the copy rather than made again, and packed only as they are sent, their
    // joined text lives only until it is cloned (a young-generation collection copies
    // whatever is live, and 25 000 joins waiting to be sent were a large part of it).
    const first = items[from];
    const packed = star || typeof first === "string" ? null : packRange(items, from, to, this.#spares.take);
    const task = this.#submit(
      f,
      star ? KIND_STARMAP : KIND_MAP,
      packed ?? chunkOf(items, from, to),
      sink,
      index,
    );
    if (!star && typeof first === "string") task.strings = task.payload as unknown[];
    return task;
  }

  #submit(f: PoolFunction, kind: number, payload: unknown, sink: TaskSink, index: number): Task {
    const task = new Task(this.#nextTask++, f, kind, payload, sink, index);
    this.#outstanding++;
    if (this.#broken || this.#state === "terminate") {
      const error = this.#broken ?? new ProcessError(`The ${this.#o.owner} was terminated`);
      queueMicrotask(() => {
        this.#settle(task, false, error);
        this.#updateKeepAlive();
      });
    } else {
      this.#pending.push(task);
      task.queued = true;
      // An idle worker takes the task at once (a blocking call may follow, which would
      // hold back a microtask); the tasks behind it are batched by the next flush.
      if (!this.#flushQueued && f.ref !== null && this.#hasIdleWorker()) {
        task.submitted = performance.now();
        this.#flush();
      } else {
        task.submitted = this.#stamp();
        this.#scheduleFlush();
      }
    }
    this.#updateKeepAlive();
    return task;
  }

  // ---- Backpressure (maxQueue) ----

  /** Tasks waiting to start: queued here, or sent ahead to a worker busy with another. */
  #queuedCount(): number {
    let ahead = 0;
    for (const w of this.#workers) if (!w.retired && w.inflight.size > 1) ahead += w.inflight.size - 1;
    return this.#pending.size - this.#deadQueued + ahead;
  }

  /** True when the pool has a `maxQueue` (submissions then check for room). */
  get bounded(): boolean {
    return this.#o.maxQueue > 0;
  }

  /** Whether a submission may be queued now (always, without `maxQueue`). */
  hasRoom(): boolean {
    const max = this.#o.maxQueue;
    return max === 0 || (this.#waiting.length === 0 && this.#queuedCount() < max);
  }

  /** The error of a submission made while the queue is full. */
  fullError(where: string): Full {
    return new Full(
      `${where}: the ${this.#o.owner} queue is full (maxQueue ${this.#o.maxQueue} tasks waiting to start), ` +
        "so the task was not queued: retry later, pass { wait: true } to wait for room, or raise maxQueue",
    );
  }

  /**
   * Calls `w.admit()` once the queue has room, in submission order (or `w.fail(error)`
   * if the pool ends first). Returns the function that withdraws the submission.
   */
  whenRoom(w: Waiting): () => void {
    this.#waiting.push(w);
    this.#updateKeepAlive();
    return () => {
      const i = this.#waiting.indexOf(w);
      if (i >= 0) this.#waiting.splice(i, 1);
      this.#updateKeepAlive();
      this.#stopIdle();
    };
  }

  #admitWaiting(): void {
    const max = this.#o.maxQueue;
    while (this.#waiting.length > 0 && this.#queuedCount() < max) this.#waiting.shift()!.admit();
    this.#updateKeepAlive();
  }

  #failWaiting(error: unknown): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) w.fail(error);
  }

  // ---- Settling and cancelling ----

  #settle(task: Task, ok: boolean, value: unknown, cancelled = false): void {
    if (task.settled) return;
    task.settled = true;
    this.#outstanding--;
    if (ok) this.#completed++;
    else {
      this.#failed++;
      if (cancelled) this.#cancelled++;
    }
    task.sink.settle(task.index, ok, value);
    // A map chunk's own copy of its numbers is not needed any more: the next map packs into it.
    if (task.payload instanceof Float64Array) {
      this.#spares.give(task.payload);
      task.payload = null;
    }
    if (this.#waiting.length > 0) this.#scheduleFlush();
  }

  /**
   * Cancels `task` with `reason`: a queued task is dropped, a task sent ahead to a
   * worker is taken back, and a running one is stopped by ending its worker (the
   * worker's other tasks go back to the queue; a fresh worker replaces it).
   */
  cancel(task: Task, reason: unknown): void {
    if (task.settled) return;
    const w = task.worker;
    if (w === null) {
      if (task.queued) this.#deadQueued++;
      this.#settle(task, false, reason, true);
    } else {
      w.inflight.delete(task.id);
      if (w.revoke(task)) {
        w.assigned--;
        this.#settle(task, false, reason, true);
      } else {
        const running = w.slotIs(task, SLOT_STARTED);
        this.#settle(task, false, reason, true);
        if (running) this.#retire(w, task);
        // Else it has just finished: its result arrives and is ignored.
      }
    }
    this.#scheduleFlush();
    this.#stopIdle();
    this.#updateKeepAlive();
  }

  /** Puts tasks taken back from a worker at the front of the queue, in submission order. */
  #requeue(tasks: Task[]): void {
    if (tasks.length === 0) return;
    tasks.sort((a, b) => a.id - b.id);
    for (const t of tasks) {
      t.worker = null;
      t.seq = -1;
      t.queued = true;
    }
    this.#pending.unshift(tasks);
  }

  /** Ends `w` because the task it runs was cancelled; the tasks it had not started run elsewhere. */
  #retire(w: WorkerSlot, cancelled: Task): void {
    if (w.retired) return;
    w.retired = true;
    w.ready = false;
    this.#requeue(w.takeBack());
    this.#noteZombie(w, cancelled);
    // Results it finished but has not delivered yet are likely on their way: let them arrive.
    let finished = false;
    for (const t of w.inflight.values()) finished ||= w.slotIs(t, SLOT_DONE);
    if (!finished) return w.proc.terminate();
    const timer = setTimeout(() => {
      if (w.proc.exitCode === null) w.proc.terminate();
    }, RETIRE_GRACE_MS);
    unrefTimer(timer);
  }

  /**
   * On Deno, a worker terminated while a task's synchronous code runs goes on running
   * it (denoland/deno PR #35657): counted in `stats().zombies` until that code returns,
   * and reported once.
   */
  #noteZombie(w: WorkerSlot, task: Task | undefined): void {
    if (!TERMINATE_LEAVES_CODE_RUNNING || !w.started) return;
    const sync = w.syncWord;
    if (sync === 0) return;
    this.#zombies.push({ w, sync });
    if (this.#warned) return;
    this.#warned = true;
    task ??= [...w.inflight.values()].find((t) => t.seq + 1 === sync);
    console.warn(
      `${this.#o.owner}: the worker ${w.proc.name} was terminated while ${
        task ? describeTask(task) : "a task"
      } ran synchronous code, and Deno cannot stop that code (denoland/deno PR #35657): its thread goes ` +
        "on using a CPU core, and keeps the program alive, until that code returns. Its results are ignored. " +
        "Long CPU-bound tasks that may be cancelled should check their signal or end by themselves. " +
        "(This warning is shown once; see stats().zombies.)",
    );
  }

  /** Rejects queued tasks with `error` (the executor's `cancelFutures`), including those sent ahead. */
  cancelPending(error: Error): void {
    for (const t of this.#pending.drain()) this.#settle(t, false, error, true);
    this.#deadQueued = 0;
    for (const w of this.#workers) {
      for (const t of w.takeBack()) this.#settle(t, false, error, true);
    }
    this.#failWaiting(error);
    this.#stopIdle();
    this.#updateKeepAlive();
  }

  // ---- Workers ----

  #newWorker(): WorkerSlot {
    const w = new WorkerSlot(
      this.#o.method === "fork" ? "ForkPoolWorker" : "SpawnPoolWorker",
      () => this.#config,
      (w, m) => this.#onMessage(w, m),
    );
    this.#workers.add(w);
    return w;
  }

  #start(w: WorkerSlot): void {
    if (this.#state === "terminate" || this.#broken) {
      this.#workers.delete(w);
      this.#checkExited();
      return;
    }
    w.started = true;
    w.proc.start().then(() => this.#onReady(w), (e) => this.#onStartFailed(w, e));
    w.child.ended.then(() => {
      w.chain = w.chain.then(() => this.#onExit(w));
    });
  }

  #onReady(w: WorkerSlot): void {
    if (!w.proc.isAlive() || this.#state === "terminate" || w.retired) return;
    w.ready = true;
    this.#flush();
    this.#stopIdle();
  }

  #onStartFailed(w: WorkerSlot, e: unknown): void {
    if (this.#state === "terminate" || this.#broken) return;
    const error = e instanceof Error ? e : new Error(String(e));
    const what = this.#o.initializer
      ? `The initializer ${this.#o.initializer.name || "(anonymous function)"} failed in ${w.proc.name}`
      : `${w.proc.name} failed to start`;
    this.#break(
      new BrokenProcessPool(
        `${what}: ${error.name}: ${error.message}: the ${this.#o.owner} cannot run tasks, so fix the cause ` +
          `(see error.cause), then create a new ${this.#o.owner}`,
        { cause: error },
      ),
    );
  }

  #onMessage(w: WorkerSlot, m: WorkerMessage): void {
    if (m.t === "done") w.chain = w.chain.then(() => this.#onDone(w, m));
    else if (m.t === "exiting") w.chain = w.chain.then(() => void (w.killer = m.id));
  }

  async #onDone(w: WorkerSlot, m: DoneMessage): Promise<void> {
    if (m.ring !== undefined) w.ring = new NumberRing(m.ring);
    let data: unknown[] = m.data;
    let failure: unknown = null;
    try {
      data = (await decode(m.data)) as unknown[];
    } catch (e) {
      failure = e;
    }
    this.#settleResults(w, new Float64Array(m.meta), data, failure);
    if (m.count > 0) this.#learnTaskTime(m.busy / m.count);
    this.#flush();
    this.#stopIdle();
    this.#updateKeepAlive();
  }

  /**
   * Settles the tasks of one `done` message: `meta` holds `RESULT_STRIDE` numbers per
   * result (task id, status, a number result, the run time), `data` the results that
   * travel as values, in order. With `failure` (`data` could not be decoded), each of
   * these tasks fails with it.
   */
  #settleResults(w: WorkerSlot, meta: Float64Array, data: unknown[], failure: unknown): void {
    const now = performance.now();
    let d = 0;
    for (let i = 0; i < meta.length; i += RESULT_STRIDE) {
      const status = meta[i + 1];
      const raw = status === RESULT_NUMBER
        ? meta[i + 2]
        : status >= RESULT_VALUE && status !== RESULT_SAME
        ? data[d++]
        : undefined;
      const task = w.inflight.get(meta[i]);
      if (task !== undefined) { // else cancelled meanwhile
        w.inflight.delete(task.id);
        const run = meta[i + 3];
        this.#runMs += run;
        this.#waitMs += Math.max(0, now - task.submitted - run);
        this.#measured++;
        if (failure !== null) this.#settle(task, false, failure);
        else if (status === RESULT_RING) {
          this.#settle(task, true, ringValue(w.ring!.view(meta[i + 2], raw as number), task));
        } else this.#settle(task, status !== RESULT_ERROR, resultValue(status, raw, task));
      }
      // Read (or not needed): the worker may write its next results there.
      if (status === RESULT_RING) w.ring!.release();
    }
  }

  /** Takes the mean run time of the tasks of one message into the batch sizing. */
  #learnTaskTime(per: number): void {
    this.#avgMs = this.#avgMs < 0 ? per : this.#avgMs * 0.7 + per * 0.3;
  }

  #onExit(w: WorkerSlot): void {
    this.#workers.delete(w);
    if (this.#state === "terminate") return this.#checkExited();
    // The tasks it never started run elsewhere; only the one it ran (or had just finished) is lost.
    const requeue = w.takeBack();
    for (const t of w.inflight.values()) this.#settle(t, false, this.#lostTaskError(w, t));
    w.inflight.clear();
    this.#requeue(requeue);
    if (!this.#broken && (this.#state === "run" || this.#hasQueued())) {
      this.#replaced++;
      this.#start(this.#newWorker());
    }
    this.#flush();
    this.#stopIdle();
    this.#checkExited();
    this.#updateKeepAlive();
  }

  /** The error of task `t`, lost with its worker `w` (which has ended). */
  #lostTaskError(w: WorkerSlot, t: Task): BrokenProcessPool {
    const code = w.proc.exitCode;
    const who = `the pool worker ${w.proc.name} (pid ${w.proc.pid})`;
    const how = t.id === w.killer
      ? `${describeTask(t)} called exit(${code}), which ended ${who}`
      : w.slotIs(t, SLOT_DONE)
      ? `${who} ended (exit code ${code}) after ${describeTask(t)} finished but before its result was sent`
      : `${who} ended (exit code ${code}) while it ran ${describeTask(t)}`;
    return new BrokenProcessPool(
      `${how}: the task is lost (its other tasks were queued again), and a new worker replaced it: the pool goes on`,
    );
  }

  /** Rejects everything and ends the workers: the pool cannot run tasks any more. */
  #break(error: Error): void {
    if (this.#broken) return;
    this.#broken = error;
    for (const t of this.#pending.drain()) this.#settle(t, false, error);
    this.#deadQueued = 0;
    this.#failWaiting(error);
    for (const w of this.#workers) {
      for (const t of w.inflight.values()) this.#settle(t, false, error);
      w.inflight.clear();
      if (w.started) w.proc.terminate();
      else this.#workers.delete(w);
    }
    this.#checkExited();
    this.#updateKeepAlive();
  }

  // ---- Scheduling ----

  #hasIdleWorker(): boolean {
    let anyReady = false;
    for (const w of this.#workers) {
      if (!w.usable) continue;
      if (w.ready && w.inflight.size === 0) return true;
      anyReady ||= w.ready;
    }
    // None up yet: one still starting takes the task (see #handToStarting).
    if (!anyReady) { for (const w of this.#workers) if (w.started && w.inflight.size === 0) return true; }
    return false;
  }

  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.#stampUses = STAMP_EVERY; // the next burst takes its own
      this.#flush();
    });
  }

  /**
   * The submission time of a task that waits for the next flush. `performance.now()`
   * costs about 150 ns on Deno (an op call), as much as the rest of a submission: the
   * tasks of a burst share a stamp, taken anew every `STAMP_EVERY` tasks and for each
   * burst (the flush that ends it resets it), so that `meanWaitMs` stays exact to a few
   * microseconds.
   */
  #stamp(): number {
    if (this.#stampUses++ < STAMP_EVERY) return this.#stampAt;
    this.#stampUses = 1;
    return (this.#stampAt = performance.now());
  }

  #batchSize(): number {
    if (this.#avgMs < 0) return FIRST_BATCH;
    return Math.max(1, Math.min(MAX_BATCH, Math.round(BATCH_TARGET_MS / Math.max(this.#avgMs, 1e-4))));
  }

  /** How long a worker may run one task before it counts as stuck in a long task (ms). */
  #stuckAfter(): number {
    return Math.min(STEAL_MAX_MS, Math.max(STEAL_MIN_MS, 2 * this.#avgMs));
  }

  /** Whether tasks wait in the queue (settled ones left out). */
  #hasQueued(): boolean {
    return this.#pending.size > this.#deadQueued;
  }

  /** Sends queued tasks to the workers; takes back tasks stuck behind a long one when a worker is idle. */
  #flush(): void {
    if (this.#broken || this.#state === "terminate") return;
    if (this.#waiting.length > 0) this.#admitWaiting();
    if (this.#hasQueued()) this.#distribute();
    if (!this.#hasQueued()) this.#steal();
  }

  /** Sends queued tasks to the ready workers, idle ones first, each up to its window and a fair share. */
  #distribute(): void {
    const now = performance.now();
    const stuck = this.#stuckAfter();
    // A worker silent in a long task gets nothing more: nothing waits behind it.
    const ready = [...this.#workers].filter((w) => w.ready && w.usable && w.stuckFor(now) < stuck);
    if (ready.length === 0) return this.#handToStarting();
    ready.sort((a, b) => a.inflight.size - b.inflight.size); // idle workers first
    const share = this.#fairShare();
    const max = this.#o.maxTasksPerChild;
    for (const w of ready) {
      const room = w.room(share, max);
      if (room > 0 && !this.#send(w, room)) return;
      if (!this.#hasQueued()) return;
    }
  }

  /**
   * Before any worker is up, each one still starting takes a single task: it runs it as
   * soon as it is up (its bootstrap keeps what came early), even if the caller blocks
   * right after submitting and the pool hears of it only later.
   */
  #handToStarting(): void {
    for (const w of this.#workers) {
      if (w.started && w.usable && w.inflight.size === 0 && w.proc.isAlive()) {
        if (!this.#send(w, 1) || !this.#hasQueued()) return;
      }
    }
  }

  /**
   * How many tasks a ready worker may hold now. Slow tasks go one at a time; fast ones
   * in two batches (taken back if they end up stuck). A map's chunks go two at a time at
   * least: a worker then starts the next chunk while the results of the last one travel
   * back (chunks are slow by design, not stuck). A fair share counts the workers still
   * starting: the first one up does not take all.
   */
  #fairShare(): number {
    const chunks = this.#pending.size > 0 && this.#pending.peek().kind >= KIND_MAP;
    const window = this.#avgMs >= BATCH_TARGET_MS ? (chunks ? 2 : 1) : 2 * this.#batchSize();
    let live = 0;
    let held = 0;
    for (const w of this.#workers) {
      if (!w.usable) continue;
      live++;
      held += w.inflight.size;
    }
    return Math.min(window, Math.ceil((this.#pending.size - this.#deadQueued + held) / live));
  }

  /**
   * When a worker is idle and nothing is queued, takes back the unstarted tasks of
   * workers silent for a while (stuck in a long task) and hands them out again.
   */
  #steal(): void {
    let idle = false;
    for (const w of this.#workers) idle ||= w.idle;
    if (!idle) return;
    const now = performance.now();
    const stuck = this.#stuckAfter();
    let next = Infinity;
    const taken: Task[] = [];
    for (const w of this.#workers) {
      if (w.retired || w.inflight.size < 2) continue;
      const runs = w.stuckFor(now);
      if (runs < stuck) {
        next = Math.min(next, stuck - runs);
        continue;
      }
      for (const t of w.takeBack()) taken.push(t);
    }
    if (taken.length > 0) {
      this.#requeue(taken);
      this.#distribute();
    } else if (next < Infinity && this.#stealTimer === undefined) {
      this.#stealTimer = setTimeout(() => {
        this.#stealTimer = undefined;
        this.#flush();
      }, Math.ceil(next) + 1);
      unrefTimer(this.#stealTimer);
    }
  }

  /** Sends up to `room` tasks to `w`; false when the queue waits for a function being resolved. */
  #send(w: WorkerSlot, room: number): boolean {
    const batch: Batch = { meta: [], data: [], fns: [], tasks: [], ringed: 0 };
    let next: Task | null | undefined;
    while (batch.tasks.length < room && (next = this.#nextToSend()) !== undefined) {
      if (next === null) break; // its function is still being looked for
      this.#pack(w, next, batch);
    }
    if (batch.tasks.length > 0) {
      const m: TasksMessage = {
        t: "tasks",
        fns: batch.fns,
        meta: new Float64Array(batch.meta).buffer,
        data: batch.data,
      };
      if (batch.ringed > 0 && !w.downSent) m.ring = w.down!.buffer;
      this.#post(w, m, batch.tasks, batch.ringed);
    }
    this.#updateKeepAlive();
    return next !== null;
  }

  /**
   * Takes the next task that can be sent off the queue: `undefined` when the queue is
   * empty, `null` when the next task's function is still being looked for (it stays
   * queued). Tasks already settled, of a job already done, or whose function could not
   * be found are dropped (the last ones rejected) on the way.
   */
  #nextToSend(): Task | null | undefined {
    while (this.#pending.size > 0) {
      const task = this.#pending.peek();
      if (task.settled) {
        this.#pending.shift();
        task.queued = false;
        this.#deadQueued--;
        continue;
      }
      if (task.sink.done) {
        this.#pending.shift();
        task.queued = false;
        task.settled = true; // its map already failed: dropped
        this.#outstanding--;
        continue;
      }
      const f = task.fn;
      if (f.ref === null) {
        if (f.error === null) return null;
        this.#pending.shift().queued = false;
        this.#settle(task, false, f.error);
        continue;
      }
      this.#pending.shift();
      task.queued = false;
      return task;
    }
    return undefined;
  }

  /** Adds `task` to the batch for `w`: its function if `w` has not been sent it, its numbers, its payload. */
  #pack(w: WorkerSlot, task: Task, batch: Batch): void {
    const f = task.fn;
    if (!w.known.has(f.id)) {
      w.known.add(f.id);
      batch.fns.push([f.id, f.ref!]);
    }
    const meta = batch.meta;
    if (task.kind === KIND_APPLY_NUMBERS) {
      const args = task.payload as number[];
      meta.push(task.id, f.id, KIND_APPLY_NUMBERS, args.length);
      for (let i = 0; i < args.length; i++) meta.push(args[i]);
    } else {
      const p = task.payload;
      // A map chunk of numbers goes through the worker's ring when it has room (its
      // count in `argc`, its offset in `data`); the task keeps its own copy, should it
      // have to be sent again.
      const at = p instanceof Float64Array && p.length >= MIN_RING
        ? (w.down ??= new NumberRing()).write(p)
        : -1;
      if (at >= 0) {
        meta.push(task.id, f.id, task.kind, (p as Float64Array).length);
        batch.data.push(at);
        batch.ringed++;
        batch.tasks.push(task);
        return;
      }
      meta.push(task.id, f.id, task.kind, 0);
      // A map chunk travels packed (one clone of a few buffers, not one per item).
      batch.data.push(
        p instanceof Float64Array
          ? p.buffer
          : task.kind >= KIND_MAP && Array.isArray(p)
          ? packBatch(p) ?? p
          : p,
      );
    }
    batch.tasks.push(task);
  }

  /** Posts `m` with the tasks `sent` to `w`, `ringed` of which have their numbers in its ring. */
  #post(w: WorkerSlot, m: TasksMessage, sent: Task[], ringed: number): void {
    w.offer(sent.length); // each task in its claim slot before the worker can see it
    let posted: boolean;
    try {
      m.data = encode(m.data) as unknown[];
      posted = w.post(m);
    } catch (e) {
      w.forget(m);
      if (ringed > 0) w.down!.undo(ringed);
      return this.#rejectUncloneable(sent, e);
    }
    if (!posted) {
      w.forget(m);
      if (ringed > 0) w.down!.undo(ringed);
      w.ready = false;
      this.#requeue(sent);
      return;
    }
    if (m.ring !== undefined) w.downSent = true;
    w.accept(sent);
  }

  /** A batch failed to clone: rejects the tasks at fault (naming the value) and queues the rest again. */
  #rejectUncloneable(sent: Task[], cause: unknown): void {
    const good: Task[] = [];
    for (const t of sent) {
      try {
        structuredClone(encode(t.payload));
        good.push(t);
      } catch {
        const label = t.kind === KIND_APPLY ? "args" : "items";
        this.#settle(t, false, cloneError({ [label]: t.payload }, describeTask(t), cause));
      }
    }
    if (good.length > 0) {
      this.#requeue(good);
      this.#scheduleFlush();
    }
  }

  /** When closed and nothing is queued, tells each idle worker to exit. */
  #stopIdle(): void {
    if (this.#state !== "close" || this.#hasQueued() || this.#waiting.length > 0) return;
    for (const w of this.#workers) if (w.idle) w.stop();
    this.#checkExited();
  }

  #checkExited(): void {
    if (this.#state !== "run" && this.#workers.size === 0) {
      clearTimeout(this.#stealTimer);
      this.#stealTimer = undefined;
      this.#resolveExited();
    }
  }

  /** Keeps the program alive while tasks are outstanding or someone joins (workers are unref'd). */
  #updateKeepAlive(): void {
    const want = this.#outstanding > 0 || this.#joining > 0 || this.#waiting.length > 0;
    if (want === (this.#keepAlive !== undefined)) return;
    if (want) this.#keepAlive = setInterval(() => {}, 1e9);
    else {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }

  // ---- Public state and ending ----

  /** Counters and gauges of the pool (see {@linkcode PoolStats}). */
  stats(): PoolStats {
    let running = 0;
    let workers = 0;
    for (const w of this.#workers) {
      if (w.retired || !w.started) continue;
      workers++;
      if (w.inflight.size > 0) running++;
    }
    this.#zombies = this.#zombies.filter((z) => z.w.syncWord === z.sync);
    return {
      queued: this.#queuedCount(),
      running,
      completed: this.#completed,
      failed: this.#failed,
      cancelled: this.#cancelled,
      workers,
      replaced: this.#replaced,
      meanRunMs: this.#measured > 0 ? this.#runMs / this.#measured : 0,
      meanWaitMs: this.#measured > 0 ? this.#waitMs / this.#measured : 0,
      waiting: this.#waiting.length,
      zombies: this.#zombies.length,
    };
  }

  /**
   * Takes no more tasks; workers exit once the queued ones are done. With `timeout`
   * (ms), whatever is left then is terminated.
   */
  close(timeout?: number): void {
    if (this.#state === "run") {
      this.#state = "close";
      this.#stopIdle();
      if (this.#broken) this.#checkExited();
    }
    if (timeout !== undefined && this.#state === "close") {
      const timer = setTimeout(() => void this.terminate(), Math.max(0, timeout));
      unrefTimer(timer);
      void this.#exited.then(() => clearTimeout(timer));
    }
  }

  /** Ends every worker at once; unfinished tasks reject. */
  terminate(): Promise<void> {
    if (this.#state !== "terminate") {
      this.#state = "terminate";
      clearTimeout(this.#stealTimer);
      this.#stealTimer = undefined;
      const error = new ProcessError(
        `The ${this.#o.owner} was terminated before this task finished: terminate() stops running tasks ` +
          "and drops queued ones, so use close() and join() to let them finish",
      );
      for (const t of this.#pending.drain()) this.#settle(t, false, error, true);
      this.#deadQueued = 0;
      this.#failWaiting(error);
      for (const w of [...this.#workers]) {
        for (const t of w.inflight.values()) this.#settle(t, false, error, true);
        this.#workers.delete(w);
        if (w.started) {
          this.#noteZombie(w, undefined);
          w.proc.terminate();
        }
        w.inflight.clear();
      }
      this.#checkExited();
      this.#updateKeepAlive();
    }
    return this.#exited;
  }

  /**
   * Waits until every worker has exited (after `close()` or `terminate()`); with
   * `timeout` (ms), terminates what is left then and waits for that.
   */
  async join(timeout?: number): Promise<void> {
    this.#joining++;
    this.#updateKeepAlive();
    try {
      if (!(await settlesWithin(this.#exited, timeout))) await this.terminate();
    } finally {
      this.#joining--;
      this.#updateKeepAlive();
    }
  }
}
