/**
 * `RLock`: a recursive lock owned by a process, robust like {@linkcode Lock}.
 *
 * @module
 */
import type { SharedInt32 } from "../internal/_atomics.ts";
import { ownPid, pidAlive } from "../process/_liveness.ts";
import { adopt, adoptedState, registerShared, SHARE, type SharedHandle } from "../internal/_codec.ts";
import { guardOf, lockGuard, lockGuardSync, notHeld, registerCore } from "./_lock_core.ts";
import { mutex, MUTEX_WORDS, mutexHolder, mutexSync, unlockMutex } from "./_mutex.ts";
import { checkTimeout } from "../internal/_timeouts.ts";
import { inspectable } from "../internal/_inspect.ts";

const TYPE = "RLock";
/** Index of the recursion count, after the mutex words. */
const COUNT = MUTEX_WORDS;

/**
 * A recursive lock across processes (Python's `multiprocessing.RLock`): the process
 * that holds it may acquire it again, and must release it as many times. Only the
 * owner may release it. Ownership is per process: async code of one process shares it.
 * Timeouts follow {@linkcode Lock}'s rule, and the promise-returning methods never
 * throw: a bad argument rejects the promise.
 *
 * Robust: when the owner ends without releasing, the next acquirer takes it over.
 *
 * @example Reentrant use
 * ```ts
 * import { RLock } from "@mp/multiprocessing";
 * const lock = new RLock();
 * using _outer = lock.lockSync();
 * using _inner = lock.lockSync(); // the same process may take it again
 * console.log(lock.toString()); // <RLock(owner=..., count=2)>
 * ```
 */
export class RLock {
  #a: SharedInt32;
  #guard: Disposable = guardOf(this);

  /** Creates an unlocked recursive lock. */
  constructor() {
    this.#a = adoptedState<SharedInt32>(new.target) ??
      new Int32Array(new SharedArrayBuffer((MUTEX_WORDS + 1) * 4));
    const a = this.#a;
    registerCore(this, {
      kind: TYPE,
      owned: () => mutexHolder(a, 0) === ownPid(),
      releaseSave: () => {
        const count = a[COUNT];
        a[COUNT] = 0;
        unlockMutex(a, 0);
        return count;
      },
      restoreSync: (count) => {
        mutexSync(a, 0);
        a[COUNT] = count;
      },
      restore: async (count) => {
        await mutex(a, 0);
        a[COUNT] = count;
      },
    });
  }

  /**
   * Acquires the lock (again, if this process holds it), waiting at most `timeout`
   * ms. Resolves `true` once held, `false` on timeout.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns A promise that resolves to `true` once the lock is held, `false` on timeout.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  async acquire(timeout?: number): Promise<boolean> {
    const ms = checkTimeout(timeout, "RLock.acquire()");
    const a = this.#a;
    if (Atomics.load(a, 0) === ownPid()) {
      a[COUNT]++;
      return true;
    }
    if (!(await mutex(a, 0, ms))) return false;
    a[COUNT] = 1;
    return true;
  }

  /**
   * Like {@linkcode RLock.acquire}, blocking the thread.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns `true` once the lock is held, `false` on timeout.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  acquireSync(timeout?: number): boolean {
    const ms = checkTimeout(timeout, "RLock.acquireSync()");
    const a = this.#a;
    if (Atomics.load(a, 0) === ownPid()) {
      a[COUNT]++;
      return true;
    }
    if (!mutexSync(a, 0, ms)) return false;
    a[COUNT] = 1;
    return true;
  }

  /**
   * Releases one level; the last release frees the lock. Throws `ProcessError` when
   * this process does not hold it.
   *
   * @throws {ProcessError} If the lock is unlocked or held by another process.
   */
  release(): void {
    const a = this.#a;
    const holder = Atomics.load(a, 0);
    if (holder !== ownPid()) {
      throw notHeld(
        "RLock",
        holder === 0
          ? "it is not locked"
          : `it is held by process ${holder}, and only its owner may release it`,
      );
    }
    if (--a[COUNT] === 0) unlockMutex(a, 0);
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
   * Acquires and resolves to a guard that releases: `using _ = await lock.lock();`.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns A promise that resolves to a `Disposable` that releases one level.
   * @throws {TimeoutError} If the lock is not acquired within `timeout` ms.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  lock(timeout?: number): Promise<Disposable> {
    return lockGuard(this, TYPE, this.#guard, timeout);
  }

  /**
   * Acquires (blocking) and returns a guard that releases: `using _ = lock.lockSync();`.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns A `Disposable` that releases one level.
   * @throws {TimeoutError} If the lock is not acquired within `timeout` ms.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  lockSync(timeout?: number): Disposable {
    return lockGuardSync(this, TYPE, this.#guard, timeout);
  }

  /**
   * Describes the lock: `<RLock(owner=1234, count=2)>` or `<RLock(unlocked)>`.
   *
   * @returns The description.
   */
  toString(): string {
    const holder = mutexHolder(this.#a, 0);
    return holder === 0 ? "<RLock(unlocked)>" : `<RLock(owner=${holder}, count=${this.#a[COUNT]})>`;
  }

  /**
   * The handle this lock travels as (codec).
   * @ignore
   */
  [SHARE](): SharedHandle {
    return { type: TYPE, module: import.meta.url, state: this.#a };
  }
}

registerShared(TYPE, (state) => adopt(RLock, state, () => new RLock()));

inspectable(RLock);
