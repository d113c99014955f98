/**
 * `Pool` of `mp.dummy`: Python's `multiprocessing.dummy.Pool` (a `ThreadPool`), here a
 * set of `n` worker tasks on the calling thread, each running one task at a time, so
 * that at most `n` tasks are in flight. For I/O-bound work (fetching, reading files,
 * timers) and tests: any function works, lambdas and closures too.
 *
 * @module
 */
import { AsyncResult, type ResultCallbacks, settleResult } from "../pool/async_result.ts";
import { checkIterable } from "../pool/task_options.ts";
import { BrokenProcessPool, ProcessError, TimeoutError } from "../internal/errors.ts";
import { cpuCount } from "../internal/runtime.ts";
import { currentProcess, DummyProcess, runAs } from "./process.ts";
import { noWait, printable, timeoutMs, WaitList } from "./waiters.ts";
import { type AnyFunction, isThenable } from "../internal/_types.ts";

/** Options of the dummy {@linkcode Pool}: those of the real `Pool`. */
// deno-lint-ignore no-explicit-any
export interface DummyPoolOptions<I extends unknown[] = any[]> {
  /** Number of worker tasks, that is of tasks in flight at most; defaults to `cpuCount()`. */
  processes?: number;
  /** Runs once in each worker before its first task (any function, async or not). */
  initializer?: (...args: I) => unknown;
  /** Arguments for `initializer`. */
  initargs?: I;
  /** A worker is replaced by a fresh one (which runs `initializer` again) after this many tasks. */
  maxTasksPerChild?: number;
}

/** One unit of work: a call, or a chunk of a map. */
interface Task {
  run(): unknown;
  settle(ok: boolean, value: unknown): void;
  settled?: boolean;
}

function finish(task: Task, ok: boolean, value: unknown): void {
  if (task.settled) return;
  task.settled = true;
  task.settle(ok, value);
}

/** A chunk task: `fn(item)` (or `fn(...item)`) for each item, one after the other. */
function chunkTask(fn: AnyFunction, items: unknown[], star: boolean, settle: Task["settle"]): Task {
  return {
    async run() {
      const out: unknown[] = [];
      for (const item of items) {
        const r = star ? fn(...(item as unknown[])) : fn(item);
        out.push(isThenable(r) ? await r : r);
      }
      return out;
    },
    settle,
  };
}

/** Python's default chunksize for `map`: about four chunks per worker. */
function defaultChunksize(items: number, processes: number): number {
  return Math.max(1, Math.ceil(items / (processes * 4)));
}

function checkChunksize(chunksize: unknown, where: string): number | undefined {
  if (chunksize === undefined || chunksize === null) return undefined;
  if (!Number.isInteger(chunksize) || (chunksize as number) < 1) {
    throw new RangeError(`${where}: chunksize must be an integer of at least 1, got ${String(chunksize)}`);
  }
  return chunksize as number;
}

function checkFunction(fn: unknown, where: string): AnyFunction {
  if (typeof fn !== "function") {
    throw new TypeError(`${where}: the task must be a function, got ${typeof fn}`);
  }
  return fn as AnyFunction;
}

let workerCounter = 0;

/** What the lazy map needs from its pool. */
interface Feed {
  readonly processes: number;
  enqueue(task: Task): void;
  feederDone(): void;
}

/**
 * A dummy pool of `n` workers (Python's `multiprocessing.dummy.Pool`, a `ThreadPool`):
 * the real `Pool`'s API, with the tasks run as async tasks of this thread, at most `n`
 * at once. Task functions may be lambdas and closures; arguments and results are
 * passed as they are (not copied). Async tasks overlap their waits, which is what
 * I/O-bound work needs; synchronous tasks run one after another (nothing runs in
 * parallel on one thread: use the real `Pool` for CPU-bound work).
 *
 * A task's error rejects that task with the very error thrown. Workers are dummy
 * processes named `ThreadPoolWorker-N` (listed by `activeChildren()`, `currentProcess()`
 * inside a task). `terminate()` rejects every unfinished task at once and starts no
 * other, but cannot stop a task's code that is already running: `join()` waits for it.
 *
 * @example Fetch three "pages" two at a time
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const fetchPage = async (url: string) => {
 *   await new Promise((r) => setTimeout(r, 20)); // stands for the network
 *   return `${url}: 200`;
 * };
 * await using pool = new mp.Pool(2);
 * console.log(await pool.map(fetchPage, ["a", "b", "c"])); // ["a: 200", "b: 200", "c: 200"]
 * ```
 *
 * @example Results as they come, with a closure
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const factor = 10;
 * await using pool = new mp.Pool(3);
 * for await (const y of pool.imapUnordered((x: number) => x * factor, [1, 2, 3])) console.log(y);
 * const r = pool.applyAsync((a: number, b: number) => a + b, [20, 22]);
 * console.log(await r.get(1000)); // 42
 * ```
 */
export class Pool implements AsyncDisposable {
  readonly #processes: number;
  readonly #init: AnyFunction | undefined;
  readonly #initargs: unknown[];
  readonly #maxTasks: number | undefined;
  readonly #owner: DummyProcess;
  #queue: Task[] = [];
  #head = 0;
  #idle = new WaitList<Task | null>();
  #workers = new Set<DummyProcess>();
  #running = new Set<Task>();
  #state: "RUN" | "CLOSE" | "TERMINATE" = "RUN";
  #broken: Error | null = null;
  /** Why tasks no longer run: the terminate error, or the broken initializer's. */
  #stopError: Error | null = null;
  #feeders = 0;
  #exited: Promise<void>;
  #resolveExited!: () => void;
  readonly #feed: Feed;

  /**
   * Starts the workers: `new Pool(4)` or `new Pool({ processes, initializer, initargs, maxTasksPerChild })`.
   *
   * @param options A number of workers, or `{ processes, initializer, initargs, maxTasksPerChild }`.
   * @throws {TypeError} If `options` or one of its fields has the wrong type.
   * @throws {RangeError} If `processes` or `maxTasksPerChild` is not an integer of at least 1.
   */
  constructor(options: number | DummyPoolOptions = {}) {
    const o: DummyPoolOptions = typeof options === "number" || options === undefined || options === null
      ? { processes: options ?? undefined }
      : options;
    if (typeof o !== "object") {
      throw new TypeError(
        `new Pool(options): options must be a number of processes or an object, got ${typeof o}`,
      );
    }
    const count = o.processes ?? cpuCount();
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`Pool: processes must be an integer of at least 1, got ${String(count)}`);
    }
    const max = o.maxTasksPerChild;
    if (max !== undefined && max !== null && (!Number.isInteger(max) || max < 1)) {
      throw new RangeError(`Pool: maxTasksPerChild must be an integer of at least 1, got ${String(max)}`);
    }
    if (o.initializer !== undefined && o.initializer !== null && typeof o.initializer !== "function") {
      throw new TypeError(`Pool: initializer must be a function, got ${typeof o.initializer}`);
    }
    if (o.initargs !== undefined && !globalThis.Array.isArray(o.initargs)) {
      throw new TypeError(`Pool: initargs must be an array, got ${typeof o.initargs}`);
    }
    this.#processes = count;
    this.#init = o.initializer ?? undefined;
    this.#initargs = o.initargs ?? [];
    this.#maxTasks = max ?? undefined;
    this.#owner = currentProcess();
    this.#exited = new Promise((resolve) => (this.#resolveExited = resolve));
    this.#feed = {
      processes: count,
      enqueue: (task) => this.#enqueue(task),
      feederDone: () => {
        if (--this.#feeders === 0) this.#wakeIdleIfDone();
      },
    };
    for (let i = 0; i < count; i++) this.#spawn();
  }

  /** The number of workers (of tasks in flight at most). */
  get processes(): number {
    return this.#processes;
  }

  #spawn(): void {
    const w: DummyProcess = new DummyProcess({
      target: () => this.#work(w),
      name: `ThreadPoolWorker-${++workerCounter}`,
      daemon: true,
    });
    this.#workers.add(w);
    // A replacement is started from inside a worker: it still belongs to the pool's creator.
    void runAs(this.#owner, () => w.start());
  }

  async #work(w: DummyProcess): Promise<void> {
    try {
      if (this.#init !== undefined) {
        try {
          const r = this.#init(...this.#initargs);
          if (isThenable(r)) await r;
        } catch (e) {
          this.#break(e, w);
          return;
        }
      }
      let done = 0;
      for (;;) {
        const task = await this.#next();
        if (task === null) return;
        if (this.#stopError !== null) {
          finish(task, false, this.#stopError); // handed over just before terminate() or a broken initializer
          return;
        }
        this.#running.add(task);
        let ok = true;
        let value: unknown;
        try {
          value = task.run();
          if (isThenable(value)) value = await value;
        } catch (e) {
          ok = false;
          value = e;
        }
        this.#running.delete(task);
        finish(task, ok, value);
        if (this.#maxTasks !== undefined && ++done >= this.#maxTasks) {
          if (this.#state !== "TERMINATE" && this.#broken === null) this.#spawn();
          return;
        }
      }
    } finally {
      this.#workers.delete(w);
      if (this.#workers.size === 0 && this.#state !== "RUN") this.#resolveExited();
    }
  }

  #next(): Task | null | Promise<Task | null> {
    if (this.#state === "TERMINATE" || this.#broken !== null) return null;
    if (this.#head < this.#queue.length) {
      const task = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined as unknown as Task;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      return task;
    }
    if (this.#state === "CLOSE" && this.#feeders === 0) return null;
    return this.#idle.park(undefined).then((r) => r.woken ? r.value : null);
  }

  #enqueue(task: Task): void {
    if (this.#broken !== null || this.#state === "TERMINATE") {
      const error = this.#broken ?? new ProcessError("The Pool was terminated");
      queueMicrotask(() => finish(task, false, error));
      return;
    }
    if (!this.#idle.wakeOne(task)) this.#queue.push(task);
  }

  #wakeIdleIfDone(): void {
    if (this.#state === "CLOSE" && this.#feeders === 0 && this.#head >= this.#queue.length) {
      this.#idle.wakeAll(null);
    }
  }

  /** Rejects every unfinished task with `error` and stops the workers taking more. */
  #failAll(error: Error): void {
    this.#stopError = error;
    const queued = this.#queue.slice(this.#head);
    this.#queue = [];
    this.#head = 0;
    for (const t of queued) finish(t, false, error);
    for (const t of this.#running) finish(t, false, error);
    this.#idle.wakeAll(null);
  }

  #break(error: unknown, w: DummyProcess): void {
    if (this.#broken !== null) return;
    const e = error instanceof Error ? error : new Error(String(error));
    this.#broken = new BrokenProcessPool(
      `The initializer ${this.#init?.name || "(anonymous function)"} failed in ${w.name}: ${e.name}: ` +
        `${e.message}: the Pool cannot run tasks, so fix the cause (see error.cause), then create a new Pool`,
      { cause: error },
    );
    this.#failAll(this.#broken);
  }

  #assertRunning(): void {
    if (this.#broken !== null) throw this.#broken;
    if (this.#state !== "RUN") {
      throw new ProcessError(
        `Pool not running: it was ${this.#state === "CLOSE" ? "closed" : "terminated"}, ` +
          "so it takes no new tasks: create a new Pool",
      );
    }
  }

  /**
   * Runs `fn(...args)` in a worker and resolves with its result.
   *
   * @param fn The function to run; it need not be exported.
   * @param args The arguments of `fn`.
   * @returns A promise that resolves to the result of `fn`.
   * @throws {ProcessError} If the pool is closed or terminated.
   */
  apply<A extends unknown[], R>(fn: (...args: A) => R, args?: A): Promise<Awaited<R>> {
    return this.applyAsync(fn, args).get();
  }

  /**
   * Runs `fn(...args)` in a worker; the returned `AsyncResult` is awaitable.
   * `callback` / `errorCallback` run when the task ends.
   *
   * @param fn The function to run; it need not be exported.
   * @param args The arguments of `fn`.
   * @param callbacks `callback` (with the result) and `errorCallback` (with the error) to run when it ends.
   * @returns An `AsyncResult`, awaitable, settled with the result of `fn`.
   * @throws {TypeError} If `fn` is not a function or `args` not an array.
   * @throws {ProcessError} If the pool is closed or terminated.
   */
  applyAsync<A extends unknown[], R>(
    fn: (...args: A) => R,
    args?: A,
    callbacks?: ResultCallbacks<Awaited<R>>,
  ): AsyncResult<Awaited<R>> {
    this.#assertRunning();
    const f = checkFunction(fn, "Pool.applyAsync");
    if (args !== undefined && !globalThis.Array.isArray(args)) {
      throw new TypeError(`Pool.applyAsync: args must be an array, got ${typeof args}`);
    }
    const result = new AsyncResult<Awaited<R>>(callbacks);
    const a = args ?? [];
    this.#enqueue({ run: () => f(...a), settle: (ok, v) => settleResult(result, ok, v) });
    return result;
  }

  /**
   * Applies `fn` to every item, in chunks (default: about four per worker, as Python),
   * and resolves with the results in order. The first error rejects the whole map.
   *
   * @param fn The function to run; it need not be exported.
   * @param iterable The items, an iterable or an async iterable.
   * @param chunksize How many items each task takes (default: about four tasks per worker, as in Python).
   * @returns A promise that resolves to the results, in the order of the items.
   * @throws {RangeError} If `chunksize` is not an integer of at least 1.
   * @throws {ProcessError} If the pool is closed or terminated.
   */
  map<T, R>(fn: (item: T) => R, iterable: Iterable<T>, chunksize?: number): Promise<Awaited<R>[]> {
    return this.#mapAsync<Awaited<R>>(fn, iterable, chunksize, false, undefined, "Pool.map").get();
  }

  /**
   * Like {@linkcode Pool.map}, returning an `AsyncResult` with callbacks.
   *
   * @param fn The function to run; it need not be exported.
   * @param iterable The items, an iterable or an async iterable.
   * @param chunksize How many items each task takes (default: about four tasks per worker, as in Python).
   * @param callbacks `callback` (with the result) and `errorCallback` (with the error) to run when it ends.
   * @returns An `AsyncResult` settled with the results, in the order of the items.
   * @throws {ProcessError} If the pool is closed or terminated.
   */
  mapAsync<T, R>(
    fn: (item: T) => R,
    iterable: Iterable<T>,
    chunksize?: number,
    callbacks?: ResultCallbacks<Awaited<R>[]>,
  ): AsyncResult<Awaited<R>[]> {
    return this.#mapAsync(fn, iterable, chunksize, false, callbacks, "Pool.mapAsync");
  }

  /**
   * Like {@linkcode Pool.map}, calling `fn(...args)` for each args array.
   *
   * @param fn The function to run; it need not be exported.
   * @param iterable The argument arrays, an iterable or an async iterable.
   * @param chunksize How many items each task takes (default: about four tasks per worker, as in Python).
   * @returns A promise that resolves to the results, in the order of the items.
   * @throws {ProcessError} If the pool is closed or terminated.
   */
  starmap<A extends unknown[], R>(
    fn: (...args: A) => R,
    iterable: Iterable<A>,
    chunksize?: number,
  ): Promise<Awaited<R>[]> {
    return this.#mapAsync<Awaited<R>>(fn as AnyFunction, iterable, chunksize, true, undefined, "Pool.starmap")
      .get();
  }

  /**
   * Like {@linkcode Pool.starmap}, returning an `AsyncResult` with callbacks.
   *
   * @param fn The function to run; it need not be exported.
   * @param iterable The argument arrays, an iterable or an async iterable.
   * @param chunksize How many items each task takes (default: about four tasks per worker, as in Python).
   * @param callbacks `callback` (with the result) and `errorCallback` (with the error) to run when it ends.
   * @returns An `AsyncResult` settled with the results, in the order of the items.
   * @throws {ProcessError} If the pool is closed or terminated.
   */
  starmapAsync<A extends unknown[], R>(
    fn: (...args: A) => R,
    iterable: Iterable<A>,
    chunksize?: number,
    callbacks?: ResultCallbacks<Awaited<R>[]>,
  ): AsyncResult<Awaited<R>[]> {
    return this.#mapAsync(fn as AnyFunction, iterable, chunksize, true, callbacks, "Pool.starmapAsync");
  }

  #mapAsync<R>(
    fn: unknown,
    iterable: Iterable<unknown>,
    chunksize: number | undefined,
    star: boolean,
    callbacks: ResultCallbacks<R[]> | undefined,
    where: string,
  ): AsyncResult<R[]> {
    this.#assertRunning();
    const f = checkFunction(fn, where);
    checkIterable(iterable, where);
    const size = checkChunksize(chunksize, where);
    const items = globalThis.Array.isArray(iterable) ? iterable : [...iterable];
    const result = new AsyncResult<R[]>(callbacks);
    if (items.length === 0) {
      queueMicrotask(() => settleResult(result, true, []));
      return result;
    }
    const cs = size ?? defaultChunksize(items.length, this.#processes);
    const out: unknown[] = new globalThis.Array(items.length);
    let left = Math.ceil(items.length / cs);
    let done = false;
    for (let i = 0; i < items.length; i += cs) {
      const at = i;
      this.#enqueue(chunkTask(f, items.slice(at, at + cs), star, (ok, value) => {
        if (done) return;
        if (!ok) {
          done = true;
          settleResult(result, false, value);
          return;
        }
        const values = value as unknown[];
        for (let k = 0; k < values.length; k++) out[at + k] = values[k];
        if (--left === 0) {
          done = true;
          settleResult(result, true, out);
        }
      }));
    }
    return result;
  }

  /**
   * Applies `fn` to each item lazily and yields the results in order. The input (even
   * an endless or async one) is read only a bounded distance ahead of the consumer. A
   * task's error is thrown at its place; `next(timeout)` rejects with `TimeoutError`.
   *
   * @param fn The function to run; it need not be exported.
   * @param iterable The items, an iterable or an async iterable.
   * @param chunksize How many items each task takes (default 1).
   * @returns An async iterator over the results, in the order of the items.
   * @throws {ProcessError} If the pool is closed or terminated.
   */
  imap<T, R>(
    fn: (item: T) => R,
    iterable: Iterable<T> | AsyncIterable<T>,
    chunksize = 1,
  ): DummyMapIterator<Awaited<R>> {
    return this.#imap(fn, iterable, chunksize, true, "Pool.imap");
  }

  /**
   * Like {@linkcode Pool.imap}, yielding results as they finish.
   *
   * @param fn The function to run; it need not be exported.
   * @param iterable The items, an iterable or an async iterable.
   * @param chunksize How many items each task takes (default 1).
   * @returns An async iterator over the results, in the order they finish.
   * @throws {ProcessError} If the pool is closed or terminated.
   */
  imapUnordered<T, R>(
    fn: (item: T) => R,
    iterable: Iterable<T> | AsyncIterable<T>,
    chunksize = 1,
  ): DummyMapIterator<Awaited<R>> {
    return this.#imap(fn, iterable, chunksize, false, "Pool.imapUnordered");
  }

  #imap<R>(
    fn: unknown,
    iterable: Iterable<unknown> | AsyncIterable<unknown>,
    chunksize: number,
    ordered: boolean,
    where: string,
  ): DummyMapIterator<R> {
    this.#assertRunning();
    const f = checkFunction(fn, where);
    checkIterable(iterable, where, true);
    const cs = checkChunksize(chunksize, where) ?? 1;
    this.#feeders++;
    return makeIterator<R>(this.#feed, f, iterable, cs, ordered);
  }

  /** Takes no more tasks; the workers end once the queued tasks are done. */
  close(): void {
    if (this.#state !== "RUN") return;
    this.#state = "CLOSE";
    if (this.#workers.size === 0) this.#resolveExited();
    this.#wakeIdleIfDone();
  }

  /**
   * Rejects every unfinished task at once and starts no other. The code of tasks
   * already running goes on (nothing can stop it on this thread); their results are
   * dropped, and `join()` waits for them.
   */
  terminate(): Promise<void> {
    if (this.#state !== "TERMINATE") {
      this.#state = "TERMINATE";
      this.#failAll(
        new ProcessError(
          "The Pool was terminated before this task finished: terminate() drops queued tasks and the " +
            "results of running ones, so use close() and join() to let them finish",
        ),
      );
      if (this.#workers.size === 0) this.#resolveExited();
    }
    return Promise.resolve();
  }

  /**
   * Waits for the workers to end; call `close()` or `terminate()` first.
   *
   * @returns A promise that resolves once every worker has exited.
   * @throws {ProcessError} If the pool is still running: call `close()` or `terminate()` first.
   */
  join(): Promise<void> {
    if (this.#state === "RUN") {
      throw new ProcessError("Pool is still running: call close() or terminate() before join()");
    }
    return this.#exited;
  }

  /** `await using pool = new Pool()` terminates the pool at the end of the scope, like Python's `with`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.terminate();
  }

  /**
   * Describes the pool: `<Pool state=RUN pool_size=2>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<Pool state=${this.#state} pool_size=${this.#processes}>`;
  }
}

/** Items handed out or waiting, at most, per lazy map (in chunks of `chunksize`). */
const ITEMS_AHEAD = 4096;

interface Chunk {
  ok: boolean;
  value: unknown;
}

let makeIterator: <R>(
  feed: Feed,
  fn: AnyFunction,
  iterable: Iterable<unknown> | AsyncIterable<unknown>,
  chunksize: number,
  ordered: boolean,
) => DummyMapIterator<R>;

/**
 * The async iterator of the dummy `Pool.imap` / `imapUnordered`: it reads the input a
 * bounded distance ahead of the consumer, so endless and async inputs work.
 * `next(timeout)` rejects with `TimeoutError` when no result came in time, keeping the
 * pending one for the next call.
 *
 * @example Stop early
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * function* naturals() {
 *   for (let i = 0;; i++) yield i;
 * }
 * await using pool = new mp.Pool(2);
 * for await (const y of pool.imap((x: number) => 2 * x, naturals())) {
 *   if (y > 10) break;
 * }
 * ```
 */
export class DummyMapIterator<R> implements AsyncIterableIterator<R> {
  #feed!: Feed;
  #fn!: AnyFunction;
  #source!: Iterator<unknown> | AsyncIterator<unknown>;
  #chunksize = 1;
  #ordered = true;
  #limit = 0;
  #done = new Map<number, Chunk>();
  #arrivals: Chunk[] = [];
  #submitted = 0;
  #consumed = 0;
  #current: unknown[] | null = null;
  #pos = 0;
  #exhausted = false;
  #stopped = false;
  #inputError: { error: unknown } | null = null;
  #filling = false;
  #fillAgain = false;
  #wake = new WaitList<void>();
  #chain: Promise<unknown> = Promise.resolve();
  #released = false;

  static {
    makeIterator = <R>(
      feed: Feed,
      fn: AnyFunction,
      iterable: Iterable<unknown> | AsyncIterable<unknown>,
      chunksize: number,
      ordered: boolean,
    ) => {
      const it = new DummyMapIterator<R>(MAKING);
      it.#feed = feed;
      it.#fn = fn;
      const asyncIt = (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator];
      it.#source = typeof asyncIt === "function"
        ? asyncIt.call(iterable)
        : (iterable as Iterable<unknown>)[Symbol.iterator]();
      it.#chunksize = chunksize;
      it.#ordered = ordered;
      it.#limit = Math.max(4 * feed.processes, Math.ceil(ITEMS_AHEAD / chunksize));
      void it.#fill();
      return it;
    };
  }

  /**
   * Made by `Pool.imap` / `imapUnordered`; not for direct use.
   *
   * @param token A private token: the iterator is made by `Pool.imap`.
   * @throws {TypeError} Always, when called directly.
   */
  constructor(token: unknown) {
    if (token !== MAKING) {
      throw new TypeError("DummyMapIterator cannot be constructed directly: use Pool.imap()");
    }
  }

  #settle(index: number, ok: boolean, value: unknown): void {
    if (this.#stopped) return;
    const chunk = { ok, value };
    if (this.#ordered) this.#done.set(index, chunk);
    else this.#arrivals.push(chunk);
    this.#wake.wakeAll();
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#feed.feederDone();
  }

  async #fill(): Promise<void> {
    if (this.#filling) {
      this.#fillAgain = true;
      return;
    }
    this.#filling = true;
    try {
      do {
        this.#fillAgain = false;
        while (!this.#exhausted && !this.#stopped && this.#submitted - this.#consumed < this.#limit) {
          const items: unknown[] = [];
          while (items.length < this.#chunksize) {
            let r: IteratorResult<unknown>;
            try {
              const next = this.#source.next();
              r = isThenable(next) ? await next : next as IteratorResult<unknown>;
            } catch (error) {
              this.#inputError = { error };
              this.#exhausted = true;
              break;
            }
            if (r.done) {
              this.#exhausted = true;
              break;
            }
            items.push(r.value);
          }
          if (items.length > 0 && !this.#stopped) {
            const index = this.#submitted++;
            this.#feed.enqueue(chunkTask(this.#fn, items, false, (ok, v) => this.#settle(index, ok, v)));
          }
        }
      } while (this.#fillAgain);
    } finally {
      this.#filling = false;
      if (this.#exhausted || this.#stopped) this.#release();
      this.#wake.wakeAll();
    }
  }

  #take(): Chunk | undefined {
    if (!this.#ordered) return this.#arrivals.shift();
    const c = this.#done.get(this.#consumed);
    if (c) this.#done.delete(this.#consumed);
    return c;
  }

  async #next(ms: number | undefined): Promise<IteratorResult<R>> {
    const end = ms === undefined ? Infinity : Date.now() + ms;
    for (;;) {
      if (this.#current !== null && this.#pos < this.#current.length) {
        return { value: this.#current[this.#pos++] as R, done: false };
      }
      this.#current = null;
      if (this.#stopped) return { value: undefined, done: true };
      const chunk = this.#take();
      if (chunk) {
        this.#consumed++;
        void this.#fill();
        if (!chunk.ok) throw chunk.value;
        this.#current = chunk.value as unknown[];
        this.#pos = 0;
        continue;
      }
      if (this.#exhausted && !this.#filling && this.#consumed === this.#submitted) {
        this.#stopped = true;
        this.#release();
        if (this.#inputError) throw this.#inputError.error;
        return { value: undefined, done: true };
      }
      const left = end - Date.now();
      if (ms !== undefined && (noWait(ms) || left <= 0)) {
        throw new TimeoutError(
          `next(): no result came within ${ms} ms: call next() again to wait longer (the pending result is kept)`,
        );
      }
      await this.#wake.park(left === Infinity ? undefined : left);
    }
  }

  /**
   * The next result, waiting at most `timeout` ms (undefined: no limit). A task's error
   * is thrown at its place; iterating again goes on with the next results.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to the next result.
   * @throws {TimeoutError} If no result came within `timeout` ms (the pending one is kept).
   * @throws {Error} The error of a task, at its place.
   */
  next(timeout?: number): Promise<IteratorResult<R>> {
    let ms: number | undefined;
    try {
      ms = timeoutMs(timeout, "next()");
    } catch (e) {
      return Promise.reject(e);
    }
    const p = this.#chain.then(() => this.#next(ms));
    this.#chain = p.catch(() => {});
    return p;
  }

  /**
   * Stops reading the input (tasks already queued still run; their results are dropped).
   *
   * @returns A promise that resolves to a done result.
   */
  return(): Promise<IteratorResult<R>> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#done.clear();
      this.#arrivals = [];
      this.#current = null;
      try {
        void this.#source.return?.();
      } catch { /* the input's own cleanup failed: nothing left to read anyway */ }
      if (!this.#filling) this.#release();
      this.#wake.wakeAll();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  /**
   * The iterator itself, for `for await`.
   *
   * @returns This iterator.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<R> {
    return this;
  }
}

const MAKING = Symbol("making");

printable(Pool);
