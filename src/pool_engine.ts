/**
 * The engine shared by `Pool` and `ProcessPoolExecutor`: worker processes, the task
 * queue, batching, results, and recovery when a worker dies.
 *
 * Tasks are sent in batches sized from the measured task time (a few milliseconds of
 * work per message, at most two batches in flight per worker), so tiny tasks cost one
 * message per thousand and slow tasks are spread one by one. A worker that ends while
 * holding tasks never hangs anything: its tasks reject with `BrokenProcessPool` (the
 * ones it never started are run elsewhere) and a fresh worker takes its place.
 *
 * @module
 */
import { cloneError, decode, describe, encode } from "./codec.ts";
import { BrokenProcessPool, type ErrorData, errorFromData, ProcessError } from "./errors.ts";
import {
  type DoneMessage,
  KIND_APPLY,
  KIND_APPLY_NUMBERS,
  KIND_MAP,
  KIND_STARMAP,
  packNumbers,
  type PoolWorkerConfig,
  RESULT_ERROR,
  RESULT_NUMBER,
  RESULT_NUMBERS,
  RESULT_STRIDE,
  RESULT_VALUE,
  type TasksMessage,
  type WorkerMessage,
} from "./pool_protocol.ts";
import { postToChild, Process, runAsRole, whenEnded } from "./process.ts";
import { callerModules, type FunctionRef, resolveFunction } from "./resolve.ts";
import { cpuCount } from "./runtime.ts";
import { assertNotImporting, self, type StartMethod } from "./state.ts";

// deno-lint-ignore no-explicit-any
export type AnyFunction = (...args: any[]) => unknown;

/** Work per batch the sizing aims at (ms). */
const BATCH_TARGET_MS = 5;
/** Tasks per batch before any task time is known. */
const FIRST_BATCH = 4;
/** The largest batch. */
const MAX_BATCH = 2048;

/** Where the outcome of a task goes: `index` is the task's place in its job. */
export interface TaskSink {
  settle(index: number, ok: boolean, value: unknown): void;
  /** True once the job needs no more results (a map that already failed): its queued tasks are dropped. */
  readonly done?: boolean;
}

/** A function the pool runs, with how the workers find it. */
export interface PoolFunction {
  readonly fn: AnyFunction;
  readonly id: number;
  ref: FunctionRef | null;
  error: unknown;
}

class Task {
  constructor(
    readonly id: number,
    readonly fn: PoolFunction,
    readonly kind: number,
    readonly payload: unknown,
    readonly sink: TaskSink,
    readonly index: number,
  ) {}
}

/** A FIFO with cheap removal at the front. */
class TaskQueue {
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

interface Worker {
  proc: Process;
  started: boolean;
  ready: boolean;
  stopSent: boolean;
  inflight: Map<number, Task>;
  /** Ids of the functions this worker has been sent. */
  known: Set<number>;
  /** Tasks sent in its life (for `maxTasksPerChild`). */
  assigned: number;
  /** The task that called `exit()`, if one did. */
  killer: number;
  /** Orders the handling of this worker's messages and its end. */
  chain: Promise<void>;
}

/** Settings of an engine. */
export interface EngineOptions {
  processes: number;
  initializer: AnyFunction | undefined;
  initargs: unknown[];
  /** 0: no limit. */
  maxTasksPerChild: number;
  method: StartMethod;
  /** The caller's modules, for finding the initializer by reference. */
  callers: string[];
  /** "Pool" or "ProcessPoolExecutor", for messages. */
  owner: string;
}

/** The settings a pool class takes, with the names it uses in messages. */
export interface PoolSettings {
  owner: string;
  countName: string;
  count: unknown;
  initializer: unknown;
  initargs: unknown;
  maxTasksPerChild: unknown;
  method: StartMethod;
}

/**
 * Checks a pool's settings (Python's errors for misuse) and starts its engine. Call it
 * synchronously from the constructor: the initializer is looked for in the caller's
 * modules.
 */
export function startEngine(s: PoolSettings): PoolEngine {
  assertNotImporting(`a ${s.owner}`);
  if (self.daemon) {
    throw new ProcessError(
      `daemonic processes are not allowed to have children: ${self.name} is daemonic (a pool worker, ` +
        `or a Process with daemon: true), so it cannot create a ${s.owner}`,
    );
  }
  const count = s.count ?? cpuCount();
  if (!Number.isInteger(count) || (count as number) < 1) {
    throw new RangeError(`${s.owner}: ${s.countName} must be an integer of at least 1, got ${String(count)}`);
  }
  const max = s.maxTasksPerChild ?? 0;
  if (
    s.maxTasksPerChild !== undefined && s.maxTasksPerChild !== null &&
    (!Number.isInteger(max) || (max as number) < 1)
  ) {
    throw new RangeError(
      `${s.owner}: maxTasksPerChild must be a positive integer or undefined, got ${
        String(s.maxTasksPerChild)
      }`,
    );
  }
  if (s.initializer !== undefined && s.initializer !== null && typeof s.initializer !== "function") {
    throw new TypeError(`${s.owner}: initializer must be a function, got ${describe(s.initializer)}`);
  }
  if (s.initargs !== undefined && !Array.isArray(s.initargs)) {
    throw new TypeError(`${s.owner}: initargs must be an array, got ${describe(s.initargs)}`);
  }
  return new PoolEngine({
    processes: count as number,
    initializer: (s.initializer ?? undefined) as AnyFunction | undefined,
    initargs: (s.initargs ?? []) as unknown[],
    maxTasksPerChild: max as number,
    method: s.method,
    callers: callerModules(),
    owner: s.owner,
  });
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

function describeTask(t: Task): string {
  const name = t.fn.fn.name || "(anonymous function)";
  if (t.kind === KIND_APPLY || t.kind === KIND_APPLY_NUMBERS) {
    return `task ${name}(${preview(t.payload as unknown[])})`;
  }
  const n = (t.payload as ArrayLike<unknown>).length;
  return `task ${name} over chunk ${t.index} of its map (${n} item${n === 1 ? "" : "s"})`;
}

/** The worker processes and the task queue behind a pool. */
export class PoolEngine {
  readonly processes: number;
  readonly #o: EngineOptions;
  #state: "run" | "close" | "terminate" = "run";
  #broken: Error | null = null;
  #config: PoolWorkerConfig | null = null;
  readonly #workers = new Set<Worker>();
  readonly #pending = new TaskQueue();
  readonly #fns = new Map<AnyFunction, PoolFunction>();
  #nextTask = 1;
  #nextFn = 1;
  #flushQueued = false;
  #avgMs = -1;
  #outstanding = 0;
  #joining = 0;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  readonly #exited: Promise<void>;
  #resolveExited!: () => void;

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
      throw new ProcessError(
        `${this.#o.owner} not running: it was ${this.#state === "close" ? "closed" : "terminated"}, ` +
          `so it takes no new tasks. Create a new ${this.#o.owner}.`,
      );
    }
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
    resolveFunction(fn, callerModules(), this.#o.method, "pool function").then((ref) => {
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
  apply(f: PoolFunction, args: unknown[], sink: TaskSink, index = 0): void {
    let numeric = true;
    for (let i = 0; i < args.length && numeric; i++) numeric = typeof args[i] === "number";
    this.#submit(f, numeric ? KIND_APPLY_NUMBERS : KIND_APPLY, args, sink, index);
  }

  /** Queues one chunk of a map: `fn(item)` (or `fn(...item)` when `star`) for each item. */
  chunk(f: PoolFunction, items: unknown[], star: boolean, sink: TaskSink, index: number): void {
    this.#submit(f, star ? KIND_STARMAP : KIND_MAP, star ? items : packNumbers(items) ?? items, sink, index);
  }

  #submit(f: PoolFunction, kind: number, payload: unknown, sink: TaskSink, index: number): void {
    const task = new Task(this.#nextTask++, f, kind, payload, sink, index);
    this.#outstanding++;
    if (this.#broken || this.#state === "terminate") {
      const error = this.#broken ?? new ProcessError(`the ${this.#o.owner} was terminated`);
      queueMicrotask(() => {
        this.#settle(task, false, error);
        this.#updateKeepAlive();
      });
    } else {
      this.#pending.push(task);
      this.#scheduleFlush();
    }
    this.#updateKeepAlive();
  }

  #settle(task: Task, ok: boolean, value: unknown): void {
    this.#outstanding--;
    task.sink.settle(task.index, ok, value);
  }

  #newWorker(): Worker {
    const proc = new Process({ daemon: true });
    proc.name = proc.name.replace(
      "Process",
      this.#o.method === "fork" ? "ForkPoolWorker" : "SpawnPoolWorker",
    );
    const w: Worker = {
      proc,
      started: false,
      ready: false,
      stopSent: false,
      inflight: new Map(),
      known: new Set(),
      assigned: 0,
      killer: -1,
      chain: Promise.resolve(),
    };
    this.#workers.add(w);
    return w;
  }

  #start(w: Worker): void {
    if (this.#state === "terminate" || this.#broken) {
      this.#workers.delete(w);
      this.#checkExited();
      return;
    }
    runAsRole(w.proc, {
      role: "pool",
      extra: this.#config,
      message: (m) => this.#onMessage(w, m as WorkerMessage),
    });
    w.started = true;
    w.proc.start().then(() => this.#onReady(w), (e) => this.#onStartFailed(w, e));
    whenEnded(w.proc).then(() => {
      w.chain = w.chain.then(() => this.#onExit(w));
    });
  }

  #onReady(w: Worker): void {
    if (!w.proc.isAlive() || this.#state === "terminate") return;
    w.ready = true;
    this.#flush();
    this.#stopIdle();
  }

  #onStartFailed(w: Worker, e: unknown): void {
    if (this.#state === "terminate" || this.#broken) return;
    const error = e instanceof Error ? e : new Error(String(e));
    const what = this.#o.initializer
      ? `the initializer ${this.#o.initializer.name || "(anonymous function)"} failed in ${w.proc.name}`
      : `${w.proc.name} failed to start`;
    this.#break(
      new BrokenProcessPool(
        `${what}: ${error.name}: ${error.message}. The ${this.#o.owner} cannot run tasks; fix the cause ` +
          `(see error.cause), then create a new ${this.#o.owner}.`,
        { cause: error },
      ),
    );
  }

  #onMessage(w: Worker, m: WorkerMessage): void {
    if (m.t === "done") w.chain = w.chain.then(() => this.#onDone(w, m));
    else if (m.t === "exiting") w.chain = w.chain.then(() => void (w.killer = m.id));
  }

  async #onDone(w: Worker, m: DoneMessage): Promise<void> {
    let data: unknown[] = m.data;
    let failure: unknown = null;
    try {
      data = (await decode(m.data)) as unknown[];
    } catch (e) {
      failure = e;
    }
    const meta = new Float64Array(m.meta);
    let d = 0;
    for (let i = 0; i < meta.length; i += RESULT_STRIDE) {
      const status = meta[i + 1];
      let ok = true;
      let value: unknown = undefined;
      if (status === RESULT_NUMBER) value = meta[i + 2];
      else if (status === RESULT_VALUE) value = data[d++];
      else if (status === RESULT_NUMBERS) value = new Float64Array(data[d++] as ArrayBuffer); // stay packed
      else if (status === RESULT_ERROR) {
        ok = false;
        value = errorFromData(data[d++] as ErrorData);
      }
      if (failure !== null) {
        ok = false;
        value = failure;
      }
      const task = w.inflight.get(meta[i]);
      if (task === undefined) continue;
      w.inflight.delete(task.id);
      if (status === RESULT_NUMBERS && task.kind <= KIND_APPLY_NUMBERS) {
        value = copyInto([], value as Float64Array, 0);
      }
      this.#settle(task, ok, value);
    }
    if (m.count > 0) {
      const per = m.busy / m.count;
      this.#avgMs = this.#avgMs < 0 ? per : this.#avgMs * 0.7 + per * 0.3;
    }
    this.#flush();
    this.#stopIdle();
    this.#updateKeepAlive();
  }

  #onExit(w: Worker): void {
    this.#workers.delete(w);
    if (this.#state === "terminate") return this.#checkExited();
    const lost = [...w.inflight.values()];
    w.inflight.clear();
    const requeue: Task[] = [];
    const code = w.proc.exitCode;
    const who = `the pool worker ${w.proc.name} (pid ${w.proc.pid})`;
    for (const t of lost) {
      if (w.killer >= 0 && t.id !== w.killer) {
        requeue.push(t); // queued behind the task that called exit(): never started
        continue;
      }
      const how = t.id === w.killer
        ? `${describeTask(t)} called exit(${code}), which ended ${who}`
        : `${who} ended (exit code ${code}) while it ran or held ${describeTask(t)}`;
      this.#settle(
        t,
        false,
        new BrokenProcessPool(`${how}: the task is lost. A new worker replaced it; the pool goes on.`),
      );
    }
    if (requeue.length > 0) this.#pending.unshift(requeue);
    if (!this.#broken && (this.#state === "run" || this.#pending.size > 0)) {
      const fresh = this.#newWorker();
      this.#start(fresh);
    }
    this.#flush();
    this.#checkExited();
    this.#updateKeepAlive();
  }

  /** Rejects everything and ends the workers: the pool cannot run tasks any more. */
  #break(error: Error): void {
    if (this.#broken) return;
    this.#broken = error;
    for (const t of this.#pending.drain()) this.#settle(t, false, error);
    for (const w of this.#workers) {
      for (const t of w.inflight.values()) this.#settle(t, false, error);
      w.inflight.clear();
      if (w.started) w.proc.terminate();
      else this.#workers.delete(w);
    }
    this.#checkExited();
    this.#updateKeepAlive();
  }

  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  #batchSize(): number {
    if (this.#avgMs < 0) return FIRST_BATCH;
    return Math.max(1, Math.min(MAX_BATCH, Math.round(BATCH_TARGET_MS / Math.max(this.#avgMs, 1e-4))));
  }

  /** Sends queued tasks to the ready workers, each up to its window and a fair share. */
  #flush(): void {
    if (this.#pending.size === 0 || this.#broken || this.#state === "terminate") return;
    const ready = [...this.#workers].filter((w) => w.ready && !w.stopSent);
    ready.sort((a, b) => a.inflight.size - b.inflight.size); // idle workers first
    if (ready.length === 0) return;
    // Slow tasks go one at a time (no task waits behind another); fast ones in two batches.
    const window = this.#avgMs >= BATCH_TARGET_MS ? 1 : 2 * this.#batchSize();
    let live = 0;
    let held = 0;
    for (const w of this.#workers) {
      if (w.stopSent) continue;
      live++;
      held += w.inflight.size;
    }
    // A fair share counts the workers still starting: the first one up does not take all.
    const share = Math.min(window, Math.ceil((this.#pending.size + held) / live));
    const max = this.#o.maxTasksPerChild;
    for (const w of ready) {
      let room = share - w.inflight.size;
      if (max > 0) room = Math.min(room, max - w.assigned);
      if (room > 0 && !this.#send(w, room)) return;
      if (this.#pending.size === 0) return;
    }
  }

  /** Sends up to `room` tasks to `w`; false when the queue waits for a function being resolved. */
  #send(w: Worker, room: number): boolean {
    const meta: number[] = [];
    const data: unknown[] = [];
    const fns: [number, FunctionRef][] = [];
    const sent: Task[] = [];
    let blocked = false;
    while (sent.length < room && this.#pending.size > 0) {
      const task = this.#pending.peek();
      if (task.sink.done) {
        this.#pending.shift();
        this.#outstanding--;
        continue;
      }
      const f = task.fn;
      if (f.ref === null) {
        if (f.error === null) {
          blocked = true;
          break;
        }
        this.#settle(this.#pending.shift(), false, f.error);
        continue;
      }
      this.#pending.shift();
      if (!w.known.has(f.id)) {
        w.known.add(f.id);
        fns.push([f.id, f.ref]);
      }
      if (task.kind === KIND_APPLY_NUMBERS) {
        const args = task.payload as number[];
        meta.push(task.id, f.id, KIND_APPLY_NUMBERS, args.length);
        for (let i = 0; i < args.length; i++) meta.push(args[i]);
      } else {
        meta.push(task.id, f.id, task.kind, 0);
        data.push(task.payload instanceof Float64Array ? task.payload.buffer : task.payload);
      }
      sent.push(task);
    }
    if (sent.length > 0) this.#post(w, { t: "tasks", fns, meta: new Float64Array(meta).buffer, data }, sent);
    this.#updateKeepAlive();
    return !blocked;
  }

  #post(w: Worker, m: TasksMessage, sent: Task[]): void {
    let posted: boolean;
    try {
      m.data = encode(m.data) as unknown[];
      posted = postToChild(w.proc, m);
    } catch (e) {
      for (const [id] of m.fns) w.known.delete(id);
      return this.#rejectUncloneable(sent, e);
    }
    if (!posted) {
      for (const [id] of m.fns) w.known.delete(id);
      w.ready = false;
      this.#pending.unshift(sent);
      return;
    }
    for (const t of sent) w.inflight.set(t.id, t);
    w.assigned += sent.length;
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
      this.#pending.unshift(good);
      this.#scheduleFlush();
    }
  }

  /** When closed and nothing is queued, tells each idle worker to exit. */
  #stopIdle(): void {
    if (this.#state !== "close" || this.#pending.size > 0) return;
    for (const w of this.#workers) {
      if (w.ready && !w.stopSent && w.inflight.size === 0) {
        w.stopSent = true;
        postToChild(w.proc, { t: "stop" });
      }
    }
    this.#checkExited();
  }

  #checkExited(): void {
    if (this.#state !== "run" && this.#workers.size === 0) this.#resolveExited();
  }

  /** Keeps the program alive while tasks are outstanding or someone joins (workers are unref'd). */
  #updateKeepAlive(): void {
    const want = this.#outstanding > 0 || this.#joining > 0;
    if (want === (this.#keepAlive !== undefined)) return;
    if (want) this.#keepAlive = setInterval(() => {}, 1e9);
    else {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }

  /** Takes no more tasks; workers exit once the queued ones are done. */
  close(): void {
    if (this.#state !== "run") return;
    this.#state = "close";
    this.#stopIdle();
    if (this.#broken) this.#checkExited();
  }

  /** Rejects queued tasks with `error` (the executor's `cancelFutures`). */
  cancelPending(error: Error): void {
    for (const t of this.#pending.drain()) this.#settle(t, false, error);
    this.#stopIdle();
    this.#updateKeepAlive();
  }

  /** Ends every worker at once; unfinished tasks reject. */
  terminate(): Promise<void> {
    if (this.#state !== "terminate") {
      this.#state = "terminate";
      const error = new ProcessError(
        `the ${this.#o.owner} was terminated before this task finished: terminate() stops running tasks ` +
          "and drops queued ones. Use close() and join() to let them finish.",
      );
      for (const t of this.#pending.drain()) this.#settle(t, false, error);
      for (const w of [...this.#workers]) {
        for (const t of w.inflight.values()) this.#settle(t, false, error);
        w.inflight.clear();
        this.#workers.delete(w);
        if (w.started) w.proc.terminate();
      }
      this.#checkExited();
      this.#updateKeepAlive();
    }
    return this.#exited;
  }

  /** Waits until every worker has exited (after `close()` or `terminate()`). */
  async join(): Promise<void> {
    this.#joining++;
    this.#updateKeepAlive();
    try {
      await this.#exited;
    } finally {
      this.#joining--;
      this.#updateKeepAlive();
    }
  }
}
