/**
 * The module namespaces this thread imported to find functions (a child's target, a
 * function inside a value), kept for synchronous lookups later: a module with
 * top-level await, or one served over `https:`, cannot be `require()`d. Its own
 * module, with no imports, so that a child's bootstrap can remember its target's
 * module without loading the function-reference code. Internal to this package.
 *
 * @module
 */

/** Module URL → its namespace, as `import()` gave it. */
export const namespaces: Map<string, Record<string, unknown>> = new Map();

/** Remembers a namespace that this thread imported, for synchronous lookups later. */
export function rememberNamespace(module: string, ns: Record<string, unknown>): void {
  namespaces.set(module, ns);
}
