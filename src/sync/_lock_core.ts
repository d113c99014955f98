/**
 * What the lock classes share: argument checks, the `lock()` / `lockSync()` guards
 * that `using` releases, and the hidden protocol through which a Condition (or a
 * synchronized Value) drives whichever lock it was given.
 *
 * @module
 */
import { ProcessError, TimeoutError } from "../internal/errors.ts";
import { deadlineOf, remaining } from "../internal/_atomics.ts";
import { checkTimeout } from "../internal/_timeouts.ts";

/** What a Condition needs from its lock, kept out of the public classes. */
export interface LockCore {
  /** The class name, for messages. */
  readonly kind: string;
  /** True when this process holds the lock. */
  owned(): boolean;
  /** Releases the lock completely (every recursion level); returns what restore needs. */
  releaseSave(): number;
  /** Takes the lock again as `releaseSave` left it, blocking. */
  restoreSync(saved: number): void;
  /** Takes the lock again as `releaseSave` left it. */
  restore(saved: number): Promise<void>;
}

/** The common surface of Lock and RLock. */
export interface LockLike {
  acquire(timeout?: number): Promise<boolean>;
  acquireSync(timeout?: number): boolean;
  release(): void;
}

const cores = new WeakMap<object, LockCore>();

/** Makes `lock` usable by a Condition. */
export function registerCore(lock: object, core: LockCore): void {
  cores.set(lock, core);
}

/** The core of one of this package's locks, or `undefined` for anything else. */
export function coreOf(lock: unknown): LockCore | undefined {
  return typeof lock === "object" && lock !== null ? cores.get(lock) : undefined;
}

/** A Disposable that releases `lock`, for `using`. */
export function guardOf(lock: LockLike): Disposable {
  return { [Symbol.dispose]: () => lock.release() };
}

function timedOut(what: string, timeout: number | undefined): TimeoutError {
  return new TimeoutError(
    `Could not acquire the ${what} within ${timeout} ms (another process holds it): ` +
      "pass a longer timeout, or none to wait as long as it takes",
  );
}

/** `lockSync()`: acquires (blocking) and returns the guard; throws TimeoutError on timeout. */
export function lockGuardSync(lock: LockLike, what: string, guard: Disposable, timeout?: number): Disposable {
  if (!lock.acquireSync(timeout)) throw timedOut(what, timeout);
  return guard;
}

/** `lock()`: acquires and resolves to the guard; rejects with TimeoutError on timeout. */
export async function lockGuard(
  lock: LockLike,
  what: string,
  guard: Disposable,
  timeout?: number,
): Promise<Disposable> {
  if (!(await lock.acquire(timeout))) throw timedOut(what, timeout);
  return guard;
}

/** The error for releasing a lock this process does not hold (Python's text, after the call site). */
export function notHeld(what: string, detail: string): ProcessError {
  return new ProcessError(`${what}.release(): cannot release un-acquired ${what}: ${detail}`);
}

/**
 * `Condition.waitFor()` (local and remote): calls `wait` with the time left until
 * `predicate()` returns a truthy value or `timeout` ms have passed in all; returns the
 * predicate's last value. A bad timeout rejects before anything is checked.
 */
export async function waitForLoop<T>(
  predicate: () => T,
  timeout: number | undefined,
  where: string,
  wait: (ms: number | undefined) => Promise<unknown>,
): Promise<T> {
  const deadline = deadlineOf(checkTimeout(timeout, where));
  let result = predicate();
  while (!result) {
    const left = remaining(deadline);
    if (left <= 0) break;
    await wait(left === Infinity ? undefined : left);
    result = predicate();
  }
  return result;
}

/** Blocking {@linkcode waitForLoop}. */
export function waitForLoopSync<T>(
  predicate: () => T,
  timeout: number | undefined,
  where: string,
  wait: (ms: number | undefined) => unknown,
): T {
  const deadline = deadlineOf(checkTimeout(timeout, where));
  let result = predicate();
  while (!result) {
    const left = remaining(deadline);
    if (left <= 0) break;
    wait(left === Infinity ? undefined : left);
    result = predicate();
  }
  return result;
}
