/**
 * `Manager` of `mp.dummy`: Python's `multiprocessing.dummy.Manager()`, which returns
 * the dummy module itself, so that `manager.dict()` is a plain dict. Here the manager's
 * methods make plain in-process objects with the method names of the real proxies
 * (`DictProxy`, `ListProxy`, the namespace, `QueueProxy`), async with `*Sync` twins,
 * so a program written for a real manager runs unchanged.
 *
 * @module
 */
import type { InitOf, Typecode } from "../shared/typecodes.ts";
import { JoinableQueue, Queue } from "./queue.ts";
import { DummyArray, type DummySharedOptions, type DummySizeOrInit, Value } from "./shared.ts";
import {
  Barrier,
  type BarrierOptions,
  BoundedSemaphore,
  Condition,
  Event,
  Lock,
  RLock,
  Semaphore,
} from "./sync.ts";
import { printable } from "./waiters.ts";

/** A key of a dummy dict: a primitive, as for the real `DictProxy`. */
export type DummyDictKey = string | number | bigint | boolean | null | undefined;

/** What a dummy dict can be made from or updated with. */
export type DummyDictSource<K extends DummyDictKey, V> =
  | Map<K, V>
  | Iterable<readonly [K, V]>
  | DummyDict<K, V>
  | { [key: string]: V };

function checkKey(key: unknown, method: string): void {
  if (typeof key === "object" && key !== null || typeof key === "function" || typeof key === "symbol") {
    throw new TypeError(
      `DictProxy.${method}(): a key must be a string, number, bigint, boolean, null or undefined ` +
        `(keys keep their type: 1 and "1" are different keys), got ${typeof key}`,
    );
  }
}

function namedError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

function entriesOf<K extends DummyDictKey, V>(other: unknown): [K, V][] {
  if (other instanceof DummyDict) return other.entriesSync() as [K, V][];
  if (other instanceof Map) return [...other.entries()];
  if (typeof other === "object" && other !== null) {
    if (Symbol.iterator in other) {
      return [...(other as Iterable<unknown>)].map((pair, i) => {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new TypeError(`Item ${i} of the pairs given to a dict is not a [key, value] pair`);
        }
        return pair as [K, V];
      });
    }
    return Object.entries(other) as [K, V][];
  }
  throw new TypeError(
    `A dict can be updated from a Map, [key, value] pairs or an object, not ${typeof other}`,
  );
}

function itemsOf<T>(items: unknown): T[] {
  if (items instanceof DummyList) return items.toArraySync() as T[];
  if (typeof items === "object" && items !== null && Symbol.iterator in items) {
    return [...(items as Iterable<T>)];
  }
  throw new TypeError(`A list can be extended with an array, an iterable or a list, not ${typeof items}`);
}

/** Deep equality of plain data, as the real list compares its (copied) items. */
function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b) || a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => equal(x, bb[i]));
  }
  if (a instanceof Map) {
    const bm = b as Map<unknown, unknown>;
    return a.size === bm.size && [...a].every(([k, v]) => bm.has(k) && equal(v, bm.get(k)));
  }
  if (ArrayBuffer.isView(a)) {
    const x = a as unknown as ArrayLike<unknown>, y = b as unknown as ArrayLike<unknown>;
    return x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]));
  }
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length &&
    ka.every((k) =>
      Object.hasOwn(b, k) && equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
    );
}

function compare(a: unknown, b: unknown): number {
  const num = (v: unknown) => typeof v === "number" || typeof v === "bigint";
  if (num(a) && num(b)) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  throw new TypeError(
    `'<' not supported between ${typeof a} and ${typeof b}: sort() compares numbers or strings`,
  );
}

function index(length: number, i: unknown, what: string): number {
  if (typeof i !== "number" || !Number.isInteger(i)) {
    throw new TypeError(`ListProxy.${what}: the index must be an integer, got ${String(i)}`);
  }
  const j = i < 0 ? i + length : i;
  if (j < 0 || j >= length) {
    throw new RangeError(`ListProxy.${what}: index ${i} is out of range (the list has ${length} items)`);
  }
  return j;
}

/** Runs `f` and returns its result as a promise (its error as a rejection). */
function later<R>(f: () => R): Promise<R> {
  try {
    return Promise.resolve(f());
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * The dict of a dummy manager: a `Map` with the method names of the real `DictProxy`
 * (each async, with a `*Sync` twin that answers at once). Values are kept as they are
 * (not copied), as in Python's `multiprocessing.dummy`.
 *
 * @example A dict with the DictProxy methods
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * await using manager = await mp.Manager();
 * const d = await manager.dict<number | string, string>();
 * await d.set(1, "one");
 * d.setSync("2", "two");
 * console.log(await d.copy()); // Map(2) { 1 => "one", "2" => "two" }
 * ```
 */
export class DummyDict<K extends DummyDictKey = DummyDictKey, V = unknown> {
  readonly #map = new Map<K, V>();

  /**
   * Creates a dict, filled from `init` if given.
   *
   * @param init A Map, `[key, value]` pairs, an object or another dict to fill it from.
   */
  constructor(init?: DummyDictSource<K, V>) {
    if (init !== undefined && init !== null) this.updateSync(init);
  }

  /** The type the object was made as: `"dict"`. */
  get typeid(): string {
    return "dict";
  }

  /**
   * The value of `key`, or `defaultValue` (`undefined`) if absent.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined`.
   * @param defaultValue What to return if `key` is absent.
   * @returns A promise that resolves to the value of `key`, or `defaultValue`.
   * @throws {TypeError} If `key` is not a primitive.
   */
  get(key: K, defaultValue?: V): Promise<V | undefined> {
    return later(() => this.getSync(key, defaultValue));
  }
  /**
   * {@linkcode DummyDict.get}, at once.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined`.
   * @param defaultValue What to return if `key` is absent.
   * @returns The value of `key`, or `defaultValue`.
   * @throws {TypeError} If `key` is not a primitive.
   */
  getSync(key: K, defaultValue?: V): V | undefined {
    checkKey(key, "getSync");
    return this.#map.has(key) ? this.#map.get(key) : defaultValue;
  }

  /**
   * Sets `key` to `value`.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined`.
   * @param value The value to store.
   * @throws {TypeError} If `key` is not a primitive.
   */
  set(key: K, value: V): Promise<void> {
    return later(() => this.setSync(key, value));
  }
  /**
   * {@linkcode DummyDict.set}, at once.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined`.
   * @param value The value to store.
   * @throws {TypeError} If `key` is not a primitive.
   */
  setSync(key: K, value: V): void {
    checkKey(key, "setSync");
    this.#map.set(key, value);
  }

  /**
   * Whether `key` is present.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined`.
   * @returns A promise that resolves to `true` if `key` is present.
   */
  has(key: K): Promise<boolean> {
    return later(() => this.hasSync(key));
  }
  /**
   * {@linkcode DummyDict.has}, at once.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined`.
   * @returns `true` if `key` is present.
   */
  hasSync(key: K): boolean {
    return this.#map.has(key);
  }

  /**
   * Removes `key`; true if it was present.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined`.
   * @returns A promise that resolves to `true` if `key` was present.
   */
  delete(key: K): Promise<boolean> {
    return later(() => this.deleteSync(key));
  }
  /**
   * {@linkcode DummyDict.delete}, at once.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined`.
   * @returns `true` if `key` was present.
   */
  deleteSync(key: K): boolean {
    return this.#map.delete(key);
  }

  /** Removes every entry. */
  clear(): Promise<void> {
    return later(() => this.clearSync());
  }
  /** {@linkcode DummyDict.clear}, at once. */
  clearSync(): void {
    this.#map.clear();
  }

  /**
   * The keys, in insertion order (an array: a snapshot).
   *
   * @returns A promise that resolves to the keys, in insertion order.
   */
  keys(): Promise<K[]> {
    return later(() => this.keysSync());
  }
  /**
   * {@linkcode DummyDict.keys}, at once.
   *
   * @returns The keys, in insertion order.
   */
  keysSync(): K[] {
    return [...this.#map.keys()];
  }

  /**
   * The values, in insertion order (an array: a snapshot).
   *
   * @returns A promise that resolves to the values, in insertion order.
   */
  values(): Promise<V[]> {
    return later(() => this.valuesSync());
  }
  /**
   * {@linkcode DummyDict.values}, at once.
   *
   * @returns The values, in insertion order.
   */
  valuesSync(): V[] {
    return [...this.#map.values()];
  }

  /**
   * The `[key, value]` pairs, in insertion order (an array: a snapshot).
   *
   * @returns A promise that resolves to the `[key, value]` pairs, in insertion order.
   */
  entries(): Promise<[K, V][]> {
    return later(() => this.entriesSync());
  }
  /**
   * {@linkcode DummyDict.entries}, at once.
   *
   * @returns The `[key, value]` pairs, in insertion order.
   */
  entriesSync(): [K, V][] {
    return [...this.#map.entries()];
  }

  /**
   * The number of entries (Python's `len(d)`).
   *
   * @returns A promise that resolves to the number of entries.
   */
  size(): Promise<number> {
    return later(() => this.sizeSync());
  }
  /**
   * {@linkcode DummyDict.size}, at once.
   *
   * @returns The number of entries.
   */
  sizeSync(): number {
    return this.#map.size;
  }

  /**
   * Removes `key` and returns its value; if absent, returns `defaultValue` when one is
   * given, else rejects with an error named `KeyError`.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined`.
   * @param defaultValue What to return if `key` is absent; without it, an absent key throws.
   * @returns A promise that resolves to the removed value, or `defaultValue`.
   * @throws {Error} An error named `KeyError` if `key` is absent and no `defaultValue` is given.
   */
  pop(key: K, ...defaultValue: [V?]): Promise<V> {
    return later(() => this.popSync(key, ...defaultValue));
  }
  /**
   * {@linkcode DummyDict.pop}, at once.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined`.
   * @param defaultValue What to return if `key` is absent; without it, an absent key throws.
   * @returns The removed value, or `defaultValue`.
   * @throws {Error} An error named `KeyError` if `key` is absent and no `defaultValue` is given.
   */
  popSync(key: K, ...defaultValue: [V?]): V {
    if (this.#map.has(key)) {
      const v = this.#map.get(key) as V;
      this.#map.delete(key);
      return v;
    }
    if (defaultValue.length > 0) return defaultValue[0] as V;
    throw namedError(
      "KeyError",
      `key ${JSON.stringify(String(key))} is not in the dict (pass a default to pop())`,
    );
  }

  /**
   * The value of `key`; if absent, sets it to `defaultValue` first and returns that.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined`.
   * @param defaultValue The value to set if `key` is absent.
   * @returns A promise that resolves to the value of `key` after the call.
   */
  setdefault(key: K, defaultValue?: V): Promise<V> {
    return later(() => this.setdefaultSync(key, defaultValue));
  }
  /**
   * {@linkcode DummyDict.setdefault}, at once.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined`.
   * @param defaultValue The value to set if `key` is absent.
   * @returns The value of `key` after the call.
   */
  setdefaultSync(key: K, defaultValue?: V): V {
    checkKey(key, "setdefaultSync");
    if (!this.#map.has(key)) this.#map.set(key, defaultValue as V);
    return this.#map.get(key) as V;
  }

  /**
   * Sets every entry of `other` (a Map, `[key, value]` pairs, an object, or another dict).
   *
   * @param other A Map, `[key, value]` pairs, an object or another dict.
   * @throws {TypeError} If `other` is none of these, or a pair is not a `[key, value]` pair.
   */
  update(other: DummyDictSource<K, V>): Promise<void> {
    return later(() => this.updateSync(other));
  }
  /**
   * {@linkcode DummyDict.update}, at once.
   *
   * @param other A Map, `[key, value]` pairs, an object or another dict.
   * @throws {TypeError} If `other` is none of these, or a pair is not a `[key, value]` pair.
   */
  updateSync(other: DummyDictSource<K, V>): void {
    for (const [k, v] of entriesOf<K, V>(other)) {
      checkKey(k, "update");
      this.#map.set(k, v);
    }
  }

  /**
   * A copy of the dict as a `Map` (Python's `d.copy()`).
   *
   * @returns A promise that resolves to a new `Map` with the entries.
   */
  copy(): Promise<Map<K, V>> {
    return later(() => this.copySync());
  }
  /**
   * {@linkcode DummyDict.copy}, at once.
   *
   * @returns A new `Map` with the entries.
   */
  copySync(): Map<K, V> {
    return new Map(this.#map);
  }

  /**
   * Iterates over a snapshot of the entries: `for await (const [k, v] of d)`.
   *
   * @returns An async iterator over `[key, value]` pairs.
   */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<[K, V]> {
    yield* this.entriesSync();
  }

  /**
   * Describes the dict: `<DictProxy(dummy) size=2>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<DictProxy(dummy) size=${this.#map.size}>`;
  }
}

/** Options of {@linkcode DummyList.sort}. */
export interface DummySortOptions {
  /** Sort in descending order. */
  reverse?: boolean;
}

/**
 * The list of a dummy manager: an array with the method names of the real `ListProxy`
 * (each async, with a `*Sync` twin that answers at once). Items are kept as they are.
 *
 * @example A list with the ListProxy methods
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * await using manager = await mp.Manager();
 * const l = await manager.list([0, 1, 2, 3]);
 * await l.reverse();
 * console.log(await l.toArray()); // [3, 2, 1, 0]
 * ```
 */
export class DummyList<T = unknown> {
  #items: T[];

  /**
   * Creates a list, filled from `init` if given.
   *
   * @param init The items to start with (an iterable or another list).
   */
  constructor(init?: Iterable<T> | DummyList<T>) {
    this.#items = init === undefined || init === null ? [] : itemsOf<T>(init);
  }

  /** The type the object was made as: `"list"`. */
  get typeid(): string {
    return "list";
  }

  /**
   * Appends `items`; resolves to the new length.
   *
   * @param items The items to append.
   * @returns A promise that resolves to the new length.
   */
  push(...items: T[]): Promise<number> {
    return later(() => this.pushSync(...items));
  }
  /**
   * {@linkcode DummyList.push}, at once.
   *
   * @param items The items to append.
   * @returns The new length.
   */
  pushSync(...items: T[]): number {
    return this.#items.push(...items);
  }

  /**
   * Appends one item (Python's `append`).
   *
   * @param item The item to append.
   */
  append(item: T): Promise<void> {
    return later(() => this.appendSync(item));
  }
  /**
   * {@linkcode DummyList.append}, at once.
   *
   * @param item The item to append.
   */
  appendSync(item: T): void {
    this.#items.push(item);
  }

  /**
   * Appends every item of `items` (an iterable or another list).
   *
   * @param items An iterable or another list.
   * @throws {TypeError} If `items` is not iterable.
   */
  extend(items: Iterable<T> | DummyList<T>): Promise<void> {
    return later(() => this.extendSync(items));
  }
  /**
   * {@linkcode DummyList.extend}, at once.
   *
   * @param items An iterable or another list.
   * @throws {TypeError} If `items` is not iterable.
   */
  extendSync(items: Iterable<T> | DummyList<T>): void {
    for (const x of itemsOf<T>(items)) this.#items.push(x);
  }

  /**
   * Inserts `item` before `index`.
   *
   * @param index The index to insert before (negative: from the end).
   * @param item The item to insert.
   */
  insert(index: number, item: T): Promise<void> {
    return later(() => this.insertSync(index, item));
  }
  /**
   * {@linkcode DummyList.insert}, at once.
   *
   * @param index The index to insert before (negative: from the end).
   * @param item The item to insert.
   */
  insertSync(i: number, item: T): void {
    const l = this.#items;
    const j = i < 0 ? Math.max(0, l.length + i) : Math.min(i, l.length);
    l.splice(j, 0, item);
  }

  /**
   * Removes and returns the item at `index` (default: the last); `undefined` if empty.
   *
   * @param index The index of the item (negative: from the end); default the last.
   * @returns A promise that resolves to the removed item, or `undefined` if the list is empty.
   * @throws {RangeError} If `index` is out of range.
   */
  pop(index?: number): Promise<T | undefined> {
    return later(() => this.popSync(index));
  }
  /**
   * {@linkcode DummyList.pop}, at once.
   *
   * @param index The index of the item (negative: from the end); default the last.
   * @returns The removed item, or `undefined` if the list is empty and no index is given.
   * @throws {RangeError} If `index` is given and out of range (on an empty list, any index).
   */
  popSync(i?: number): T | undefined {
    const l = this.#items;
    return i === undefined ? l.pop() : l.splice(index(l.length, i, "pop()"), 1)[0];
  }

  /**
   * Removes the first item equal to `item` (deep equality of plain data); throws if none.
   *
   * @param item The item to compare, by deep equality of plain data.
   * @throws {Error} An error named `ValueError` if no item equals `item`.
   */
  remove(item: T): Promise<void> {
    return later(() => this.removeSync(item));
  }
  /**
   * {@linkcode DummyList.remove}, at once.
   *
   * @param item The item to compare, by deep equality of plain data.
   * @throws {Error} An error named `ValueError` if no item equals `item`.
   */
  removeSync(item: T): void {
    const j = this.indexOfSync(item);
    if (j < 0) throw namedError("ValueError", "list.remove(x): x is not in the list");
    this.#items.splice(j, 1);
  }

  /**
   * The item at `index` (negative: from the end).
   *
   * @param index The index (negative: from the end).
   * @returns A promise that resolves to the item.
   * @throws {TypeError} If `index` is not an integer.
   * @throws {RangeError} If `index` is out of range.
   */
  get(index: number): Promise<T> {
    return later(() => this.getSync(index));
  }
  /**
   * {@linkcode DummyList.get}, at once.
   *
   * @param index The index (negative: from the end).
   * @returns The item.
   * @throws {TypeError} If `index` is not an integer.
   * @throws {RangeError} If `index` is out of range.
   */
  getSync(i: number): T {
    return this.#items[index(this.#items.length, i, "get()")];
  }

  /**
   * Replaces the item at `index` (negative: from the end).
   *
   * @param index The index (negative: from the end).
   * @param item The new item.
   * @throws {TypeError} If `index` is not an integer.
   * @throws {RangeError} If `index` is out of range.
   */
  set(index: number, item: T): Promise<void> {
    return later(() => this.setSync(index, item));
  }
  /**
   * {@linkcode DummyList.set}, at once.
   *
   * @param index The index (negative: from the end).
   * @param item The new item.
   * @throws {TypeError} If `index` is not an integer.
   * @throws {RangeError} If `index` is out of range.
   */
  setSync(i: number, item: T): void {
    this.#items[index(this.#items.length, i, "set()")] = item;
  }

  /**
   * The number of items (Python's `len(l)`).
   *
   * @returns A promise that resolves to the number of items.
   */
  length(): Promise<number> {
    return later(() => this.lengthSync());
  }
  /**
   * {@linkcode DummyList.length}, at once.
   *
   * @returns The number of items.
   */
  lengthSync(): number {
    return this.#items.length;
  }

  /** Reverses the list in place. */
  reverse(): Promise<void> {
    return later(() => this.reverseSync());
  }
  /** {@linkcode DummyList.reverse}, at once. */
  reverseSync(): void {
    this.#items.reverse();
  }

  /**
   * Sorts in place as Python does: numbers by value, strings by code point; mixing them throws.
   *
   * @param options `reverse: true` sorts in descending order.
   * @throws {TypeError} If the list mixes numbers and strings (`'<' not supported`).
   */
  sort(options: DummySortOptions = {}): Promise<void> {
    return later(() => this.sortSync(options));
  }
  /**
   * {@linkcode DummyList.sort}, at once.
   *
   * @param options `reverse: true` sorts in descending order.
   * @throws {TypeError} If the list mixes numbers and strings (`'<' not supported`).
   */
  sortSync(options: DummySortOptions = {}): void {
    this.#items.sort(compare);
    if (options.reverse === true) this.#items.reverse();
  }

  /**
   * A copy of the items from `start` to `end`, like `Array.prototype.slice`.
   *
   * @param start The first index (negative: from the end); default 0.
   * @param end The index to stop before (negative: from the end); default the length.
   * @returns A promise that resolves to the items, as a new array.
   */
  slice(start?: number, end?: number): Promise<T[]> {
    return later(() => this.sliceSync(start, end));
  }
  /**
   * {@linkcode DummyList.slice}, at once.
   *
   * @param start The first index (negative: from the end); default 0.
   * @param end The index to stop before (negative: from the end); default the length.
   * @returns The items, as a new array.
   */
  sliceSync(start?: number, end?: number): T[] {
    return this.#items.slice(start, end);
  }

  /**
   * A copy of the whole list as an array.
   *
   * @returns A promise that resolves to the items, as a new array.
   */
  toArray(): Promise<T[]> {
    return later(() => this.toArraySync());
  }
  /**
   * {@linkcode DummyList.toArray}, at once.
   *
   * @returns The items, as a new array.
   */
  toArraySync(): T[] {
    return this.#items.slice();
  }

  /**
   * The index of the first item equal to `item`, or -1.
   *
   * @param item The item to compare, by deep equality of plain data.
   * @returns A promise that resolves to the index of the first equal item, or -1.
   */
  indexOf(item: T): Promise<number> {
    return later(() => this.indexOfSync(item));
  }
  /**
   * {@linkcode DummyList.indexOf}, at once.
   *
   * @param item The item to compare, by deep equality of plain data.
   * @returns The index of the first equal item, or -1.
   */
  indexOfSync(item: T): number {
    return this.#items.findIndex((y) => equal(item, y));
  }

  /**
   * Whether some item equals `item`.
   *
   * @param item The item to compare, by deep equality of plain data.
   * @returns A promise that resolves to `true` if some item equals `item`.
   */
  includes(item: T): Promise<boolean> {
    return later(() => this.includesSync(item));
  }
  /**
   * {@linkcode DummyList.includes}, at once.
   *
   * @param item The item to compare, by deep equality of plain data.
   * @returns `true` if some item equals `item`.
   */
  includesSync(item: T): boolean {
    return this.indexOfSync(item) >= 0;
  }

  /**
   * The number of items equal to `item`.
   *
   * @param item The item to compare, by deep equality of plain data.
   * @returns A promise that resolves to the number of equal items.
   */
  count(item: T): Promise<number> {
    return later(() => this.countSync(item));
  }
  /**
   * {@linkcode DummyList.count}, at once.
   *
   * @param item The item to compare, by deep equality of plain data.
   * @returns The number of equal items.
   */
  countSync(item: T): number {
    return this.#items.filter((y) => equal(item, y)).length;
  }

  /** Removes every item. */
  clear(): Promise<void> {
    return later(() => this.clearSync());
  }
  /** {@linkcode DummyList.clear}, at once. */
  clearSync(): void {
    this.#items.length = 0;
  }

  /**
   * Iterates over a snapshot of the items: `for await (const x of l)`.
   *
   * @returns An async iterator over the items.
   */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<T> {
    yield* this.#items.slice();
  }

  /**
   * Describes the list: `<ListProxy(dummy) length=3>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<ListProxy(dummy) length=${this.#items.length}>`;
  }
}

/**
 * A namespace of `mp.dummy` (Python's `multiprocessing.dummy.Namespace`): a plain object
 * whose attributes are read and written directly. Its `toString()` lists them, like
 * Python's repr: `Namespace(a=1, b='x')`.
 *
 * @example Attributes, printed like Python
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const ns = new mp.Namespace({ count: 41 });
 * ns.count += 1;
 * console.log(String(ns)); // Namespace(count=42)
 * ```
 */
export class Namespace {
  // deno-lint-ignore no-explicit-any
  [name: string]: any;

  /**
   * Creates the namespace with the attributes of `init`.
   *
   * @param init The attributes to start with.
   */
  constructor(init: Record<string, unknown> = {}) {
    Object.assign(this, init);
  }

  /**
   * Lists the attributes not starting with `_`, sorted: `Namespace(a=1, b='x')`.
   *
   * @returns The description.
   */
  toString(): string {
    const parts = Object.entries(this)
      .filter(([k]) => !k.startsWith("_"))
      .map(([k, v]) => `${k}=${typeof v === "string" ? `'${v}'` : String(v)}`)
      .sort();
    return `Namespace(${parts.join(", ")})`;
  }
}

/**
 * What `Namespace()` of a dummy manager gives: an object read and written with plain
 * property access, typed as the real `NamespaceProxy` is.
 *
 * @example Typed like the real namespace proxy
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * await using manager = await mp.Manager();
 * const ns: mp.NamespaceProxy = await manager.Namespace({ n: 1 });
 * ns.n += 1;
 * console.log(ns.n); // 2
 * ```
 */
// deno-lint-ignore no-explicit-any
export type NamespaceProxy = Record<string, any>;

/**
 * The manager of `mp.dummy`: the real `SyncManager`'s factory methods, each making a
 * plain in-process object (a dict, a list, a namespace, a dummy queue, lock, ...)
 * instead of a proxy to a server. Nothing is started; `shutdown()` does nothing.
 *
 * @example The same calls as with a real manager
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * await using manager = await mp.Manager();
 * const d = await manager.dict<string, number>();
 * const q = await manager.Queue<string>();
 * await d.set("answer", 42);
 * q.putSync("done");
 * console.log(await d.get("answer"), q.getNowait()); // 42 done
 * ```
 */
export class DummyManager implements AsyncDisposable {
  #running = true;

  /** Does nothing (there is no server to start); kept for the real API. */
  start(): Promise<void> {
    this.#running = true;
    return Promise.resolve();
  }

  /** Does nothing but mark the manager stopped; the objects it made keep working. */
  shutdown(): Promise<void> {
    this.#running = false;
    return Promise.resolve();
  }

  /** Whether `shutdown()` has not been called. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * A new dict (see {@linkcode DummyDict}), filled from `init`.
   *
   * @param init A Map, `[key, value]` pairs, an object or another dict to fill it from.
   * @returns A promise that resolves to the new dict.
   */
  dict<K extends DummyDictKey = DummyDictKey, V = unknown>(
    init?: DummyDictSource<K, V>,
  ): Promise<DummyDict<K, V>> {
    return later(() => this.dictSync(init));
  }
  /**
   * {@linkcode DummyManager.dict}, at once.
   *
   * @param init A Map, `[key, value]` pairs, an object or another dict to fill it from.
   * @returns The new dict.
   */
  dictSync<K extends DummyDictKey = DummyDictKey, V = unknown>(
    init?: DummyDictSource<K, V>,
  ): DummyDict<K, V> {
    return new DummyDict<K, V>(init);
  }

  /**
   * A new list (see {@linkcode DummyList}), filled from `init`.
   *
   * @param init The items to start with.
   * @returns A promise that resolves to the new list.
   */
  list<T = unknown>(init?: Iterable<T> | DummyList<T>): Promise<DummyList<T>> {
    return later(() => this.listSync(init));
  }
  /**
   * {@linkcode DummyManager.list}, at once.
   *
   * @param init The items to start with.
   * @returns The new list.
   */
  listSync<T = unknown>(init?: Iterable<T> | DummyList<T>): DummyList<T> {
    return new DummyList<T>(init);
  }

  /**
   * A new {@linkcode Namespace} with the attributes of `init`.
   *
   * @param init The attributes to start with.
   * @returns A promise that resolves to the new namespace.
   */
  Namespace(init?: Record<string, unknown>): Promise<NamespaceProxy> {
    return later(() => this.NamespaceSync(init));
  }
  /**
   * {@linkcode DummyManager.Namespace}, at once.
   *
   * @param init The attributes to start with.
   * @returns The new namespace.
   */
  NamespaceSync(init?: Record<string, unknown>): NamespaceProxy {
    return new Namespace(init);
  }

  /**
   * A new dummy `Value`.
   *
   * @param typecode The typecode (`"i"`, `"d"`, ...).
   * @param init The initial value (default 0).
   * @param options `lock`: `true` (default), `false`, or a dummy Lock or RLock.
   * @returns A promise that resolves to the new value.
   * @throws {TypeError} If `typecode` is unknown.
   */
  Value<T extends Typecode>(typecode: T, init?: InitOf<T>, options?: DummySharedOptions): Promise<Value<T>> {
    return later(() => this.ValueSync(typecode, init, options));
  }
  /**
   * {@linkcode DummyManager.Value}, at once.
   *
   * @param typecode The typecode (`"i"`, `"d"`, ...).
   * @param init The initial value (default 0).
   * @param options `lock`: `true` (default), `false`, or a dummy Lock or RLock.
   * @returns The new value.
   * @throws {TypeError} If `typecode` is unknown.
   */
  ValueSync<T extends Typecode>(typecode: T, init?: InitOf<T>, options?: DummySharedOptions): Value<T> {
    return new Value(typecode, init, options);
  }

  /**
   * A new dummy `Array`.
   *
   * @param typecode The typecode (`"i"`, `"d"`, ...).
   * @param sizeOrInit A length (zero-filled) or the initial items.
   * @param options `lock`: `true` (default), `false`, or a dummy Lock or RLock.
   * @returns A promise that resolves to the new array.
   * @throws {TypeError} If `typecode` is unknown.
   */
  Array<T extends Typecode>(
    typecode: T,
    sizeOrInit: DummySizeOrInit<T>,
    options?: DummySharedOptions,
  ): Promise<DummyArray<T>> {
    return later(() => this.ArraySync(typecode, sizeOrInit, options));
  }
  /**
   * {@linkcode DummyManager.Array}, at once.
   *
   * @param typecode The typecode (`"i"`, `"d"`, ...).
   * @param sizeOrInit A length (zero-filled) or the initial items.
   * @param options `lock`: `true` (default), `false`, or a dummy Lock or RLock.
   * @returns The new array.
   * @throws {TypeError} If `typecode` is unknown.
   */
  ArraySync<T extends Typecode>(
    typecode: T,
    sizeOrInit: DummySizeOrInit<T>,
    options?: DummySharedOptions,
  ): DummyArray<T> {
    return new DummyArray(typecode, sizeOrInit, options);
  }

  /**
   * A new dummy `Queue`.
   *
   * @param maxsize The most items it holds (0 or less: no limit).
   * @returns A promise that resolves to the new queue.
   */
  Queue<T = unknown>(maxsize: number = 0): Promise<Queue<T>> {
    return later(() => this.QueueSync<T>(maxsize));
  }
  /**
   * {@linkcode DummyManager.Queue}, at once.
   *
   * @param maxsize The most items it holds (0 or less: no limit).
   * @returns The new queue.
   */
  QueueSync<T = unknown>(maxsize: number = 0): Queue<T> {
    return new Queue<T>(maxsize);
  }

  /**
   * A new dummy `JoinableQueue`.
   *
   * @param maxsize The most items it holds (0 or less: no limit).
   * @returns A promise that resolves to the new queue.
   */
  JoinableQueue<T = unknown>(maxsize: number = 0): Promise<JoinableQueue<T>> {
    return later(() => this.JoinableQueueSync<T>(maxsize));
  }
  /**
   * {@linkcode DummyManager.JoinableQueue}, at once.
   *
   * @param maxsize The most items it holds (0 or less: no limit).
   * @returns The new queue.
   */
  JoinableQueueSync<T = unknown>(maxsize: number = 0): JoinableQueue<T> {
    return new JoinableQueue<T>(maxsize);
  }

  /**
   * A new dummy `Lock`.
   *
   * @returns A promise that resolves to the new lock.
   */
  Lock(): Promise<Lock> {
    return later(() => this.LockSync());
  }
  /**
   * {@linkcode DummyManager.Lock}, at once.
   *
   * @returns The new lock.
   */
  LockSync(): Lock {
    return new Lock();
  }

  /**
   * A new dummy `RLock`.
   *
   * @returns A promise that resolves to the new lock.
   */
  RLock(): Promise<RLock> {
    return later(() => this.RLockSync());
  }
  /**
   * {@linkcode DummyManager.RLock}, at once.
   *
   * @returns The new lock.
   */
  RLockSync(): RLock {
    return new RLock();
  }

  /**
   * A new dummy `Semaphore`.
   *
   * @param value The initial number of permits (default 1).
   * @returns A promise that resolves to the new semaphore.
   */
  Semaphore(value: number = 1): Promise<Semaphore> {
    return later(() => this.SemaphoreSync(value));
  }
  /**
   * {@linkcode DummyManager.Semaphore}, at once.
   *
   * @param value The initial number of permits (default 1).
   * @returns The new semaphore.
   */
  SemaphoreSync(value: number = 1): Semaphore {
    return new Semaphore(value);
  }

  /**
   * A new dummy `BoundedSemaphore`.
   *
   * @param value The initial (and largest) number of permits (default 1).
   * @returns A promise that resolves to the new semaphore.
   */
  BoundedSemaphore(value: number = 1): Promise<BoundedSemaphore> {
    return later(() => this.BoundedSemaphoreSync(value));
  }
  /**
   * {@linkcode DummyManager.BoundedSemaphore}, at once.
   *
   * @param value The initial (and largest) number of permits (default 1).
   * @returns The new semaphore.
   */
  BoundedSemaphoreSync(value: number = 1): BoundedSemaphore {
    return new BoundedSemaphore(value);
  }

  /**
   * A new dummy `Condition` (over `lock`, default a new dummy RLock).
   *
   * @param lock The lock to use (default a new dummy RLock).
   * @returns A promise that resolves to the new condition.
   */
  Condition(lock?: Lock | RLock): Promise<Condition> {
    return later(() => this.ConditionSync(lock));
  }
  /**
   * {@linkcode DummyManager.Condition}, at once.
   *
   * @param lock The lock to use (default a new dummy RLock).
   * @returns The new condition.
   */
  ConditionSync(lock?: Lock | RLock): Condition {
    return new Condition(lock);
  }

  /**
   * A new dummy `Event`.
   *
   * @returns A promise that resolves to the new event.
   */
  Event(): Promise<Event> {
    return later(() => this.EventSync());
  }
  /**
   * {@linkcode DummyManager.Event}, at once.
   *
   * @returns The new event.
   */
  EventSync(): Event {
    return new Event();
  }

  /**
   * A new dummy `Barrier`.
   *
   * @param parties How many tasks must call `wait()`.
   * @param options `timeout`: the default timeout of `wait`, in milliseconds.
   * @returns A promise that resolves to the new barrier.
   */
  Barrier(parties: number, options?: BarrierOptions): Promise<Barrier> {
    return later(() => this.BarrierSync(parties, options));
  }
  /**
   * {@linkcode DummyManager.Barrier}, at once.
   *
   * @param parties How many tasks must call `wait()`.
   * @param options `timeout`: the default timeout of `wait`, in milliseconds.
   * @returns The new barrier.
   */
  BarrierSync(parties: number, options?: BarrierOptions): Barrier {
    return new Barrier(parties, options);
  }

  /** `await using manager = await Manager()`: calls `shutdown()` at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  /**
   * Describes the manager: `<DummyManager running>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<DummyManager ${this.#running ? "running" : "shut down"}>`;
  }
}

/**
 * Makes a dummy manager (Python's `multiprocessing.dummy.Manager()`): resolves at once
 * to a {@linkcode DummyManager}, so that `await mp.Manager()` reads the same with the
 * real module and with `mp.dummy`.
 *
 * @example A namespace from the manager
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * await using manager = await mp.Manager();
 * const ns = await manager.Namespace({ x: 1 });
 * ns.x += 1;
 * console.log(ns.x); // 2
 * ```
 * @returns A promise that resolves to a started dummy manager.
 */
export function Manager(): Promise<DummyManager> {
  return Promise.resolve(new DummyManager());
}

printable(DummyDict, DummyList, Namespace, DummyManager);
