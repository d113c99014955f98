/**
 * `Lock`: a non-recursive lock shared by every process it is passed to, with
 * Python's semantics and one addition: it is robust. A lock held by a process that
 * ends (returns, crashes, is terminated) without releasing it is taken over by the
 * next process that acquires it.
 *
 * @module
 */
import { adopt, adoptedState, registerShared, SHARE, type SharedHandle } from "../internal/_codec.ts";
import type { SharedInt32 } from "../internal/_atomics.ts";
import { ownPid, pidAlive } from "../process/_liveness.ts";
import { guardOf, lockGuard, lockGuardSync, notHeld, registerCore } from "./_lock_core.ts";
import { mutex, MUTEX_WORDS, mutexHolder, mutexSync, unlockMutex } from "./_mutex.ts";
import { checkTimeout } from "../internal/_timeouts.ts";
import { inspectable } from "../internal/_inspect.ts";

const TYPE = "Lock";

/**
 * A lock that works across processes (Python's `multiprocessing.Lock`). Pass it to
 * children in `args`; any process may release it. `acquire()` waits without blocking
 * the event loop, `acquireSync()` blocks the thread (on the main thread too, where it
 * also blocks the event loop). Timeouts are in milliseconds, by one rule for every
 * class: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does
 * not wait (Python's `multiprocessing.Lock` clamps a negative timeout to 0), `NaN` is a
 * `TypeError`. The promise-returning methods never throw: a bad argument rejects the
 * promise (the `*Sync` twins throw).
 *
 * Robust: when the process holding the lock ends without releasing it, the next
 * `acquire` takes it over (Python's lock would stay locked forever).
 *
 * @example A shared counter
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export function add(lock: mp.Lock, counter: mp.Value<"i">) {
 *   for (let i = 0; i < 5; i++) {
 *     using _ = lock.lockSync();
 *     counter.value += 1;
 *   }
 * }
 *
 * if (import.meta.main) {
 *   const lock = new mp.Lock();
 *   const counter = new mp.Value("i", 0);
 *   const ps = [1, 2, 3].map(() => new mp.Process({ target: add, args: [lock, counter] }));
 *   for (const p of ps) await p.start();
 *   for (const p of ps) await p.join();
 *   console.log(counter.value); // 15
 * }
 * ```
 *
 * @example With a timeout
 * ```ts
 * import { Lock } from "@mp/multiprocessing";
 * const lock = new Lock();
 * lock.acquireSync();
 * console.log(await lock.acquire(10)); // false: still held
 * lock.release();
 * ```
 */
export class Lock {
  #a: SharedInt32;
  #guard: Disposable = guardOf(this);

  /** Creates an unlocked lock. */
  constructor() {
    this.#a = adoptedState<SharedInt32>(new.target) ?? new Int32Array(new SharedArrayBuffer(MUTEX_WORDS * 4));
    const a = this.#a;
    registerCore(this, {
      kind: TYPE,
      owned: () => mutexHolder(a, 0) === ownPid(),
      releaseSave: () => (unlockMutex(a, 0), 1),
      restoreSync: () => void mutexSync(a, 0),
      restore: async () => void await mutex(a, 0),
    });
  }

  /**
   * Acquires the lock, waiting at most `timeout` ms (`undefined`: as long as it
   * takes). Resolves `true` once held, `false` on timeout.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns A promise that resolves to `true` once the lock is held, `false` on timeout.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  acquire(timeout?: number): Promise<boolean> {
    let ms: number | undefined;
    try {
      ms = checkTimeout(timeout, "Lock.acquire()");
    } catch (e) {
      return Promise.reject(e);
    }
    return mutex(this.#a, 0, ms);
  }

  /**
   * Like {@linkcode Lock.acquire}, blocking the thread. Returns `true` once held.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns `true` once the lock is held, `false` on timeout.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  acquireSync(timeout?: number): boolean {
    return mutexSync(this.#a, 0, checkTimeout(timeout, "Lock.acquireSync()"));
  }

  /**
   * Releases the lock (any process may). Throws `ProcessError` if it is not locked.
   *
   * @throws {ProcessError} If the lock is not locked.
   */
  release(): void {
    const a = this.#a;
    if (Atomics.load(a, 0) === 0) throw notHeld("Lock", "it is not locked; call acquire() first");
    unlockMutex(a, 0);
  }

  /**
   * Whether some live process holds the lock.
   *
   * @returns `true` if a live process holds the lock.
   */
  locked(): boolean {
    const holder = mutexHolder(this.#a, 0);
    return holder !== 0 && pidAlive(holder);
  }

  /**
   * Acquires the lock and resolves to a guard that releases it: `using _ = await
   * lock.lock();`. Rejects with `TimeoutError` if `timeout` ms pass first.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns A promise that resolves to a `Disposable` that releases the lock.
   * @throws {TimeoutError} If the lock is not acquired within `timeout` ms.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  lock(timeout?: number): Promise<Disposable> {
    return lockGuard(this, TYPE, this.#guard, timeout);
  }

  /**
   * Acquires the lock (blocking) and returns a guard that releases it:
   * `using _ = lock.lockSync();`. Throws `TimeoutError` if `timeout` ms pass first.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns A `Disposable` that releases the lock.
   * @throws {TimeoutError} If the lock is not acquired within `timeout` ms.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  lockSync(timeout?: number): Disposable {
    return lockGuardSync(this, TYPE, this.#guard, timeout);
  }

  /**
   * Describes the lock and its holder: `<Lock(owner=1234)>` or `<Lock(unlocked)>`.
   *
   * @returns The description.
   */
  toString(): string {
    const holder = mutexHolder(this.#a, 0);
    return `<Lock(${holder === 0 ? "unlocked" : `owner=${holder}`})>`;
  }

  /**
   * The handle this lock travels as (codec).
   * @ignore
   */
  [SHARE](): SharedHandle {
    return { type: TYPE, module: import.meta.url, state: this.#a };
  }
}

registerShared(TYPE, (state) => adopt(Lock, state, () => new Lock()));

inspectable(Lock);
