/**
 * Waiting helpers shared by every class that waits: promise-with-timeout here;
 * the Atomics wait/notify helpers live beside them.
 *
 * @module
 */

/**
 * Waits for `promise` at most `timeout` ms (`undefined` waits forever, `<= 0` not at
 * all). Resolves `true` if it settled in time, `false` otherwise; never leaves a timer
 * behind.
 */
export function settlesWithin(promise: Promise<unknown>, timeout: number | undefined): Promise<boolean> {
  if (timeout === undefined) return promise.then(() => true, () => true);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const done = promise.then(() => true, () => true);
  if (timeout <= 0) return Promise.race([done, Promise.resolve(false)]);
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeout);
  });
  return Promise.race([done, expired]).finally(() => clearTimeout(timer));
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Checks a timeout and gives it in its one form, naming the call site in the error.
 * The package's one rule, as Python's `multiprocessing` (`timeout=None` waits for
 * ever; its locks and semaphores clamp a negative timeout to 0, and `Event.wait`,
 * `Condition.wait_for` and `Barrier.wait` do not wait once the time left is <= 0):
 *
 * - `undefined` or `null`: wait as long as it takes (returned as `undefined`);
 * - `Infinity`: the same (returned as is; a deadline of `Infinity` never passes);
 * - `0`, a negative number or `-Infinity`: do not wait (only try once);
 * - `NaN` or anything but a number: `TypeError` naming the value.
 *
 * (Python's `threading.Lock` alone reads `-1` as "for ever" and rejects other negative
 * timeouts; `multiprocessing.Lock` does not, and neither does this package.)
 */
export function checkTimeout(timeout: unknown, where: string): number | undefined {
  if (timeout === undefined || timeout === null) return undefined;
  if (typeof timeout !== "number" || Number.isNaN(timeout)) {
    throw new TypeError(
      `${where}: timeout must be a number of milliseconds or undefined, got ${String(timeout)}`,
    );
  }
  return timeout;
}
