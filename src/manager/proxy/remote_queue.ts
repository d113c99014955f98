/**
 * `RemoteQueueProxy`: the proxy of a queue of a remote manager (one made with an
 * `address`). Its calls travel over the manager's socket connection; gets and puts wait
 * in the server.
 *
 * @module
 */
import type { Transport } from "../_transport.ts";
import { BaseProxy, callAsync, callSync } from "./base.ts";
import type { ProxyDesc } from "../_protocol.ts";
import { checkTimeout } from "../../internal/_timeouts.ts";

/**
 * The proxy of a queue of a remote manager: `put` / `get` wait in the server (a waiting
 * `get` whose client goes away takes no item); every method returns a Promise, and has
 * a blocking `*Sync` twin (made through the program's relay thread to the server, see
 * {@linkcode BaseProxy.callMethodSync}).
 *
 * @example Blocking calls to a remote queue
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 * const m = new mp.SyncManager({ address: ["127.0.0.1", 50000], authkey: "abracadabra" });
 * await m.connect();
 * const q = m.QueueSync(); // a RemoteQueueProxy
 * q.putSync("hello");
 * console.log(q.getSync(1000)); // "hello"
 * ```
 */
export class RemoteQueueProxy<T = unknown> extends BaseProxy {
  readonly #t: Transport;
  readonly #desc: ProxyDesc;
  /**
   * Made when a remote manager returns a queue.
   *
   * @param t The connection to the remote manager (internal).
   * @param desc Which manager and queue the proxy stands for.
   */
  constructor(t: Transport, desc: ProxyDesc) {
    super(t, desc);
    this.#t = t;
    this.#desc = desc;
  }
  /**
   * The item limit (0: none).
   *
   * @returns The most items the queue holds, or 0 for no limit.
   */
  get maxsize(): number {
    return (this.#desc.extra as { maxsize: number }).maxsize;
  }
  #call(method: string, args: unknown[]): Promise<unknown> {
    return callAsync(this.#t, this.#desc, method, args, this);
  }
  #callSync(method: string, args: unknown[]): unknown {
    return callSync(this.#t, this.#desc, method, args);
  }
  /**
   * Puts `item`, waiting at most `timeout` ms for room; `Full` on timeout.
   *
   * @param item The item; it is copied (a proxy stays a proxy).
   * @param timeout How long to wait in the server, in milliseconds; `undefined` or
   * `null` or `Infinity` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves once the item is in the queue.
   * @throws {Full} If there was no room within `timeout` ms (a rejection).
   * @throws {ProcessError} If the proxy was released, the connection to the remote manager
   * was closed or failed, or `item` cannot be sent (a rejection).
   */
  put(item: T, timeout?: number): Promise<void> {
    const ms = wireTimeout(timeout, "RemoteQueueProxy.put()");
    return (ms instanceof Error ? Promise.reject(ms) : this.#call("put", [item, ms])) as Promise<void>;
  }
  /**
   * Takes the front item, waiting at most `timeout` ms; `Empty` on timeout.
   *
   * @param timeout How long to wait in the server, in milliseconds; `undefined` or
   * `null` or `Infinity` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to the item (a copy).
   * @throws {Empty} If no item came within `timeout` ms (a rejection).
   * @throws {ProcessError} If the proxy was released, or the connection to the remote
   * manager was closed or failed (a rejection).
   */
  get(timeout?: number): Promise<T> {
    const ms = wireTimeout(timeout, "RemoteQueueProxy.get()");
    return (ms instanceof Error ? Promise.reject(ms) : this.#call("get", [ms])) as Promise<T>;
  }
  /**
   * Blocking {@linkcode RemoteQueueProxy.put}.
   *
   * @param item The item; it is copied (a proxy stays a proxy).
   * @param timeout How long to wait in the server, in milliseconds; `undefined` or
   * `null` or `Infinity` waits as long as it takes, `0` or less does not wait.
   * @throws {Full} If there was no room within `timeout` ms.
   * @throws {TypeError} If `timeout` is `NaN` or not a number.
   * @throws {ProcessError} If the proxy was released, the connection to the remote manager
   * was closed or failed, or `item` cannot be sent.
   */
  putSync(item: T, timeout?: number): void {
    const ms = wireTimeout(timeout, "RemoteQueueProxy.putSync()");
    if (ms instanceof Error) throw ms;
    this.#callSync("put", [item, ms]);
  }
  /**
   * Blocking {@linkcode RemoteQueueProxy.get}.
   *
   * @param timeout How long to wait in the server, in milliseconds; `undefined` or
   * `null` or `Infinity` waits as long as it takes, `0` or less does not wait.
   * @returns The item (a copy).
   * @throws {Empty} If no item came within `timeout` ms.
   * @throws {TypeError} If `timeout` is `NaN` or not a number.
   * @throws {ProcessError} If the proxy was released, or the connection to the remote
   * manager was closed or failed.
   */
  getSync(timeout?: number): T {
    const ms = wireTimeout(timeout, "RemoteQueueProxy.getSync()");
    if (ms instanceof Error) throw ms;
    return this.#callSync("get", [ms]) as T;
  }
  /**
   * Puts `item` only if there is room now; `Full` otherwise.
   *
   * @param item The item; it is copied (a proxy stays a proxy).
   * @returns A promise that resolves once the item is in the queue.
   * @throws {Full} If there is no room now (a rejection).
   * @throws {ProcessError} If the proxy was released, the connection to the remote manager
   * was closed or failed, or `item` cannot be sent (a rejection).
   */
  putNowait(item: T): Promise<void> {
    return this.put(item, 0);
  }
  /**
   * Takes an item only if one is there now; `Empty` otherwise.
   *
   * @returns A promise that resolves to the item (a copy).
   * @throws {Empty} If no item is there now (a rejection).
   * @throws {ProcessError} If the proxy was released, or the connection to the remote
   * manager was closed or failed (a rejection).
   */
  getNowait(): Promise<T> {
    return this.get(0);
  }
  /**
   * The number of items.
   *
   * @returns A promise that resolves to the number of items.
   * @throws {ProcessError} If the proxy was released, or the connection to the remote
   * manager was closed or failed (a rejection).
   */
  qsize(): Promise<number> {
    return this.#call("qsize", []) as Promise<number>;
  }
  /**
   * Blocking {@linkcode RemoteQueueProxy.qsize}.
   *
   * @returns The number of items.
   * @throws {ProcessError} If the proxy was released, or the connection to the remote
   * manager was closed or failed.
   */
  qsizeSync(): number {
    return this.#callSync("qsize", []) as number;
  }
  /**
   * Blocking {@linkcode RemoteQueueProxy.empty}.
   *
   * @returns `true` if the queue holds no item.
   * @throws {ProcessError} If the proxy was released, or the connection to the remote
   * manager was closed or failed.
   */
  emptySync(): boolean {
    return this.qsizeSync() === 0;
  }
  /**
   * Blocking {@linkcode RemoteQueueProxy.full}.
   *
   * @returns `true` if the queue holds `maxsize` items.
   * @throws {ProcessError} If the proxy was released, or the connection to the remote
   * manager was closed or failed.
   */
  fullSync(): boolean {
    return this.maxsize > 0 && this.qsizeSync() >= this.maxsize;
  }
  /**
   * Whether the queue is empty.
   *
   * @returns A promise that resolves to `true` if the queue holds no item.
   * @throws {ProcessError} If the proxy was released, or the connection to the remote
   * manager was closed or failed (a rejection).
   */
  async empty(): Promise<boolean> {
    return (await this.qsize()) === 0;
  }
  /**
   * Whether the queue is full.
   *
   * @returns A promise that resolves to `true` if the queue holds `maxsize` items.
   * @throws {ProcessError} If the proxy was released, or the connection to the remote
   * manager was closed or failed (a rejection).
   */
  async full(): Promise<boolean> {
    return this.maxsize > 0 && (await this.qsize()) >= this.maxsize;
  }
  /**
   * (JoinableQueue) Marks one item taken as processed.
   *
   * @returns A promise that resolves once the task is marked done.
   * @throws {RangeError} If no task is unfinished (called more times than items were
   * taken), with a `RemoteError` holding the server's stack as its `cause` (a rejection).
   * @throws {ProcessError} If the proxy was released, or the connection to the remote
   * manager was closed or failed (a rejection).
   */
  taskDone(): Promise<void> {
    return this.#call("taskDone", []) as Promise<void>;
  }
  /**
   * Blocking {@linkcode RemoteQueueProxy.taskDone}.
   *
   * @throws {RangeError} If no task is unfinished, with a `RemoteError` holding the
   * server's stack as its `cause`.
   * @throws {ProcessError} If the proxy was released, or the connection to the remote
   * manager was closed or failed.
   */
  taskDoneSync(): void {
    this.#callSync("taskDone", []);
  }
  /**
   * (JoinableQueue) Waits until every item put was marked processed.
   *
   * @returns A promise that resolves once every item put was marked done (no timeout: it
   * waits as long as it takes).
   * @throws {ProcessError} If the proxy was released, or the connection to the remote
   * manager was closed or failed (a rejection).
   */
  join(): Promise<void> {
    return this.#call("join", []) as Promise<void>;
  }
  /**
   * Blocking {@linkcode RemoteQueueProxy.join}.
   *
   * @throws {ProcessError} If the proxy was released, or the connection to the remote
   * manager was closed or failed.
   */
  joinSync(): void {
    this.#callSync("join", []);
  }
}

/**
 * A timeout as it travels to the server: the package's one rule (`undefined`, `null`
 * or `Infinity` wait as long as it takes, `0` or less does not wait, `NaN` or a
 * non-number is a `TypeError`), with "forever" sent as `null` and "do not wait" as 0.
 * Returns the error instead of throwing it, so that the call rejects.
 */
function wireTimeout(timeout: unknown, where: string): number | null | Error {
  try {
    const ms = checkTimeout(timeout, where);
    return ms === undefined || ms === Infinity ? null : Math.max(0, ms);
  } catch (e) {
    return e as Error;
  }
}
