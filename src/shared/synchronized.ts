/**
 * `Synchronized`: what Value and Array share, a lock (a new RLock, a given Lock or
 * RLock, or none) that guards each access and that callers can take around several.
 *
 * @module
 */
import { ProcessError } from "../internal/errors.ts";
import { Lock } from "../sync/lock.ts";
import { RLock } from "../sync/rlock.ts";

/** Options of {@linkcode Value} and {@linkcode SharedArray}. */
export interface SynchronizedOptions {
  /**
   * `true` (default): guard accesses with a new RLock; `false`: no lock (raw shared
   * memory, no lock methods); or the Lock / RLock to use.
   */
  lock?: boolean | Lock | RLock;
}

/** Picks the lock described by `options.lock`. */
export function lockFrom(options: SynchronizedOptions | undefined, where: string): Lock | RLock | null {
  if (typeof options !== "object" && options !== undefined) {
    throw new TypeError(`${where}: options must be an object like { lock: false }, got ${typeof options}`);
  }
  const lock = options?.lock ?? true;
  if (lock === true) return new RLock();
  if (lock === false) return null;
  if (lock instanceof Lock || lock instanceof RLock) return lock;
  throw new TypeError(`${where}: lock must be true, false, a Lock or an RLock, got ${String(lock)}`);
}

/**
 * The base of {@linkcode Value} and {@linkcode SharedArray} (Python's
 * `sharedctypes.Synchronized`): each access takes the object's lock, and the lock
 * methods take it around several accesses (`counter.value += 1` reads, then writes:
 * hold the lock around it when other processes write too). The promise-returning
 * methods never throw: on an object without a lock, or with a bad timeout, they reject.
 *
 * @example Guarding a read-modify-write
 * ```ts
 * import { Value } from "@mp/multiprocessing";
 * const counter = new Value("i", 0);
 * {
 *   using _ = counter.lockSync();
 *   counter.value += 1;
 * }
 * console.log(counter.value); // 1
 * ```
 */
export abstract class Synchronized {
  #lock: Lock | RLock | null;

  /**
   * Sets up the lock (subclasses only).
   *
   * @param lock The lock guarding each access, or `null` for none.
   */
  protected constructor(lock: Lock | RLock | null) {
    this.#lock = lock;
  }

  /**
   * The lock guarding this object; throws `ProcessError` for one made with `lock: false`.
   *
   * @returns The `Lock` or `RLock` that guards each access.
   * @throws {ProcessError} If the object was created with `lock: false`.
   */
  getLock(): Lock | RLock {
    if (this.#lock === null) {
      throw new ProcessError(
        `${this.constructor.name}.getLock(): this ${this.constructor.name} was created with { lock: false } and has no lock: ` +
          "create it with lock: true (the default) or pass a Lock",
      );
    }
    return this.#lock;
  }

  /** The lock, or `null` for an object made with `lock: false` (for subclasses). */
  protected get lockOrNull(): Lock | RLock | null {
    return this.#lock;
  }

  /**
   * Acquires the lock (see `Lock.acquire`).
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns A promise that resolves to `true` once the lock is held, `false` on timeout.
   * @throws {ProcessError} If the object was created with `lock: false`.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  acquire(timeout?: number): Promise<boolean> {
    try {
      return this.getLock().acquire(timeout);
    } catch (e) {
      return Promise.reject(e); // no lock: a rejection, as every promise-returning method
    }
  }

  /**
   * Acquires the lock, blocking (see `Lock.acquireSync`).
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns `true` once the lock is held, `false` on timeout.
   * @throws {ProcessError} If the object was created with `lock: false`.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  acquireSync(timeout?: number): boolean {
    return this.getLock().acquireSync(timeout);
  }

  /**
   * Releases the lock.
   *
   * @throws {ProcessError} If the object was created with `lock: false`, or the lock is
   *   not locked (for an `RLock`: not held by this process).
   */
  release(): void {
    this.getLock().release();
  }

  /**
   * Acquires the lock and resolves to a guard that releases it: `using _ = await v.lock();`.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns A promise that resolves to a `Disposable` that releases the lock.
   * @throws {TimeoutError} If the lock is not acquired within `timeout` ms.
   * @throws {ProcessError} If the object was created with `lock: false`.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  lock(timeout?: number): Promise<Disposable> {
    try {
      return this.getLock().lock(timeout);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Acquires the lock (blocking) and returns a guard that releases it: `using _ = v.lockSync();`.
   *
   * @param timeout How long to wait, in milliseconds: `undefined`, `null` or `Infinity` waits as long as it takes, `0` or less does not wait (as Python's `multiprocessing`).
   * @returns A `Disposable` that releases the lock.
   * @throws {TimeoutError} If the lock is not acquired within `timeout` ms.
   * @throws {ProcessError} If the object was created with `lock: false`.
   * @throws {TypeError} If `timeout` is `NaN` or not a number (nor `undefined` or `null`).
   */
  lockSync(timeout?: number): Disposable {
    return this.getLock().lockSync(timeout);
  }
}
