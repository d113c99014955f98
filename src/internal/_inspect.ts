/**
 * What the runtimes' consoles print for the package's objects: their `toString()`,
 * Python's `repr`, instead of `Process {}` (Deno) or a dump of methods (Bun). Each
 * public class calls {@linkcode inspectable} once. Internal to this package.
 *
 * @module
 */

const HOOKS = [Symbol.for("Deno.customInspect"), Symbol.for("nodejs.util.inspect.custom")];

function inspect(this: { toString(): string }): string {
  return this.toString();
}

/** Makes `console.log` and `Deno.inspect`/`util.inspect` print `toString()` for these classes. */
export function inspectable(...classes: { prototype: { toString(): string } }[]): void {
  for (const c of classes) {
    for (const key of HOOKS) {
      Object.defineProperty(c.prototype, key, { value: inspect, writable: true, configurable: true });
    }
  }
}
