/**
 * Finding a function by reference: the export of a module that the child can import,
 * Python's "pickle by reference". Looked for in the modules on the caller's stack,
 * the main module, and the modules these import statically, transitively. Under the
 * fork start method a function that is not found is shipped as source text instead.
 *
 * @module
 */
import { builtinPath } from "../internal/_builtins.ts";
import { type FunctionData, rememberFunction, setFunctionEncoder } from "../internal/_function_ref.ts";
import { ProcessError } from "../internal/errors.ts";
import { PACKAGE_SRC, packageModule } from "../internal/_package_url.ts";
import { readModuleSource, resolveFrom, stackModuleUrls } from "../internal/runtime.ts";
import { type StartMethod, thisProcess } from "./_state.ts";
import type { AnyFunction } from "../internal/_types.ts";

/**
 * How a child finds a function: an export of a module, or (fork) its source. A
 * reference found by name without the parent's own import of the module (see
 * {@linkcode resolveNow}) carries the function's source text in `check` and the other
 * modules that export that name in `more`: the child takes the first whose export has
 * the same source, so that two modules exporting one name cannot be confused.
 */
export type FunctionRef =
  | { module: string; name: string; check?: string; more?: { module: string; name: string }[] }
  | { builtin: string; name: string }
  | { source: string; name: string };

const LIBRARY_MOD = packageModule("../mod").href;

const found = new WeakMap<AnyFunction, { module: string; name: string }>();
const importsOf = new Map<string, string[]>();
const sources = new Map<string, string | undefined>();

/**
 * The modules of the user's code on the current stack (innermost first): call it
 * synchronously in the public method, before any `await`.
 */
export function callerModules(): string[] {
  return userModules(stackModuleUrls());
}

/** The user's modules among `urls` (the package's own left out). */
export function userModules(urls: string[]): string[] {
  return urls.filter((u) => !u.startsWith(PACKAGE_SRC) && u !== LIBRARY_MOD);
}

/**
 * Resolves `fn` to a {@linkcode FunctionRef}, or throws the `ProcessError` that says
 * how to make it reachable. `role` names it in messages ("target", "initializer").
 */
export async function resolveFunction(
  fn: AnyFunction,
  callers: string[],
  method: StartMethod,
  role: string,
): Promise<FunctionRef> {
  if (typeof fn !== "function") {
    throw new TypeError(`The ${role} must be a function, got ${fn === null ? "null" : typeof fn}`);
  }
  const builtin = builtinPath(fn);
  if (builtin !== undefined) return { builtin, name: fn.name };
  const label = labelOf(fn);
  let hit: { module: string; name: string } | null | undefined = found.get(fn);
  try {
    hit ??= await search(fn, callers);
  } catch (e) {
    throw refusedError(role, label, e);
  }
  if (hit) return hit;
  if (method === "fork") return { source: functionSource(fn, label, role), name: fn.name };
  throw new ProcessError(
    `The ${role} ${label} cannot be found by reference: the spawn start method imports the ${role} ` +
      "in the child as an export of a module, and it is not exported by the calling module, the main " +
      "module or a module they import: export it (`export function ...`) from a module, or use " +
      '`mp.getContext("fork")`, which ships self-contained functions as source text',
  );
}

/**
 * Resolves `fn` at once, without waiting for the event loop: from what earlier
 * searches learnt, else by name in the sources of the caller's modules, the main module
 * and their static imports (the child then checks it has the same function). Under
 * fork, a function not found is shipped as source. Returns `null` when only the
 * asynchronous {@linkcode resolveFunction} can tell (a module that cannot be read,
 * such as one served over `https:`), and throws what `resolveFunction` would for a
 * function that is not a function or cannot be shipped.
 */
export function resolveNow(
  fn: AnyFunction,
  callers: string[],
  method: StartMethod,
  role: string,
): FunctionRef | null {
  if (typeof fn !== "function") {
    throw new TypeError(`The ${role} must be a function, got ${fn === null ? "null" : typeof fn}`);
  }
  const builtin = builtinPath(fn);
  if (builtin !== undefined) return { builtin, name: fn.name };
  const known = found.get(fn);
  if (known) return known;
  let hits: { module: string; name: string }[] = [];
  try {
    if (fn.name) hits = searchByName(fn.name, callers);
  } catch (e) {
    throw refusedError(role, labelOf(fn), e);
  }
  if (hits.length > 0) {
    return { ...hits[0], check: Function.prototype.toString.call(fn), more: hits.slice(1) };
  }
  if (method === "fork") return { source: functionSource(fn, labelOf(fn), role), name: fn.name };
  return null;
}

function labelOf(fn: AnyFunction): string {
  return fn.name ? `"${fn.name}"` : "an anonymous function";
}

/** The error of a search the runtime refused (Deno without read permission). */
function refusedError(role: string, label: string, cause: unknown): ProcessError {
  return new ProcessError(
    `The ${role} ${label} could not be looked for by reference: ${(cause as Error).message}: ` +
      "functions are found by reading the modules that export them: on Deno, run with -A or --allow-read",
    { cause },
  );
}

/** Results of {@linkcode searchByName}: sources are read once, so a search's answer never changes. */
const searches = new Map<string, { module: string; name: string }[]>();

/** Every module of the static graph from `callers` that exports `name`, in search order. */
function searchByName(name: string, callers: string[]): { module: string; name: string }[] {
  const key = `${name}\n${thisProcess.mainModule}\n${callers.join("\n")}`;
  const cached = searches.get(key);
  if (cached) return cached;
  const hits: { module: string; name: string }[] = [];
  for (const url of walk(callers)) {
    const exported = exportsOf(url)?.get(name);
    if (exported !== undefined) hits.push({ module: url, name: exported });
  }
  searches.set(key, hits);
  return hits;
}

const exportsCache = new Map<string, Map<string, string> | undefined>();

/** A local module's own exports (local name to exported name), cached; `undefined` if unreadable. */
function exportsOf(url: string): Map<string, string> | undefined {
  if (!exportsCache.has(url)) {
    const src = sourceOf(url);
    exportsCache.set(url, src === undefined ? undefined : exportedNames(src));
  }
  return exportsCache.get(url);
}

/** The modules to search: the callers, the main module, then what they import. */
function* walk(callers: string[]): Generator<string> {
  const queue = [...callers];
  if (thisProcess.mainModule && !queue.includes(thisProcess.mainModule)) queue.push(thisProcess.mainModule);
  const visited = new Set<string>();
  while (queue.length > 0) {
    const url = queue.shift()!;
    if (visited.has(url)) continue;
    visited.add(url);
    yield url;
    for (const dep of staticImports(url)) if (!visited.has(dep)) queue.push(dep);
  }
}

async function search(fn: AnyFunction, callers: string[]): Promise<{ module: string; name: string } | null> {
  for (const url of walk(callers)) {
    const hit = await lookIn(url, fn);
    if (hit) return hit;
  }
  return null;
}

async function lookIn(url: string, fn: AnyFunction): Promise<{ module: string; name: string } | null> {
  const ns = await namespaceIfLoaded(url);
  if (ns === null) return lookInSource(url, fn);
  let hit: { module: string; name: string } | null = null;
  for (const [name, value] of Object.entries(ns)) {
    if (typeof value !== "function") continue;
    const ref = { module: url, name };
    if (!found.has(value as AnyFunction)) found.set(value as AnyFunction, ref);
    if (value === fn && !hit) hit = ref;
  }
  return hit;
}

/**
 * The namespace of a module that has finished evaluating, else `null`. A module that
 * is still evaluating (the main module, paused in a top-level `await` on `start()`)
 * cannot be imported without a deadlock: its import only settles when it finishes.
 */
async function namespaceIfLoaded(url: string): Promise<Record<string, unknown> | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 0)));
  const ns = import(url).catch(() => null) as Promise<Record<string, unknown> | null>;
  try {
    return await Promise.race([ns, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Finds `fn` among a module's exports by reading its source: `export function <fn.name>`. */
function lookInSource(url: string, fn: AnyFunction): { module: string; name: string } | null {
  if (!fn.name) return null;
  const name = exportsOf(url)?.get(fn.name);
  if (name === undefined) return null;
  const ref = { module: url, name };
  found.set(fn, ref);
  return ref;
}

const DECLARED =
  /(?:^|[\s;}])export\s+(default\s+)?(?:async\s+)?(?:function\s*\*?|class|const|let|var)\s*([\w$]+)/g;
const LISTED = /(?:^|[\s;}])export\s*\{([^}]*)\}(?!\s*from)/g;

/** Local name to exported name of a module's own exports. */
function exportedNames(src: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of src.matchAll(DECLARED)) out.set(m[2], m[1] ? "default" : m[2]);
  for (const m of src.matchAll(LISTED)) {
    for (const part of m[1].split(",")) {
      const [local, exported] = part.trim().replace(/^type\s+/, "").split(/\s+as\s+/);
      if (local) out.set(local, exported ?? local);
    }
  }
  return out;
}

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, "");
}

const IMPORT = /(?:^|[\s;}])(?:import|export)\s+(type\s+)?(?:[\w$*{}\s,]*?\s*from\s*)?["']([^"'\n]+)["']/g;

/** A local module's source without comments (cached), or `undefined`. */
function sourceOf(url: string): string | undefined {
  if (!sources.has(url)) {
    const src = readModuleSource(url);
    sources.set(url, src === undefined ? undefined : stripComments(src));
  }
  return sources.get(url);
}

/** The local modules that `url` imports statically (type-only imports left out). */
function staticImports(url: string): string[] {
  let deps = importsOf.get(url);
  if (!deps) {
    deps = [];
    for (const m of (sourceOf(url) ?? "").matchAll(IMPORT)) {
      if (m[1]) continue;
      const dep = resolveSpecifier(m[2], url);
      if (dep && !deps.includes(dep)) deps.push(dep);
    }
    importsOf.set(url, deps);
  }
  return deps;
}

function resolveSpecifier(spec: string, base: string): string | null {
  if (/^\.{0,2}\//.test(spec)) return new URL(spec, base).href;
  if (/^(node|npm|jsr|https?|data):/.test(spec)) return null;
  const url = resolveFrom(spec, base);
  return url?.startsWith("file:") ? url : null;
}

function functionSource(fn: AnyFunction, label: string, role: string): string {
  const src = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(src)) {
    throw new ProcessError(
      `The ${role} ${label} is a native or bound function, whose source cannot be shipped to a child: ` +
        "export a plain function from a module instead",
    );
  }
  return src;
}

/** A function inside a value: a built-in by path, else an export found by name. */
setFunctionEncoder((fn: AnyFunction, callers?: string[]): FunctionData | null => {
  const ref = resolveNow(fn, callers ? userModules(callers) : callerModules(), "spawn", "function");
  if (ref === null || "source" in ref) return null;
  rememberFunction(ref, fn);
  return ref;
});
