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
  /** Appends `items`; resolves to the new length. */
  push(...items: T[]): Promise<number> {
    return this.callMethod("push", items) as Promise<number>;
  }
  /** Blocking {@linkcode ListProxy.push}. */
  pushSync(...items: T[]): number {
    return this.callMethodSync("push", items) as number;
  }

  /** Appends one item (Python's `append`). */
  async append(item: T): Promise<void> {
    await this.callMethod("push", [item]);
  }
  /** Blocking {@linkcode ListProxy.append}. */
  appendSync(item: T): void {
    this.callMethodSync("push", [item]);
  }

  /** Appends every item of `items` (an iterable or another list proxy). */
  async extend(items: Iterable<T> | ListProxy<T>): Promise<void> {
    await this.callMethod("extend", [itemsArg(items)]);
  }
  /** Blocking {@linkcode ListProxy.extend}. */
  extendSync(items: Iterable<T> | ListProxy<T>): void {
    this.callMethodSync("extend", [itemsArg(items)]);
  }

  /** Inserts `item` before `index`. */
  async insert(index: number, item: T): Promise<void> {
    await this.callMethod("insert", [index, item]);
  }
  /** Blocking {@linkcode ListProxy.insert}. */
  insertSync(index: number, item: T): void {
    this.callMethodSync("insert", [index, item]);
  }

  /** Removes and returns the item at `index` (default: the last); `undefined` if empty. */
  pop(index?: number): Promise<T | undefined> {
    return this.callMethod("pop", [index]) as Promise<T | undefined>;
  }
  /** Blocking {@linkcode ListProxy.pop}. */
  popSync(index?: number): T | undefined {
    return this.callMethodSync("pop", [index]) as T | undefined;
  }

  /** Removes the first item equal to `item` (deep equality of plain data); rejects if none. */
  async remove(item: T): Promise<void> {
    await this.callMethod("remove", [item]);
  }
  /** Blocking {@linkcode ListProxy.remove}. */
  removeSync(item: T): void {
    this.callMethodSync("remove", [item]);
  }

  /** The item at `index` (negative: from the end). */
  get(index: number): Promise<T> {
    return this.callMethod("get", [index]) as Promise<T>;
  }
  /** Blocking {@linkcode ListProxy.get}. */
  getSync(index: number): T {
    return this.callMethodSync("get", [index]) as T;
  }

  /** Replaces the item at `index` (negative: from the end). */
  async set(index: number, item: T): Promise<void> {
    await this.callMethod("set", [index, item]);
  }
  /** Blocking {@linkcode ListProxy.set}. */
  setSync(index: number, item: T): void {
    this.callMethodSync("set", [index, item]);
  }

  /** The number of items (Python's `len(l)`). */
  length(): Promise<number> {
    return this.callMethod("length") as Promise<number>;
  }
  /** Blocking {@linkcode ListProxy.length}. */
  lengthSync(): number {
    return this.callMethodSync("length") as number;
  }

  /** Reverses the list in place. */
  async reverse(): Promise<void> {
    await this.callMethod("reverse");
  }
  /** Blocking {@linkcode ListProxy.reverse}. */
  reverseSync(): void {
    this.callMethodSync("reverse");
  }

  /**
   * Sorts the list in place, as Python does: numbers (and bigints) by value, strings
   * by code point; mixing the two rejects (Python's `TypeError`).
   */
  async sort(options: SortOptions = {}): Promise<void> {
    await this.callMethod("sort", [options.reverse === true]);
  }
  /** Blocking {@linkcode ListProxy.sort}. */
  sortSync(options: SortOptions = {}): void {
    this.callMethodSync("sort", [options.reverse === true]);
  }

  /** A copy of the items from `start` to `end`, like `Array.prototype.slice`. */
  slice(start?: number, end?: number): Promise<T[]> {
    return this.callMethod("slice", [start, end]) as Promise<T[]>;
  }
  /** Blocking {@linkcode ListProxy.slice}. */
  sliceSync(start?: number, end?: number): T[] {
    return this.callMethodSync("slice", [start, end]) as T[];
  }

  /** A copy of the whole list as an array. */
  toArray(): Promise<T[]> {
    return this.callMethod("slice", []) as Promise<T[]>;
  }
  /** Blocking {@linkcode ListProxy.toArray}. */
  toArraySync(): T[] {
    return this.callMethodSync("slice", []) as T[];
  }

  /** The index of the first item equal to `item`, or -1. */
  indexOf(item: T): Promise<number> {
    return this.callMethod("indexOf", [item]) as Promise<number>;
  }
  /** Blocking {@linkcode ListProxy.indexOf}. */
  indexOfSync(item: T): number {
    return this.callMethodSync("indexOf", [item]) as number;
  }

  /** Whether some item equals `item`. */
  includes(item: T): Promise<boolean> {
    return this.callMethod("includes", [item]) as Promise<boolean>;
  }
  /** Blocking {@linkcode ListProxy.includes}. */
  includesSync(item: T): boolean {
    return this.callMethodSync("includes", [item]) as boolean;
  }

  /** The number of items equal to `item`. */
  count(item: T): Promise<number> {
    return this.callMethod("count", [item]) as Promise<number>;
  }
  /** Blocking {@linkcode ListProxy.count}. */
  countSync(item: T): number {
    return this.callMethodSync("count", [item]) as number;
  }

  /** Removes every item. */
  async clear(): Promise<void> {
    await this.callMethod("clear");
  }
  /** Blocking {@linkcode ListProxy.clear}. */
  clearSync(): void {
    this.callMethodSync("clear");
  }

  /** Iterates over a snapshot of the items: `for await (const x of l)`. */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<T> {
    yield* await this.toArray();
  }
}
