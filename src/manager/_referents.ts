/**
 * The objects a manager's server holds for proxies (Python's "referents"): dicts,
 * lists, namespaces and queues as plain JS data, each with the table of methods its
 * proxies may call. Values are stored as they arrive (proxies inside them stay
 * markers), so reading one back gives the proxy again.
 *
 * @module
 */

/** A method of a referent: `this` is the referent. */
// deno-lint-ignore no-explicit-any
type Method<R> = (obj: R, ...args: any[]) => unknown;

/** A referent and the methods its proxies call. */
export interface Referent {
  typeid: string;
  obj: unknown;
  /** The methods by name. */
  methods: Record<string, Method<never>>;
  /** Some methods return new objects of the server (a registered type's `methodToTypeid`). */
  wraps?: boolean;
}

/** Resolves a marker inside an argument to the object it stands for in this server. */
export type Resolve = (v: unknown) => unknown;

function namedError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

function describeKey(k: unknown): string {
  return typeof k === "string" ? JSON.stringify(k) : typeof k === "bigint" ? `${k}n` : String(k);
}

/** The `[key, value]` pairs of what `update()` / `dict(init)` was given. */
export function entriesOf(other: unknown, resolve: Resolve): [unknown, unknown][] {
  const v = resolve(other);
  if (v === undefined || v === null) return [];
  if (v instanceof Map) return [...v];
  if (Array.isArray(v)) {
    return v.map((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TypeError(`Item ${i} of the pairs given to a dict is not a [key, value] pair`);
      }
      return pair as [unknown, unknown];
    });
  }
  if (typeof v === "object") return Object.entries(v);
  throw new TypeError(`A dict can be updated from a Map, [key, value] pairs or an object, not ${typeof v}`);
}

/** The items of what `extend()` / `list(init)` was given. */
export function itemsOf(items: unknown, resolve: Resolve): unknown[] {
  const v = resolve(items);
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  throw new TypeError(`A list can be extended with an array, an iterable or a list proxy, not ${typeof v}`);
}

/** Structural equality of plain data (Python's `==` for the values proxies carry). */
export function equal(a: unknown, b: unknown): boolean {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => equal(x, b[i]));
  }
  if (a instanceof Map) {
    return b instanceof Map && a.size === b.size && [...a].every(([k, x]) => b.has(k) && equal(x, b.get(k)));
  }
  if (Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) {
    return false;
  }
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length &&
    ka.every((k) =>
      Object.hasOwn(b, k) && equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
    );
}

function index(list: unknown[], i: unknown, what: string): number {
  if (typeof i !== "number" || !Number.isInteger(i)) {
    throw new TypeError(`ListProxy.${what}: the index must be an integer, got ${String(i)}`);
  }
  const j = i < 0 ? list.length + i : i;
  if (j < 0 || j >= list.length) {
    throw new RangeError(`ListProxy.${what}: index ${i} is out of range (the list has ${list.length} items)`);
  }
  return j;
}

function compare(a: unknown, b: unknown): number {
  const na = typeof a === "number" || typeof a === "bigint",
    nb = typeof b === "number" || typeof b === "bigint";
  if ((na && nb) || (typeof a === "string" && typeof b === "string")) {
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  }
  throw new TypeError(
    `sort(): cannot order ${typeof a} and ${typeof b} (a list sorts numbers with numbers, strings with strings)`,
  );
}

function dictMethods(resolve: Resolve): Record<string, Method<Map<unknown, unknown>>> {
  return {
    get: (m, k, d) => m.has(k) ? m.get(k) : d,
    set: (m, k, v) => void m.set(k, v),
    has: (m, k) => m.has(k),
    delete: (m, k) => m.delete(k),
    clear: (m) => m.clear(),
    keys: (m) => [...m.keys()],
    values: (m) => [...m.values()],
    entries: (m) => [...m.entries()],
    size: (m) => m.size,
    pop(m, ...args: unknown[]) {
      const k = args[0];
      if (m.has(k)) {
        const v = m.get(k);
        m.delete(k);
        return v;
      }
      if (args.length > 1) return args[1];
      throw namedError("KeyError", `key ${describeKey(k)} is not in the dict (pass a default to pop())`);
    },
    setdefault(m, k, d) {
      if (!m.has(k)) m.set(k, d);
      return m.get(k);
    },
    update(m, other) {
      for (const [k, v] of entriesOf(other, resolve)) m.set(k, v);
    },
    copy: (m) => new Map(m),
  };
}

function listMethods(resolve: Resolve): Record<string, Method<unknown[]>> {
  const find = (l: unknown[], x: unknown) => l.findIndex((y) => equal(x, y));
  return {
    push: (l, ...items) => l.push(...items),
    extend(l, items) {
      for (const x of itemsOf(items, resolve).slice()) l.push(x);
    },
    insert(l, i: number, x) {
      const j = i < 0 ? Math.max(0, l.length + i) : Math.min(i, l.length);
      l.splice(j, 0, x);
    },
    pop: (l, i) => i === undefined ? l.pop() : l.splice(index(l, i, "pop()"), 1)[0],
    remove(l, x) {
      const j = find(l, x);
      if (j < 0) throw namedError("ValueError", "list.remove(x): x is not in the list");
      l.splice(j, 1);
    },
    get: (l, i) => l[index(l, i, "get()")],
    set(l, i, x) {
      l[index(l, i, "set()")] = x;
    },
    length: (l) => l.length,
    reverse: (l) => void l.reverse(),
    sort(l, reverse: boolean) {
      l.sort(compare);
      if (reverse) l.reverse();
    },
    slice: (l, start?: number, end?: number) => l.slice(start, end),
    indexOf: find,
    includes: (l, x) => find(l, x) >= 0,
    count: (l, x) => l.filter((y) => equal(x, y)).length,
    clear: (l) => void l.splice(0),
  };
}

const namespaceMethods: Record<string, Method<Map<string, unknown>>> = {
  get: (m, k) => m.get(k),
  set: (m, k, v) => void m.set(k, v),
  delete: (m, k) => m.delete(k),
  has: (m, k) => m.has(k),
  keys: (m) => [...m.keys()],
  toObject: (m) => Object.fromEntries(m),
};

/** A queue as the server holds it; `word` is bumped on each change. */
export interface QueueState {
  items: unknown[];
  head: number;
  maxsize: number;
  joinable: boolean;
  unfinished: number;
  word: Int32Array<SharedArrayBuffer>;
}

function changed(q: QueueState): void {
  Atomics.add(q.word, 0, 1);
  Atomics.notify(q.word, 0);
}

const queueMethods: Record<string, Method<QueueState>> = {
  tryPut(q, item) {
    if (q.maxsize > 0 && q.items.length - q.head >= q.maxsize) return false;
    q.items.push(item);
    if (q.joinable) q.unfinished++;
    changed(q);
    return true;
  },
  tryGet(q) {
    if (q.head >= q.items.length) return [false];
    const item = q.items[q.head];
    q.items[q.head++] = undefined;
    if (q.head > 1024 && q.head * 2 > q.items.length) {
      q.items.splice(0, q.head);
      q.head = 0;
    }
    changed(q);
    return [true, item];
  },
  qsize: (q) => q.items.length - q.head,
  taskDone(q) {
    if (q.unfinished <= 0) return false;
    q.unfinished--;
    changed(q);
    return true;
  },
  unfinished: (q) => q.unfinished,
};

/** Makes the referents of the built-in server-side types. */
export function referentMakers(resolve: Resolve): {
  dict(init: unknown): Referent;
  list(init: unknown): Referent;
  namespace(init: unknown): Referent;
  queue(state: QueueState, typeid: string): Referent;
} {
  const dict = dictMethods(resolve) as Record<string, Method<never>>;
  const list = listMethods(resolve) as Record<string, Method<never>>;
  return {
    dict: (init) => ({ typeid: "dict", obj: new Map(entriesOf(init, resolve)), methods: dict }),
    list: (init) => ({ typeid: "list", obj: itemsOf(init, resolve).slice(), methods: list }),
    namespace: (init) => ({
      typeid: "Namespace",
      obj: new Map(entriesOf(init, resolve)),
      methods: namespaceMethods as Record<string, Method<never>>,
    }),
    queue: (state, typeid) => ({
      typeid,
      obj: state,
      methods: queueMethods as Record<string, Method<never>>,
    }),
  };
}
