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
  /** The value of `key`, or `defaultValue` (`undefined`) if absent. */
  get(key: K, defaultValue?: V): Promise<V | undefined> {
    checkKey(key, "get");
    return this.callMethod("get", [key, defaultValue]) as Promise<V | undefined>;
  }
  /** Blocking {@linkcode DictProxy.get}. */
  getSync(key: K, defaultValue?: V): V | undefined {
    checkKey(key, "getSync");
    return this.callMethodSync("get", [key, defaultValue]) as V | undefined;
  }

  /** Sets `key` to `value`. */
  async set(key: K, value: V): Promise<void> {
    checkKey(key, "set");
    await this.callMethod("set", [key, value]);
  }
  /** Blocking {@linkcode DictProxy.set}. */
  setSync(key: K, value: V): void {
    checkKey(key, "setSync");
    this.callMethodSync("set", [key, value]);
  }

  /** Whether `key` is present. */
  has(key: K): Promise<boolean> {
    return this.callMethod("has", [key]) as Promise<boolean>;
  }
  /** Blocking {@linkcode DictProxy.has}. */
  hasSync(key: K): boolean {
    return this.callMethodSync("has", [key]) as boolean;
  }

  /** Removes `key`; true if it was present. */
  delete(key: K): Promise<boolean> {
    return this.callMethod("delete", [key]) as Promise<boolean>;
  }
  /** Blocking {@linkcode DictProxy.delete}. */
  deleteSync(key: K): boolean {
    return this.callMethodSync("delete", [key]) as boolean;
  }

  /** Removes every entry. */
  async clear(): Promise<void> {
    await this.callMethod("clear");
  }
  /** Blocking {@linkcode DictProxy.clear}. */
  clearSync(): void {
    this.callMethodSync("clear");
  }

  /** The keys, in insertion order (an array: a snapshot). */
  keys(): Promise<K[]> {
    return this.callMethod("keys") as Promise<K[]>;
  }
  /** Blocking {@linkcode DictProxy.keys}. */
  keysSync(): K[] {
    return this.callMethodSync("keys") as K[];
  }

  /** The values, in insertion order (an array: a snapshot). */
  values(): Promise<V[]> {
    return this.callMethod("values") as Promise<V[]>;
  }
  /** Blocking {@linkcode DictProxy.values}. */
  valuesSync(): V[] {
    return this.callMethodSync("values") as V[];
  }

  /** The `[key, value]` pairs, in insertion order (an array: a snapshot). */
  entries(): Promise<[K, V][]> {
    return this.callMethod("entries") as Promise<[K, V][]>;
  }
  /** Blocking {@linkcode DictProxy.entries}. */
  entriesSync(): [K, V][] {
    return this.callMethodSync("entries") as [K, V][];
  }

  /** The number of entries (Python's `len(d)`). */
  size(): Promise<number> {
    return this.callMethod("size") as Promise<number>;
  }
  /** Blocking {@linkcode DictProxy.size}. */
  sizeSync(): number {
    return this.callMethodSync("size") as number;
  }

  /**
   * Removes `key` and returns its value; if absent, returns `defaultValue` when one is
   * given, else rejects with an error named `KeyError`, as Python raises one.
   */
  pop(key: K, ...defaultValue: [V?]): Promise<V> {
    return this.callMethod("pop", [key, ...defaultValue]) as Promise<V>;
  }
  /** Blocking {@linkcode DictProxy.pop}. */
  popSync(key: K, ...defaultValue: [V?]): V {
    return this.callMethodSync("pop", [key, ...defaultValue]) as V;
  }

  /** The value of `key`; if absent, sets it to `defaultValue` first and returns that. */
  setdefault(key: K, defaultValue?: V): Promise<V> {
    checkKey(key, "setdefault");
    return this.callMethod("setdefault", [key, defaultValue]) as Promise<V>;
  }
  /** Blocking {@linkcode DictProxy.setdefault}. */
  setdefaultSync(key: K, defaultValue?: V): V {
    checkKey(key, "setdefaultSync");
    return this.callMethodSync("setdefault", [key, defaultValue]) as V;
  }

  /** Sets every entry of `other` (a Map, `[key, value]` pairs, an object, or a dict proxy). */
  async update(other: DictSource<K, V>): Promise<void> {
    await this.callMethod("update", [sourceArg(other)]);
  }
  /** Blocking {@linkcode DictProxy.update}. */
  updateSync(other: DictSource<K, V>): void {
    this.callMethodSync("update", [sourceArg(other)]);
  }

  /** A copy of the dict as a `Map` (Python's `d.copy()`). */
  copy(): Promise<Map<K, V>> {
    return this.callMethod("copy") as Promise<Map<K, V>>;
  }
  /** Blocking {@linkcode DictProxy.copy}. */
  copySync(): Map<K, V> {
    return this.callMethodSync("copy") as Map<K, V>;
  }

  /** Iterates over a snapshot of the entries: `for await (const [k, v] of d)`. */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<[K, V]> {
    yield* await this.entries();
  }
}
