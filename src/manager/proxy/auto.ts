/**
 * `AutoProxy`: the proxy of an object of a type registered with
 * `BaseManager.register()`: each exposed method `m` is `m(...)` (a Promise) and
 * `mSync(...)` (blocking).
 *
 * @module
 */
import { SHARE } from "../../internal/_codec.ts";
import type { Transport } from "../_transport.ts";
import { callAsync, callSync, proxyHandle, releaseProxy, remember } from "./base.ts";
import type { ProxyDesc } from "../_protocol.ts";

/**
 * The proxy type of an object of class `T` held by a manager: each method of `T`
 * returns a Promise of its (awaited) result, and has a blocking `*Sync` twin.
 *
 * Errors: a method rejects (its `*Sync` twin throws) with the error the method threw in
 * the server, with its class and message (see {@linkcode BaseProxy.callMethod}); with a
 * `ProcessError` once the proxy is released, its manager shut down or its server ended,
 * or for an argument that cannot be copied; a `*Sync` twin of a remote manager's proxy
 * throws a `ProcessError` (use the async method). A name the type does not expose is a
 * function that throws a `TypeError` listing the exposed ones.
 */
export type AutoProxy<T> =
  & { [K in keyof T as T[K] extends (...args: never[]) => unknown ? K : never]: Promised<T[K]> }
  & {
    [K in keyof T as T[K] extends (...args: never[]) => unknown ? `${K & string}Sync` : never]: Awaiting<
      T[K]
    >;
  };

/** A method `(...A) => R` as a proxy's async method: `(...A) => Promise<Awaited<R>>`. */
export type Promised<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>>
  : never;

/** A method `(...A) => R` as a proxy's `*Sync` method: `(...A) => Awaited<R>`. */
export type Awaiting<F> = F extends (...args: infer A) => infer R ? (...args: A) => Awaited<R> : never;

// deno-lint-ignore no-explicit-any
type Method = (...args: any[]) => any;

const LOCAL = new Set<PropertyKey>(["then", "toJSON", "constructor", "valueOf"]);

/**
 * Builds the proxy of a registered type's object (`desc.extra`: its exposed methods).
 * `release()` (unless the type exposes a method of that name) and `[Symbol.dispose]()`
 * give back its reference, as `BaseProxy.release()` does.
 */
export function autoProxy(t: Transport, desc: ProxyDesc): object {
  const exposed = desc.extra as string[];
  const share = () => proxyHandle(t, desc);
  const methods = new Map<string, Method>();
  const release = () => releaseProxy(proxy);
  const missing = (name: string) =>
    new TypeError(
      `A ${desc.typeid} proxy has no method "${name}": the methods it exposes are ${
        exposed.map((m) => `${m}()`).join(", ") || "(none)"
      }, each with a *Sync twin`,
    );
  const describe = () => `<AutoProxy ${desc.typeid} id=${desc.id}>`;
  // The consoles inspect a Proxy's target without its traps: the target prints it.
  const target = Object.create(null);
  for (const key of [Symbol.for("Deno.customInspect"), Symbol.for("nodejs.util.inspect.custom")]) {
    Object.defineProperty(target, key, { value: describe, configurable: true });
  }
  const proxy = new Proxy(target, {
    get(_, key) {
      if (key === SHARE) return share;
      if (key === Symbol.dispose || (key === "release" && !exposed.includes("release"))) return release;
      if (typeof key === "symbol" || LOCAL.has(key)) return undefined;
      if (key === "toString") return describe;
      let m = methods.get(key);
      if (m !== undefined) return m;
      const sync = key.endsWith("Sync") && exposed.includes(key.slice(0, -4));
      const name = sync ? key.slice(0, -4) : key;
      if (sync) m = (...args: unknown[]) => callSync(t, desc, name, args);
      else if (exposed.includes(name)) m = (...args: unknown[]) => callAsync(t, desc, name, args, proxy);
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
