/**
 * The synchronization primitives of `mp.dummy` (Python's `threading` ones, which
 * `multiprocessing.dummy` re-exports): the API of the real ones, over promises on the
 * calling thread. Waiters are served first come, first served.
 *
 * @module
 */
import { BrokenBarrierError, ProcessError, TimeoutError } from "../internal/errors.ts";
import { currentProcess, type DummyProcess } from "./process.ts";
import { noWait, printable, timeoutMs, WaitList, wouldBlock } from "./waiters.ts";

function timedOut(what: string, timeout: number | undefined): TimeoutError {
  return new TimeoutError(
    `Could not acquire the ${what} within ${timeout} ms (another task holds it): ` +
      "pass a longer timeout, or none to wait as long as it takes",
  );
}

function notHeld(what: string, detail: string): ProcessError {
  return new ProcessError(`${what}.release(): cannot release un-acquired ${what}: ${detail}`);
}

/** What a Condition needs from its lock. */
interface LockCore {
  owned(): boolean;
  releaseSave(): number;
  restore(saved: number): Promise<void>;
}

const cores = new WeakMap<object, LockCore>();

/**
 * A lock of `mp.dummy` (Python's `threading.Lock`, `multiprocessing.dummy.Lock`): the
 * real `Lock`'s API for async tasks of this thread. `acquire()` waits without
 * blocking; `acquireSync()` takes a free lock (or, with a timeout of 0, reports a held
 * one as `false`) and throws a `ProcessError` where it would have to wait, since only
 * another task of this thread could release it. Any task may release it.
 *
 * @example A counter updated across awaits
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const lock = new mp.Lock();
 * let counter = 0;
 * async function addOne() {
 *   using _ = await lock.lock(); // Python: with lock:
 *   const v = counter;
 *   await new Promise((r) => setTimeout(r, 1));
 *   counter = v + 1;
 * }
 * await Promise.all([addOne(), addOne(), addOne()]);
 * console.log(counter); // 3
 * ```
 *
 * @example Without waiting
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const lock = new mp.Lock();
 * console.log(lock.acquireSync()); // true: it was free
 * console.log(lock.acquireSync(0)); // false: held, and 0 means "do not wait"
 * lock.release();
 * ```
 */
export class Lock {
  #owner: DummyProcess | null = null;
  #waiters = new WaitList<void>();
  #guard: Disposable = { [Symbol.dispose]: () => this.release() };

  /** Creates an unlocked lock. */
  constructor() {
    cores.set(this, {
      owned: () => this.#owner !== null,
      releaseSave: () => (this.release(), 1),
      restore: async () => void await this.acquire(),
    });
  }

  /**
   * Acquires the lock, waiting at most `timeout` ms (`undefined`: as long as it takes).
   * Resolves `true` once held, `false` on timeout.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to `true` once the lock is held, `false` on timeout.
   * @throws {TypeError} If `timeout` is neither `undefined` nor a number.
   */
  async acquire(timeout?: number): Promise<boolean> {
    const ms = timeoutMs(timeout, "Lock.acquire()");
    const me = currentProcess();
    if (this.#owner === null) {
      this.#owner = me;
      return true;
    }
    if (noWait(ms)) return false;
    return (await this.#waiters.park(ms, me)).woken; // release() made it the owner
  }

  /**
   * Acquires the lock if it is free and returns `true`; with a timeout of 0 or less
   * returns `false` if it is held. Otherwise throws a `ProcessError` at once: the
   * holder is a task of this thread, which cannot run while this call blocks.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns `true` if the lock was free, `false` if it is held and `timeout` is 0 or less.
   * @throws {ProcessError} If the lock is held and `timeout` is above 0, and the wait could only hang: the async form waits.
   * @throws {TypeError} If `timeout` is neither `undefined` nor a number.
   */
  acquireSync(timeout?: number): boolean {
    const ms = timeoutMs(timeout, "Lock.acquireSync()");
    if (this.#owner === null) {
      this.#owner = currentProcess();
      return true;
    }
    if (noWait(ms)) return false;
    throw wouldBlock(
      "Lock.acquireSync()",
      `the lock is held (by ${this.#owner.name})`,
      "await lock.acquire()",
    );
  }

  /**
   * Releases the lock (any task may); the longest waiter takes it. Throws `ProcessError` if it is not locked.
   *
   * @throws {ProcessError} If the lock is not locked.
   */
  release(): void {
    if (this.#owner === null) throw notHeld("Lock", "it is not locked; call acquire() first");
    // Handed straight to the longest waiter: nobody can take it in between.
    this.#owner = (this.#waiters.firstTag as DummyProcess | undefined) ?? null;
    this.#waiters.wakeOne();
  }

  /**
   * Whether the lock is held.
   *
   * @returns `true` if the lock is held.
   */
  locked(): boolean {
    return this.#owner !== null;
  }

  /**
   * Acquires and resolves to a guard that releases it: `using _ = await lock.lock();`. Rejects `TimeoutError` on timeout.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to a `Disposable` that releases the lock.
   * @throws {TimeoutError} If the lock is not acquired within `timeout` ms.
   */
  async lock(timeout?: number): Promise<Disposable> {
    if (!(await this.acquire(timeout))) throw timedOut("Lock", timeout);
    return this.#guard;
  }

  /**
   * Like {@linkcode Lock.acquireSync}, returning a guard for `using`; throws `TimeoutError` for a held lock with timeout 0.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A `Disposable` that releases the lock.
   * @throws {TimeoutError} If the lock is held and `timeout` is 0 or less.
   * @throws {ProcessError} If the lock is held and `timeout` is above 0, and the wait could only hang: the async form waits.
   */
  lockSync(timeout?: number): Disposable {
    if (!this.acquireSync(timeout)) throw timedOut("Lock", timeout);
    return this.#guard;
  }

  /**
   * Describes the lock: `<Lock(owner=Thread-1)>` or `<Lock(unlocked)>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<Lock(${this.#owner === null ? "unlocked" : `owner=${this.#owner.name}`})>`;
  }
}

/**
 * A recursive lock of `mp.dummy` (Python's `threading.RLock`): the dummy process (task)
 * holding it may acquire it again, and must release it as many times; only it may
 * release it. As with the real RLock, ownership is per process: async code of one
 * process (`currentProcess()`) shares it.
 *
 * @example Reentrant use
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const lock = new mp.RLock();
 * using _outer = lock.lockSync();
 * using _inner = lock.lockSync(); // the same process takes it again
 * console.log(String(lock)); // <RLock(owner=MainThread, count=2)>
 * ```
 */
export class RLock {
  #owner: DummyProcess | null = null;
  #count = 0;
  #waiters = new WaitList<void>();
  #guard: Disposable = { [Symbol.dispose]: () => this.release() };

  /** Creates an unlocked recursive lock. */
  constructor() {
    cores.set(this, {
      owned: () => this.#owner === currentProcess(),
      releaseSave: () => {
        const count = this.#count;
        this.#count = 1;
        this.release();
        return count;
      },
      restore: async (count) => {
        await this.acquire();
        this.#count = count;
      },
    });
  }

  /**
   * Acquires the lock (again, if this process holds it), waiting at most `timeout` ms; `false` on timeout.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to `true` once the lock is held, `false` on timeout.
   * @throws {TypeError} If `timeout` is neither `undefined` nor a number.
   */
  async acquire(timeout?: number): Promise<boolean> {
    const ms = timeoutMs(timeout, "RLock.acquire()");
    const me = currentProcess();
    if (this.#owner === me) {
      this.#count++;
      return true;
    }
    if (this.#owner === null) {
      this.#owner = me;
      this.#count = 1;
      return true;
    }
    if (noWait(ms)) return false;
    return (await this.#waiters.park(ms, me)).woken; // release() made it the owner
  }

  /**
   * Acquires the lock when it is free or this process holds it; with a timeout of 0 or
   * less returns `false` if another holds it; otherwise throws a `ProcessError` at once.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns `true` if the lock was free or is the caller's, `false` if another task holds it and `timeout` is 0 or less.
   * @throws {ProcessError} If another task holds the lock and `timeout` is above 0, and the wait could only hang: the async form waits.
   * @throws {TypeError} If `timeout` is neither `undefined` nor a number.
   */
  acquireSync(timeout?: number): boolean {
    const ms = timeoutMs(timeout, "RLock.acquireSync()");
    const me = currentProcess();
    if (this.#owner === me) {
      this.#count++;
      return true;
    }
    if (this.#owner === null) {
      this.#owner = me;
      this.#count = 1;
      return true;
    }
    if (noWait(ms)) return false;
    throw wouldBlock(
      "RLock.acquireSync()",
      `the lock is held by ${this.#owner.name}`,
      "await lock.acquire()",
    );
  }

  /**
   * Releases one level; the last release frees the lock. Throws `ProcessError` when this process does not hold it.
   *
   * @throws {ProcessError} If the calling task does not hold the lock.
   */
  release(): void {
    const me = currentProcess();
    if (this.#owner !== me) {
      throw notHeld(
        "RLock",
        this.#owner === null
          ? "it is not locked"
          : `it is held by ${this.#owner.name}, and only its owner may release it`,
      );
    }
    if (--this.#count > 0) return;
    // Handed straight to the longest waiter: nobody can take it in between.
    this.#owner = (this.#waiters.firstTag as DummyProcess | undefined) ?? null;
    if (this.#owner !== null) this.#count = 1;
    this.#waiters.wakeOne();
  }

  /**
   * Whether some process holds the lock.
   *
   * @returns `true` if the lock is held.
   */
  locked(): boolean {
    return this.#owner !== null;
  }

  /**
   * Acquires and resolves to a guard that releases: `using _ = await lock.lock();`.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to a `Disposable` that releases one level.
   * @throws {TimeoutError} If the lock is not acquired within `timeout` ms.
   */
  async lock(timeout?: number): Promise<Disposable> {
    if (!(await this.acquire(timeout))) throw timedOut("RLock", timeout);
    return this.#guard;
  }

  /**
   * Like {@linkcode RLock.acquireSync}, returning a guard for `using`.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A `Disposable` that releases one level.
   * @throws {TimeoutError} If another task holds the lock and `timeout` is 0 or less.
   * @throws {ProcessError} If another task holds the lock and `timeout` is above 0, and the wait could only hang: the async form waits.
   */
  lockSync(timeout?: number): Disposable {
    if (!this.acquireSync(timeout)) throw timedOut("RLock", timeout);
    return this.#guard;
  }

  /**
   * Describes the lock: `<RLock(owner=MainThread, count=2)>` or `<RLock(unlocked)>`.
   *
   * @returns The description.
   */
  toString(): string {
    return this.#owner === null
      ? "<RLock(unlocked)>"
      : `<RLock(owner=${this.#owner.name}, count=${this.#count})>`;
  }
}

function checkValue(value: unknown, cls: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new RangeError(`${cls}(value): the initial value must be an integer >= 0, got ${String(value)}`);
  }
  return value;
}

/**
 * A semaphore of `mp.dummy` (Python's `threading.Semaphore`): a counter of permits;
 * `acquire` takes one (waiting while there is none), `release` gives one back. Use it
 * to bound how many async tasks do something at once.
 *
 * @example At most two downloads at a time
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const sem = new mp.Semaphore(2);
 * let running = 0, most = 0;
 * async function download(_url: string) {
 *   using _ = await sem.lock();
 *   most = Math.max(most, ++running);
 *   await new Promise((r) => setTimeout(r, 10));
 *   running--;
 * }
 * await Promise.all(["a", "b", "c", "d"].map(download));
 * console.log(most); // 2
 * ```
 */
export class Semaphore {
  #value: number;
  readonly #initial: number;
  readonly #bounded: boolean;
  #waiters = new WaitList<void>();
  #guard: Disposable = { [Symbol.dispose]: () => this.release() };

  /**
   * Creates a semaphore with `value` permits (default 1).
   *
   * @param value The initial number of permits (default 1).
   * @throws {RangeError} If `value` is not an integer of at least 0.
   */
  constructor(value: number = 1) {
    this.#bounded = new.target === BoundedSemaphore;
    this.#value = this.#initial = checkValue(value, this.#kind);
  }

  get #kind(): string {
    return this.#bounded ? "BoundedSemaphore" : "Semaphore";
  }

  /**
   * Takes a permit, waiting at most `timeout` ms; resolves `true` once taken, `false` on timeout.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to `true` once a permit is taken, `false` on timeout.
   * @throws {TypeError} If `timeout` is neither `undefined` nor a number.
   */
  async acquire(timeout?: number): Promise<boolean> {
    const ms = timeoutMs(timeout, `${this.#kind}.acquire()`);
    if (this.#value > 0) {
      this.#value--;
      return true;
    }
    if (noWait(ms)) return false;
    return (await this.#waiters.park(ms)).woken;
  }

  /**
   * Takes a permit if one is free; with a timeout of 0 or less returns `false` if none
   * is; otherwise throws a `ProcessError` at once (only another task could release one).
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns `true` if a permit was free, `false` if none is and `timeout` is 0 or less.
   * @throws {ProcessError} If no permit is free and `timeout` is above 0, and the wait could only hang: the async form waits.
   * @throws {TypeError} If `timeout` is neither `undefined` nor a number.
   */
  acquireSync(timeout?: number): boolean {
    const ms = timeoutMs(timeout, `${this.#kind}.acquireSync()`);
    if (this.#value > 0) {
      this.#value--;
      return true;
    }
    if (noWait(ms)) return false;
    throw wouldBlock(`${this.#kind}.acquireSync()`, "no permit is free", "await sem.acquire()");
  }

  /**
   * Gives a permit back (to the longest waiter, if any). A `BoundedSemaphore` throws
   * `ProcessError` when that would exceed its initial value.
   *
   * @throws {ProcessError} On a `BoundedSemaphore` whose value is already its initial value.
   */
  release(): void {
    if (this.#waiters.length > 0) {
      this.#waiters.wakeOne(); // the permit goes straight to the waiter
      return;
    }
    if (this.#bounded && this.#value >= this.#initial) {
      throw new ProcessError(
        `BoundedSemaphore.release(): released too many times (its value is already ${this.#value}, its ` +
          "initial value): release only the permits that were acquired",
      );
    }
    this.#value++;
  }

  /**
   * The number of free permits.
   *
   * @returns The number of free permits.
   */
  getValue(): number {
    return this.#value;
  }

  /**
   * Takes a permit and resolves to a guard that gives it back: `using _ = await sem.lock();`.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to a `Disposable` that gives the permit back.
   * @throws {TimeoutError} If no permit is taken within `timeout` ms.
   */
  async lock(timeout?: number): Promise<Disposable> {
    if (!(await this.acquire(timeout))) throw timedOut(this.#kind, timeout);
    return this.#guard;
  }

  /**
   * Like {@linkcode Semaphore.acquireSync}, returning a guard for `using`.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A `Disposable` that gives the permit back.
   * @throws {TimeoutError} If no permit is free and `timeout` is 0 or less.
   * @throws {ProcessError} If no permit is free and `timeout` is above 0, and the wait could only hang: the async form waits.
   */
  lockSync(timeout?: number): Disposable {
    if (!this.acquireSync(timeout)) throw timedOut(this.#kind, timeout);
    return this.#guard;
  }

  /**
   * Describes the semaphore: `<Semaphore(value=2)>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<${this.#kind}(value=${this.#value})>`;
  }
}

/**
 * A semaphore whose `release` throws `ProcessError` when it would raise the value above
 * the initial one (Python's `threading.BoundedSemaphore`).
 *
 * @example Over-release is an error
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const sem = new mp.BoundedSemaphore(1);
 * try {
 *   sem.release();
 * } catch (e) {
 *   console.log((e as Error).message); // BoundedSemaphore released too many times: ...
 * }
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /**
   * Creates a bounded semaphore with `value` permits (default 1).
   *
   * @param value The initial (and largest) number of permits (default 1).
   * @throws {RangeError} If `value` is not an integer of at least 0.
   */
  constructor(value: number = 1) {
    super(value);
  }
}

/**
 * A condition variable of `mp.dummy` (Python's `threading.Condition`): wait, with the
 * lock held, for a state to change; another task notifies. The lock is a new dummy
 * {@linkcode RLock} unless a dummy Lock or RLock is given. `waitSync` / `waitForSync`
 * return at once where they can (timeout 0, a predicate already true) and otherwise
 * throw a `ProcessError`: a notifier could not run while they blocked.
 *
 * @example Wait for a flag set by another task
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const cond = new mp.Condition();
 * let ready = false;
 * const p = new mp.Process({
 *   target: async () => {
 *     using _ = await cond.lock();
 *     ready = true;
 *     cond.notifyAll();
 *   },
 * });
 * {
 *   using _ = await cond.lock();
 *   await p.start();
 *   console.log(await cond.waitFor(() => ready, 5000)); // true
 * }
 * await p.join();
 * ```
 */
export class Condition {
  #lock: Lock | RLock;
  #core: LockCore;
  #waiters = new WaitList<void>();
  #guard: Disposable = { [Symbol.dispose]: () => this.release() };

  /**
   * Creates a condition over `lock` (a dummy Lock or RLock; default a new RLock).
   *
   * @param lock The dummy Lock or RLock to use (default a new RLock).
   */
  constructor(lock?: Lock | RLock) {
    this.#lock = lock ?? new RLock();
    const core = cores.get(this.#lock);
    if (core === undefined) {
      throw new TypeError(
        `Condition(lock): lock must be a Lock or an RLock of mp.dummy, got ${String(lock)}` +
          " (a lock of the real module cannot serve a dummy Condition)",
      );
    }
    this.#core = core;
  }

  /**
   * Acquires the underlying lock (see `Lock.acquire`).
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to `true` once the lock is held, `false` on timeout.
   */
  acquire(timeout?: number): Promise<boolean> {
    return this.#lock.acquire(timeout);
  }

  /**
   * Acquires the underlying lock without waiting (see `Lock.acquireSync`).
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns `true` once the lock is held, `false` if it is held and `timeout` is 0 or less.
   * @throws {ProcessError} If the lock is held by another task and `timeout` is above 0, and the wait could only hang: the async form waits.
   */
  acquireSync(timeout?: number): boolean {
    return this.#lock.acquireSync(timeout);
  }

  /**
   * Releases the underlying lock.
   *
   * @throws {ProcessError} If the calling task does not hold the lock.
   */
  release(): void {
    this.#lock.release();
  }

  /**
   * Acquires the lock and resolves to a guard that releases it: `using _ = await cond.lock();`.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to a `Disposable` that releases the lock.
   * @throws {TimeoutError} If the lock is not acquired within `timeout` ms.
   */
  async lock(timeout?: number): Promise<Disposable> {
    if (!(await this.acquire(timeout))) throw timedOut("Condition's lock", timeout);
    return this.#guard;
  }

  /**
   * Like {@linkcode Condition.acquireSync}, returning a guard for `using`.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A `Disposable` that releases the lock.
   * @throws {TimeoutError} If the lock is held and `timeout` is 0 or less.
   * @throws {ProcessError} If the lock is held by another task and `timeout` is above 0, and the wait could only hang: the async form waits.
   */
  lockSync(timeout?: number): Disposable {
    if (!this.acquireSync(timeout)) throw timedOut("Condition's lock", timeout);
    return this.#guard;
  }

  /**
   * The lock this condition uses.
   *
   * @returns The lock.
   */
  getLock(): Lock | RLock {
    return this.#lock;
  }

  #checkOwned(what: string): void {
    if (!this.#core.owned()) {
      throw new ProcessError(
        `Condition.${what}(): cannot ${what} on un-acquired lock: acquire the Condition's lock first`,
      );
    }
  }

  /**
   * Releases the lock, waits until notified or `timeout` ms pass, and takes the lock
   * again. Resolves `true` if notified, `false` on timeout. Throws `ProcessError` if the
   * lock is not held.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to `true` if notified, `false` on timeout.
   * @throws {ProcessError} If the calling task does not hold the lock.
   */
  async wait(timeout?: number): Promise<boolean> {
    const ms = timeoutMs(timeout, "Condition.wait()");
    this.#checkOwned("wait");
    const saved = this.#core.releaseSave();
    let woken = false;
    try {
      woken = (await this.#waiters.park(ms)).woken;
    } finally {
      await this.#core.restore(saved);
    }
    return woken;
  }

  /**
   * With a timeout of 0 or less, returns `false` at once (nobody could notify meanwhile);
   * otherwise throws a `ProcessError`: use `await cond.wait()`.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns `false` when `timeout` is 0 or less.
   * @throws {ProcessError} If the calling task does not hold the lock, or `timeout` is above 0: only another task could notify.
   */
  waitSync(timeout?: number): boolean {
    const ms = timeoutMs(timeout, "Condition.waitSync()");
    this.#checkOwned("wait");
    if (noWait(ms)) return false;
    throw wouldBlock("Condition.waitSync()", "only another task could notify it", "await cond.wait()");
  }

  /**
   * Waits until `predicate()` is true (checked with the lock held), at most `timeout`
   * ms in all. Resolves the predicate's last result.
   *
   * @param predicate The condition to wait for, checked with the lock held.
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to the last value of `predicate()`.
   * @throws {ProcessError} If the calling task does not hold the lock.
   */
  async waitFor<T>(predicate: () => T, timeout?: number): Promise<T> {
    const ms = timeoutMs(timeout, "Condition.waitFor()");
    const end = ms === undefined ? Infinity : Date.now() + ms;
    let result = predicate();
    while (!result) {
      const left = end - Date.now();
      if (left <= 0) break;
      await this.wait(left === Infinity ? undefined : left);
      result = predicate();
    }
    return result;
  }

  /**
   * Returns `predicate()` at once when it is true, or when the timeout is 0 or less;
   * otherwise throws a `ProcessError`: use `await cond.waitFor(...)`.
   *
   * @param predicate The condition to wait for, checked with the lock held.
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns The value of `predicate()`.
   * @throws {ProcessError} If the calling task does not hold the lock, or `predicate()` is false and `timeout` is above 0.
   */
  waitForSync<T>(predicate: () => T, timeout?: number): T {
    const ms = timeoutMs(timeout, "Condition.waitForSync()");
    this.#checkOwned("wait");
    const result = predicate();
    if (result || noWait(ms)) return result;
    throw wouldBlock(
      "Condition.waitForSync()",
      "the predicate is false and only another task could make it true",
      "await cond.waitFor(predicate)",
    );
  }

  /**
   * Wakes up to `n` waiting tasks (default 1). The lock must be held.
   *
   * @param n How many waiters to wake (default 1).
   * @throws {ProcessError} If the calling task does not hold the lock.
   * @throws {RangeError} If `n` is not a number of at least 0.
   */
  notify(n: number = 1): void {
    if (typeof n !== "number" || Number.isNaN(n) || n < 0) {
      throw new RangeError(`Condition.notify(n): n must be a number >= 0, got ${String(n)}`);
    }
    this.#checkOwned("notify");
    for (let i = 0; i < n && this.#waiters.wakeOne(); i++);
  }

  /**
   * Wakes every waiting task. The lock must be held.
   *
   * @throws {ProcessError} If the calling task does not hold the lock.
   */
  notifyAll(): void {
    this.notify(Infinity);
  }

  /**
   * Describes the condition and its lock.
   *
   * @returns The description.
   */
  toString(): string {
    return `<Condition(${this.#lock}, waiters=${this.#waiters.length})>`;
  }
}

/**
 * An event of `mp.dummy` (Python's `threading.Event`): a flag that starts false;
 * `set()` makes it true and wakes every waiter, `clear()` resets it. `waitSync` answers
 * at once when the flag is set or the timeout is 0, and throws a `ProcessError`
 * otherwise.
 *
 * @example Start together
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const go = new mp.Event();
 * const p = new mp.Process({ target: async () => console.log("running:", await go.wait(5000)) });
 * await p.start();
 * go.set();
 * await p.join(); // printed "running: true"
 * ```
 */
export class Event {
  #flag = false;
  #waiters = new WaitList<void>();

  /**
   * Whether the flag is set.
   *
   * @returns `true` if the flag is set.
   */
  isSet(): boolean {
    return this.#flag;
  }

  /** Sets the flag and wakes every waiter. */
  set(): void {
    this.#flag = true;
    this.#waiters.wakeAll();
  }

  /** Resets the flag to false. */
  clear(): void {
    this.#flag = false;
  }

  /**
   * Waits until the flag is set, at most `timeout` ms. Resolves `true` if set, `false` on timeout.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to `true` once the flag is set, `false` on timeout.
   * @throws {TypeError} If `timeout` is neither `undefined` nor a number.
   */
  async wait(timeout?: number): Promise<boolean> {
    const ms = timeoutMs(timeout, "Event.wait()");
    if (this.#flag) return true;
    if (noWait(ms)) return false;
    return (await this.#waiters.park(ms)).woken;
  }

  /**
   * `true` if the flag is set, `false` with a timeout of 0 or less; otherwise throws a `ProcessError`.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns `true` if the flag is set, `false` if not and `timeout` is 0 or less.
   * @throws {ProcessError} If the flag is not set and `timeout` is above 0, and the wait could only hang: the async form waits.
   */
  waitSync(timeout?: number): boolean {
    const ms = timeoutMs(timeout, "Event.waitSync()");
    if (this.#flag) return true;
    if (noWait(ms)) return false;
    throw wouldBlock(
      "Event.waitSync()",
      "the event is not set and only another task could set it",
      "await event.wait()",
    );
  }

  /**
   * Describes the event: `<Event(set)>` or `<Event(unset)>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<Event(${this.#flag ? "set" : "unset"})>`;
  }
}

/** Options of the dummy {@linkcode Barrier}. */
export interface BarrierOptions {
  /** Default timeout of `wait`, in milliseconds. */
  timeout?: number;
}

function broken(why: string): BrokenBarrierError {
  return new BrokenBarrierError(`The barrier is broken: ${why}: call reset() to use it again`);
}

/**
 * A barrier of `mp.dummy` (Python's `threading.Barrier`): each of `parties` tasks calls
 * `wait()`, and all go on once the last has arrived; `wait` resolves a distinct index in
 * `0..parties-1`. A timeout, `abort()` or `reset()` breaks it for every waiter with
 * `BrokenBarrierError`. `waitSync` works for the party that completes the barrier (and
 * for a barrier of one party); for any other it throws a `ProcessError`.
 *
 * @example Three tasks meet
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const b = new mp.Barrier(3);
 * const indices = await Promise.all([b.wait(5000), b.wait(5000), b.wait(5000)]);
 * console.log(indices.sort()); // [0, 1, 2]
 * ```
 */
export class Barrier {
  readonly #parties: number;
  readonly #timeout: number | undefined;
  #waiters = new WaitList<void>();
  #broken = false;

  /**
   * Creates a barrier for `parties` tasks; `timeout` (ms) is the default of `wait`.
   *
   * @param parties How many tasks must call `wait()`.
   * @param options `timeout`: the default timeout of `wait`, in milliseconds.
   * @throws {RangeError} If `parties` is not an integer of at least 1.
   */
  constructor(parties: number, options: BarrierOptions = {}) {
    if (typeof parties !== "number" || !Number.isInteger(parties) || parties < 1) {
      throw new RangeError(`Barrier(parties): parties must be an integer >= 1, got ${String(parties)}`);
    }
    this.#parties = parties;
    this.#timeout = timeoutMs(options?.timeout, "Barrier()");
  }

  /** Arrives; returns this party's index if that completes the barrier, else `null`. */
  #arrive(): number | null {
    if (this.#broken) throw broken("it was aborted, reset or timed out");
    const index = this.#waiters.length;
    if (index + 1 < this.#parties) return null;
    this.#waiters.wakeAll();
    return index;
  }

  /**
   * Waits until all parties have called `wait`, at most `timeout` ms (default: the
   * barrier's). Resolves this party's index; rejects with `BrokenBarrierError` if the
   * barrier is or becomes broken (a timeout breaks it).
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait. Default: the barrier's.
   * @returns A promise that resolves to this party's index, from 0 to `parties - 1`.
   * @throws {BrokenBarrierError} If the barrier is (or becomes) broken, aborted or reset, or the wait times out.
   */
  async wait(timeout?: number): Promise<number> {
    const ms = timeoutMs(timeout, "Barrier.wait()") ?? this.#timeout;
    const last = this.#arrive();
    if (last !== null) return last;
    const index = this.#waiters.length;
    const r = await this.#waiters.park(ms);
    if (!r.woken) {
      this.#break();
      throw broken(`a party timed out after ${ms} ms`);
    }
    return index;
  }

  /**
   * Completes the barrier without waiting when this is the last party to arrive (or the
   * only one) and returns its index; otherwise throws a `ProcessError` at once: the other
   * parties are tasks of this thread, which could not arrive while it blocked.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait. Default: the barrier's.
   * @returns This party's index, when it is the last one to arrive.
   * @throws {BrokenBarrierError} If the barrier is broken.
   * @throws {ProcessError} If other parties must still arrive, and the wait could only hang: the async form waits.
   */
  waitSync(timeout?: number): number {
    timeoutMs(timeout, "Barrier.waitSync()");
    const last = this.#arrive();
    if (last !== null) return last;
    throw wouldBlock(
      "Barrier.waitSync()",
      `${this.#parties - this.#waiters.length - 1} more parties must arrive first`,
      "await barrier.wait()",
    );
  }

  #break(): void {
    this.#broken = true;
    this.#waiters.failAll(broken("it was aborted, reset or timed out while waiting"));
  }

  /** Breaks the barrier: current and future waiters get `BrokenBarrierError`. */
  abort(): void {
    this.#break();
  }

  /** Returns the barrier to its initial state; tasks waiting now get `BrokenBarrierError`. */
  reset(): void {
    this.#waiters.failAll(broken("it was reset while waiting"));
    this.#broken = false;
  }

  /** The number of parties needed to pass. */
  get parties(): number {
    return this.#parties;
  }

  /** The number of parties waiting now. */
  get nWaiting(): number {
    return this.#waiters.length;
  }

  /** Whether the barrier is broken. */
  get broken(): boolean {
    return this.#broken;
  }

  /**
   * Describes the barrier: `<Barrier(waiters=1/3)>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<Barrier(${this.#broken ? "broken, " : ""}waiters=${this.nWaiting}/${this.#parties})>`;
  }
}

printable(Lock, RLock, Semaphore, Condition, Event, Barrier);
