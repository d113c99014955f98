/**
 * `SharedMemory`: named blocks of bytes that any process of the tree can attach to.
 *
 * @module
 */
import {
  attachBlock,
  blockBytes,
  type BlockRef,
  closeBlock,
  createBlock,
  reopenBlock,
  unlinkBlock,
} from "./_arena.ts";
import { adopt, adoptedState, registerShared, SHARE, type SharedHandle } from "../internal/_codec.ts";
import { ProcessError } from "../internal/errors.ts";
import { inspectable } from "../internal/_inspect.ts";

/** Options of {@linkcode SharedMemory}. */
export interface SharedMemoryOptions {
  /** The block's name; with `create` and no name, a fresh unique one (`psm_…`). */
  name?: string;
  /** Create a new block (`true`) or attach to an existing one (default `false`). */
  create?: boolean;
  /** Size in bytes of a new block (> 0); ignored when attaching. */
  size?: number;
}

function freshName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return "psm_" + [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function checkOptions(options: SharedMemoryOptions): { name?: string; create: boolean; size: number } {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `SharedMemory(options): options must be an object like { name, create, size }, got ${String(options)}`,
    );
  }
  const { name, create = false, size = 0 } = options;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`SharedMemory(): size must be a positive integer, got ${String(size)}`);
  }
  if (create && size === 0) {
    throw new RangeError(
      "SharedMemory(): size must be a positive number different from zero to create a block",
    );
  }
  if (!create && name === undefined) {
    throw new TypeError("SharedMemory(): name can only be left out with create: true");
  }
  return { name, create: Boolean(create), size };
}

let closedTest: (shm: SharedMemory) => boolean;

/**
 * Whether `shm` was closed (for the views built on a block, such as `ShareableList`,
 * which must not touch its bytes after that; not part of the public API).
 *
 * @param shm The handle.
 * @returns `true` once `shm.close()` was called.
 */
export function isClosed(shm: SharedMemory): boolean {
  return closedTest(shm);
}

/**
 * A block of shared bytes with a name (Python's
 * `multiprocessing.shared_memory.SharedMemory`): create it in one process, attach to
 * it by name in any process of the tree (or pass it in `args`), and read and write
 * `buf`. `close()` ends this handle's use; `unlink()` removes the name, and the
 * memory is freed once every handle is closed. `using` closes it.
 *
 * Errors, as Python's: attaching to a missing name throws an error with
 * `code: "ENOENT"` (Python's FileNotFoundError), creating a name that exists one with
 * `code: "EEXIST"` (FileExistsError), a bad size a `RangeError` (ValueError).
 *
 * The blocks live in one growable buffer shared by the process tree: in all they may
 * reach the size the runtime lets it reserve (4 GiB on 64-bit Deno and Bun).
 *
 * @example Create, attach by name, clean up
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export function fill(name: string) {
 *   using shm = new mp.SharedMemory({ name });
 *   shm.buf.set([1, 2, 3]);
 * }
 *
 * if (import.meta.main) {
 *   const shm = new mp.SharedMemory({ create: true, size: 16 });
 *   const p = new mp.Process({ target: fill, args: [shm.name] });
 *   await p.start();
 *   await p.join();
 *   console.log(shm.buf.subarray(0, 3)); // Uint8Array(3) [ 1, 2, 3 ]
 *   shm.close();
 *   shm.unlink();
 * }
 * ```
 */
export class SharedMemory {
  #ref: BlockRef;
  #buf: Uint8Array<SharedArrayBuffer> | null;

  static {
    closedTest = (shm) => shm.#buf === null;
  }

  /**
   * Creates a block (`{ create: true, size, name? }`) or attaches to the block named
   * `name` (`{ name }`, or the name alone).
   *
   * @param options `{ create: true, size, name? }` to create a block of `size` bytes,
   *   `{ name }` or the name itself to attach to an existing one.
   * @throws {TypeError} If `options` is not an object or a string, `name` is left out
   *   without `create`, or `name` is not a non-empty string.
   * @throws {RangeError} If `size` is not an integer >= 0, is 0 with `create`, or would
   *   exceed the memory the process tree may reserve (`code: "ENOMEM"`); or `name` is
   *   too long.
   * @throws {ProcessError} With `code: "ENOENT"` when attaching to a name that does not
   *   exist, `code: "EEXIST"` when creating one that does.
   */
  constructor(options: SharedMemoryOptions | string) {
    const adopted = adoptedState<BlockRef>(new.target);
    if (adopted) {
      this.#ref = adopted;
    } else {
      const { name, create, size } = checkOptions(typeof options === "string" ? { name: options } : options);
      this.#ref = create ? createBlock(name ?? freshName(), size) : attachBlock(name!);
    }
    this.#buf = blockBytes(this.#ref);
  }

  /**
   * The bytes of the block (throws once closed).
   *
   * @throws {ProcessError} Once this handle is closed.
   */
  get buf(): Uint8Array<SharedArrayBuffer> {
    if (this.#buf === null) {
      throw new ProcessError(
        `SharedMemory ${JSON.stringify(this.#ref.name)} is closed: attach to it again to use it`,
      );
    }
    return this.#buf;
  }

  /** The block's name, to attach to it from another process. */
  get name(): string {
    return this.#ref.name;
  }

  /** The block's size in bytes. */
  get size(): number {
    return this.#ref.size;
  }

  /**
   * Ends this handle's use of the block; later calls do nothing. After it, `buf`
   * throws.
   */
  close(): void {
    if (this.#buf === null) return;
    this.#buf = null;
    closeBlock(this.#ref);
  }

  /**
   * Removes the block's name: it can no longer be attached to, and its memory is freed
   * once every handle is closed. Throws (`code: "ENOENT"`) if it was already unlinked.
   *
   * @throws {ProcessError} With `code: "ENOENT"` if the block was already unlinked.
   */
  unlink(): void {
    unlinkBlock(this.#ref);
  }

  /** Closes the handle (`using shm = new SharedMemory(...)`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Describes the block: `SharedMemory("psm_…", size=16)`, with `, closed` once closed.
   *
   * @returns The description.
   */
  toString(): string {
    return `SharedMemory(${JSON.stringify(this.#ref.name)}, size=${this.#ref.size}${
      this.#buf === null ? ", closed" : ""
    })`;
  }

  /**
   * The handle this block travels as (codec); the receiver opens its own handle.
   * @ignore
   */
  [SHARE](): SharedHandle {
    return { type: "SharedMemory", module: import.meta.url, state: { ...this.#ref } };
  }
}

registerShared("SharedMemory", (state) => {
  const ref = state as BlockRef;
  reopenBlock(ref);
  return adopt(SharedMemory, ref, () => new SharedMemory({}));
});

inspectable(SharedMemory);
