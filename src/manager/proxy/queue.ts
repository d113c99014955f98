/**
 * `QueueProxy` and `JoinableQueueProxy`: queues held by a manager's server. A call
 * never waits inside the server: a `get` on an empty queue asks again each time the
 * queue changes (the server bumps a word in shared memory and wakes its sleepers), so
 * waiting callers hold no reply slot and a caller that ends mid-wait loses nothing.
 *
 * @module
 */
import { LIVENESS_POLL_MS, remaining } from "../../internal/_atomics.ts";
import { deadline, within } from "../../channel/_items.ts";
import { Empty, Full, ProcessError } from "../../internal/errors.ts";
import { wordAt } from "../_arena.ts";
import type { Transport } from "../_transport.ts";
import { BaseProxy, callSteps } from "./base.ts";
import type { ProxyDesc, QueueExtra } from "../_protocol.ts";
import { runAsync, runSync, type Steps, wait } from "../../sync/_steps.ts";

type Retry = <R>(
  q: QueueProxy,
  method: string,
  args: unknown[],
  done: (reply: R) => boolean,
  end: number,
) => Steps<R | undefined>;

let retry: Retry;
let callNow: (q: QueueProxy, method: string) => unknown;

/**
 * A queue in a manager's server (Python's `Manager().Queue()`), with the API of
 * {@linkcode Queue}: `put` / `get` wait without blocking the event loop, their `*Sync`
 * twins block the thread; `putNowait`, `getNowait`, `qsize`, `empty` and `full` are one
 * brief round trip to the server. A proxy can also be stored in a dict or list proxy.
 *
 * @example Producer and consumer
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export async function produce(q: mp.QueueProxy<string>) {
 *   for (const item of ["A", "B", "C"]) await q.put(item);
 * }
 *
 * if (import.meta.main) {
 *   await using manager = await mp.Manager();
 *   const q = await manager.Queue<string>();
 *   const p = new mp.Process({ target: produce, args: [q] });
 *   await p.start();
 *   for (let i = 0; i < 3; i++) console.log(await q.get(5000));
 *   await p.join();
 * }
 * ```
 */
export class QueueProxy<T = unknown> extends BaseProxy {
  readonly #t: Transport;
  readonly #desc: ProxyDesc;
  readonly #word: Int32Array<SharedArrayBuffer>;
  readonly #maxsize: number;
  #closed = false;

  static {
    retry = (q, method, args, done, end) => q.#retry(method, args, done, end);
    callNow = (q, method) => q.#callSync(method, method);
  }

  /**
   * Made by the manager (or when the proxy arrives in another process).
   *
   * @param t The way to the manager's server (internal).
   * @param desc Which manager and queue the proxy stands for.
   */
  constructor(t: Transport, desc: ProxyDesc) {
    super(t, desc);
    this.#t = t;
    this.#desc = desc;
    const extra = desc.extra as QueueExtra;
    this.#word = wordAt(extra.word);
    this.#maxsize = extra.maxsize;
  }

  /**
   * The item limit (0: none).
   *
   * @returns The most items the queue holds, or 0 for no limit.
   */
  get maxsize(): number {
    return this.#maxsize;
  }

  /**
   * Puts `item` at the end, waiting at most `timeout` ms for room; {@linkcode Full} on timeout.
   *
   * @param item The item; it is copied (a proxy stays a proxy).
   * @param timeout How long to wait, in milliseconds; `undefined`, `null` or `Infinity`
   * waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves once the item is in the queue.
   * @throws {Full} If there was no room within `timeout` ms (a rejection).
   * @throws {ProcessError} If this proxy was closed or released, its manager was shut down
   * or its server ended, or `item` cannot be copied (a function, or a shared object that is
   * not a manager proxy) (a rejection).
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`)
   * (a rejection).
   */
  put(item: T, timeout?: number): Promise<void> {
    return this.#async(() => this.#put(item, timeout, "put"));
  }
  /**
   * Blocking {@linkcode QueueProxy.put}.
   *
   * @param item The item; it is copied (a proxy stays a proxy).
   * @param timeout How long to wait, in milliseconds; `undefined`, `null` or `Infinity`
   * waits as long as it takes, `0` or less does not wait.
   * @throws {Full} If there was no room within `timeout` ms.
   * @throws {ProcessError} If this proxy was closed or released, its manager was shut down
   * or its server ended, or `item` cannot be copied (a function, or a shared object that is
   * not a manager proxy).
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  putSync(item: T, timeout?: number): void {
    runSync(this.#put(item, timeout, "putSync"));
  }
  /**
   * Puts `item` only if there is room now; throws {@linkcode Full} otherwise.
   *
   * @param item The item; it is copied (a proxy stays a proxy).
   * @throws {Full} If there is no room now.
   * @throws {ProcessError} If this proxy was closed or released, its manager was shut down
   * or its server ended, or `item` cannot be copied (a function, or a shared object that is
   * not a manager proxy).
   */
  putNowait(item: T): void {
    runSync(this.#put(item, 0, "putNowait"));
  }

  /**
   * Takes the item at the front, waiting at most `timeout` ms; {@linkcode Empty} on timeout.
   *
   * @param timeout How long to wait, in milliseconds; `undefined`, `null` or `Infinity`
   * waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to the item (a copy).
   * @throws {Empty} If no item came within `timeout` ms (a rejection).
   * @throws {ProcessError} If this proxy was closed or released, or its manager was shut
   * down or its server ended (a rejection).
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`)
   * (a rejection).
   */
  get(timeout?: number): Promise<T> {
    return this.#async(() => this.#get(timeout, "get"));
  }
  /**
   * Blocking {@linkcode QueueProxy.get}.
   *
   * @param timeout How long to wait, in milliseconds; `undefined`, `null` or `Infinity`
   * waits as long as it takes, `0` or less does not wait.
   * @returns The item (a copy).
   * @throws {Empty} If no item came within `timeout` ms.
   * @throws {ProcessError} If this proxy was closed or released, or its manager was shut
   * down or its server ended.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  getSync(timeout?: number): T {
    return runSync(this.#get(timeout, "getSync"));
  }
  /**
   * Takes an item only if one is there now; throws {@linkcode Empty} otherwise.
   *
   * @returns The item (a copy).
   * @throws {Empty} If no item is there now.
   * @throws {ProcessError} If this proxy was closed or released, or its manager was shut
   * down or its server ended.
   */
  getNowait(): T {
    return runSync(this.#get(0, "getNowait"));
  }

  /**
   * The number of items in the queue (others may put or get meanwhile).
   *
   * @returns The number of items.
   * @throws {ProcessError} If this proxy was closed or released, or its manager was shut
   * down or its server ended.
   */
  qsize(): number {
    return this.#callSync("qsize", "qsize") as number;
  }
  /**
   * Whether the queue is empty.
   *
   * @returns `true` if the queue holds no item.
   * @throws {ProcessError} If this proxy was closed or released, or its manager was shut
   * down or its server ended.
   */
  empty(): boolean {
    return this.qsize() === 0;
  }
  /**
   * Whether the queue holds `maxsize` items (always false without a limit).
   *
   * @returns `true` if the queue holds `maxsize` items.
   * @throws {ProcessError} If this proxy was closed or released, or its manager was shut
   * down or its server ended.
   */
  full(): boolean {
    return this.#maxsize > 0 && this.qsize() >= this.#maxsize;
  }

  /**
   * Ends this object's use of the queue: later `put`/`get` calls (and their variants) on it
   * throw. Others are not affected, and a JoinableQueue's `join()` still waits, as after
   * Python's `JoinableQueue.close()`.
   */
  close(): void {
    this.#closed = true;
  }

  /** Runs `steps` async, turning a synchronous throw into a rejection. */
  #async<R>(steps: () => Steps<R>): Promise<R> {
    try {
      return runAsync(steps());
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #check(method: string): void {
    if (this.#closed) {
      throw new ProcessError(
        `QueueProxy.${method}(): this queue proxy was closed in this process (close() was called)`,
      );
    }
  }

  #callSync(method: string, name: string): unknown {
    this.#check(name);
    return runSync(callSteps(this.#t, this.#desc, method, []));
  }

  /**
   * Asks the server `method` until `done(reply)` or the deadline; sleeps on the word
   * between tries. Returns the last reply.
   */
  *#retry<R>(
    method: string,
    args: unknown[],
    done: (reply: R) => boolean,
    end: number,
  ): Steps<R | undefined> {
    for (;;) {
      const seen = Atomics.load(this.#word, 0);
      const r = (yield* callSteps(this.#t, this.#desc, method, args)) as R;
      if (done(r)) return r;
      const left = remaining(end);
      if (left <= 0) return undefined;
      yield wait(this.#word, 0, seen, Math.min(left, LIVENESS_POLL_MS));
    }
  }

  *#put(item: T, timeout: number | undefined, method: string): Steps<void> {
    this.#check(method);
    const d = deadline(timeout, `QueueProxy.${method}()`);
    const ok = yield* this.#retry<boolean>("tryPut", [item], (r) => r, d.deadline);
    if (ok === undefined) {
      throw new Full(
        `The queue is full (maxsize ${this.#maxsize}): no room came${within(d.timeout)}: ` +
          "wait longer, or take items out",
      );
    }
  }

  *#get(timeout: number | undefined, method: string): Steps<T> {
    this.#check(method);
    const d = deadline(timeout, `QueueProxy.${method}()`);
    const r = yield* this.#retry<[boolean, T]>("tryGet", [], (r) => r[0], d.deadline);
    if (r === undefined) throw new Empty(`The queue is empty: no item came${within(d.timeout)}`);
    return r[1];
  }
}

/**
 * A {@linkcode QueueProxy} whose items count as tasks (Python's
 * `Manager().JoinableQueue()`): `taskDone()` marks one done, `join()` waits until all
 * are.
 *
 * @example Wait until every task is processed
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export async function work(q: mp.JoinableQueueProxy<number>) {
 *   for (let i = 0; i < 3; i++) {
 *     await q.get();
 *     q.taskDone();
 *   }
 * }
 *
 * if (import.meta.main) {
 *   await using manager = await mp.Manager();
 *   const q = await manager.JoinableQueue<number>();
 *   const p = new mp.Process({ target: work, args: [q] });
 *   await p.start();
 *   for (let i = 0; i < 3; i++) await q.put(i);
 *   console.log(await q.join(10_000)); // true
 *   await p.join();
 * }
 * ```
 */
export class JoinableQueueProxy<T = unknown> extends QueueProxy<T> {
  /**
   * Marks one task taken with `get` as done; throws `ProcessError` if none is unfinished.
   *
   * @throws {ProcessError} If no task is unfinished (called more times than items were
   * taken), or as {@linkcode QueueProxy.qsize} throws.
   */
  taskDone(): void {
    if (!(callNow(this, "taskDone") as boolean)) {
      throw new ProcessError(
        "JoinableQueueProxy.taskDone(): called too many times: every call must match one item taken from the queue",
      );
    }
  }

  /**
   * Waits until every item put has been marked done, at most `timeout` ms; true if so.
   *
   * @param timeout How long to wait, in milliseconds; `undefined`, `null` or `Infinity`
   * waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to `true` once every item is done, `false` on timeout.
   * @throws {ProcessError} If this proxy was released, or its manager was shut down or its
   * server ended (a rejection).
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`)
   * (a rejection).
   */
  join(timeout?: number): Promise<boolean> {
    try {
      return runAsync(this.#join(timeout, "join"));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Blocking {@linkcode JoinableQueueProxy.join}.
   *
   * @param timeout How long to wait, in milliseconds; `undefined`, `null` or `Infinity`
   * waits as long as it takes, `0` or less does not wait.
   * @returns `true` once every item is done, `false` on timeout.
   * @throws {ProcessError} If this proxy was released, or its manager was shut down or its
   * server ended.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  joinSync(timeout?: number): boolean {
    return runSync(this.#join(timeout, "joinSync"));
  }

  *#join(timeout: number | undefined, method: string): Steps<boolean> {
    const d = deadline(timeout, `JoinableQueueProxy.${method}()`);
    return (yield* retry<number>(this, "unfinished", [], (n) => n === 0, d.deadline)) !== undefined;
  }
}
