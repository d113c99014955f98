/**
 * Extended JSON: JSON with tagged objects for what JSON cannot carry exactly
 * (`undefined`, `NaN`, `±Infinity`, `-0`, bigints, Maps, Sets, Dates). Queue items,
 * pipe messages and manager messages use it before the engine's structured serializer:
 * on Deno each `node:v8` `serialize()` leaves a few KB of native memory that V8 does
 * not count, so a thread that allocates little JS memory never collects it (40 000
 * queue items of `[i, undefined]` grew the process by 200 MB). Internal to this package.
 *
 * @module
 */

/** The key of a tagged object. */
const K = "\u0000mp";
const MAX_DEPTH = 64;
/** What {@linkcode toExtJson} returns for a value extended JSON cannot carry. */
export const FAIL: unique symbol = Symbol("fail");

/** `v` in JSON-safe form (itself if already exact), or `FAIL` if JSON cannot carry it. */
function toJson(v: unknown, depth: number): unknown {
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "number":
      if (Number.isFinite(v)) return Object.is(v, -0) ? { [K]: "-0" } : v;
      return { [K]: Number.isNaN(v) ? "NaN" : v > 0 ? "Inf" : "-Inf" };
    case "undefined":
      return { [K]: "u" };
    case "bigint":
      return { [K]: "n", v: v.toString() };
    case "object":
      break;
    default:
      return FAIL;
  }
  if (v === null) return v;
  if (depth >= MAX_DEPTH) return FAIL;
  const proto = Object.getPrototypeOf(v);
  if (proto === Array.prototype) {
    const a = v as unknown[];
    let out: unknown[] | null = null;
    for (let i = 0; i < a.length; i++) {
      const e = toJson(a[i], depth + 1);
      if (e === FAIL) return FAIL;
      if (e !== a[i]) (out ??= a.slice())[i] = e;
    }
    return out ?? a;
  }
  if (proto === Object.prototype || proto === null) {
    let out: Record<string, unknown> | null = null;
    for (const k in v) {
      if (k === K || !Object.hasOwn(v, k)) return FAIL;
      const x = (v as Record<string, unknown>)[k];
      const e = toJson(x, depth + 1);
      if (e === FAIL) return FAIL;
      if (e !== x) (out ??= { ...v })[k] = e;
    }
    return out ?? v;
  }
  if (v instanceof Map && proto === Map.prototype) {
    const pairs: unknown[] = [];
    for (const [k, x] of v) {
      const ek = toJson(k, depth + 1), ex = toJson(x, depth + 1);
      if (ek === FAIL || ex === FAIL) return FAIL;
      pairs.push(ek, ex);
    }
    return { [K]: "Map", v: pairs };
  }
  if (v instanceof Set && proto === Set.prototype) {
    const items: unknown[] = [];
    for (const x of v) {
      const e = toJson(x, depth + 1);
      if (e === FAIL) return FAIL;
      items.push(e);
    }
    return { [K]: "Set", v: items };
  }
  if (v instanceof Date && proto === Date.prototype) return { [K]: "Date", v: v.getTime() };
  return FAIL;
}

/** Undoes {@linkcode toJson} (in place where it can). */
function fromJson(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = fromJson(v[i]);
    return v;
  }
  const o = v as Record<string, unknown>;
  const tag = o[K];
  if (tag !== undefined) {
    switch (tag) {
      case "u":
        return undefined;
      case "-0":
        return -0;
      case "NaN":
        return NaN;
      case "Inf":
        return Infinity;
      case "-Inf":
        return -Infinity;
      case "n":
        return BigInt(o.v as string);
      case "Map": {
        const pairs = o.v as unknown[];
        const m = new Map();
        for (let i = 0; i < pairs.length; i += 2) m.set(fromJson(pairs[i]), fromJson(pairs[i + 1]));
        return m;
      }
      case "Set":
        return new Set((o.v as unknown[]).map(fromJson));
      case "Date":
        return new Date(o.v === null ? NaN : o.v as number); // an invalid Date's NaN time went as null
    }
  }
  for (const k in o) o[k] = fromJson(o[k]);
  return o;
}

/** `v` in JSON-safe form (itself if JSON carries it exactly), or {@linkcode FAIL}. */
export function toExtJson(v: unknown): unknown {
  return toJson(v, 0);
}

/** Undoes {@linkcode toExtJson} on the parsed JSON (in place where it can). */
export function fromExtJson(v: unknown): unknown {
  return fromJson(v);
}
