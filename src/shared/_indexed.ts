/**
 * `a[i]` for the array-like classes (SharedArray, ShareableList): a Proxy that turns
 * integer keys into `get(i)` / `set(i, v)` and binds methods to the real object, so
 * that their private fields keep working.
 *
 * @module
 */

/** What an indexable class provides. */
export interface Indexable {
  readonly length: number;
  get(index: number): unknown;
  set(index: number, value: never): void;
}

/** An index from a property key, or `null` when the key is not a (possibly negative) integer. */
function indexKey(p: string | symbol): number | null {
  if (typeof p !== "string" || p.length === 0) return null;
  const c = p.charCodeAt(0);
  if (!(c >= 48 && c <= 57) && c !== 45) return null;
  const n = Number(p);
  return Number.isInteger(n) && String(n) === p ? n : null;
}

const bound = new WeakMap<object, Map<PropertyKey, unknown>>();

const HANDLER: ProxyHandler<Indexable> = {
  get(t, p) {
    const i = indexKey(p);
    if (i !== null) return t.get(i);
    const v = Reflect.get(t, p, t);
    if (typeof v !== "function" || p === "constructor") return v;
    let cache = bound.get(t);
    if (!cache) bound.set(t, cache = new Map());
    let f = cache.get(p);
    if (!f) cache.set(p, f = v.bind(t));
    return f;
  },
  set(t, p, v) {
    const i = indexKey(p);
    if (i === null) return Reflect.set(t, p, v, t);
    t.set(i, v as never);
    return true;
  },
  has(t, p) {
    const i = indexKey(p);
    return i === null ? Reflect.has(t, p) : i >= 0 && i < t.length;
  },
  ownKeys(t) {
    const keys: (string | symbol)[] = [];
    for (let i = 0; i < t.length; i++) keys.push(String(i));
    return [...keys, ...Reflect.ownKeys(t)];
  },
  getOwnPropertyDescriptor(t, p) {
    const i = indexKey(p);
    if (i === null || i < 0 || i >= t.length) return Reflect.getOwnPropertyDescriptor(t, p);
    return { value: t.get(i), writable: true, enumerable: true, configurable: true };
  },
};

/** Wraps `obj` so that `obj[i]` reads and writes items (call it at the end of a constructor). */
export function indexed<T extends Indexable>(obj: T): T {
  return new Proxy(obj, HANDLER as ProxyHandler<T>);
}

/** Resolves a Python-style index (negative counts from the end) or throws `RangeError`. */
export function checkIndex(i: number, length: number, where: string): number {
  const j = i < 0 ? i + length : i;
  if (!Number.isInteger(j) || j < 0 || j >= length) {
    throw new RangeError(`${where}: index ${i} is out of range for a length of ${length}`);
  }
  return j;
}
