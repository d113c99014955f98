/**
 * Small types and guards shared across the package. Internal to this package.
 *
 * @module
 */

/** Any function: what tasks, targets and manager methods are typed as inside. */
// deno-lint-ignore no-explicit-any
export type AnyFunction = (...args: any[]) => any;

/** Whether `v` is a thenable (a Promise or anything with a `then` method). */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === "object" || typeof v === "function") && v !== null &&
    typeof (v as PromiseLike<unknown>).then === "function";
}
