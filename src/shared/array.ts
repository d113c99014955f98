/**
 * `SharedArray` (exported as `Array` too) and `RawArray`: arrays of numbers in shared
 * memory.
 *
 * @module
 */
import { adopt, adoptedState, registerShared, SHARE, type SharedHandle } from "../internal/_codec.ts";
import { checkIndex, indexed } from "./_indexed.ts";
import type { Lock } from "../sync/lock.ts";
import type { RLock } from "../sync/rlock.ts";
import { lockFrom, Synchronized, type SynchronizedOptions } from "./synchronized.ts";
import {
  checkTypecode,
  newTypedArray,
  toStored,
  type Typecode,
  type TypedArrayOf,
  type ValueOf,
} from "./typecodes.ts";
import { inspectable } from "../internal/_inspect.ts";

interface ArrayState {
  tc: Typecode;
  data: TypedArrayOf<Typecode>;
  lock: Lock | RLock | null;
}

/** What an array can be made from: a length (zero-filled) or initial items. */
export type SizeOrInit<T extends Typecode> =
  | number
  | Iterable<ValueOf<T> | number>
  | (T extends "c" ? string : never);

/**
 * An array of numbers in shared memory (Python's `multiprocessing.Array`, exported
 * as `Array` and `SharedArray`): pass it to children in `args` and they read and
 * write the same memory. `a[i]`, `get(i)` and `set(i, v)` take the array's lock for
 * each access; hold it (`using _ = a.lockSync();`) around a read-modify-write, or
 * work on `getObj()`, the typed array itself, for speed. Negative indices count from
 * the end, as in Python.
 *
 * Created from a size it is zero-filled; from an iterable it holds those items.
 *
 * @example A child doubles every element
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export function double(a: mp.SharedArray<"d">) {
 *   for (let i = 0; i < a.length; i++) a[i] *= 2;
 * }
 *
 * if (import.meta.main) {
 *   const a = new mp.Array("d", [1.0, 2.0, 3.0]);
 *   const p = new mp.Process({ target: double, args: [a] });
 *   await p.start();
 *   await p.join();
 *   console.log(a.slice()); // [2, 4, 6]
 * }
 * ```
 *
 * @example Sizes, iteration, the typed array
 * ```ts
 * import { Array as SharedArray } from "@mp/multiprocessing";
 * const a = new SharedArray("i", 4); // [0, 0, 0, 0]
 * a.set(-1, 7);
 * console.log([...a], a.getObj() instanceof Int32Array); // [0, 0, 0, 7] true
 * ```
 */
export class SharedArray<T extends Typecode = Typecode> extends Synchronized {
  /** Index access: `a[i]`, `a[i] = v` (each takes the lock). */
  [index: number]: ValueOf<T>;
  #tc: T;
  #data: TypedArrayOf<T>;

  /**
   * Creates the array from a length (zero-filled) or initial items, with `options.lock`.
   *
   * @param typecode One of `b B h H i I l L q Q f d c`.
   * @param sizeOrInit A length (an integer >= 0), an iterable of initial items, or for
   *   `c` a string (stored as UTF-8 bytes).
   * @param options `lock`: `true` (a new RLock), `false` (none) or the Lock / RLock to use.
   * @throws {RangeError} If the length is not an integer >= 0.
   * @throws {TypeError} If `typecode` is unknown, `sizeOrInit` is neither a length nor an
   *   iterable, an item does not fit the typecode, or `options` / `options.lock` is not
   *   one of the above.
   */
  constructor(typecode: T, sizeOrInit: SizeOrInit<T>, options?: SynchronizedOptions) {
    const state = adoptedState<ArrayState>(new.target);
    super(state ? state.lock : lockFrom(options, "Array()"));
    this.#tc = state ? state.tc as T : checkTypecode(typecode, "Array()") as T;
    this.#data = state ? state.data as TypedArrayOf<T> : newTypedArray(this.#tc, sizeOrInit, "Array()");
    return indexed(this);
  }

  /** The number of items. */
  get length(): number {
    return this.#data.length;
  }

  /** The typecode. */
  get typecode(): T {
    return this.#tc;
  }

  /**
   * The item at `index` (negative counts from the end); `RangeError` out of range.
   *
   * @param index The position; negative counts from the end.
   * @returns The item (a bigint for `l L q Q`).
   * @throws {RangeError} If `index` is not an integer in range.
   */
  get(index: number): ValueOf<T> {
    const j = checkIndex(index, this.#data.length, "Array.get()");
    const lock = this.lockOrNull;
    if (lock === null) return this.#data[j] as ValueOf<T>;
    lock.acquireSync();
    const v = this.#data[j];
    lock.release();
    return v as ValueOf<T>;
  }

  /**
   * Sets the item at `index` (negative counts from the end); `RangeError` out of range.
   *
   * @param index The position; negative counts from the end.
   * @param value The new item (a bigint for `l L q Q`).
   * @throws {RangeError} If `index` is not an integer in range.
   * @throws {TypeError} If `value` does not fit the typecode.
   */
  set(index: number, value: ValueOf<T>): void {
    const j = checkIndex(index, this.#data.length, "Array.set()");
    const v = toStored(this.#tc, value, "Array.set()");
    const lock = this.lockOrNull;
    if (lock === null) {
      this.#data[j] = v as never;
      return;
    }
    lock.acquireSync();
    this.#data[j] = v as never;
    lock.release();
  }

  /**
   * A copy of the items from `start` to `end` (like `Array.prototype.slice`) as a plain array.
   *
   * @param start The first index (negative counts from the end); 0 if omitted.
   * @param end The index to stop before (negative counts from the end); the length if omitted.
   * @returns The items, read under the lock.
   */
  slice(start?: number, end?: number): ValueOf<T>[] {
    const lock = this.lockOrNull;
    lock?.acquireSync();
    try {
      return [...this.#data.slice(start, end)] as ValueOf<T>[];
    } finally {
      lock?.release();
    }
  }

  /**
   * Iterates over the items (each read takes the lock).
   *
   * @returns An iterator over the items.
   */
  *[Symbol.iterator](): IterableIterator<ValueOf<T>> {
    for (let i = 0; i < this.#data.length; i++) yield this.get(i);
  }

  /**
   * The typed array itself, unsynchronized (Python's `get_obj()`).
   *
   * @returns The typed array over the shared memory.
   */
  getObj(): TypedArrayOf<T> {
    return this.#data;
  }

  /**
   * Describes the array: `<Array(i, [1, 2, 3])>`.
   *
   * @returns The description (at most 20 items).
   */
  override toString(): string {
    const items = this.slice(0, 20).join(", ");
    return `<Array(${this.#tc}, [${items}${this.#data.length > 20 ? ", …" : ""}])>`;
  }

  /**
   * The handle this array travels as (codec).
   * @ignore
   */
  [SHARE](): SharedHandle {
    const state: ArrayState = { tc: this.#tc, data: this.#data, lock: this.lockOrNull };
    return { type: "Array", module: import.meta.url, state };
  }
}

/**
 * An array of numbers in shared memory without a lock (Python's `RawArray`): the typed
 * array itself, over a SharedArrayBuffer, zero-filled when made from a size. Passed in
 * `args`, it stays shared.
 *
 * @example
 * ```ts
 * import { RawArray } from "@mp/multiprocessing";
 * const a = RawArray("h", [1, 2, 3]);
 * console.log(a instanceof Int16Array, a.buffer instanceof SharedArrayBuffer); // true true
 * ```
 *
 * @param typecode One of `b B h H i I l L q Q f d c`.
 * @param sizeOrInit A length (an integer >= 0), an iterable of initial items, or for `c`
 *   a string (stored as UTF-8 bytes).
 * @returns A typed array over a new SharedArrayBuffer.
 * @throws {RangeError} If the length is not an integer >= 0.
 * @throws {TypeError} If `typecode` is unknown, `sizeOrInit` is neither a length nor an
 *   iterable, or an item does not fit the typecode.
 */
export function RawArray<T extends Typecode>(typecode: T, sizeOrInit: SizeOrInit<T>): TypedArrayOf<T> {
  return newTypedArray(checkTypecode(typecode, "RawArray()") as T, sizeOrInit, "RawArray()");
}

registerShared("Array", (state) => adopt(SharedArray, state, () => new SharedArray("i", 0)));

inspectable(SharedArray);
