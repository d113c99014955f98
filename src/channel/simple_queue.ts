/**
 * `SimpleQueue`: Python's `multiprocessing.SimpleQueue`, a thin layer over the shared
 * channel with no size limit and no timeouts.
 *
 * @module
 */
import { readableOf, registerReadable } from "../internal/_readable.ts";
import { adoptQueue, Queue } from "./queue.ts";
import { adopt, adoptedState, registerShared, SHARE, type SharedHandle } from "../internal/_codec.ts";
import { inspectable } from "../internal/_inspect.ts";

/**
 * A simplified queue, like Python's `multiprocessing.SimpleQueue`: `put`, `get`,
 * `empty` and `close` (+ `*Sync`). It travels to children in `Process` args.
 *
 * @example
 * ```ts
 * import { SimpleQueue } from "@mp/multiprocessing";
 * const q = new SimpleQueue<string>();
 * await q.put("hello");
 * console.log(q.empty()); // false
 * console.log(await q.get()); // "hello"
 * q.close();
 * ```
 */
export class SimpleQueue<T = unknown> {
  readonly #queue: Queue<T>;

  /** Creates the queue. */
  constructor() {
    this.#queue = adoptedState<Queue<T>>(new.target) ?? new Queue<T>();
    registerReadable(this, readableOf(this.#queue)!);
  }

  /**
   * Puts `item` at the end (waits only while the shared ring is full).
   *
   * @param item The item; it is copied.
   * @returns A promise that resolves once the item is in the queue.
   * @throws {ProcessError} If `item` cannot be copied, or this object was closed.
   */
  put(item: T): Promise<void> {
    return this.#queue.put(item);
  }

  /**
   * Blocking {@linkcode SimpleQueue.put}.
   *
   * @param item The item; it is copied.
   * @throws {ProcessError} If `item` cannot be copied, or this object was closed.
   */
  putSync(item: T): void {
    this.#queue.putSync(item);
  }

  /**
   * Takes the item at the front, waiting as long as it takes.
   *
   * @returns A promise that resolves to the item.
   * @throws {ProcessError} If this object was closed.
   */
  get(): Promise<T> {
    return this.#queue.get();
  }

  /**
   * Blocking {@linkcode SimpleQueue.get}.
   *
   * @returns The item.
   * @throws {ProcessError} If this object was closed.
   */
  getSync(): T {
    return this.#queue.getSync();
  }

  /**
   * A one-line description, like Python's repr: `<SimpleQueue empty>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<SimpleQueue${this.empty() ? " empty" : ""}>`;
  }

  /**
   * Whether the queue is empty.
   *
   * @returns `true` if no item is in the queue now.
   */
  empty(): boolean {
    return this.#queue.empty();
  }

  /** Ends this process's use of the queue: later `put` / `get` on this object throw. */
  close(): void {
    this.#queue.close();
  }

  /**
   * The handle this queue travels as (codec).
   * @ignore
   */
  [SHARE](): SharedHandle {
    return { ...this.#queue[SHARE](), type: "SimpleQueue", module: import.meta.url };
  }
}

registerShared("SimpleQueue", (buffer) => {
  const queue = adoptQueue(Queue, () => new Queue(), buffer as SharedArrayBuffer);
  return adopt(SimpleQueue, queue, () => new SimpleQueue());
});

inspectable(SimpleQueue);
