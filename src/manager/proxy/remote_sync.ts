/**
 * The proxies of a remote manager's locks, semaphores, events, conditions, barriers,
 * values and arrays (Python's `AcquirerProxy`, `EventProxy`, `ConditionProxy`,
 * `BarrierProxy`, `ValueProxy` and `ArrayProxy`), with the API of the local classes a
 * local manager returns: what returns a Promise locally (`acquire`, `wait`) waits in
 * the server without blocking; what is synchronous locally (`release()`, `isSet()`,
 * `notify()`, `value`, `a[i]`) is one blocking round trip to the server, as each call
 * of a Python proxy is (made through the program's relay thread, see
 * {@linkcode BaseProxy.callMethodSync}).
 *
 * @module
 */
import type { Transport } from "../_transport.ts";
import { type ProxyDesc, RemoteKind } from "../_protocol.ts";
import { BaseProxy, rememberAlias, wayOf } from "./base.ts";
import { remoteCall, remoteCallSync, timedCall, timedCallSync } from "./_remote_calls.ts";
import { indexed } from "../../shared/_indexed.ts";
import { lockGuard, lockGuardSync, waitForLoop, waitForLoopSync } from "../../sync/_lock_core.ts";
import { ProcessError } from "../../internal/errors.ts";
import type { Typecode, ValueOf } from "../../shared/typecodes.ts";

/** A guard that releases a remote lock: blocking with `using`, without blocking with `await using`. */
export type RemoteLockGuard = Disposable & AsyncDisposable;

/**
 * The proxy of a remote manager's `Lock`, `RLock`, `Semaphore` or `BoundedSemaphore`
 * (Python's `AcquirerProxy`), with their local API. The lock is held by this program
 * (its session with the server): a lock taken by `await acquire()` may be released by
 * `release()`, and a program that ends or vanishes while holding it gives it back.
 * `release()`, `locked()` and `getValue()` are blocking round trips (as locally, they
 * return at once with the answer); give the proxy's reference back with
 * `mp.releaseProxy(lock)` (`release()` is the lock's).
 *
 * @example Guarding a remote resource
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 * const m = new mp.SyncManager({ address: ["127.0.0.1", 50000], authkey: "abracadabra" });
 * await m.connect();
 * const lock = await m.Lock(); // a RemoteAcquirerProxy
 * {
 *   await using _ = await lock.lock(5000); // released without blocking at the block's end
 *   // ... this program alone holds the lock here
 * }
 * console.log(lock.locked()); // false
 * ```
 */
export class RemoteAcquirerProxy extends BaseProxy {
  /** What `lock()` resolves to: it releases the lock, blocking or not. */
  readonly #guard: RemoteLockGuard = {
    [Symbol.dispose]: () => this.release(),
    [Symbol.asyncDispose]: async () => void await remoteCall(this, "release", []),
  };
  /**
   * Acquires the lock (takes a permit of the semaphore), waiting in the server at most
   * `timeout` ms.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity`
   * waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to `true` once held, `false` on timeout.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (a rejection; nothing is sent).
   * @throws {ProcessError} If the proxy was released or the connection to the manager
   * failed (a rejection).
   */
  acquire(timeout?: number): Promise<boolean> {
    return timedCall(this, "acquire", timeout, `${this.typeid}.acquire()`) as Promise<boolean>;
  }
  /**
   * Blocking {@linkcode RemoteAcquirerProxy.acquire}.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity`
   * waits as long as it takes, `0` or less does not wait.
   * @returns `true` once held, `false` on timeout.
   * @throws {TypeError} If `timeout` is `NaN` or not a number.
   * @throws {ProcessError} If the proxy was released or the connection to the manager failed.
   */
  acquireSync(timeout?: number): boolean {
    return timedCallSync(this, "acquire", timeout, `${this.typeid}.acquireSync()`) as boolean;
  }
  /**
   * Releases the lock (gives a permit back), a blocking round trip.
   *
   * @throws {ProcessError} If the lock is not held (an RLock: not by this program).
   * @throws {RangeError} If a BoundedSemaphore would go above its initial value.
   */
  override release(): void {
    remoteCallSync(this, "release", []);
  }
  /**
   * Whether the lock is held (by any client); for a semaphore, whether no permit is left.
   *
   * @returns `true` if it cannot be acquired without waiting now.
   */
  locked(): boolean {
    return remoteCallSync(this, "locked", []) as boolean;
  }
  /**
   * The semaphore's counter (for a lock: 1 when free, 0 when held).
   *
   * @returns The permits left.
   */
  getValue(): number {
    return remoteCallSync(this, "getValue", []) as number;
  }
  /**
   * Acquires the lock and resolves to a guard that releases it: `await using _ = await
   * lock.lock()` releases it without blocking, `using` with a blocking round trip.
   *
   * @param timeout How long to wait, in milliseconds (as {@linkcode RemoteAcquirerProxy.acquire}).
   * @returns A promise that resolves to the guard.
   * @throws {TimeoutError} If the lock is not acquired within `timeout` ms (a rejection).
   * @throws {TypeError} If `timeout` is `NaN` or not a number (a rejection).
   */
  lock(timeout?: number): Promise<RemoteLockGuard> {
    return lockGuard(this, this.typeid, this.#guard, timeout) as Promise<RemoteLockGuard>;
  }
  /**
   * Blocking {@linkcode RemoteAcquirerProxy.lock}.
   *
   * @param timeout How long to wait, in milliseconds (as {@linkcode RemoteAcquirerProxy.acquire}).
   * @returns The guard.
   * @throws {TimeoutError} If the lock is not acquired within `timeout` ms.
   * @throws {TypeError} If `timeout` is `NaN` or not a number.
   */
  lockSync(timeout?: number): RemoteLockGuard {
    return lockGuardSync(this, this.typeid, this.#guard, timeout) as RemoteLockGuard;
  }
}

/** The lock of a remote Value, Array or Condition: a proxy over the same object, holding no reference. */
function lockView(owner: BaseProxy): RemoteAcquirerProxy {
  const { t, desc } = wayOf(owner);
  const view = new RemoteAcquirerProxy(t, { ...desc, kind: RemoteKind.Acquirer, view: true });
  owners.set(view, owner); // the owner's reference keeps the object while the view is used
  return view;
}

const owners = new WeakMap<object, object>();

function notShared(what: string, instead: string): ProcessError {
  return new ProcessError(
    `Remote${what}Proxy.getObj(): a remote manager's ${what} lives in its server, not in this program's ` +
      `memory, so it has no shared object to give: ${instead}`,
  );
}

/**
 * What the proxies of a remote manager's Condition, Value and Array share (as a local
 * Value and Array share {@linkcode Synchronized}): a lock in the server, held by this
 * program, taken and released through the proxy itself or through `getLock()`.
 *
 * @example Several accesses under a remote Array's lock
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 * const m = new mp.SyncManager({ address: ["127.0.0.1", 50000], authkey: "abracadabra" });
 * await m.connect();
 * const a = await m.Array("i", 3); // a RemoteArrayProxy, a RemoteSynchronizedProxy
 * {
 *   await using _ = await a.lock(1000);
 *   a[0] = a[1] + a[2];
 * }
 * ```
 */
export abstract class RemoteSynchronizedProxy extends BaseProxy {
  #lock: RemoteAcquirerProxy | undefined;
  /**
   * The object's lock in the server (a Condition's: the Lock or RLock it was made
   * over, or its own RLock).
   *
   * @returns A lock proxy over it.
   * @throws {ProcessError} At use, for a Value or Array made with `{ lock: false }`.
   */
  getLock(): RemoteAcquirerProxy {
    return this.#lock ??= lockView(this);
  }
  /**
   * Acquires the lock (see {@linkcode RemoteAcquirerProxy.acquire}).
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity`
   * waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to `true` once held, `false` on timeout.
   */
  acquire(timeout?: number): Promise<boolean> {
    return this.getLock().acquire(timeout);
  }
  /**
   * Blocking {@linkcode RemoteSynchronizedProxy.acquire}.
   *
   * @param timeout How long to wait, in milliseconds.
   * @returns `true` once held, `false` on timeout.
   */
  acquireSync(timeout?: number): boolean {
    return this.getLock().acquireSync(timeout);
  }
  /**
   * Releases the lock (a blocking round trip).
   *
   * @throws {ProcessError} If this program does not hold it.
   */
  override release(): void {
    this.getLock().release();
  }
  /**
   * Acquires the lock and resolves to a guard that releases it (see {@linkcode RemoteAcquirerProxy.lock}).
   *
   * @param timeout How long to wait, in milliseconds.
   * @returns A promise that resolves to the guard.
   */
  lock(timeout?: number): Promise<RemoteLockGuard> {
    return this.getLock().lock(timeout);
  }
  /**
   * Blocking {@linkcode RemoteSynchronizedProxy.lock}.
   *
   * @param timeout How long to wait, in milliseconds.
   * @returns The guard.
   */
  lockSync(timeout?: number): RemoteLockGuard {
    return this.getLock().lockSync(timeout);
  }
}

/**
 * The proxy of a remote manager's `Event` (Python's `EventProxy`), with the local
 * `Event` API: `wait()` waits in the server; `isSet()`, `set()` and `clear()` are
 * blocking round trips.
 *
 * @example Waiting for a flag set by another program
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 * const m = new mp.SyncManager({ address: ["127.0.0.1", 50000], authkey: "abracadabra" });
 * await m.connect();
 * const ready = await m.Event(); // a RemoteEventProxy
 * console.log(await ready.wait(100)); // false: nobody set it
 * ready.set();
 * console.log(ready.isSet(), await ready.wait()); // true true
 * ```
 */
export class RemoteEventProxy extends BaseProxy {
  /**
   * Whether the flag is set.
   *
   * @returns `true` once set (until cleared).
   */
  isSet(): boolean {
    return remoteCallSync(this, "isSet", []) as boolean;
  }
  /** Sets the flag and wakes every waiter, in every program. */
  set(): void {
    remoteCallSync(this, "set", []);
  }
  /** Clears the flag. */
  clear(): void {
    remoteCallSync(this, "clear", []);
  }
  /**
   * Waits in the server until the flag is set, at most `timeout` ms.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity`
   * waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to `true` if the flag is set, `false` on timeout.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (a rejection).
   */
  wait(timeout?: number): Promise<boolean> {
    return timedCall(this, "wait", timeout, "Event.wait()") as Promise<boolean>;
  }
  /**
   * Blocking {@linkcode RemoteEventProxy.wait}.
   *
   * @param timeout How long to wait, in milliseconds (as {@linkcode RemoteEventProxy.wait}).
   * @returns `true` if the flag is set, `false` on timeout.
   * @throws {TypeError} If `timeout` is `NaN` or not a number.
   */
  waitSync(timeout?: number): boolean {
    return timedCallSync(this, "wait", timeout, "Event.waitSync()") as boolean;
  }
}

/**
 * The proxy of a remote manager's `Condition` (Python's `ConditionProxy`), with the
 * local `Condition` API. Its lock is held by this program: `wait()` gives it up in the
 * server and takes it back before it resolves; `notify()`, `notifyAll()` and
 * `release()` are blocking round trips.
 *
 * @example A consumer waiting for a predicate
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 * const m = new mp.SyncManager({ address: ["127.0.0.1", 50000], authkey: "abracadabra" });
 * await m.connect();
 * const cond = await m.Condition(); // a RemoteConditionProxy
 * const items = await m.list<number>();
 * {
 *   await using _ = await cond.lock();
 *   await cond.waitFor(() => items.lengthSync() > 0, 1000); // another program appends, then notify()
 * }
 * ```
 */
export class RemoteConditionProxy extends RemoteSynchronizedProxy {
  /**
   * Gives the lock up, waits in the server for a `notify` at most `timeout` ms, and takes
   * the lock back (as it was, at any recursion depth) before it resolves.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity`
   * waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to `true` if notified, `false` on timeout.
   * @throws {ProcessError} If this program does not hold the lock (a rejection).
   * @throws {TypeError} If `timeout` is `NaN` or not a number (a rejection).
   */
  wait(timeout?: number): Promise<boolean> {
    return timedCall(this, "wait", timeout, "Condition.wait()") as Promise<boolean>;
  }
  /**
   * Blocking {@linkcode RemoteConditionProxy.wait}.
   *
   * @param timeout How long to wait, in milliseconds (as {@linkcode RemoteConditionProxy.wait}).
   * @returns `true` if notified, `false` on timeout.
   * @throws {ProcessError} If this program does not hold the lock.
   * @throws {TypeError} If `timeout` is `NaN` or not a number.
   */
  waitSync(timeout?: number): boolean {
    return timedCallSync(this, "wait", timeout, "Condition.waitSync()") as boolean;
  }
  /**
   * Waits until `predicate()` (called in this program, with the lock held) returns a
   * truthy value, at most `timeout` ms in all.
   *
   * @param predicate What to wait for.
   * @param timeout How long to wait in all, in milliseconds; `0` or less only checks once.
   * @returns A promise that resolves to the last value `predicate` returned (falsy on timeout).
   * @throws {ProcessError} If it has to wait and this program does not hold the lock (a rejection).
   * @throws {TypeError} If `timeout` is `NaN` or not a number (a rejection).
   */
  waitFor<T>(predicate: () => T, timeout?: number): Promise<T> {
    return waitForLoop(predicate, timeout, "Condition.waitFor()", (ms) => this.wait(ms));
  }
  /**
   * Blocking {@linkcode RemoteConditionProxy.waitFor}.
   *
   * @param predicate What to wait for.
   * @param timeout How long to wait in all, in milliseconds; `0` or less only checks once.
   * @returns The last value `predicate` returned (falsy on timeout).
   * @throws {ProcessError} If it has to wait and this program does not hold the lock.
   * @throws {TypeError} If `timeout` is `NaN` or not a number.
   */
  waitForSync<T>(predicate: () => T, timeout?: number): T {
    return waitForLoopSync(predicate, timeout, "Condition.waitForSync()", (ms) => this.waitSync(ms));
  }
  /**
   * Wakes up to `n` waiters (default 1), in any program; the lock must be held.
   *
   * @param n How many waiters to wake, a number `>= 0`.
   * @throws {ProcessError} If this program does not hold the lock.
   * @throws {RangeError} If `n` is negative or not a number.
   */
  notify(n: number = 1): void {
    remoteCallSync(this, "notify", [n]);
  }
  /**
   * Wakes every waiter; the lock must be held.
   *
   * @throws {ProcessError} If this program does not hold the lock.
   */
  notifyAll(): void {
    remoteCallSync(this, "notifyAll", []);
  }
}

/**
 * The proxy of a remote manager's `Barrier` (Python's `BarrierProxy`), with the local
 * `Barrier` API: `wait()` waits in the server and resolves to the arrival index (0 for
 * the last to come); `abort()`, `reset()`, `nWaiting` and `broken` are blocking round
 * trips. A wait that times out, `abort()`, or a waiting client that leaves breaks it
 * for everyone until `reset()`.
 *
 * @example Two programs meeting
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 * const m = new mp.SyncManager({ address: ["127.0.0.1", 50000], authkey: "abracadabra" });
 * await m.connect();
 * const b = await m.Barrier(2); // a RemoteBarrierProxy
 * console.log(b.parties, await b.wait(10_000)); // 2, then this program's arrival index
 * ```
 */
export class RemoteBarrierProxy extends BaseProxy {
  /**
   * Waits in the server until `parties` waits have arrived, at most `timeout` ms (the
   * barrier's own timeout if left out).
   *
   * @param timeout How long to wait, in milliseconds: `undefined` or `null` uses the
   * barrier's timeout, `0` or less does not wait.
   * @returns A promise that resolves to the arrival index, from `parties - 1` down to 0.
   * @throws {BrokenBarrierError} If the barrier is or gets broken (a rejection).
   * @throws {TypeError} If `timeout` is `NaN` or not a number (a rejection).
   */
  wait(timeout?: number): Promise<number> {
    return this.#wait(timeout, "Barrier.wait()", false) as Promise<number>;
  }
  /**
   * Blocking {@linkcode RemoteBarrierProxy.wait}.
   *
   * @param timeout How long to wait, in milliseconds (as {@linkcode RemoteBarrierProxy.wait}).
   * @returns The arrival index.
   * @throws {BrokenBarrierError} If the barrier is or gets broken.
   * @throws {TypeError} If `timeout` is `NaN` or not a number.
   */
  waitSync(timeout?: number): number {
    return this.#wait(timeout, "Barrier.waitSync()", true) as number;
  }
  #wait(timeout: number | undefined, where: string, sync: boolean): unknown {
    // Left out, the barrier's own timeout applies (the server tells undefined from Infinity).
    // Infinity travels as a number the server never times out (null would mean "left out").
    if (timeout === undefined || timeout === null || timeout === Infinity) {
      const args = timeout === Infinity ? [Number.MAX_VALUE] : [];
      return sync ? remoteCallSync(this, "wait", args) : remoteCall(this, "wait", args);
    }
    return sync ? timedCallSync(this, "wait", timeout, where) : timedCall(this, "wait", timeout, where);
  }
  /** Breaks the barrier: every waiter, and every later wait, gets a `BrokenBarrierError`. */
  abort(): void {
    remoteCallSync(this, "abort", []);
  }
  /** Makes a broken barrier usable again (waiters still waiting get a `BrokenBarrierError`). */
  reset(): void {
    remoteCallSync(this, "reset", []);
  }
  /** How many waits release each other. */
  get parties(): number {
    return (wayOf(this).desc.extra as { parties: number }).parties;
  }
  /** How many waits are waiting now. */
  get nWaiting(): number {
    return remoteCallSync(this, "nWaiting", []) as number;
  }
  /** Whether the barrier is broken. */
  get broken(): boolean {
    return remoteCallSync(this, "broken", []) as boolean;
  }
}

/**
 * The proxy of a remote manager's `Value` (Python's `ValueProxy`), with the local
 * `Value` API: `value` reads and writes the number in the server (a blocking round
 * trip each, stored as a local Value stores it: a bigint for the 64-bit typecodes),
 * and the lock methods take the Value's lock there, held by this program. `get()` and
 * `set(v)` do the same without blocking (Python's `ValueProxy.get` / `set`).
 *
 * @example A counter shared by programs
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 * const m = new mp.SyncManager({ address: ["127.0.0.1", 50000], authkey: "abracadabra" });
 * await m.connect();
 * const n = await m.Value("i", 0); // a RemoteValueProxy
 * {
 *   using _ = n.lockSync();
 *   n.value += 1;
 * }
 * console.log(await n.get()); // 1
 * ```
 */
export class RemoteValueProxy<T extends Typecode = Typecode> extends RemoteSynchronizedProxy {
  /**
   * The number in the server (a blocking round trip to read, another to write).
   *
   * @throws {TypeError} On assignment of a value that does not fit the typecode.
   */
  get value(): ValueOf<T> {
    return remoteCallSync(this, "get", []) as ValueOf<T>;
  }
  set value(v: ValueOf<T>) {
    remoteCallSync(this, "set", [v]);
  }
  /** The typecode. */
  get typecode(): T {
    return (wayOf(this).desc.extra as { typecode: T }).typecode;
  }
  /**
   * Not available remotely: the number lives in the manager's server, not in this
   * program's memory (a local manager's Value gives its shared memory).
   *
   * @returns Never.
   * @throws {ProcessError} Always, saying what to use instead.
   */
  getObj(): never {
    throw notShared("Value", "read and write .value (or await get() / set(v))");
  }
  /**
   * Reads the number without blocking (Python's `ValueProxy.get()`).
   *
   * @returns A promise that resolves to the number.
   */
  get(): Promise<ValueOf<T>> {
    return remoteCall(this, "get", []) as Promise<ValueOf<T>>;
  }
  /**
   * Writes the number without blocking (Python's `ValueProxy.set()`).
   *
   * @param v The new number (a bigint for `l L q Q`).
   * @returns A promise that resolves once it is stored.
   * @throws {TypeError} If `v` does not fit the typecode (a rejection).
   */
  set(v: ValueOf<T>): Promise<void> {
    return remoteCall(this, "set", [v]) as Promise<void>;
  }
}

/**
 * The proxy of a remote manager's `Array` (Python's `ArrayProxy`), with the local
 * `Array` API: `a[i]`, `a[i] = v`, `get(i)`, `set(i, v)` and `slice()` are blocking
 * round trips (negative indices count from the end; each item is stored as a local
 * Array stores it), `length` and `typecode` are known without one, and the lock
 * methods take the Array's lock in the server. `toArray()` reads every item without
 * blocking.
 *
 * @example Items read and written by index
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 * const m = new mp.SyncManager({ address: ["127.0.0.1", 50000], authkey: "abracadabra" });
 * await m.connect();
 * const a = await m.Array("d", [1, 2, 3]); // a RemoteArrayProxy
 * a[-1] = 9;
 * console.log(a.length, a[0], [...a], await a.toArray()); // 3 1 [1, 2, 9] [1, 2, 9]
 * ```
 */
export class RemoteArrayProxy<T extends Typecode = Typecode> extends RemoteSynchronizedProxy {
  /** Index access: `a[i]`, `a[i] = v` (each a blocking round trip). */
  [index: number]: ValueOf<T>;
  /**
   * Made when a remote manager returns an Array.
   *
   * @param t The connection to the remote manager (internal).
   * @param desc Which manager and Array the proxy stands for.
   */
  constructor(t: Transport, desc: ProxyDesc) {
    super(t, desc);
    const wrapped = indexed(this);
    rememberAlias(wrapped, this);
    return wrapped;
  }
  /** The number of items. */
  get length(): number {
    return (wayOf(this).desc.extra as { length: number }).length;
  }
  /** The typecode. */
  get typecode(): T {
    return (wayOf(this).desc.extra as { typecode: T }).typecode;
  }
  /**
   * The item at `index` (negative counts from the end).
   *
   * @param index The position.
   * @returns The item (a bigint for `l L q Q`).
   * @throws {RangeError} If `index` is not an integer in range.
   */
  get(index: number): ValueOf<T> {
    return remoteCallSync(this, "get", [index]) as ValueOf<T>;
  }
  /**
   * Sets the item at `index` (negative counts from the end).
   *
   * @param index The position.
   * @param value The new item (a bigint for `l L q Q`).
   * @throws {RangeError} If `index` is not an integer in range.
   * @throws {TypeError} If `value` does not fit the typecode.
   */
  set(index: number, value: ValueOf<T>): void {
    remoteCallSync(this, "set", [index, value]);
  }
  /**
   * A copy of the items from `start` to `end` (like `Array.prototype.slice`), in one round trip.
   *
   * @param start The first index (negative counts from the end); 0 if omitted.
   * @param end The index to stop before (negative counts from the end); the length if omitted.
   * @returns The items.
   */
  slice(start?: number, end?: number): ValueOf<T>[] {
    return remoteCallSync(this, "slice", [start, end]) as ValueOf<T>[];
  }
  /**
   * Not available remotely: the items live in the manager's server, not in this
   * program's memory (a local manager's Array gives its shared memory).
   *
   * @returns Never.
   * @throws {ProcessError} Always, saying what to use instead.
   */
  getObj(): never {
    throw notShared("Array", "read and write a[i], or copy the items with slice() or await toArray()");
  }
  /**
   * Every item, without blocking.
   *
   * @returns A promise that resolves to the items.
   */
  toArray(): Promise<ValueOf<T>[]> {
    return remoteCall(this, "toArray", []) as Promise<ValueOf<T>[]>;
  }
  /**
   * Iterates over the items, read in one round trip when iteration starts.
   *
   * @returns An iterator over the items.
   */
  [Symbol.iterator](): IterableIterator<ValueOf<T>> {
    return this.slice()[Symbol.iterator]();
  }
}
