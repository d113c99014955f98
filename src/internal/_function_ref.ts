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
import { packageModule } from "./_package_url.ts";
import type { FunctionRef } from "../process/_resolve.ts";
import { requireModule } from "./runtime.ts";
import type { AnyFunction } from "./_types.ts";
import { namespaces } from "./_namespaces.ts";

/** A function as it travels: a built-in's path, or a module's export. */
export type FunctionData = Exclude<FunctionRef, { source: string }>;

/** What this thread knows: `module#name` (or a built-in path) → the function. */
const known = new Map<string, AnyFunction>();

/** Finds a function's reference; set by `resolve.ts` (the search), loaded only to send one. */
type Encoder = (fn: AnyFunction, callers?: string[]) => FunctionData | null;
let encoder: Encoder | null = null;

/** Sets how functions are found by reference (`resolve.ts` does, when it loads). */
export function setFunctionEncoder(encode: Encoder): void {
  encoder = encode;
}

/** Remembers that `data` stands for `fn` in this thread. */
export function rememberFunction(data: FunctionData, fn: AnyFunction): void {
  if ("module" in data) known.set(`${data.module}#${data.name}`, fn);
}

/**
 * The data a function travels as, or `null` when it cannot be found by reference (a
 * lambda, a function that no module on the caller's path exports). `callers` are the
 * modules to search first (the package's own are left out; default: the modules on
 * the current stack).
 */
export function functionToData(fn: AnyFunction, callers?: string[]): FunctionData | null {
  if (encoder === null) {
    // The search is not part of a child's bootstrap: load it now, synchronously.
    try {
      requireModule(packageModule("process/_resolve").href);
    } catch { /* not a local install (https:): the function cannot be sent */ }
  }
  return encoder === null ? null : encoder(fn, callers);
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

/** The built-in function at `path`; throws a `ProcessError` if this runtime has none. */
export function builtinAt(path: string): AnyFunction {
  let v: unknown = globalThis;
  for (const part of path.split(".")) v = (v as Record<string, unknown> | undefined)?.[part];
  if (typeof v !== "function") {
    throw new ProcessError(
      `The built-in function ${path} arrived from another process, and this runtime has no such function`,
    );
  }
  return v as AnyFunction;
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
    `The function "${data.name}" (an export of ${data.module}) arrived in a value, and this process ` +
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
