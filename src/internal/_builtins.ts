/**
 * Well-known built-in functions by path from `globalThis` (`Math.sqrt`,
 * `JSON.stringify`, `String`, `Array.prototype.join`): they travel between processes
 * by that path, as Python pickles `math.sqrt` by reference. This table is only needed
 * to send them (`function_ref.ts` finds them again by path). Internal to this package.
 *
 * @module
 */
const NAMESPACES = [
  "Math",
  "JSON",
  "Object",
  "Array",
  "Number",
  "String",
  "Reflect",
  "Atomics",
  "BigInt",
  "Promise",
];
const CONSTRUCTORS = [
  "String",
  "Number",
  "Boolean",
  "Array",
  "Object",
  "BigInt",
  "Date",
  "RegExp",
  "Map",
  "Set",
];
let builtins: Map<unknown, string> | null = null;

/** Well-known built-in functions by identity: `Math.sqrt` → `"Math.sqrt"`. */
function builtinPaths(): Map<unknown, string> {
  if (builtins) return builtins;
  builtins = new Map();
  const g = globalThis as unknown as Record<string, Record<string, unknown>>;
  const add = (path: string, v: unknown) => {
    if (typeof v === "function" && !builtins!.has(v)) builtins!.set(v, path);
  };
  for (
    const name of ["parseInt", "parseFloat", "isNaN", "isFinite", "encodeURIComponent", "decodeURIComponent"]
  ) {
    add(name, g[name]);
  }
  for (const name of CONSTRUCTORS) add(name, g[name]);
  for (const ns of NAMESPACES) {
    for (const key of Object.getOwnPropertyNames(g[ns] ?? {})) add(`${ns}.${key}`, safeGet(g[ns], key));
  }
  for (const name of CONSTRUCTORS) {
    const proto = (g[name] as unknown as { prototype?: object })?.prototype ?? {};
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key !== "constructor") add(`${name}.prototype.${key}`, safeGet(proto, key));
    }
  }
  return builtins;
}

function safeGet(o: object, key: string): unknown {
  try {
    return (o as Record<string, unknown>)[key];
  } catch {
    return undefined; // an accessor that throws on the prototype itself
  }
}

/** The path of a well-known built-in function (`"Math.sqrt"`), or `undefined`. */
export function builtinPath(fn: unknown): string | undefined {
  return builtinPaths().get(fn);
}
