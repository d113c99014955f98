/**
 * Loading a function in the child, the other half of `resolve.ts`: imports the
 * module that exports it, or (fork) rebuilds it from its source text. Kept apart so
 * that a child's bootstrap loads only this small module, not the search (nor the
 * function-reference code, which a built-in target loads when it needs it).
 *
 * @module
 */
import { ProcessError } from "../internal/errors.ts";
import type { FunctionRef } from "./_resolve.ts";
import { rememberNamespace } from "../internal/_namespaces.ts";
import type { AnyFunction } from "../internal/_types.ts";

/**
 * Imports or rebuilds a function in the child. A reference found by name (with a
 * `check`) is the first of its candidate modules whose export has the parent's source.
 */
export async function loadFunction(ref: FunctionRef, role: string): Promise<AnyFunction> {
  if ("source" in ref) return rebuild(ref.source, ref.name);
  // Rare for a target: loaded only then, to keep the bootstrap small.
  if ("builtin" in ref) return (await import("../internal/_function_ref.ts")).builtinAt(ref.builtin);
  const fn = await exportOf(ref.module, ref.name, role);
  if (ref.check === undefined || sourceOf(fn) === ref.check) return fn;
  for (const other of ref.more ?? []) {
    const candidate = await exportOf(other.module, other.name, role).catch(() => null);
    if (candidate && sourceOf(candidate) === ref.check) return candidate;
  }
  const where = [ref.module, ...(ref.more ?? []).map((m) => m.module)].join(", ");
  throw new ProcessError(
    `The ${role} "${ref.name}" was looked for by name, and the export "${ref.name}" of ${where} is a ` +
      "different function in the child: give the function a name that no other module on the search " +
      "path exports",
  );
}

async function exportOf(module: string, name: string, role: string): Promise<AnyFunction> {
  const ns = await import(module);
  rememberNamespace(module, ns);
  const fn = ns[name];
  if (typeof fn !== "function") {
    throw new ProcessError(
      `The ${role} "${name}" is not an exported function of ${module} in the child ` +
        "(is it created at run time?): export it at the top level of the module",
    );
  }
  return fn;
}

function sourceOf(fn: AnyFunction): string {
  return Function.prototype.toString.call(fn);
}

function rebuild(source: string, name: string): AnyFunction {
  let code = source.trim();
  const isExpression = /^(async\s*)?(function\b|\(|[\w$]+\s*=>)/.test(code) || code.startsWith("class");
  if (!isExpression) {
    // A method (`name() {}`, `async name() {}`, `*name() {}`): make it a function.
    code = code.startsWith("async") ? `async function ${code.slice(5).trimStart()}` : `function ${code}`;
  }
  try {
    return (0, eval)(`(${code})`);
  } catch (e) {
    throw new ProcessError(`The forked function "${name}" could not be rebuilt from its source`, {
      cause: e,
    });
  }
}

/**
 * Explains a ReferenceError in a forked function: a captured variable was not copied.
 * Returns `error` unchanged when it is not that.
 */
export function explainForkError(error: unknown, name: string): unknown {
  if (!(error instanceof ReferenceError)) return error;
  const m = /^(\S+) is not defined|^Can't find variable: (\S+)/.exec(error.message);
  if (!m) return error;
  const variable = m[1] ?? m[2];
  const explained = new ProcessError(
    `the function "${name || "(anonymous)"}" uses "${variable}", which it captured from the parent. ` +
      "The fork start method ships a function as source text and does not copy captured variables " +
      `or imports. Pass "${variable}" in args, or export the function from a module and use spawn.`,
    { cause: error },
  );
  explained.stack = `${explained.name}: ${explained.message}`;
  return explained;
}
