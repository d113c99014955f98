/**
 * `Value` and `Array` of `mp.dummy`: Python's `multiprocessing.dummy.Value` / `Array`,
 * plain memory of this thread, stored as the real ones store it (a typed array of the
 * typecode), so that the same program computes the same numbers with either module.
 *
 * @module
 */
import { ProcessError } from "../internal/errors.ts";
import { checkIndex, indexed } from "../shared/_indexed.ts";
import {
  allocate,
  checkTypecode,
  type InitOf,
  newTypedArray,
  toStored,
  type Typecode,
  type TypedArrayOf,
  type ValueOf,
} from "../shared/typecodes.ts";
import { Lock, RLock } from "./sync.ts";
import { printable } from "./waiters.ts";

/** Options of the dummy {@linkcode Value} and {@linkcode Array}. */
export interface DummySharedOptions {
  /**
   * `true` (default): a new dummy RLock for `getLock()`; `false`: no lock methods; or
   * the dummy Lock / RLock to use.
   */
  lock?: boolean | Lock | RLock;
}

/** What a dummy Array can be made from: a length, initial items, or a string for `c`. */
export type DummySizeOrInit<T extends Typecode> =
  | number
  | Iterable<ValueOf<T> | number>
  | (T extends "c" ? string : never);

function lockFrom(options: DummySharedOptions | undefined, where: string): Lock | RLock | null {
  if (typeof options !== "object" && options !== undefined) {
    throw new TypeError(`${where}: options must be an object like { lock: false }, got ${typeof options}`);
  }
  const lock = options?.lock ?? true;
  if (lock === true) return new RLock();
  if (lock === false) return null;
  if (lock instanceof Lock || lock instanceof RLock) return lock;
  throw new TypeError(
    `${where}: lock must be true, false, or a Lock or RLock of mp.dummy, got ${String(lock)}`,
  );
}

/**
 * What the dummy {@linkcode Value} and {@linkcode DummyArray} share: the lock methods.
 * Reads and writes never take the lock (on one thread nothing runs in the middle of
 * them); take it yourself around a read-modify-write that awaits in between.
 *
 * @example Guarding a read-modify-write across an await
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const v = new mp.Value("i", 0);
 * async function bump() {
 *   using _ = await v.lock();
 *   const old = v.value;
 *   await new Promise((r) => setTimeout(r, 1));
 *   v.value = old + 1;
 * }
 * await Promise.all([bump(), bump()]);
 * console.log(v.value); // 2
 * ```
 */
export abstract class DummySynchronized {
  #lock: Lock | RLock | null;

  /**
   * Sets up the lock (subclasses only).
   *
   * @param lock The lock guarding the object, or `null` for none.
   */
  protected constructor(lock: Lock | RLock | null) {
    this.#lock = lock;
  }

  /**
   * The lock of this object; throws `ProcessError` for one made with `lock: false`.
   *
   * @returns The lock guarding the object.
   * @throws {ProcessError} If the object was created with `lock: false`.
   */
  getLock(): Lock | RLock {
    if (this.#lock === null) {
      throw new ProcessError(
        `${this.constructor.name}.getLock(): this ${this.constructor.name} was created with { lock: false } and has no lock: ` +
          "create it with lock: true (the default) or pass a Lock",
      );
    }
    return this.#lock;
  }

  /**
   * Acquires the lock (see the dummy `Lock.acquire`).
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to `true` once the lock is held, `false` on timeout.
   * @throws {ProcessError} If the object was created with `lock: false`.
   */
  acquire(timeout?: number): Promise<boolean> {
    return this.getLock().acquire(timeout);
  }

  /**
   * Acquires the lock without waiting (see the dummy `Lock.acquireSync`).
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns `true` once the lock is held, `false` if it is held and `timeout` is 0 or less.
   * @throws {ProcessError} If the object has no lock, or the lock is held and `timeout` is above 0.
   */
  acquireSync(timeout?: number): boolean {
    return this.getLock().acquireSync(timeout);
  }

  /**
   * Releases the lock.
   *
   * @throws {ProcessError} If the object has no lock, or the lock is not held.
   */
  release(): void {
    this.getLock().release();
  }

  /**
   * Acquires the lock and resolves to a guard that releases it: `using _ = await v.lock();`.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to a `Disposable` that releases the lock.
   * @throws {TimeoutError} If the lock is not acquired within `timeout` ms.
   * @throws {ProcessError} If the object was created with `lock: false`.
   */
  lock(timeout?: number): Promise<Disposable> {
    return this.getLock().lock(timeout);
  }

  /**
   * Like `lock()`, without waiting (see the dummy `Lock.lockSync`).
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A `Disposable` that releases the lock.
   * @throws {TimeoutError} If the lock is held and `timeout` is 0 or less.
   * @throws {ProcessError} If the object has no lock, or the lock is held and `timeout` is above 0.
   */
  lockSync(timeout?: number): Disposable {
    return this.getLock().lockSync(timeout);
  }
}

/** The unsynchronized view of a dummy {@linkcode Value} (`getObj()`). */
export interface DummyRawValue<T extends Typecode = Typecode> {
  /** The number (a bigint for the 64-bit typecodes). */
  value: ValueOf<T>;
  /** The typecode. */
  readonly typecode: T;
}

/**
 * A number of `mp.dummy` (Python's `multiprocessing.dummy.Value`) with the real
 * `Value`'s API: `.value`, `typecode`, `getObj()`, and the lock methods. It is stored
 * as the typecode says (`"i"` wraps at 32 bits, `"q"` holds bigints), like the real one.
 *
 * @example A counter shared by tasks
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const counter = new mp.Value("i", 0);
 * const ps = [1, 2, 3].map(() =>
 *   new mp.Process({
 *     target: async () => {
 *       using _ = await counter.lock();
 *       counter.value += 1;
 *     },
 *   })
 * );
 * for (const p of ps) await p.start();
 * for (const p of ps) await p.join();
 * console.log(counter.value); // 3
 * ```
 */
export class Value<T extends Typecode = Typecode> extends DummySynchronized {
  readonly #tc: T;
  readonly #cell: TypedArrayOf<T>;

  /**
   * Creates the value (0 unless `init` is given) with `options.lock` (default: a new dummy RLock).
   *
   * @param typecode The typecode (`"i"`, `"d"`, ...).
   * @param init The initial value (default 0).
   * @param options `lock`: `true` (default: a new dummy RLock), `false`, or a dummy Lock or RLock.
   * @throws {TypeError} If `typecode` is unknown, or `init` does not fit it.
   */
  constructor(typecode: T, init?: InitOf<T>, options?: DummySharedOptions) {
    super(lockFrom(options, "Value()"));
    this.#tc = checkTypecode(typecode, "Value()") as T;
    this.#cell = allocate(this.#tc, 1);
    if (init !== undefined) this.#cell[0] = toStored(this.#tc, init, "Value()") as never;
  }

  /** The number (a bigint for the 64-bit typecodes). */
  get value(): ValueOf<T> {
    return this.#cell[0] as ValueOf<T>;
  }
  set value(v: ValueOf<T>) {
    this.#cell[0] = toStored(this.#tc, v, "Value.value") as never;
  }

  /** The typecode. */
  get typecode(): T {
    return this.#tc;
  }

  /**
   * The value itself (Python's `get_obj()`; nothing here is synchronized apart).
   *
   * @returns This value.
   */
  getObj(): DummyRawValue<T> {
    return this;
  }

  /**
   * Describes the value: `<Value(i, 3)>`.
   *
   * @returns The description.
   */
  override toString(): string {
    return `<Value(${this.#tc}, ${this.#cell[0]})>`;
  }
}

/**
 * An array of numbers of `mp.dummy` (Python's `multiprocessing.dummy.Array`) with the
 * real `Array`'s API: `length`, `get(i)` / `set(i, v)` (negative from the end),
 * `a[i]`, iteration, `slice()`, `getObj()` (the typed array) and the lock methods.
 *
 * @example Index access and negative indices
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const a = new mp.Array("d", [1.5, 2.5, 3.5]);
 * a[0] = -a[0];
 * console.log(a.slice(), a.get(-1)); // [-1.5, 2.5, 3.5] 3.5
 * ```
 */
export class DummyArray<T extends Typecode = Typecode> extends DummySynchronized {
  /** Index access: `a[i]`, `a[i] = v`. */
  [index: number]: ValueOf<T>;
  readonly #tc: T;
  readonly #data: TypedArrayOf<T>;

  /**
   * Creates the array from a length (zero-filled) or initial items, with `options.lock`.
   *
   * @param typecode The typecode (`"i"`, `"d"`, ...).
   * @param sizeOrInit A length (zero-filled) or the initial items.
   * @param options `lock`: `true` (default: a new dummy RLock), `false`, or a dummy Lock or RLock.
   * @throws {TypeError} If `typecode` is unknown, or an item does not fit it.
   */
  constructor(typecode: T, sizeOrInit: DummySizeOrInit<T>, options?: DummySharedOptions) {
    super(lockFrom(options, "Array()"));
    this.#tc = checkTypecode(typecode, "Array()") as T;
    this.#data = newTypedArray(this.#tc, sizeOrInit, "Array()");
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
   * @param index The index (negative: from the end).
   * @returns The item.
   * @throws {RangeError} If `index` is out of range.
   */
  get(index: number): ValueOf<T> {
    return this.#data[checkIndex(index, this.#data.length, "Array.get()")] as ValueOf<T>;
  }

  /**
   * Sets the item at `index` (negative counts from the end); `RangeError` out of range.
   *
   * @param index The index (negative: from the end).
   * @param value The new item.
   * @throws {RangeError} If `index` is out of range.
   */
  set(index: number, value: ValueOf<T>): void {
    const j = checkIndex(index, this.#data.length, "Array.set()");
    this.#data[j] = toStored(this.#tc, value, "Array.set()") as never;
  }

  /**
   * A copy of the items from `start` to `end` (like `Array.prototype.slice`) as a plain array.
   *
   * @param start The first index (negative: from the end); default 0.
   * @param end The index to stop before (negative: from the end); default the length.
   * @returns The items, as a new plain array.
   */
  slice(start?: number, end?: number): ValueOf<T>[] {
    return [...this.#data.slice(start, end)] as ValueOf<T>[];
  }

  /**
   * Iterates over the items.
   *
   * @returns An iterator over the items.
   */
  *[Symbol.iterator](): IterableIterator<ValueOf<T>> {
    for (let i = 0; i < this.#data.length; i++) yield this.#data[i] as ValueOf<T>;
  }

  /**
   * The typed array itself (Python's `get_obj()`).
   *
   * @returns The typed array holding the items.
   */
  getObj(): TypedArrayOf<T> {
    return this.#data;
  }

  /**
   * Describes the array: `<Array(i, [1, 2, 3])>`.
   *
   * @returns The description.
   */
  override toString(): string {
    const items = this.slice(0, 20).join(", ");
    return `<Array(${this.#tc}, [${items}${this.#data.length > 20 ? ", …" : ""}])>`;
  }
}

printable(Value, DummyArray);
