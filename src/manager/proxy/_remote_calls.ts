/**
 * What the proxies of a remote manager's own objects (queues, locks, events,
 * conditions, barriers, values, arrays) share: their calls, async and blocking, and a
 * timeout as it travels to the server. Private to the package.
 *
 * @module
 */
import { checkTimeout } from "../../internal/_timeouts.ts";
import { callAsync, callSync, wayOf } from "./base.ts";

/** Calls `method` of the proxy's object without blocking (errors reject). */
export function remoteCall(proxy: object, method: string, args: unknown[]): Promise<unknown> {
  const w = wayOf(proxy);
  return callAsync(w.t, w.desc, method, args, proxy);
}

/** Calls `method` of the proxy's object, blocking until the reply (through the program's relay thread). */
export function remoteCallSync(proxy: object, method: string, args: unknown[]): unknown {
  const w = wayOf(proxy);
  return callSync(w.t, w.desc, method, args);
}

/**
 * A timeout as it travels to the server: the package's one rule (`undefined`, `null`
 * or `Infinity` wait as long as it takes, `0` or less does not wait, `NaN` or a
 * non-number is a `TypeError` naming `where`), with "forever" sent as `null` and "do
 * not wait" as 0.
 */
export function wireTimeout(timeout: unknown, where: string): number | null {
  const ms = checkTimeout(timeout, where);
  return ms === undefined || ms === Infinity ? null : Math.max(0, ms);
}

/** Calls `method(...before, timeout)` without blocking; a bad timeout rejects, and nothing is sent. */
export function timedCall(
  proxy: object,
  method: string,
  timeout: unknown,
  where: string,
  before: unknown[] = [],
): Promise<unknown> {
  try {
    return remoteCall(proxy, method, [...before, wireTimeout(timeout, where)]);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Blocking {@linkcode timedCall}: a bad timeout throws, and nothing is sent. */
export function timedCallSync(
  proxy: object,
  method: string,
  timeout: unknown,
  where: string,
  before: unknown[] = [],
): unknown {
  return remoteCallSync(proxy, method, [...before, wireTimeout(timeout, where)]);
}
