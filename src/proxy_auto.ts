/**
 * `AutoProxy`: the proxy of an object of a type registered with
 * `BaseManager.register()`: each exposed method `m` is `m(...)` (a Promise) and
 * `mSync(...)` (blocking).
 *
 * @module
 */
import { SHARE } from "./codec.ts";
import type { Transport } from "./manager_transport.ts";
import { callAsync, callSync, type ProxyDesc, proxyHandle, remember } from "./proxy.ts";

// deno-lint-ignore no-explicit-any
type Method = (...args: any[]) => any;

/**
 * The proxy type of an object of class `T` held by a manager: each method of `T`
 * returns a Promise of its (awaited) result, and has a blocking `*Sync` twin.
 */
export type AutoProxy<T> =
  & {
    [K in keyof T as T[K] extends Method ? K : never]: T[K] extends Method
      ? (...args: Parameters<T[K]>) => Promise<Awaited<ReturnType<T[K]>>>
      : never;
  }
  & {
    [K in keyof T as T[K] extends Method ? `${K & string}Sync` : never]: T[K] extends Method
      ? (...args: Parameters<T[K]>) => Awaited<ReturnType<T[K]>>
      : never;
  };

const LOCAL = new Set<PropertyKey>(["then", "toJSON", "constructor", "valueOf"]);

/** Builds the proxy of a registered type's object (`desc.extra`: its exposed methods). */
export function autoProxy(t: Transport, desc: ProxyDesc): object {
  const exposed = desc.extra as string[];
  const share = () => proxyHandle(t, desc);
  const methods = new Map<string, Method>();
  const missing = (name: string) =>
    new TypeError(
      `a ${desc.typeid} proxy has no method "${name}": the methods it exposes are ${
        exposed.map((m) => `${m}()`).join(", ") || "(none)"
      }, each with a *Sync twin`,
    );
  const proxy = new Proxy(Object.create(null), {
    get(_, key) {
      if (key === SHARE) return share;
      if (typeof key === "symbol" || LOCAL.has(key)) return undefined;
      if (key === "toString") return () => `<AutoProxy ${desc.typeid} id=${desc.id}>`;
      let m = methods.get(key);
      if (m !== undefined) return m;
      const sync = key.endsWith("Sync") && exposed.includes(key.slice(0, -4));
      const name = sync ? key.slice(0, -4) : key;
      if (sync) m = (...args: unknown[]) => callSync(t, desc, name, args);
      else if (exposed.includes(name)) m = (...args: unknown[]) => callAsync(t, desc, name, args);
      else {
        m = () => {
          throw missing(key);
        };
      }
      methods.set(key, m);
      return m;
    },
  });
  remember(proxy, t, desc);
  return proxy;
}
