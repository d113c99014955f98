/**
 * The proxies of a manager's synchronization objects, Values and Arrays: this
 * package's own shared objects (they work across processes by themselves), made by
 * the server in the tree's arena (`manager_arena.ts`), behind a thin layer that refuses
 * use once the manager is shut down and that lets them travel as manager proxies
 * (inside dict and list proxies too).
 *
 * @module
 */
import { SHARE } from "../../internal/_codec.ts";
import { revive } from "../_arena.ts";
import type { Transport } from "../_transport.ts";
import { checkNotReleased, proxyHandle, remember } from "./base.ts";
import type { ProxyDesc } from "../_protocol.ts";
// The types a description may hold: their revivers must be registered here.
import "../../sync/barrier.ts";
import "../../sync/condition.ts";
import "../../sync/event.ts";
import "../../sync/lock.ts";
import "../../sync/rlock.ts";
import "../../sync/semaphore.ts";
import "../../shared/array.ts";
import "../../shared/value.ts";

/** Properties that answer even after shutdown (printing, awaiting, class checks). */
const ALWAYS = new Set<PropertyKey>(["then", "toString", "constructor", "toJSON", "valueOf"]);

/**
 * The object described by `desc` (an arena description in `desc.extra`), wrapped so
 * that each use checks that its manager still runs.
 */
export function sharedProxy(t: Transport, desc: ProxyDesc): object {
  const target = revive(desc.extra as string) as object;
  const what = `this ${desc.typeid} proxy`;
  const methods = new Map<PropertyKey, unknown>();
  const share = () => proxyHandle(t, desc);
  const check = () => {
    checkNotReleased(desc, what);
    t.check(what);
  };
  const proxy = new Proxy(target, {
    get(obj, key) {
      if (key === SHARE) return share;
      const v = Reflect.get(obj, key, obj);
      if (typeof key === "symbol" || ALWAYS.has(key)) return typeof v === "function" ? v.bind(obj) : v;
      if (typeof v !== "function") {
        check();
        return v;
      }
      let m = methods.get(key);
      if (m === undefined) {
        m = function (...args: unknown[]) {
          check();
          return v.apply(obj, args);
        };
        methods.set(key, m);
      }
      return m;
    },
    set(obj, key, value) {
      check();
      return Reflect.set(obj, key, value, obj);
    },
  });
  remember(proxy, t, desc);
  return proxy;
}
