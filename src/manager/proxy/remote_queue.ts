/**
 * `RemoteQueueProxy`: the proxy of a queue of a remote manager (one made with an
 * `address`), with the API of a local manager's `QueueProxy` / `JoinableQueueProxy`.
 * Its calls travel over the manager's socket connection; gets, puts and joins wait in
 * the server.
 *
 * @module
 */
import { BaseProxy, wayOf } from "./base.ts";
import { ProcessError } from "../../internal/errors.ts";
import { remoteCallSync, timedCall, timedCallSync } from "./_remote_calls.ts";

/**
 * The proxy of a queue (or joinable queue) of a remote manager, with the local queue
 * proxy's API: `put` / `get` / `join` wait in the server without blocking (a waiting
 * `get` whose client goes away takes no item), and their `*Sync` twins block;
 * `putNowait`, `getNowait`, `qsize`, `empty`, `full` and `taskDone`, synchronous
 * locally, are one blocking round trip each here, as Python's proxies are (made
 * through the program's relay thread, see {@linkcode BaseProxy.callMethodSync}).
 *
 * @example Blocking calls to a remote queue
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 * const m = new mp.SyncManager({ address: ["127.0.0.1", 50000], authkey: "abracadabra" });
 * await m.connect();
 * const q = m.QueueSync(); // a RemoteQueueProxy
 * q.putSync("hello");
 * console.log(q.qsize(), q.getSync(1000)); // 1 "hello"
 * ```
 */
export class RemoteQueueProxy<T = unknown> extends BaseProxy {
  #closed = false;
  /**
   * The item limit (0: none).
   *
   * @returns The most items the queue holds, or 0 for no limit.
   */
  get maxsize(): number {
    return (wayOf(this).desc.extra as { maxsize: number }).maxsize;
  }
  #check(method: string): void {
    if (this.#closed) {
      throw new ProcessError(
        `RemoteQueueProxy.${method}(): this queue proxy was closed in this process (close() was called)`,
      );
    }
  }
  /**
   * Puts `item`, waiting at most `timeout` ms for room; `Full` on timeout.
   *
   * @param item The item; it is copied (a proxy stays a proxy).
   * @param timeout How long to wait in the server, in milliseconds; `undefined` or
   * `null` or `Infinity` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves once the item is in the queue.
   * @throws {Full} If there was no room within `timeout` ms (a rejection).
   * @throws {TypeError} If `timeout` is `NaN` or not a number (a rejection; nothing is sent).
   * @throws {ProcessError} If the proxy was closed or released, the connection to the
   * remote manager was closed or failed, or `item` cannot be sent (a rejection).
   */
  put(item: T, timeout?: number): Promise<void> {
    try {
      this.#check("put");
    } catch (e) {
      return Promise.reject(e);
    }
    return timedCall(this, "put", timeout, "RemoteQueueProxy.put()", [item]) as Promise<void>;
  }
  /**
   * Takes the front item, waiting at most `timeout` ms; `Empty` on timeout.
   *
   * @param timeout How long to wait in the server, in milliseconds; `undefined` or
   * `null` or `Infinity` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to the item (a copy).
   * @throws {Empty} If no item came within `timeout` ms (a rejection).
   * @throws {TypeError} If `timeout` is `NaN` or not a number (a rejection; nothing is sent).
   * @throws {ProcessError} If the proxy was closed or released, or the connection to the
   * remote manager was closed or failed (a rejection).
   */
  get(timeout?: number): Promise<T> {
    try {
      this.#check("get");
    } catch (e) {
      return Promise.reject(e);
    }
    return timedCall(this, "get", timeout, "RemoteQueueProxy.get()") as Promise<T>;
  }
  /**
   * Blocking {@linkcode RemoteQueueProxy.put}.
   *
   * @param item The item; it is copied (a proxy stays a proxy).
   * @param timeout How long to wait in the server, in milliseconds; `undefined` or
   * `null` or `Infinity` waits as long as it takes, `0` or less does not wait.
   * @throws {Full} If there was no room within `timeout` ms.
   * @throws {TypeError} If `timeout` is `NaN` or not a number.
   * @throws {ProcessError} If the proxy was closed or released, the connection to the
   * remote manager was closed or failed, or `item` cannot be sent.
   */
  putSync(item: T, timeout?: number): void {
    this.#check("putSync");
    timedCallSync(this, "put", timeout, "RemoteQueueProxy.putSync()", [item]);
  }
  /**
   * Blocking {@linkcode RemoteQueueProxy.get}.
   *
   * @param timeout How long to wait in the server, in milliseconds; `undefined` or
   * `null` or `Infinity` waits as long as it takes, `0` or less does not wait.
   * @returns The item (a copy).
   * @throws {Empty} If no item came within `timeout` ms.
   * @throws {TypeError} If `timeout` is `NaN` or not a number.
   * @throws {ProcessError} If the proxy was closed or released, or the connection to the
   * remote manager was closed or failed.
   */
  getSync(timeout?: number): T {
    this.#check("getSync");
    return timedCallSync(this, "get", timeout, "RemoteQueueProxy.getSync()") as T;
  }
  /**
   * Puts `item` only if there is room now (a blocking round trip); `Full` otherwise.
   *
   * @param item The item; it is copied (a proxy stays a proxy).
   * @throws {Full} If there is no room now.
   * @throws {ProcessError} As {@linkcode RemoteQueueProxy.putSync} does.
   */
  putNowait(item: T): void {
    this.#check("putNowait");
    remoteCallSync(this, "put", [item, 0]);
  }
  /**
   * Takes an item only if one is there now (a blocking round trip); `Empty` otherwise.
   *
   * @returns The item (a copy).
   * @throws {Empty} If no item is there now.
   * @throws {ProcessError} As {@linkcode RemoteQueueProxy.getSync} does.
   */
  getNowait(): T {
    this.#check("getNowait");
    return remoteCallSync(this, "get", [0]) as T;
  }
  /**
   * The number of items (a blocking round trip; others may put or get meanwhile).
   *
   * @returns The number of items.
   * @throws {ProcessError} If the proxy was released, or the connection to the remote
   * manager was closed or failed.
   */
  qsize(): number {
    return remoteCallSync(this, "qsize", []) as number;
  }
  /**
   * Whether the queue is empty (a blocking round trip).
   *
   * @returns `true` if the queue holds no item.
   * @throws {ProcessError} As {@linkcode RemoteQueueProxy.qsize} does.
   */
  empty(): boolean {
    return this.qsize() === 0;
  }
  /**
   * Whether the queue holds `maxsize` items (always false without a limit).
   *
   * @returns `true` if the queue is full.
   * @throws {ProcessError} As {@linkcode RemoteQueueProxy.qsize} does.
   */
  full(): boolean {
    return this.maxsize > 0 && this.qsize() >= this.maxsize;
  }
  /**
   * Ends this object's use of the queue: later `put` / `get` calls (and their variants)
   * on it throw. Others are not affected, and a joinable queue's `join()` still waits,
   * as after Python's `JoinableQueue.close()`.
   */
  close(): void {
    this.#closed = true;
  }
  /**
   * (JoinableQueue) Marks one item taken as processed (a blocking round trip).
   *
   * @throws {RangeError} If no task is unfinished (called more times than items were
   * taken), with a `RemoteError` holding the server's stack as its `cause`.
   * @throws {ProcessError} As {@linkcode RemoteQueueProxy.qsize} does.
   */
  taskDone(): void {
    remoteCallSync(this, "taskDone", []);
  }
  /**
   * (JoinableQueue) Waits in the server until every item put was marked processed, at
   * most `timeout` ms.
   *
   * @param timeout How long to wait, in milliseconds; `undefined`, `null` or `Infinity`
   * waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to `true` once every item is done, `false` on timeout.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (a rejection).
   * @throws {ProcessError} If the proxy was released, or the connection to the remote
   * manager was closed or failed (a rejection).
   */
  join(timeout?: number): Promise<boolean> {
    return timedCall(this, "join", timeout, "RemoteQueueProxy.join()") as Promise<boolean>;
  }
  /**
   * Blocking {@linkcode RemoteQueueProxy.join}.
   *
   * @param timeout How long to wait, in milliseconds (as {@linkcode RemoteQueueProxy.join}).
   * @returns `true` once every item is done, `false` on timeout.
   * @throws {TypeError} If `timeout` is `NaN` or not a number.
   * @throws {ProcessError} As {@linkcode RemoteQueueProxy.qsize} does.
   */
  joinSync(timeout?: number): boolean {
    return timedCallSync(this, "join", timeout, "RemoteQueueProxy.joinSync()") as boolean;
  }
}
