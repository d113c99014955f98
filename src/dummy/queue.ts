/**
 * The queues of `mp.dummy` (Python's `queue.Queue`, which `multiprocessing.dummy`
 * re-exports as `Queue` and `JoinableQueue`): the real `Queue` API on the calling
 * thread. Items are passed as they are (not copied), so any value works.
 *
 * @module
 */
import { Empty, Full, ProcessError } from "../internal/errors.ts";
import { currentProcess, type DummyProcess } from "./process.ts";
import { noWait, printable, timeoutMs, WaitList, wouldBlock } from "./waiters.ts";

function checkMaxsize(maxsize: unknown): number {
  if (typeof maxsize !== "number" || !Number.isInteger(maxsize)) {
    throw new TypeError(
      `Queue(maxsize): maxsize must be an integer (0 for no limit), got ${String(maxsize)}`,
    );
  }
  return Math.max(0, maxsize);
}

let unfinishedOf: (q: Queue) => number;
let markDone: (q: Queue) => number;

function within(ms: number | undefined): string {
  return ms === undefined ? "" : ms <= 0 ? " (without waiting)" : ` within ${ms} ms`;
}

/**
 * A FIFO queue of `mp.dummy` (Python's `queue.Queue`): the real `Queue`'s API for the
 * async tasks of this thread. Items are not copied: objects, functions, anything can
 * be put. `put` / `get` wait without blocking; `putSync` / `getSync` answer at once
 * when they can (an item is there, there is room) and otherwise throw a `ProcessError`,
 * since only another task of this thread could put or take an item.
 *
 * @example Producer and consumer
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const q = new mp.Queue<string | null>();
 * const producer = new mp.Process({
 *   target: async () => {
 *     for (const item of ["A", "B", "C"]) await q.put(item);
 *     await q.put(null);
 *   },
 * });
 * await producer.start();
 * for (let item = await q.get(5000); item !== null; item = await q.get(5000)) console.log(item);
 * await producer.join();
 * ```
 *
 * @example Timeouts and the non-waiting forms
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const q = new mp.Queue<number>(1);
 * q.putNowait(1);
 * console.log(q.full()); // true
 * try {
 *   await q.put(2, 10);
 * } catch (e) {
 *   console.log(e instanceof mp.Full); // true
 * }
 * console.log(q.getSync()); // 1: an item was there
 * ```
 */
export class Queue<T = unknown> {
  readonly #maxsize: number;
  #items: T[] = [];
  #head = 0;
  #getters = new WaitList<T>();
  #putters: { item: T; wake: WaitList<void> }[] = [];
  /** The dummy processes that called close(): their later calls throw. */
  #closedBy = new Set<DummyProcess>();
  /** Items put and not yet marked done (JoinableQueue's count). */
  #unfinished = 0;

  static {
    unfinishedOf = (q) => q.#unfinished;
    markDone = (q) => --q.#unfinished;
  }

  /**
   * Creates a queue holding at most `maxsize` items (0 or less: no limit).
   *
   * @param maxsize The most items it holds (0 or less: no limit).
   * @throws {TypeError} If `maxsize` is not an integer.
   */
  constructor(maxsize: number = 0) {
    this.#maxsize = checkMaxsize(maxsize);
  }

  /** The type a manager's proxy would name: `"Queue"` or `"JoinableQueue"`. */
  get typeid(): string {
    return this instanceof JoinableQueue ? "JoinableQueue" : "Queue";
  }

  /** The queue's `maxsize` (0: no limit). */
  get maxsize(): number {
    return this.#maxsize;
  }

  #size(): number {
    return this.#items.length - this.#head;
  }

  #hasRoom(): boolean {
    return this.#maxsize === 0 || this.#size() < this.#maxsize;
  }

  /** Hands `item` to a waiting getter, or stores it. Only when there is room or a getter. */
  #deliver(item: T): void {
    this.#unfinished++;
    if (this.#getters.wakeOne(item)) return;
    this.#items.push(item);
  }

  #take(): T {
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined as T;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    // Room came: the longest-waiting putter puts its item now.
    const putter = this.#putters.shift();
    if (putter !== undefined) {
      this.#deliver(putter.item);
      putter.wake.wakeOne();
    }
    return item;
  }

  #tryPut(item: T): boolean {
    if (this.#getters.length > 0 || this.#hasRoom()) {
      this.#deliver(item);
      return true;
    }
    return false;
  }

  #full(ms: number | undefined): Full {
    return new Full(
      `The queue is full (maxsize ${this.#maxsize}): no room came${
        within(ms)
      }: wait longer, or take items out`,
    );
  }

  #empty(ms: number | undefined): Empty {
    return new Empty(`The queue is empty: no item came${within(ms)}`);
  }

  /**
   * Puts `item` at the end of the queue, waiting at most `timeout` ms for room
   * (`undefined`: as long as it takes). Rejects with {@linkcode Full} when there was no
   * room in time.
   *
   * @param item The item to put.
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves once the item is in the queue.
   * @throws {Full} If there was no room within `timeout` ms.
   * @throws {ProcessError} If this process closed the queue.
   */
  async put(item: T, timeout?: number): Promise<void> {
    this.#check("put");
    const ms = timeoutMs(timeout, "Queue.put()");
    if (this.#tryPut(item)) return;
    if (noWait(ms)) throw this.#full(ms);
    const entry = { item, wake: new WaitList<void>() };
    this.#putters.push(entry);
    const r = await entry.wake.park(ms);
    if (r.woken) return;
    const i = this.#putters.indexOf(entry);
    if (i >= 0) this.#putters.splice(i, 1);
    throw this.#full(ms);
  }

  /**
   * Puts `item` when there is room (always, without a `maxsize`); throws {@linkcode Full}
   * with a timeout of 0 or less when the queue is full, and otherwise a `ProcessError`
   * at once: only another task of this thread could make room.
   *
   * @param item The item to put.
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @throws {Full} If the queue is full and `timeout` is 0 or less.
   * @throws {ProcessError} If the queue is full otherwise (only another task could make room), or this process closed it.
   */
  putSync(item: T, timeout?: number): void {
    this.#check("putSync");
    const ms = timeoutMs(timeout, "Queue.putSync()");
    if (this.#tryPut(item)) return;
    if (noWait(ms)) throw this.#full(ms);
    throw wouldBlock("Queue.putSync()", `the queue is full (maxsize ${this.#maxsize})`, "await q.put(item)");
  }

  /**
   * Puts `item` only if there is room now; throws {@linkcode Full} otherwise.
   *
   * @param item The item to put.
   * @throws {Full} If the queue is full.
   * @throws {ProcessError} If this process closed the queue.
   */
  putNowait(item: T): void {
    this.#check("putNowait");
    if (!this.#tryPut(item)) throw this.#full(0);
  }

  /**
   * Takes the item at the front, waiting at most `timeout` ms for one (`undefined`: as
   * long as it takes). Rejects with {@linkcode Empty} when none came in time.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to the item at the front.
   * @throws {Empty} If no item came within `timeout` ms.
   * @throws {ProcessError} If this process closed the queue.
   */
  async get(timeout?: number): Promise<T> {
    this.#check("get");
    const ms = timeoutMs(timeout, "Queue.get()");
    if (this.#size() > 0) return this.#take();
    if (noWait(ms)) throw this.#empty(ms);
    const r = await this.#getters.park(ms);
    if (r.woken) return r.value;
    throw this.#empty(ms);
  }

  /**
   * Takes the item at the front if there is one; throws {@linkcode Empty} with a
   * timeout of 0 or less when there is none, and otherwise a `ProcessError` at once:
   * only another task of this thread could put one.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns The item at the front.
   * @throws {Empty} If the queue is empty and `timeout` is 0 or less.
   * @throws {ProcessError} If the queue is empty otherwise (only another task could put one), or this process closed it.
   */
  getSync(timeout?: number): T {
    this.#check("getSync");
    const ms = timeoutMs(timeout, "Queue.getSync()");
    if (this.#size() > 0) return this.#take();
    if (noWait(ms)) throw this.#empty(ms);
    throw wouldBlock("Queue.getSync()", "the queue is empty", "await q.get()");
  }

  /**
   * Takes an item only if one is there now; throws {@linkcode Empty} otherwise.
   *
   * @returns The item at the front.
   * @throws {Empty} If the queue is empty.
   * @throws {ProcessError} If this process closed the queue.
   */
  getNowait(): T {
    this.#check("getNowait");
    if (this.#size() > 0) return this.#take();
    throw this.#empty(0);
  }

  /**
   * The number of items in the queue.
   *
   * @returns The number of items.
   */
  qsize(): number {
    return this.#size();
  }

  /**
   * Whether the queue is empty.
   *
   * @returns `true` if the queue holds no item.
   */
  empty(): boolean {
    return this.#size() === 0;
  }

  /**
   * Whether the queue holds `maxsize` items (always false without a limit).
   *
   * @returns `true` if the queue holds `maxsize` items.
   */
  full(): boolean {
    return this.#maxsize > 0 && this.#size() >= this.#maxsize;
  }

  /**
   * Ends the calling dummy process's use of the queue, as the real `close()` ends this
   * process's: its later `put` / `get` throw. Other dummy processes (and their calls)
   * are not affected.
   */
  close(): void {
    this.#closedBy.add(currentProcess());
  }

  /**
   * Describes the queue: `<Queue(size=2, maxsize=0)>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<${this.constructor.name}(size=${this.#size()}, maxsize=${this.#maxsize}${
      this.#closedBy.has(currentProcess()) ? ", closed" : ""
    })>`;
  }

  #check(method: string): void {
    if (this.#closedBy.has(currentProcess())) {
      throw new ProcessError(
        `Queue.${method}(): this Queue was closed in ${currentProcess().name} (close() was called there)`,
      );
    }
  }
}

/**
 * A dummy {@linkcode Queue} whose items count as tasks (Python's `queue.Queue`, which
 * `multiprocessing.dummy` also exports as `JoinableQueue`): each `put` adds one, each
 * {@linkcode JoinableQueue.taskDone} marks one done, and {@linkcode JoinableQueue.join}
 * waits until all are done.
 *
 * @example Wait until every task is processed
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const q = new mp.JoinableQueue<number>();
 * const worker = new mp.Process({
 *   target: async () => {
 *     for (;;) {
 *       const n = await q.get();
 *       if (n < 0) break;
 *       console.log("processed", n);
 *       q.taskDone();
 *     }
 *   },
 * });
 * await worker.start();
 * for (let i = 0; i < 3; i++) await q.put(i);
 * console.log(await q.join(5000)); // true: every item taken and marked done
 * q.putNowait(-1);
 * await worker.join();
 * ```
 */
export class JoinableQueue<T = unknown> extends Queue<T> {
  #done = new WaitList<void>();

  /**
   * Marks one task taken with `get` as done. Throws a `ProcessError` if called more
   * times than items were put.
   *
   * @throws {ProcessError} If called more times than items were taken.
   */
  taskDone(): void {
    if (unfinishedOf(this) <= 0) {
      throw new ProcessError(
        "JoinableQueue.taskDone(): called too many times: every call must match one item taken from the queue",
      );
    }
    if (markDone(this) === 0) this.#done.wakeAll();
  }

  /**
   * Waits until every item put has been marked done, at most `timeout` ms; resolves `true` if so.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to `true` once every item is done, `false` on timeout.
   */
  async join(timeout?: number): Promise<boolean> {
    const ms = timeoutMs(timeout, "JoinableQueue.join()");
    if (unfinishedOf(this) === 0) return true;
    if (noWait(ms)) return false;
    return (await this.#done.park(ms)).woken;
  }

  /**
   * `true` when every item is done, `false` with a timeout of 0 or less when some are
   * not; otherwise throws a `ProcessError` at once: use `await q.join()`.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns `true` if every item is done, `false` if not and `timeout` is 0 or less.
   * @throws {ProcessError} If some item is not done and `timeout` is above 0: only another task could mark it.
   */
  joinSync(timeout?: number): boolean {
    const ms = timeoutMs(timeout, "JoinableQueue.joinSync()");
    if (unfinishedOf(this) === 0) return true;
    if (noWait(ms)) return false;
    throw wouldBlock(
      "JoinableQueue.joinSync()",
      `${unfinishedOf(this)} items are not marked done yet`,
      "await q.join()",
    );
  }
}

printable(Queue);
