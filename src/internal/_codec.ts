/**
 * The cross-worker codec. Values travel by structured clone; this package's shared
 * objects (Value, locks, queues, ...) travel by reference: each such class implements
 * {@linkcode SHARE} to describe itself as a cloneable handle (its SharedArrayBuffers
 * and settings), and registers a reviver that rebuilds the object from it.
 *
 * @module
 */
import { ProcessError } from "./errors.ts";
import { setErrorClassEncoder } from "./_error_wire.ts";
import { moduleUrlsIn } from "./runtime.ts";
import { dataToFunction, type FunctionData, functionToData, preloadFunction } from "./_function_ref.ts";

/** Implemented by classes whose instances travel between processes by reference. */
export const SHARE: unique symbol = Symbol.for("@mp/multiprocessing.share");

/** What a shared object turns into while it travels. */
export interface SharedHandle {
  /** The registered type name. */
  type: string;
  /** The module that registers the type, imported by the receiver if needed. */
  module: string;
  /** Cloneable state: SharedArrayBuffers and settings. */
  state: unknown;
}

/** An object that travels by reference. */
export interface Shareable {
  [SHARE](): SharedHandle;
}

const TAG = "__mp_shared__";
const revivers = new Map<string, (state: unknown) => unknown>();

/** Registers how to rebuild objects of `type` on the receiving side. */
export function registerShared(type: string, revive: (state: unknown) => unknown): void {
  revivers.set(type, revive);
}

/**
 * The object being revived: its class and the handle's state (see {@linkcode adopt}).
 * One slot for every class: a constructor takes it only when it is for its own class.
 */
let reviving: { ctor: unknown; state: unknown } | null = null;

/**
 * Revives an object of class `ctor` from a handle's `state`: calls `make` (which
 * calls the class's constructor), whose constructor takes `state` with
 * {@linkcode adoptedState} instead of making new shared memory. Each class's reviver
 * is one line: `registerShared(TYPE, (state) => adopt(Lock, state, () => new Lock()))`.
 */
export function adopt<T>(ctor: abstract new (...args: never[]) => T, state: unknown, make: () => T): T {
  const outer = reviving;
  reviving = { ctor, state };
  try {
    return make();
  } finally {
    reviving = outer;
  }
}

/**
 * In a constructor, called with `new.target` before anything else: the state of the
 * handle the object is revived from (see {@linkcode adopt}), or `undefined` when the
 * object is made new. Taken once: objects the constructor makes in turn are new.
 */
export function adoptedState<S>(target: unknown): S | undefined {
  const r = reviving;
  if (r === null || r.ctor !== target) return undefined;
  reviving = null;
  return r.state as S;
}

function isShareable(v: object): v is Shareable {
  return typeof (v as Partial<Shareable>)[SHARE] === "function";
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Replaces this package's shared objects (and functions) inside `value` by handles;
 * a value holding none is returned as it is. Otherwise the containers on the way to
 * them (arrays, plain objects, Maps, Sets) are copied and the rest is shared, so that
 * the value itself is left untouched. A value with cycles is copied whole, so that a
 * back-reference always points at the copy.
 */
export function encode(value: unknown): unknown {
  const scan: Scan = { holds: new Map(), open: new Set(), cyclic: false };
  if (!holdsHandles(value, scan)) return value;
  return enc(value, new Map(), scan.cyclic ? null : scan.holds);
}

interface Scan {
  /** Per container: whether a shared object or a function is inside. */
  holds: Map<object, boolean>;
  /** The containers being scanned (a cycle leads back to one of them). */
  open: Set<object>;
  cyclic: boolean;
}

/** Whether `v` holds a shared object or a function somewhere. */
function holdsHandles(v: unknown, scan: Scan): boolean {
  if (typeof v === "function") return true;
  if (typeof v !== "object" || v === null) return false;
  const known = scan.holds.get(v);
  if (known !== undefined) return known;
  if (scan.open.has(v)) {
    scan.cyclic = true;
    return false;
  }
  if (isShareable(v)) return true;
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return false;
  scan.open.add(v);
  let found = false;
  const look = (x: unknown) => (found = holdsHandles(x, scan) || found);
  if (Array.isArray(v)) { for (let i = 0; i < v.length; i++) look(v[i]); }
  else if (v instanceof Map) { for (const [k, x] of v) (look(k), look(x)); }
  else if (v instanceof Set) { for (const x of v) look(x); }
  else if (isPlain(v)) { for (const k of Object.keys(v)) look((v as Record<string, unknown>)[k]); }
  scan.open.delete(v);
  scan.holds.set(v, found);
  return found;
}

/**
 * The encoded copy of `v`; each container is registered in `seen` before its contents.
 * With `holds` (no cycles), a container that holds nothing to replace is shared as is.
 */
function enc(v: unknown, seen: Map<object, unknown>, holds: Map<object, boolean> | null): unknown {
  if (typeof v === "function") return functionHandle(v);
  if (typeof v !== "object" || v === null) return v;
  if (seen.has(v)) return seen.get(v);
  if (holds !== null && holds.get(v) === false) return v;
  if (isShareable(v)) {
    // A handle's state may hold other shared objects (a Value's lock): they travel too.
    const h = v[SHARE]();
    const out = { [TAG]: { ...h, state: undefined as unknown } };
    seen.set(v, out);
    out[TAG].state = enc(h.state, seen, holds);
    return out;
  }
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return v;
  if (Array.isArray(v)) {
    const out: unknown[] = new Array(v.length);
    seen.set(v, out);
    for (let i = 0; i < v.length; i++) if (i in v) out[i] = enc(v[i], seen, holds);
    return out;
  }
  if (v instanceof Map) {
    const out = new Map();
    seen.set(v, out);
    for (const [k, x] of v) out.set(enc(k, seen, holds), enc(x, seen, holds));
    return out;
  }
  if (v instanceof Set) {
    const out = new Set();
    seen.set(v, out);
    for (const x of v) out.add(enc(x, seen, holds));
    return out;
  }
  if (isPlain(v)) {
    const out: Record<string, unknown> = Object.getPrototypeOf(v) === null ? Object.create(null) : {};
    seen.set(v, out);
    for (const k of Object.keys(v)) {
      Object.defineProperty(out, k, {
        value: enc((v as Record<string, unknown>)[k], seen, holds),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return v;
}

/** The type of the handle a function travels as (see `function_ref.ts`). */
const FUNCTION = "Function";

/**
 * A function travels by reference (an export of a module, or a well-known built-in);
 * one that cannot be found stays as it is, so that sending it fails naming it.
 */
// deno-lint-ignore no-explicit-any
function functionHandle(fn: any): unknown {
  const data = functionToData(fn);
  return data === null ? fn : handleOf(data);
}

function handleOf(data: FunctionData): unknown {
  return { [TAG]: { type: FUNCTION, module: import.meta.url, state: data } };
}

registerShared(FUNCTION, (data) => dataToFunction(data as FunctionData));

// An error's own class travels with it, found from the modules on its stack.
setErrorClassEncoder((cls, stack) => {
  const data = functionToData(cls as unknown as () => unknown, moduleUrlsIn(stack));
  return data === null ? undefined : handleOf(data);
});

/**
 * Rebuilds shared objects inside a received value. Types not registered yet in this
 * thread have their module imported first, and so have the modules of the functions
 * inside it.
 */
export async function decode(value: unknown): Promise<unknown> {
  const missing = new Set<string>();
  const functions: FunctionData[] = [];
  collectMissing(value, missing, new Set(), functions);
  for (const module of missing) await import(module);
  for (const data of functions) await preloadFunction(data);
  return dec(value, new Map());
}

/**
 * Like {@linkcode decode}, synchronously, for values whose shared types are all
 * registered in this thread already (an unregistered type throws `ProcessError`).
 * The value is rebuilt in place.
 */
export function decodeLoaded(value: unknown): unknown {
  return dec(value, new Map());
}

function collectMissing(v: unknown, out: Set<string>, seen: Set<object>, functions: FunctionData[]): void {
  if (typeof v !== "object" || v === null || seen.has(v)) return;
  seen.add(v);
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return;
  const h = (v as Record<string, SharedHandle>)[TAG];
  if (h !== undefined) {
    if (h.type === FUNCTION) {
      functions.push(h.state as FunctionData);
      return;
    }
    if (!revivers.has(h.type)) out.add(h.module);
    collectMissing(h.state, out, seen, functions);
    return;
  }
  const children = v instanceof Map ? [...v].flat() : v instanceof Set ? [...v] : Object.values(v);
  for (const c of children) collectMissing(c, out, seen, functions);
}

function dec(v: unknown, seen: Map<object, unknown>): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (seen.has(v)) return seen.get(v);
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return v;
  const h = (v as Record<string, SharedHandle>)[TAG];
  if (h !== undefined) {
    const revive = revivers.get(h.type);
    if (!revive) {
      throw new ProcessError(`Cannot rebuild a shared ${h.type}: ${h.module} did not register it`);
    }
    const obj = revive(dec(h.state, seen));
    seen.set(v, obj);
    return obj;
  }
  seen.set(v, v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (i in v) v[i] = dec(v[i], seen); // holes stay holes
  } else if (v instanceof Map) {
    const entries = [...v].map(([k, x]) => [dec(k, seen), dec(x, seen)] as [unknown, unknown]);
    v.clear();
    for (const [k, x] of entries) v.set(k, x);
  } else if (v instanceof Set) {
    const items = [...v].map((x) => dec(x, seen));
    v.clear();
    for (const x of items) v.add(x);
  } else {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = dec(o[k], seen);
  }
  return v;
}

/**
 * Finds the part of `value` that cannot be cloned, as a path below `label`
 * (`args[1].handler`), or `null` if all of it clones.
 */
export function findUncloneable(value: unknown, label: string): string | null {
  try {
    structuredClone(value);
    return null;
  } catch {
    if (typeof value === "object" && value !== null && !(value instanceof Map) && !(value instanceof Set)) {
      for (const k of Object.keys(value)) {
        const path = Array.isArray(value) ? `${label}[${k}]` : `${label}.${k}`;
        const inner = findUncloneable((value as Record<string, unknown>)[k], path);
        if (inner) return inner;
      }
    }
    return label;
  }
}

/** A short description of a value for error messages. */
export function describe(v: unknown): string {
  if (typeof v === "function") return `function ${v.name || "(anonymous)"}`;
  if (typeof v === "symbol") return v.toString();
  if (typeof v === "object" && v !== null) return v.constructor?.name ?? "object";
  return typeof v;
}

/**
 * Throws a clear error when `values` cannot be sent, naming the culprit:
 * `argument 1 (args[1].cb: function cb) cannot be sent to ...`.
 */
export function cloneError(values: Record<string, unknown>, what: string, cause: unknown): ProcessError {
  for (const [label, v] of Object.entries(values)) {
    const path = findUncloneable(encode(v), label);
    if (path === null) continue;
    const culprit = pick(v, path.slice(label.length));
    if (typeof culprit === "function") {
      return new ProcessError(
        `Cannot send ${path} (${describe(culprit)}) to ${what}: a function crosses between processes ` +
          "by reference only, as an export of a module that the sending module imports, or as a " +
          "well-known built-in (Math.sqrt): export it (`export function ...`), or send data instead",
        { cause },
      );
    }
    return new ProcessError(
      `Cannot send ${path} (${describe(culprit)}) to ${what}: only structured-cloneable data ` +
        "(and this package's shared objects) can cross between processes: pass plain data instead, " +
        "or create the object inside the child",
      { cause },
    );
  }
  return new ProcessError(`Cannot send data to ${what}: ${String(cause)}`, { cause });
}

function pick(v: unknown, path: string): unknown {
  for (const m of path.matchAll(/\[(\d+)\]|\.([^.[]+)/g)) {
    if (typeof v !== "object" || v === null) break;
    v = (v as Record<string, unknown>)[m[1] ?? m[2]];
  }
  return v;
}
