/**
 * `Queue`: Python's `multiprocessing.Queue`, a thin layer over the shared channel.
 *
 * @module
 */
import { runAsync, runSync, type Steps } from "../sync/_steps.ts";
import { Channel, SLOW } from "./_channel.ts";
import { deadline, type Failures, getItem, Later, putPayload, within } from "./_items.ts";
import { deserializeAt, serialize } from "../internal/_serializer.ts";
import { registerReadable } from "../internal/_readable.ts";
import { adopt, adoptedState, registerShared, SHARE, type SharedHandle } from "../internal/_codec.ts";
import { Empty, Full, ProcessError } from "../internal/errors.ts";
import { inspectable } from "../internal/_inspect.ts";

/** Options of {@linkcode Queue} beyond Python's `maxsize`. */
export interface QueueOptions {
  /**
   * Bytes of items the queue holds in shared memory (default 1 MiB, rounded up to a
   * power of two). Items larger than this still pass, in pieces, while a consumer
   * takes them; `put` waits when the bytes in transit would exceed it.
   */
  capacity?: number;
}

/** Internal creation flag of JoinableQueue (not part of the public options). */
export const JOINABLE: unique symbol = Symbol("joinable");

let channelOf: (q: Queue) => Channel;

/**
 * Revives a queue of class `ctor` (Queue or a subclass), made by `make`, over the
 * existing channel in `buffer` (when it arrives in a child).
 */
export function adoptQueue<Q extends Queue>(
  ctor: abstract new (...args: never[]) => Q,
  make: () => Q,
  buffer: SharedArrayBuffer,
): Q {
  return adopt(ctor, new Channel(buffer), make);
}

/** The channel under a queue (for the subclasses' extra methods). */
export function queueChannel(q: Queue): Channel {
  return channelOf(q);
}

/** The largest `maxsize` (Python's `SEM_VALUE_MAX` on Linux; the count is one 32-bit word). */
const MAX_MAXSIZE = 2 ** 31 - 1;

function checkMaxsize(maxsize: unknown): number {
  if (typeof maxsize !== "number" || !Number.isInteger(maxsize)) {
    throw new TypeError(
      `Queue(maxsize): maxsize must be an integer (0 for no limit), got ${String(maxsize)}`,
    );
  }
  if (maxsize > MAX_MAXSIZE) {
    throw new RangeError(
      `Queue(maxsize): maxsize must be at most ${MAX_MAXSIZE}, got ${maxsize}: use 0 for no limit`,
    );
  }
  return Math.max(0, maxsize);
}

function checkCapacity(capacity: unknown): number | undefined {
  if (capacity === undefined) return undefined;
  if (typeof capacity !== "number" || !Number.isInteger(capacity) || capacity < 0) {
    throw new TypeError(
      `Queue(maxsize, { capacity }): capacity must be a whole number of bytes, got ${String(capacity)}: ` +
        "leave it out for the default (1 MiB)",
    );
  }
  return capacity;
}

/**
 * A FIFO queue shared between processes, like Python's `multiprocessing.Queue`. Pass
 * it to children in `Process` args; any number of producers and consumers may use it,
 * every item is delivered exactly once, in order per producer.
 *
 * Items are copied (structured clone semantics); an item that cannot be copied throws
 * at `put`. The `*Sync` methods block the thread with `Atomics.wait` (on the main
 * thread too, where they also block the event loop).
 *
 * @example Producer and consumer
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export async function produce(q: mp.Queue<string | null>) {
 *   for (const item of ["A", "B", "C"]) await q.put(item);
 *   await q.put(null);
 * }
 *
 * if (import.meta.main) {
 *   const q = new mp.Queue<string | null>();
 *   const p = new mp.Process({ target: produce, args: [q] });
 *   await p.start();
 *   for (let item = await q.get(); item !== null; item = await q.get()) console.log(item);
 *   await p.join();
 * }
 * ```
 *
 * @example Timeouts
 * ```ts
 * import { Empty, Queue } from "@mp/multiprocessing";
 * const q = new Queue<number>(1);
 * q.putNowait(1);
 * console.log(q.full()); // true
 * console.log(await q.get(100)); // 1
 * try {
 *   await q.get(10);
 * } catch (e) {
 *   console.log(e instanceof Empty); // true
 * }
 * ```
 */
export class Queue<T = unknown> {
  readonly #channel: Channel;
  #closed = false;

  static {
    channelOf = (q) => q.#channel;
  }

  /**
   * Creates a queue holding at most `maxsize` items (0 or less: no limit), in a
   * shared ring of `options.capacity` bytes.
   *
   * @param maxsize The most items the queue holds, an integer; 0 or less for no limit.
   * @param options `capacity`: bytes of the shared ring (default 1 MiB).
   * @throws {TypeError} If `maxsize` is not an integer, or `capacity` not a whole number of bytes.
   * @throws {RangeError} If `maxsize` is above 2 ** 31 - 1 (Python's `SEM_VALUE_MAX`).
   */
  constructor(maxsize: number = 0, options: QueueOptions = {}) {
    this.#channel = adoptedState<Channel>(new.target) ?? Channel.create({
      maxsize: checkMaxsize(maxsize),
      capacity: checkCapacity(options.capacity),
      joinable: (options as { [JOINABLE]?: boolean })[JOINABLE] === true,
    });
    registerReadable(this, { channel: this.#channel, check: () => this.#check("wait on") });
  }

  /**
   * Puts `item` at the end of the queue, waiting at most `timeout` ms for room
   * (`undefined`: as long as it takes). Rejects with {@linkcode Full} when there was
   * no room in time, and at once when `item` cannot be copied.
   *
   * @param item The item; it is copied.
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes,
   *   `0` or less does not wait.
   * @returns A promise that resolves once the item is in the queue.
   * @throws {Full} If there was no room within `timeout` ms (no room under `maxsize`, or
   *   in the shared ring).
   * @throws {ProcessError} If `item` cannot be copied (a function that is not an export,
   *   a shared object of this package, …), or this object was closed.
   * @throws {TypeError} If `timeout` is neither `undefined` nor a number.
   */
  put(item: T, timeout?: number): Promise<void> {
    try {
      const steps = this.#put(item, timeout, "put");
      return steps === null ? Promise.resolve() : runAsync(steps);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Blocking {@linkcode Queue.put}. Throws {@linkcode Full} when there was no room in time.
   *
   * @param item The item; it is copied.
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes,
   *   `0` or less does not wait.
   * @throws {Full} If there was no room within `timeout` ms (no room under `maxsize`, or
   *   in the shared ring).
   * @throws {ProcessError} If `item` cannot be copied (a function that is not an export,
   *   a shared object of this package, …), or this object was closed.
   * @throws {TypeError} If `timeout` is neither `undefined` nor a number.
   */
  putSync(item: T, timeout?: number): void {
    const steps = this.#put(item, timeout, "putSync");
    if (steps !== null) runSync(steps);
  }

  /**
   * Puts `item` only if there is room now; throws {@linkcode Full} otherwise.
   *
   * @param item The item; it is copied.
   * @throws {Full} If there is no room now.
   * @throws {ProcessError} If `item` cannot be copied, or this object was closed.
   */
  putNowait(item: T): void {
    const steps = this.#put(item, 0, "putNowait");
    if (steps !== null) runSync(steps);
  }

  /**
   * Takes the item at the front, waiting at most `timeout` ms for one (`undefined`:
   * as long as it takes). Rejects with {@linkcode Empty} when none came in time.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes,
   *   `0` or less does not wait.
   * @returns A promise that resolves to the item.
   * @throws {Empty} If no item came within `timeout` ms.
   * @throws {ProcessError} If this object was closed.
   * @throws {TypeError} If `timeout` is neither `undefined` nor a number.
   */
  get(timeout?: number): Promise<T> {
    try {
      const got = this.#get(timeout, "get");
      return got instanceof Later ? runAsync(got.steps) : Promise.resolve(got);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Blocking {@linkcode Queue.get}. Throws {@linkcode Empty} when no item came in time.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes,
   *   `0` or less does not wait.
   * @returns The item.
   * @throws {Empty} If no item came within `timeout` ms.
   * @throws {ProcessError} If this object was closed.
   * @throws {TypeError} If `timeout` is neither `undefined` nor a number.
   */
  getSync(timeout?: number): T {
    const got = this.#get(timeout, "getSync");
    return got instanceof Later ? runSync(got.steps) : got;
  }

  /**
   * Takes an item only if one is there now; throws {@linkcode Empty} otherwise.
   *
   * @returns The item.
   * @throws {Empty} If no item is there now.
   * @throws {ProcessError} If this object was closed.
   */
  getNowait(): T {
    const got = this.#get(0, "getNowait");
    return got instanceof Later ? runSync(got.steps) : got;
  }

  /**
   * The approximate number of items in the queue (others may put or get meanwhile).
   *
   * @returns The number of items put and not yet taken.
   */
  qsize(): number {
    return this.#channel.size();
  }

  /**
   * A one-line description, like Python's repr: `<Queue qsize=2 maxsize=0>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<${this.constructor.name} qsize=${this.qsize()} maxsize=${this.#channel.maxsize}>`;
  }

  /**
   * Whether the queue is empty (approximate, as in Python).
   *
   * @returns `true` if no item is in the queue now.
   */
  empty(): boolean {
    return this.#channel.size() === 0;
  }

  /**
   * Whether the queue holds `maxsize` items (always false without a limit).
   *
   * @returns `true` if the queue holds `maxsize` items or more.
   */
  full(): boolean {
    const max = this.#channel.maxsize;
    return max > 0 && this.#channel.size() >= max;
  }

  /**
   * Ends this process's use of the queue: later `put` / `get` on this object throw.
   * Other processes (and other objects for the same queue) are not affected.
   */
  close(): void {
    this.#closed = true;
  }

  /**
   * The handle this queue travels as (codec).
   * @ignore
   */
  [SHARE](): SharedHandle {
    this.#check("send");
    return { type: "Queue", module: import.meta.url, state: this.#channel.buffer };
  }

  /**
   * Puts `item` at once when nothing stands in the way (`null`: done), else returns
   * the steps that wait for the write mutex or for room. A bad item or timeout throws
   * here, before anything is written.
   */
  #put(item: T, timeout: number | undefined, method: string): Steps<void> | null {
    this.#check(method);
    const d = timeout === undefined ? FOREVER : deadline(timeout, `Queue.${method}()`);
    const payload = serialize(item, "the queue");
    if (this.#channel.tryWrite(payload) === "ok") return null;
    return putPayload(this.#channel, payload, d.timeout, d.deadline, this.#failures);
  }

  /** Takes the front item at once when nothing stands in the way, else the steps that wait for one. */
  #get(timeout: number | undefined, method: string): T | Later<T> {
    this.#check(method);
    const d = timeout === undefined ? FOREVER : deadline(timeout, `Queue.${method}()`);
    const item = this.#channel.tryRead(deserializeAt);
    if (item !== SLOW) return item as T;
    return new Later(getItem(this.#channel, d.timeout, d.deadline, EMPTY_FAILURES) as Steps<T>);
  }

  #failures: Failures = { full: (timeout) => this.#full(timeout) };

  #full(timeout: number | undefined): Error {
    const max = this.#channel.maxsize;
    return new Full(
      max > 0 && this.#channel.size() >= max
        ? `The queue is full (maxsize ${max}): no room came${within(timeout)}: wait longer, or take items out`
        : `The queue's shared ring (${this.#channel.capacity} bytes) had no room for the item${
          within(timeout)
        }: consumers must take items out, or create the queue with a larger { capacity }`,
    );
  }

  #check(method: string): void {
    if (this.#closed) {
      throw new ProcessError(`Queue.${method}(): this Queue was closed in this process (close() was called)`);
    }
  }
}

function queueEmpty(timeout: number | undefined): Error {
  return new Empty(`The queue is empty: no item came${within(timeout)}`);
}

const EMPTY_FAILURES: Failures = { empty: queueEmpty };

/** No timeout: wait as long as it takes. */
const FOREVER = { timeout: undefined, deadline: Infinity };

registerShared("Queue", (buffer) => adoptQueue(Queue, () => new Queue(), buffer as SharedArrayBuffer));

inspectable(Queue);
