/**
 * `ListProxy`: a list held by a manager's server, with `Array`'s names and Python's.
 *
 * @module
 */
import { BaseProxy } from "./base.ts";

/** Options of {@linkcode ListProxy.sort}. */
export interface SortOptions {
  /** Sort in descending order. */
  reverse?: boolean;
}

function itemsArg(items: unknown): unknown {
  return items instanceof ListProxy || Array.isArray(items) ? items : [...(items as Iterable<unknown>)];
}

/**
 * A list in a manager's server (Python's `ListProxy`), usable from any process it is
 * passed to. Items are copied in and out (an item read is a copy); a proxy stored as
 * an item stays a proxy. Indexes may be negative (from the end); one out of range
 * rejects with a `RangeError` (Python's `IndexError`).
 *
 * Every method returns a Promise and has a `*Sync` twin that blocks until the server
 * answers (on the main thread too, where it blocks the event loop briefly).
 *
 * @example Reversed by a child
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export async function flip(l: mp.ListProxy<number>) {
 *   await l.reverse();
 * }
 *
 * if (import.meta.main) {
 *   await using manager = await mp.Manager();
 *   const l = await manager.list([0, 1, 2, 3]);
 *   const p = new mp.Process({ target: flip, args: [l] });
 *   await p.start();
 *   await p.join();
 *   console.log(await l.toArray()); // [3, 2, 1, 0]
 * }
 * ```
 */
export class ListProxy<T = unknown> extends BaseProxy {
  /**
   * Appends `items`; resolves to the new length.
   *
   * @param items The items; they are copied (proxies stay proxies).
   * @returns A promise that resolves to the new length.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended, or an item cannot be copied (a function, or a shared object that is not a
   * manager proxy) (a rejection).
   */
  push(...items: T[]): Promise<number> {
    return this.callMethod("push", items) as Promise<number>;
  }
  /**
   * Blocking {@linkcode ListProxy.push}.
   *
   * @param items The items; they are copied (proxies stay proxies).
   * @returns The new length.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended, or an item cannot be copied (a function, or a shared object that is not a
   * manager proxy).
   */
  pushSync(...items: T[]): number {
    return this.callMethodSync("push", items) as number;
  }

  /**
   * Appends one item (Python's `append`).
   *
   * @param item The item; it is copied (a proxy stays a proxy).
   * @returns A promise that resolves once the item is appended.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended, or an item cannot be copied (a function, or a shared object that is not a
   * manager proxy) (a rejection).
   */
  async append(item: T): Promise<void> {
    await this.callMethod("push", [item]);
  }
  /**
   * Blocking {@linkcode ListProxy.append}.
   *
   * @param item The item; it is copied (a proxy stays a proxy).
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended, or an item cannot be copied (a function, or a shared object that is not a
   * manager proxy).
   */
  appendSync(item: T): void {
    this.callMethodSync("push", [item]);
  }

  /**
   * Appends every item of `items` (an iterable or another list proxy).
   *
   * @param items An iterable (read here) or another list proxy.
   * @returns A promise that resolves once the items are appended.
   * @throws {TypeError} If `items` is not iterable (a rejection).
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended, or an item cannot be copied (a function, or a shared object that is not a
   * manager proxy) (a rejection).
   */
  async extend(items: Iterable<T> | ListProxy<T>): Promise<void> {
    await this.callMethod("extend", [itemsArg(items)]);
  }
  /**
   * Blocking {@linkcode ListProxy.extend}.
   *
   * @param items An iterable (read here) or another list proxy.
   * @throws {TypeError} If `items` is not iterable.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended, or an item cannot be copied (a function, or a shared object that is not a
   * manager proxy).
   */
  extendSync(items: Iterable<T> | ListProxy<T>): void {
    this.callMethodSync("extend", [itemsArg(items)]);
  }

  /**
   * Inserts `item` before `index`.
   *
   * @param index The position to insert before; negative counts from the end, and one
   * beyond either end inserts at that end (as Python's `insert`).
   * @param item The item; it is copied (a proxy stays a proxy).
   * @returns A promise that resolves once the item is inserted.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended, or an item cannot be copied (a function, or a shared object that is not a
   * manager proxy) (a rejection).
   */
  async insert(index: number, item: T): Promise<void> {
    await this.callMethod("insert", [index, item]);
  }
  /**
   * Blocking {@linkcode ListProxy.insert}.
   *
   * @param index The position to insert before; negative counts from the end, and one
   * beyond either end inserts at that end (as Python's `insert`).
   * @param item The item; it is copied (a proxy stays a proxy).
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended, or an item cannot be copied (a function, or a shared object that is not a
   * manager proxy).
   */
  insertSync(index: number, item: T): void {
    this.callMethodSync("insert", [index, item]);
  }

  /**
   * Removes and returns the item at `index` (default: the last); `undefined` if empty.
   *
   * @param index The position, an integer, negative from the end (default: the last item).
   * @returns A promise that resolves to the removed item, or `undefined` if the list is
   * empty and no index is given.
   * @throws {RangeError} If `index` is given and out of range (on an empty list, any
   * index), as Python's `IndexError` (a rejection).
   * @throws {TypeError} If `index` is not an integer (a rejection).
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  pop(index?: number): Promise<T | undefined> {
    return this.callMethod("pop", [index]) as Promise<T | undefined>;
  }
  /**
   * Blocking {@linkcode ListProxy.pop}.
   *
   * @param index The position, an integer, negative from the end (default: the last item).
   * @returns The removed item, or `undefined` if the list is empty and no index is given.
   * @throws {RangeError} If `index` is given and out of range (on an empty list, any
   * index), as Python's `IndexError`.
   * @throws {TypeError} If `index` is not an integer.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  popSync(index?: number): T | undefined {
    return this.callMethodSync("pop", [index]) as T | undefined;
  }

  /**
   * Removes the first item equal to `item` (deep equality of plain data); rejects if none.
   *
   * @param item The item to look for, compared by deep equality of plain data.
   * @returns A promise that resolves once the item is removed.
   * @throws {Error} An error named `ValueError` if no item equals `item` (a rejection).
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  async remove(item: T): Promise<void> {
    await this.callMethod("remove", [item]);
  }
  /**
   * Blocking {@linkcode ListProxy.remove}.
   *
   * @param item The item to look for, compared by deep equality of plain data.
   * @throws {Error} An error named `ValueError` if no item equals `item`.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  removeSync(item: T): void {
    this.callMethodSync("remove", [item]);
  }

  /**
   * The item at `index` (negative: from the end).
   *
   * @param index The position, an integer; negative counts from the end (`-1`: the last
   * item).
   * @returns A promise that resolves to a copy of the item.
   * @throws {RangeError} If `index` is out of range, as Python's `IndexError` (a
   * rejection).
   * @throws {TypeError} If `index` is not an integer (a rejection).
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  get(index: number): Promise<T> {
    return this.callMethod("get", [index]) as Promise<T>;
  }
  /**
   * Blocking {@linkcode ListProxy.get}.
   *
   * @param index The position, an integer; negative counts from the end (`-1`: the last
   * item).
   * @returns A copy of the item.
   * @throws {RangeError} If `index` is out of range, as Python's `IndexError`.
   * @throws {TypeError} If `index` is not an integer.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  getSync(index: number): T {
    return this.callMethodSync("get", [index]) as T;
  }

  /**
   * Replaces the item at `index` (negative: from the end).
   *
   * @param index The position, an integer; negative counts from the end (`-1`: the last
   * item).
   * @param item The item; it is copied (a proxy stays a proxy).
   * @returns A promise that resolves once the item is replaced.
   * @throws {RangeError} If `index` is out of range, as Python's `IndexError` (a
   * rejection).
   * @throws {TypeError} If `index` is not an integer (a rejection).
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended, or an item cannot be copied (a function, or a shared object that is not a
   * manager proxy) (a rejection).
   */
  async set(index: number, item: T): Promise<void> {
    await this.callMethod("set", [index, item]);
  }
  /**
   * Blocking {@linkcode ListProxy.set}.
   *
   * @param index The position, an integer; negative counts from the end (`-1`: the last
   * item).
   * @param item The item; it is copied (a proxy stays a proxy).
   * @throws {RangeError} If `index` is out of range, as Python's `IndexError`.
   * @throws {TypeError} If `index` is not an integer.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended, or an item cannot be copied (a function, or a shared object that is not a
   * manager proxy).
   */
  setSync(index: number, item: T): void {
    this.callMethodSync("set", [index, item]);
  }

  /**
   * The number of items (Python's `len(l)`).
   *
   * @returns A promise that resolves to the number of items.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  length(): Promise<number> {
    return this.callMethod("length") as Promise<number>;
  }
  /**
   * Blocking {@linkcode ListProxy.length}.
   *
   * @returns The number of items.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  lengthSync(): number {
    return this.callMethodSync("length") as number;
  }

  /**
   * Reverses the list in place.
   *
   * @returns A promise that resolves once the list is reversed.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  async reverse(): Promise<void> {
    await this.callMethod("reverse");
  }
  /**
   * Blocking {@linkcode ListProxy.reverse}.
   *
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  reverseSync(): void {
    this.callMethodSync("reverse");
  }

  /**
   * Sorts the list in place, as Python does: numbers (and bigints) by value, strings
   * by code point; mixing the two rejects (Python's `TypeError`).
   *
   * @param options `reverse`: sort in descending order (default `false`).
   * @returns A promise that resolves once the list is sorted.
   * @throws {TypeError} If the list mixes numbers and strings, or holds other values (a
   * rejection).
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  async sort(options: SortOptions = {}): Promise<void> {
    await this.callMethod("sort", [options.reverse === true]);
  }
  /**
   * Blocking {@linkcode ListProxy.sort}.
   *
   * @param options `reverse`: sort in descending order (default `false`).
   * @throws {TypeError} If the list mixes numbers and strings, or holds other values.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  sortSync(options: SortOptions = {}): void {
    this.callMethodSync("sort", [options.reverse === true]);
  }

  /**
   * A copy of the items from `start` to `end`, like `Array.prototype.slice`.
   *
   * @param start The first index (default 0; negative from the end).
   * @param end The index to stop before (default: the length; negative from the end).
   * @returns A promise that resolves to an array of copies of the items.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  slice(start?: number, end?: number): Promise<T[]> {
    return this.callMethod("slice", [start, end]) as Promise<T[]>;
  }
  /**
   * Blocking {@linkcode ListProxy.slice}.
   *
   * @param start The first index (default 0; negative from the end).
   * @param end The index to stop before (default: the length; negative from the end).
   * @returns An array of copies of the items.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  sliceSync(start?: number, end?: number): T[] {
    return this.callMethodSync("slice", [start, end]) as T[];
  }

  /**
   * A copy of the whole list as an array.
   *
   * @returns A promise that resolves to an array of copies of the items.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  toArray(): Promise<T[]> {
    return this.callMethod("slice", []) as Promise<T[]>;
  }
  /**
   * Blocking {@linkcode ListProxy.toArray}.
   *
   * @returns An array of copies of the items.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  toArraySync(): T[] {
    return this.callMethodSync("slice", []) as T[];
  }

  /**
   * The index of the first item equal to `item`, or -1.
   *
   * @param item The item to look for, compared by deep equality of plain data.
   * @returns A promise that resolves to the index of the first equal item, or -1.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  indexOf(item: T): Promise<number> {
    return this.callMethod("indexOf", [item]) as Promise<number>;
  }
  /**
   * Blocking {@linkcode ListProxy.indexOf}.
   *
   * @param item The item to look for, compared by deep equality of plain data.
   * @returns The index of the first equal item, or -1.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  indexOfSync(item: T): number {
    return this.callMethodSync("indexOf", [item]) as number;
  }

  /**
   * Whether some item equals `item`.
   *
   * @param item The item to look for, compared by deep equality of plain data.
   * @returns A promise that resolves to `true` if some item equals `item`.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  includes(item: T): Promise<boolean> {
    return this.callMethod("includes", [item]) as Promise<boolean>;
  }
  /**
   * Blocking {@linkcode ListProxy.includes}.
   *
   * @param item The item to look for, compared by deep equality of plain data.
   * @returns `true` if some item equals `item`.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  includesSync(item: T): boolean {
    return this.callMethodSync("includes", [item]) as boolean;
  }

  /**
   * The number of items equal to `item`.
   *
   * @param item The item to look for, compared by deep equality of plain data.
   * @returns A promise that resolves to the number of equal items.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  count(item: T): Promise<number> {
    return this.callMethod("count", [item]) as Promise<number>;
  }
  /**
   * Blocking {@linkcode ListProxy.count}.
   *
   * @param item The item to look for, compared by deep equality of plain data.
   * @returns The number of equal items.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  countSync(item: T): number {
    return this.callMethodSync("count", [item]) as number;
  }

  /**
   * Removes every item.
   *
   * @returns A promise that resolves once the list is empty.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  async clear(): Promise<void> {
    await this.callMethod("clear");
  }
  /**
   * Blocking {@linkcode ListProxy.clear}.
   *
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  clearSync(): void {
    this.callMethodSync("clear");
  }

  /**
   * Iterates over a snapshot of the items: `for await (const x of l)`.
   *
   * @returns An async iterator of the items, from one snapshot.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<T> {
    yield* await this.toArray();
  }
}
