/**
 * `RemoteQueueProxy`: the proxy of a queue of a remote manager (one made with an
 * `address`). Its calls travel over the manager's socket connection; gets and puts wait
 * in the server.
 *
 * @module
 */
import { Empty, Full } from "../../internal/errors.ts";
import type { Transport } from "../_transport.ts";
import { BaseProxy, callAsync } from "./base.ts";
import type { ProxyDesc } from "../_protocol.ts";

/**
 * The proxy of a queue of a remote manager: `put` / `get` wait in the server (a waiting
 * `get` whose client goes away takes no item); every method returns a Promise.
 */
export class RemoteQueueProxy<T = unknown> extends BaseProxy {
  readonly #t: Transport;
  readonly #desc: ProxyDesc;
  /** Made when a remote manager returns a queue. */
  constructor(t: Transport, desc: ProxyDesc) {
    super(t, desc);
    this.#t = t;
    this.#desc = desc;
  }
  /** The item limit (0: none). */
  get maxsize(): number {
    return (this.#desc.extra as { maxsize: number }).maxsize;
  }
  #call(method: string, args: unknown[]): Promise<unknown> {
    return callAsync(this.#t, this.#desc, method, args, this).catch((e) => {
      const cause = (e as Error).cause;
      throw cause instanceof Empty || cause instanceof Full ? cause : e;
    });
  }
  /** Puts `item`, waiting at most `timeout` ms for room; {@linkcode Full} on timeout. */
  put(item: T, timeout?: number): Promise<void> {
    return this.#call("put", [item, timeout]) as Promise<void>;
  }
  /** Takes the front item, waiting at most `timeout` ms; {@linkcode Empty} on timeout. */
  get(timeout?: number): Promise<T> {
    return this.#call("get", [timeout]) as Promise<T>;
  }
  /** Puts `item` only if there is room now; {@linkcode Full} otherwise. */
  putNowait(item: T): Promise<void> {
    return this.put(item, 0);
  }
  /** Takes an item only if one is there now; {@linkcode Empty} otherwise. */
  getNowait(): Promise<T> {
    return this.get(0);
  }
  /** The number of items. */
  qsize(): Promise<number> {
    return this.#call("qsize", []) as Promise<number>;
  }
  /** Whether the queue is empty. */
  async empty(): Promise<boolean> {
    return (await this.qsize()) === 0;
  }
  /** Whether the queue is full. */
  async full(): Promise<boolean> {
    return this.maxsize > 0 && (await this.qsize()) >= this.maxsize;
  }
  /** (JoinableQueue) Marks one item taken as processed. */
  taskDone(): Promise<void> {
    return this.#call("taskDone", []) as Promise<void>;
  }
  /** (JoinableQueue) Waits until every item put was marked processed. */
  join(): Promise<void> {
    return this.#call("join", []) as Promise<void>;
  }
}
