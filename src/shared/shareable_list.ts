/**
 * `ShareableList`: a fixed-length list of small values (numbers, bigints, booleans,
 * strings, bytes, null) stored in a {@linkcode SharedMemory} block.
 *
 * Layout of the block: Int32 `n`, then per item four Int32 (type, data offset,
 * capacity in bytes, length in bytes), then the items' data, each slot 8-byte aligned.
 *
 * @module
 */
import { adopt, adoptedState, registerShared, SHARE, type SharedHandle } from "../internal/_codec.ts";
import { checkIndex, indexed } from "./_indexed.ts";
import { isClosed, SharedMemory } from "./shared_memory.ts";
import { ProcessError } from "../internal/errors.ts";
import { inspectable } from "../internal/_inspect.ts";

/** What a ShareableList item can be. */
export type ShareableItem = number | bigint | boolean | string | Uint8Array | null;

/** Options of {@linkcode ShareableList}. */
export interface ShareableListOptions {
  /** The name of the block: to attach (no sequence) or to create (with a sequence). */
  name?: string;
}

const NULL = 0, NUMBER = 1, BIGINT = 2, BOOLEAN = 3, STRING = 4, BYTES = 5;
const FORMAT = ["x", "d", "q", "?", "s", "y"];
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function round8(n: number): number {
  return Math.max(8, Math.ceil(n / 8) * 8);
}

/** The type code and the bytes (for strings and bytes) of an item. */
function encodeItem(v: unknown, where: string): [number, Uint8Array | null] {
  if (v === null || v === undefined) return [NULL, null];
  switch (typeof v) {
    case "number":
      return [NUMBER, null];
    case "bigint":
      if (v !== BigInt.asIntN(64, v)) throw new RangeError(`${where}: ${v}n does not fit in 64 bits`);
      return [BIGINT, null];
    case "boolean":
      return [BOOLEAN, null];
    case "string":
      return [STRING, encoder.encode(v)];
  }
  if (v instanceof Uint8Array) return [BYTES, v];
  throw new TypeError(
    `${where}: a ShareableList holds numbers, bigints, booleans, strings, Uint8Array bytes and null, got ${
      typeof v === "object" ? (v.constructor?.name ?? "object") : typeof v
    }`,
  );
}

function same(a: ShareableItem, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  return a === b;
}

/**
 * A list of fixed length whose items live in shared memory (Python's
 * `multiprocessing.shared_memory.ShareableList`): numbers, bigints, booleans, strings,
 * `Uint8Array` bytes and `null`. Create it from a sequence; attach to it by name
 * (`new ShareableList(null, { name })`) or pass it in `args`. Items can be replaced
 * by any value that fits their slot: a string or bytes slot holds as many bytes as
 * the item it was created with (rounded up to 8), a number slot 8 bytes.
 *
 * Like Python's, it has no lock: guard concurrent writes with a Lock. Once its `shm` is
 * closed, reading or writing items throws `ProcessError` (Python fails there too: its
 * closed block has no buffer left); `length` and `shm` still answer.
 *
 * @example Share a list, change it in a child
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export function edit(sl: mp.ShareableList) {
 *   sl[0] = "HOWDY";
 *   sl[2] = -1;
 * }
 *
 * if (import.meta.main) {
 *   const sl = new mp.ShareableList(["howdy", 2, 3.5, true, null]);
 *   const p = new mp.Process({ target: edit, args: [sl] });
 *   await p.start();
 *   await p.join();
 *   console.log([...sl]); // [ "HOWDY", 2, -1, true, null ]
 *   sl.shm.close();
 *   sl.shm.unlink();
 * }
 * ```
 */
export class ShareableList {
  /** Index access: `sl[i]`, `sl[i] = v`. */
  [index: number]: ShareableItem;
  #shm: SharedMemory;
  #view: DataView;
  #words: Int32Array<SharedArrayBuffer>;
  #length: number;
  #data: number;

  /**
   * Creates a list from `sequence` in a new block (named `options.name`, or a fresh
   * name), or, with no sequence and a name, attaches to an existing list.
   *
   * @param sequence The items of a new list (`undefined` items are stored as `null`);
   *   `null` or omitted, with `options.name`, to attach.
   * @param options `name`: the block to create, or to attach to.
   * @throws {TypeError} If an item is not a number, bigint, boolean, string,
   *   `Uint8Array` or `null`, `options.name` is not a non-empty string, or the block
   *   attached to is too small to be a list.
   * @throws {RangeError} If a bigint does not fit in 64 bits, the name is too long, or
   *   the block would exceed the memory the process tree may reserve.
   * @throws {ProcessError} With `code: "ENOENT"` when attaching to a name that does not
   *   exist, `code: "EEXIST"` when creating one that does.
   */
  constructor(sequence?: Iterable<ShareableItem> | null, options: ShareableListOptions = {}) {
    const adopted = adoptedState<SharedMemory>(new.target);
    if (adopted) {
      this.#shm = adopted;
    } else if ((sequence === null || sequence === undefined) && options?.name !== undefined) {
      this.#shm = new SharedMemory({ name: options.name });
    } else {
      this.#shm = ShareableList.#create([...(sequence ?? [])], options?.name);
    }
    const buf = this.#shm.buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#words = new Int32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4));
    this.#length = this.#words[0] ?? -1;
    this.#data = round8(4 + 16 * this.#length);
    if (this.#length < 0 || this.#data > buf.byteLength) {
      const name = this.#shm.name;
      if (!adopted) this.#shm.close(); // the handle this constructor opened
      throw new TypeError(
        `ShareableList(): the SharedMemory block ${JSON.stringify(name)} does not hold a ShareableList ` +
          "(its header is not one): attach by name only to blocks a ShareableList created",
      );
    }
    return indexed(this);
  }

  static #create(items: unknown[], name: string | undefined): SharedMemory {
    const encoded = items.map((v, i) => encodeItem(v, `ShareableList() item ${i}`));
    const caps = encoded.map(([, bytes]) => round8(bytes?.length ?? 8));
    const data = round8(4 + 16 * items.length);
    const size = data + caps.reduce((a, b) => a + b, 0);
    const shm = new SharedMemory({ name, create: true, size });
    const words = new Int32Array(shm.buf.buffer, shm.buf.byteOffset, data / 4);
    words[0] = items.length;
    let offset = 0;
    for (let i = 0; i < items.length; i++) {
      words[1 + 4 * i + 1] = offset;
      words[1 + 4 * i + 2] = caps[i];
      offset += caps[i];
    }
    const view = new DataView(shm.buf.buffer, shm.buf.byteOffset, shm.buf.byteLength);
    for (let i = 0; i < items.length; i++) write(words, view, data, i, encoded[i], items[i]);
    return shm;
  }

  /** The number of items (fixed). */
  get length(): number {
    return this.#length;
  }

  /** The SharedMemory block holding the list (close and unlink it when done). */
  get shm(): SharedMemory {
    return this.#shm;
  }

  /** Throws once the block is closed: the cached views must not touch freed memory. */
  #check(where: string): void {
    if (isClosed(this.#shm)) {
      throw new ProcessError(
        `${where}: the list's SharedMemory ${JSON.stringify(this.#shm.name)} is closed: ` +
          "attach to the list again (new ShareableList(null, { name })) to use it",
      );
    }
  }

  /**
   * The slots' formats, like Python's struct letters: `x` null, `d` number, `q` bigint,
   * `?` boolean, `Ns` a string slot of N bytes, `Ny` a bytes slot of N bytes.
   *
   * @throws {ProcessError} Once `shm` is closed.
   */
  get format(): string {
    this.#check("ShareableList.format");
    let out = "";
    for (let i = 0; i < this.#length; i++) {
      const type = this.#words[1 + 4 * i];
      out += (type === STRING || type === BYTES ? String(this.#words[3 + 4 * i]) : "") + FORMAT[type];
    }
    return out;
  }

  /**
   * The item at `index` (negative counts from the end); `RangeError` out of range.
   *
   * @param index The position; negative counts from the end.
   * @returns The item; strings and bytes are copies.
   * @throws {RangeError} If `index` is not an integer in range.
   * @throws {ProcessError} Once `shm` is closed.
   */
  get(index: number): ShareableItem {
    this.#check("ShareableList.get()");
    const i = checkIndex(index, this.#length, "ShareableList.get()");
    const w = this.#words, v = this.#view;
    const at = this.#data + w[2 + 4 * i];
    switch (w[1 + 4 * i]) {
      case NUMBER:
        return v.getFloat64(at, true);
      case BIGINT:
        return v.getBigInt64(at, true);
      case BOOLEAN:
        return v.getUint8(at) !== 0;
      case STRING:
        return decoder.decode(this.#shm.buf.slice(at, at + w[4 + 4 * i]));
      case BYTES:
        return this.#shm.buf.slice(at, at + w[4 + 4 * i]);
      default:
        return null;
    }
  }

  /**
   * Replaces the item at `index`. Throws `RangeError` when the value needs more bytes
   * than the slot holds.
   *
   * @param index The position; negative counts from the end.
   * @param value The new item, of any allowed type that fits the slot.
   * @throws {RangeError} If `index` is not an integer in range, `value` needs more bytes
   *   than the slot holds, or a bigint does not fit in 64 bits.
   * @throws {TypeError} If `value` is not a number, bigint, boolean, string, `Uint8Array`
   *   or `null`.
   * @throws {ProcessError} Once `shm` is closed.
   */
  set(index: number, value: ShareableItem): void {
    this.#check("ShareableList.set()");
    const i = checkIndex(index, this.#length, "ShareableList.set()");
    const enc = encodeItem(value, "ShareableList.set()");
    const cap = this.#words[3 + 4 * i];
    const need = enc[1]?.length ?? 8;
    if (need > cap) {
      throw new RangeError(
        `ShareableList.set(): the value needs ${need} bytes, more than the ${cap} of slot ${i}: slots keep ` +
          "the size of the item they were created with, so create the list with a longer placeholder",
      );
    }
    write(this.#words, this.#view, this.#data, i, enc, value);
  }

  /**
   * Iterates over the items.
   *
   * @returns An iterator over the items.
   * @throws {ProcessError} Once `shm` is closed.
   */
  *[Symbol.iterator](): IterableIterator<ShareableItem> {
    this.#check("ShareableList[Symbol.iterator]()");
    for (let i = 0; i < this.#length; i++) yield this.get(i);
  }

  /**
   * How many items equal `value`.
   *
   * @param value The item to count (bytes compare by content).
   * @returns The number of equal items.
   * @throws {ProcessError} Once `shm` is closed.
   */
  count(value: ShareableItem): number {
    this.#check("ShareableList.count()");
    let n = 0;
    for (const item of this) if (same(item, value)) n++;
    return n;
  }

  /**
   * The index of the first item equal to `value`; `RangeError` if there is none.
   *
   * @param value The item to find (bytes compare by content).
   * @returns The index of its first occurrence.
   * @throws {RangeError} If no item equals `value`.
   * @throws {ProcessError} Once `shm` is closed.
   */
  index(value: ShareableItem): number {
    this.#check("ShareableList.index()");
    for (let i = 0; i < this.#length; i++) if (same(this.get(i), value)) return i;
    throw new RangeError(`ShareableList.index(): ${String(value)} is not in the list`);
  }

  /**
   * Describes the list: `ShareableList([1, "a"], name="psm_…")`, or
   * `ShareableList(<closed>, name="psm_…")` once its block is closed (printing never throws).
   *
   * @returns The description.
   */
  toString(): string {
    if (isClosed(this.#shm)) return `ShareableList(<closed>, name=${JSON.stringify(this.#shm.name)})`;
    const items = [...this].map((v) => typeof v === "string" ? JSON.stringify(v) : String(v));
    return `ShareableList([${items.join(", ")}], name=${JSON.stringify(this.#shm.name)})`;
  }

  /**
   * The handle this list travels as (codec).
   * @ignore
   */
  [SHARE](): SharedHandle {
    return { type: "ShareableList", module: import.meta.url, state: this.#shm };
  }
}

function write(
  words: Int32Array,
  view: DataView,
  data: number,
  i: number,
  [type, bytes]: [number, Uint8Array | null],
  value: unknown,
): void {
  const at = data + words[2 + 4 * i];
  if (type === NUMBER) view.setFloat64(at, value as number, true);
  else if (type === BIGINT) view.setBigInt64(at, value as bigint, true);
  else if (type === BOOLEAN) view.setUint8(at, value ? 1 : 0);
  else if (bytes) new Uint8Array(view.buffer, view.byteOffset + at, bytes.length).set(bytes);
  words[4 + 4 * i] = bytes?.length ?? 8;
  words[1 + 4 * i] = type;
}

registerShared("ShareableList", (state) => adopt(ShareableList, state, () => new ShareableList()));

inspectable(ShareableList);
