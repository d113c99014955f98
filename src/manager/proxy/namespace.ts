/**
 * `NamespaceProxy`: a manager's namespace, read and written with plain property
 * access (each access is one synchronous round trip to the server).
 *
 * @module
 */
import { SHARE } from "../../internal/_codec.ts";
import type { Transport } from "../_transport.ts";
import { callSync, proxyHandle, releaseProxy, remember } from "./base.ts";
import type { ProxyDesc } from "../_protocol.ts";

/** Names that stay local: probes made by `await`, printing and JSON. */
const LOCAL = new Set<PropertyKey>(["then", "toJSON", "constructor", "valueOf", "toString"]);
/** What the runtimes' consoles call to print an object. */
const INSPECT = new Set<PropertyKey>([
  Symbol.for("Deno.customInspect"),
  Symbol.for("nodejs.util.inspect.custom"),
]);

/** Python keeps a Namespace proxy's attributes that start with `_` on the proxy itself. */
const isPrivate = (key: PropertyKey): key is string => typeof key === "string" && key.startsWith("_");

/**
 * A namespace in a manager's server (Python's `Manager().Namespace()`): attributes set
 * by one process are seen by every process holding the proxy. Each property read,
 * write, `delete` and `in` is a synchronous round trip to the server (on the main
 * thread it blocks the event loop for that brief time). Values are copied in and out.
 * The names `then`, `toJSON`, `constructor`, `valueOf` and `toString` are not
 * attributes (they answer locally), and, as in Python, names that start with `_` stay
 * on the proxy itself (this process's own, never sent). Printing shows
 * `<NamespaceProxy id=…>`; `JSON.stringify(ns)` (or `ns.toJSON()`) gives its contents.
 * A `using` block (or `mp.releaseProxy(ns)`) gives back the proxy's reference on its
 * namespace.
 *
 * Errors: a property read, write, `delete` or `in` (and `JSON.stringify`) throws a
 * `ProcessError` once the proxy is released, its manager shut down or its server
 * ended, and a write throws one for a value that cannot be copied (a function, or a
 * shared object that is not a manager proxy).
 *
 * @example Attributes shared with a child
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export function bump(ns: mp.NamespaceProxy) {
 *   ns.count = (ns.count as number) + 1;
 * }
 *
 * if (import.meta.main) {
 *   await using manager = await mp.Manager();
 *   const ns = await manager.Namespace({ count: 41 });
 *   const p = new mp.Process({ target: bump, args: [ns] });
 *   await p.start();
 *   await p.join();
 *   console.log(ns.count); // 42
 * }
 * ```
 */
// deno-lint-ignore no-explicit-any
export type NamespaceProxy = Record<string, any>;

/** Builds the namespace proxy for `desc`. */
export function namespaceProxy(t: Transport, desc: ProxyDesc): NamespaceProxy {
  const call = (method: string, args: unknown[]) => callSync(t, desc, method, args);
  const share = () => proxyHandle(t, desc);
  const release = () => releaseProxy(proxy);
  const privates = new Map<string, unknown>();
  const local: Record<string, unknown> = {
    toString: () => `<NamespaceProxy id=${desc.id}>`,
    valueOf() {
      return proxy;
    },
    toJSON: () => call("toObject", []),
  };
  // The consoles inspect a Proxy's target without its traps: the target prints it.
  const target = Object.create(null) as NamespaceProxy;
  for (const key of INSPECT) {
    Object.defineProperty(target, key, { value: local.toString, configurable: true });
  }
  const proxy: NamespaceProxy = new Proxy(target, {
    get(_, key) {
      if (key === SHARE) return share;
      if (key === Symbol.dispose) return release;
      if (INSPECT.has(key)) return local.toString;
      if (typeof key === "symbol") return undefined;
      if (LOCAL.has(key)) return local[key];
      if (isPrivate(key)) return privates.get(key);
      return call("get", [key]);
    },
    set(_, key, value) {
      if (typeof key === "symbol" || LOCAL.has(key)) return false;
      if (isPrivate(key)) privates.set(key, value);
      else call("set", [key, value]);
      return true;
    },
    deleteProperty(_, key) {
      if (typeof key === "symbol") return false;
      if (isPrivate(key)) privates.delete(key);
      else call("delete", [key]);
      return true;
    },
    has(_, key) {
      if (isPrivate(key)) return privates.has(key);
      return typeof key === "string" && call("has", [key]) as boolean;
    },
    ownKeys() {
      return call("keys", []) as string[];
    },
    getOwnPropertyDescriptor(_, key) {
      if (isPrivate(key)) {
        return privates.has(key)
          ? { value: privates.get(key), writable: true, enumerable: false, configurable: true }
          : undefined;
      }
      if (typeof key === "symbol" || !(call("has", [key]) as boolean)) return undefined;
      return { value: call("get", [key]), writable: true, enumerable: true, configurable: true };
    },
    defineProperty() {
      return false;
    },
  });
  remember(proxy, t, desc);
  return proxy;
}
