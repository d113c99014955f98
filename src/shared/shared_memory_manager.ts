/**
 * `SharedMemoryManager`: Python's `multiprocessing.managers.SharedMemoryManager`, which
 * creates `SharedMemory` blocks and `ShareableList`s and frees them all at shutdown.
 * The blocks live in the process tree's arena, so no server process is needed: the
 * manager remembers the names it created and unlinks them.
 *
 * @module
 */
import { ProcessError } from "../internal/errors.ts";
import { inspectable } from "../internal/_inspect.ts";
import { SharedMemory } from "./shared_memory.ts";
import { type ShareableItem, ShareableList } from "./shareable_list.ts";

/**
 * Makes shared memory blocks and lists, and unlinks every one of them at shutdown (or
 * when an `await using` / `using` block ends), like Python's `SharedMemoryManager`.
 * Blocks it made can be passed to children as usual; they are freed once every
 * handle is closed after shutdown.
 *
 * @example Blocks freed on shutdown
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * await using smm = new mp.SharedMemoryManager();
 * await smm.start();
 * const sl = smm.ShareableList([1, 2, 3]);
 * const shm = smm.SharedMemory(128);
 * console.log(sl.length, shm.size); // 3 128
 * ```
 */
export class SharedMemoryManager implements AsyncDisposable, Disposable {
  #state: "initial" | "started" | "shutdown" = "initial";
  #blocks: SharedMemory[] = [];

  /**
   * Starts the manager (nothing to spawn: kept for Python's API); returns it.
   *
   * @returns A promise that resolves to this manager.
   * @throws {ProcessError} If the manager was shut down (as a rejection).
   */
  start(): Promise<this> {
    if (this.#state === "shutdown") {
      return Promise.reject(
        new ProcessError("SharedMemoryManager.start(): the manager was shut down: create a new one"),
      );
    }
    this.#state = "started";
    return Promise.resolve(this);
  }

  /**
   * A new block of `size` bytes, freed at shutdown.
   *
   * @param size The block's size in bytes (> 0).
   * @returns The block.
   * @throws {ProcessError} Before `start()` or after `shutdown()`.
   */
  SharedMemory(size: number): SharedMemory {
    this.#check("SharedMemory");
    const shm = new SharedMemory({ create: true, size });
    this.#blocks.push(shm);
    return shm;
  }

  /**
   * A new `ShareableList` holding `sequence`, freed at shutdown.
   *
   * @param sequence The items (numbers, bigints, booleans, strings, bytes, null).
   * @returns The list.
   * @throws {ProcessError} Before `start()` or after `shutdown()`.
   */
  ShareableList(sequence: Iterable<ShareableItem>): ShareableList {
    this.#check("ShareableList");
    const list = new ShareableList(sequence);
    this.#blocks.push(list.shm);
    return list;
  }

  /** The names of the blocks this manager made and has not freed yet. */
  get names(): string[] {
    return this.#blocks.map((b) => b.name);
  }

  /** Unlinks every block this manager made (their memory goes once all handles close). */
  shutdown(): Promise<void> {
    this.shutdownSync();
    return Promise.resolve();
  }

  /** Blocking {@linkcode SharedMemoryManager.shutdown} (it never waits). */
  shutdownSync(): void {
    if (this.#state === "shutdown") return;
    this.#state = "shutdown";
    for (const block of this.#blocks.splice(0)) {
      try {
        block.unlink();
      } catch { /* already unlinked by its user */ }
      block.close();
    }
  }

  /** Shuts the manager down (`await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  /** Shuts the manager down (`using`). */
  [Symbol.dispose](): void {
    this.shutdownSync();
  }

  /**
   * A one-line description: `<SharedMemoryManager started blocks=2>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<SharedMemoryManager ${this.#state} blocks=${this.#blocks.length}>`;
  }

  #check(what: string): void {
    if (this.#state === "initial") {
      throw new ProcessError(
        `SharedMemoryManager.${what}(): the manager is not started: call await smm.start() first`,
      );
    }
    if (this.#state === "shutdown") {
      throw new ProcessError(`SharedMemoryManager.${what}(): the manager was shut down: create a new one`);
    }
  }
}

inspectable(SharedMemoryManager);
