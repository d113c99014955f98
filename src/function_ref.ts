/**
 * Functions (and classes) inside values, by reference, as Python pickles them: an
 * exported function travels as its module and export name, a well-known built-in
 * (`Math.sqrt`, `JSON.stringify`, `String`) as its path from `globalThis`. The
 * receiving thread finds the same function again: from what this thread has seen,
 * from the namespaces it imported, or by loading the module synchronously
 * (`require()` of an ES module, which both runtimes support). Internal to this package.
 *
 * @module
 */
import { ProcessError } from "./errors.ts";
import { builtinAt, builtinPath } from "./builtins.ts";
import { callerModules, type FunctionRef, resolveNow } from "./resolve.ts";
import { requireModule } from "./runtime.ts";

// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => unknown;

/** A function as it travels: a built-in's path, or a module's export. */
export type FunctionData = Exclude<FunctionRef, { source: string }>;

/** What this thread knows: `module#name` (or a built-in path) → the function. */
const known = new Map<string, AnyFunction>();
/** Namespaces this thread imported (a module with top-level await cannot be required). */
const namespaces = new Map<string, Record<string, unknown>>();

/** Remembers a namespace that this thread imported, for synchronous lookups later. */
export function rememberNamespace(module: string, ns: Record<string, unknown>): void {
  namespaces.set(module, ns);
}

/**
 * The data a function travels as, or `null` when it cannot be found by reference (a
 * lambda, a function that no module on the caller's path exports).
 */
export function functionToData(fn: AnyFunction, callers: string[] = callerModules()): FunctionData | null {
  const builtin = builtinPath(fn);
  if (builtin !== undefined) return { builtin, name: fn.name };
  const ref = resolveNow(fn, callers, "spawn", "function");
  if (ref === null || !("module" in ref)) return null;
  known.set(`${ref.module}#${ref.name}`, fn);
  return ref;
}

/**
 * Finds the function of `data` asynchronously ahead of {@linkcode dataToFunction}:
 * imports its module (or the next candidate, when the first exports a different
 * function of that name), which works for any module, also one with top-level await.
 */
export async function preloadFunction(data: FunctionData): Promise<void> {
  if ("builtin" in data || known.has(`${data.module}#${data.name}`)) return;
  for (const candidate of [data, ...(data.more ?? [])]) {
    try {
      namespaces.set(candidate.module, await import(candidate.module));
    } catch {
      continue; // reported by dataToFunction, naming the function
    }
    const fn = exportIn(candidate.module, candidate.name);
    if (fn && (data.check === undefined || Function.prototype.toString.call(fn) === data.check)) {
      known.set(`${data.module}#${data.name}`, fn);
      return;
    }
  }
}

/** The function that `data` refers to, found in this thread; throws a `ProcessError` if none. */
export function dataToFunction(data: FunctionData): AnyFunction {
  if ("builtin" in data) return builtinAt(data.builtin);
  const key = `${data.module}#${data.name}`;
  const hit = known.get(key);
  if (hit) return hit;
  for (const candidate of [data, ...(data.more ?? [])]) {
    const fn = exportIn(candidate.module, candidate.name);
    if (fn && (data.check === undefined || Function.prototype.toString.call(fn) === data.check)) {
      known.set(key, fn);
      return fn;
    }
  }
  throw new ProcessError(
    `the function "${data.name}" (an export of ${data.module}) arrived in a value, and this process ` +
      "cannot load that module synchronously (it uses top-level await, or is not a local file): import " +
      "the module in this process first, or send the function's name and look it up yourself",
  );
}

function exportIn(module: string, name: string): AnyFunction | null {
  let ns = namespaces.get(module);
  if (!ns) {
    try {
      ns = requireModule(module) as Record<string, unknown>;
      namespaces.set(module, ns);
    } catch {
      return null;
    }
  }
  const fn = ns[name];
  return typeof fn === "function" ? fn as AnyFunction : null;
}
