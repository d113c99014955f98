/**
 * `DictProxy`: a dict held by a manager's server, with `Map`'s names and Python's.
 *
 * @module
 */
import { BaseProxy } from "./base.ts";

/** A key of a managed dict: a primitive, so that it keeps its identity across processes. */
export type DictKey = string | number | bigint | boolean | null | undefined;

/** What `update()` accepts. */
export type DictSource<K extends DictKey, V> = Map<K, V> | Iterable<readonly [K, V]> | DictProxy<K, V> | {
  [key: string]: V;
};

function checkKey(key: unknown, method: string): void {
  if (typeof key === "object" && key !== null || typeof key === "function" || typeof key === "symbol") {
    throw new TypeError(
      `DictProxy.${method}(): a key must be a string, number, bigint, boolean, null or undefined ` +
        `(keys keep their type: 1 and "1" are different keys), got ${typeof key}`,
    );
  }
}

function sourceArg(other: unknown): unknown {
  if (other instanceof DictProxy || other instanceof Map) return other;
  if (typeof other === "object" && other !== null && Symbol.iterator in other) {
    return [...(other as Iterable<unknown>)];
  }
  return other;
}

/**
 * A dict in a manager's server (Python's `DictProxy`), usable from any process it is
 * passed to. Keys keep their JS types (`1`, `"1"` and `0.25` are three keys, as in
 * Python); values are copied in and out (a value read is a copy: change it, then `set`
 * it back). A proxy stored as a value stays a proxy.
 *
 * Every method returns a Promise and has a `*Sync` twin that blocks until the server
 * answers (on the main thread too, where it blocks the event loop briefly).
 *
 * @example Shared by a child
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export async function fill(d: mp.DictProxy<number | string, string>) {
 *   await d.set(1, "one");
 *   d.setSync("2", "two");
 * }
 *
 * if (import.meta.main) {
 *   await using manager = await mp.Manager();
 *   const d = await manager.dict<number | string, string>();
 *   const p = new mp.Process({ target: fill, args: [d] });
 *   await p.start();
 *   await p.join();
 *   console.log(await d.copy()); // Map(2) { 1 => "one", "2" => "two" }
 * }
 * ```
 */
export class DictProxy<K extends DictKey = DictKey, V = unknown> extends BaseProxy {
  /**
   * The value of `key`, or `defaultValue` (`undefined`) if absent.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined` (`1` and
   * `"1"` are different keys).
   * @param defaultValue What to return if `key` is absent (default `undefined`).
   * @returns A promise that resolves to a copy of the value, or `defaultValue`.
   * @throws {TypeError} If `key` is not a string, number, bigint, boolean, `null` or
   * `undefined` (thrown at once).
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  get(key: K, defaultValue?: V): Promise<V | undefined> {
    checkKey(key, "get");
    return this.callMethod("get", [key, defaultValue]) as Promise<V | undefined>;
  }
  /**
   * Blocking {@linkcode DictProxy.get}.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined` (`1` and
   * `"1"` are different keys).
   * @param defaultValue What to return if `key` is absent (default `undefined`).
   * @returns A copy of the value, or `defaultValue`.
   * @throws {TypeError} If `key` is not a string, number, bigint, boolean, `null` or
   * `undefined` (thrown at once).
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  getSync(key: K, defaultValue?: V): V | undefined {
    checkKey(key, "getSync");
    return this.callMethodSync("get", [key, defaultValue]) as V | undefined;
  }

  /**
   * Sets `key` to `value`.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined` (`1` and
   * `"1"` are different keys).
   * @param value The value; it is copied (a proxy stays a proxy).
   * @returns A promise that resolves once the entry is set.
   * @throws {TypeError} If `key` is not a string, number, bigint, boolean, `null` or
   * `undefined` (a rejection).
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended, or the value cannot be copied (a function, or a shared object that is not
   * a manager proxy) (a rejection).
   */
  async set(key: K, value: V): Promise<void> {
    checkKey(key, "set");
    await this.callMethod("set", [key, value]);
  }
  /**
   * Blocking {@linkcode DictProxy.set}.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined` (`1` and
   * `"1"` are different keys).
   * @param value The value; it is copied (a proxy stays a proxy).
   * @throws {TypeError} If `key` is not a string, number, bigint, boolean, `null` or
   * `undefined`.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended, or the value cannot be copied (a function, or a shared object that is not
   * a manager proxy).
   */
  setSync(key: K, value: V): void {
    checkKey(key, "setSync");
    this.callMethodSync("set", [key, value]);
  }

  /**
   * Whether `key` is present.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined` (`1` and
   * `"1"` are different keys).
   * @returns A promise that resolves to `true` if `key` is present.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  has(key: K): Promise<boolean> {
    return this.callMethod("has", [key]) as Promise<boolean>;
  }
  /**
   * Blocking {@linkcode DictProxy.has}.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined` (`1` and
   * `"1"` are different keys).
   * @returns `true` if `key` is present.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  hasSync(key: K): boolean {
    return this.callMethodSync("has", [key]) as boolean;
  }

  /**
   * Removes `key`; true if it was present.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined` (`1` and
   * `"1"` are different keys).
   * @returns A promise that resolves to `true` if `key` was present.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  delete(key: K): Promise<boolean> {
    return this.callMethod("delete", [key]) as Promise<boolean>;
  }
  /**
   * Blocking {@linkcode DictProxy.delete}.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined` (`1` and
   * `"1"` are different keys).
   * @returns `true` if `key` was present.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  deleteSync(key: K): boolean {
    return this.callMethodSync("delete", [key]) as boolean;
  }

  /**
   * Removes every entry.
   *
   * @returns A promise that resolves once the dict is empty.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  async clear(): Promise<void> {
    await this.callMethod("clear");
  }
  /**
   * Blocking {@linkcode DictProxy.clear}.
   *
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  clearSync(): void {
    this.callMethodSync("clear");
  }

  /**
   * The keys, in insertion order (an array: a snapshot).
   *
   * @returns A promise that resolves to an array of the keys.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  keys(): Promise<K[]> {
    return this.callMethod("keys") as Promise<K[]>;
  }
  /**
   * Blocking {@linkcode DictProxy.keys}.
   *
   * @returns An array of the keys.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  keysSync(): K[] {
    return this.callMethodSync("keys") as K[];
  }

  /**
   * The values, in insertion order (an array: a snapshot).
   *
   * @returns A promise that resolves to an array of copies of the values.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  values(): Promise<V[]> {
    return this.callMethod("values") as Promise<V[]>;
  }
  /**
   * Blocking {@linkcode DictProxy.values}.
   *
   * @returns An array of copies of the values.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  valuesSync(): V[] {
    return this.callMethodSync("values") as V[];
  }

  /**
   * The `[key, value]` pairs, in insertion order (an array: a snapshot).
   *
   * @returns A promise that resolves to an array of `[key, value]` pairs.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  entries(): Promise<[K, V][]> {
    return this.callMethod("entries") as Promise<[K, V][]>;
  }
  /**
   * Blocking {@linkcode DictProxy.entries}.
   *
   * @returns An array of `[key, value]` pairs.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  entriesSync(): [K, V][] {
    return this.callMethodSync("entries") as [K, V][];
  }

  /**
   * The number of entries (Python's `len(d)`).
   *
   * @returns A promise that resolves to the number of entries.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  size(): Promise<number> {
    return this.callMethod("size") as Promise<number>;
  }
  /**
   * Blocking {@linkcode DictProxy.size}.
   *
   * @returns The number of entries.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  sizeSync(): number {
    return this.callMethodSync("size") as number;
  }

  /**
   * Removes `key` and returns its value; if absent, returns `defaultValue` when one is
   * given, else rejects with an error named `KeyError`, as Python raises one.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined` (`1` and
   * `"1"` are different keys).
   * @param defaultValue What to return if `key` is absent; without it, an absent key
   * rejects.
   * @returns A promise that resolves to the removed value, or `defaultValue`.
   * @throws {Error} An error named `KeyError` if `key` is absent and no `defaultValue` is
   * given (a rejection).
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  pop(key: K, ...defaultValue: [V?]): Promise<V> {
    return this.callMethod("pop", [key, ...defaultValue]) as Promise<V>;
  }
  /**
   * Blocking {@linkcode DictProxy.pop}.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined` (`1` and
   * `"1"` are different keys).
   * @param defaultValue What to return if `key` is absent; without it, an absent key
   * rejects.
   * @returns The removed value, or `defaultValue`.
   * @throws {Error} An error named `KeyError` if `key` is absent and no `defaultValue` is
   * given.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  popSync(key: K, ...defaultValue: [V?]): V {
    return this.callMethodSync("pop", [key, ...defaultValue]) as V;
  }

  /**
   * The value of `key`; if absent, sets it to `defaultValue` first and returns that.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined` (`1` and
   * `"1"` are different keys).
   * @param defaultValue The value to set if `key` is absent (default `undefined`); it is
   * copied.
   * @returns A promise that resolves to the value of `key` (a copy).
   * @throws {TypeError} If `key` is not a string, number, bigint, boolean, `null` or
   * `undefined` (thrown at once).
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended, or the value cannot be copied (a function, or a shared object that is not
   * a manager proxy) (a rejection).
   */
  setdefault(key: K, defaultValue?: V): Promise<V> {
    checkKey(key, "setdefault");
    return this.callMethod("setdefault", [key, defaultValue]) as Promise<V>;
  }
  /**
   * Blocking {@linkcode DictProxy.setdefault}.
   *
   * @param key The key: a string, number, bigint, boolean, `null` or `undefined` (`1` and
   * `"1"` are different keys).
   * @param defaultValue The value to set if `key` is absent (default `undefined`); it is
   * copied.
   * @returns The value of `key` (a copy).
   * @throws {TypeError} If `key` is not a string, number, bigint, boolean, `null` or
   * `undefined` (thrown at once).
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended, or the value cannot be copied (a function, or a shared object that is not
   * a manager proxy).
   */
  setdefaultSync(key: K, defaultValue?: V): V {
    checkKey(key, "setdefaultSync");
    return this.callMethodSync("setdefault", [key, defaultValue]) as V;
  }

  /**
   * Sets every entry of `other` (a Map, `[key, value]` pairs, an object, or a dict proxy).
   *
   * @param other A `Map`, an iterable of `[key, value]` pairs, a plain object, or a dict
   * proxy.
   * @returns A promise that resolves once every entry is set.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended, or the value cannot be copied (a function, or a shared object that is not
   * a manager proxy) (a rejection).
   */
  async update(other: DictSource<K, V>): Promise<void> {
    await this.callMethod("update", [sourceArg(other)]);
  }
  /**
   * Blocking {@linkcode DictProxy.update}.
   *
   * @param other A `Map`, an iterable of `[key, value]` pairs, a plain object, or a dict
   * proxy.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended, or the value cannot be copied (a function, or a shared object that is not
   * a manager proxy).
   */
  updateSync(other: DictSource<K, V>): void {
    this.callMethodSync("update", [sourceArg(other)]);
  }

  /**
   * A copy of the dict as a `Map` (Python's `d.copy()`).
   *
   * @returns A promise that resolves to a `Map` holding copies of the entries.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  copy(): Promise<Map<K, V>> {
    return this.callMethod("copy") as Promise<Map<K, V>>;
  }
  /**
   * Blocking {@linkcode DictProxy.copy}.
   *
   * @returns A `Map` holding copies of the entries.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended.
   */
  copySync(): Map<K, V> {
    return this.callMethodSync("copy") as Map<K, V>;
  }

  /**
   * Iterates over a snapshot of the entries: `for await (const [k, v] of d)`.
   *
   * @returns An async iterator of `[key, value]` pairs, from one snapshot.
   * @throws {ProcessError} If the proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<[K, V]> {
    yield* await this.entries();
  }
}
