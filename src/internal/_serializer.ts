/**
 * Items as bytes, for the shared channel under queues and pipes. Common values take
 * fast paths (numbers, strings, booleans, and plain objects and arrays that JSON
 * carries exactly); everything else goes through the engine's structured serializer,
 * so an item arrives as `postMessage` would deliver it.
 *
 * @module
 */
import { cloneError, decodeLoaded, encode, SHARE } from "./_codec.ts";
import { FAIL, fromExtJson, toExtJson } from "./_ext_json.ts";
import { ProcessError } from "./errors.ts";
import { decodeUtf8, deserializeStructured, serializeStructured } from "./runtime.ts";

/** How the bytes of a payload are to be read. */
export const Tag = {
  Undefined: 0,
  Null: 1,
  True: 2,
  False: 3,
  Number: 4,
  String: 5,
  Json: 6,
  Structured: 7,
  /** Raw bytes (`sendBytes`, or a `Uint8Array` item): delivered as a `Uint8Array`. */
  Bytes: 8,
  /** Structured, with the functions inside travelling by reference (see `codec.ts`). */
  Encoded: 9,
  /** Extended JSON (`_ext_json.ts`): `undefined`, `-0`, bigints, Maps, Sets, Dates... */
  ExtJson: 10,
} as const;

/** An item in serialized form: a tag and its bytes. */
export interface Payload {
  tag: number;
  bytes: Uint8Array;
  /**
   * True when `bytes` is a view of this thread's scratch buffer, valid only until the
   * next `serialize`: copy it (see {@linkcode ownPayload}) before waiting.
   */
  scratch?: boolean;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
const scratch = new Uint8Array(64 * 1024);
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const in64 = new Float64Array(1);
const in64Bytes = new Uint8Array(in64.buffer);

/** Deeper values than this skip the JSON fast path (and cycles end there). */
const MAX_JSON_DEPTH = 32;

/**
 * Serializes `item`; `what` names its destination in errors ("the queue"). Throws a
 * `ProcessError` naming the part that cannot be sent (a function, a symbol, or one of
 * this package's shared objects, which travel only in process arguments).
 */
export function serialize(item: unknown, what: string): Payload {
  switch (typeof item) {
    case "undefined":
      return { tag: Tag.Undefined, bytes: EMPTY };
    case "boolean":
      return { tag: item ? Tag.True : Tag.False, bytes: EMPTY };
    case "number":
      f64[0] = item;
      return { tag: Tag.Number, bytes: f64Bytes, scratch: true };
    case "string":
      if (item.isWellFormed()) return utf8(Tag.String, item);
      break;
    case "object":
      if (item === null) return { tag: Tag.Null, bytes: EMPTY };
      if (item.constructor === Uint8Array && !isShared(item as Uint8Array)) {
        return { tag: Tag.Bytes, bytes: (item as Uint8Array).slice() };
      }
      if (jsonExact(item, 0)) return utf8(Tag.Json, JSON.stringify(item));
      {
        // Before the structured serializer, which leaks native memory on Deno.
        const ext = toExtJson(item);
        if (ext !== FAIL && !sharesObjects(item, new Set())) return utf8(Tag.ExtJson, JSON.stringify(ext));
      }
  }
  try {
    return { tag: Tag.Structured, bytes: structured(item, what) };
  } catch (e) {
    // Functions travel by reference (exports of modules, well-known built-ins).
    const encoded = hasFunction(item, new Set()) ? encode(item) : undefined;
    if (encoded === undefined) throw e;
    return { tag: Tag.Encoded, bytes: structured(encoded, what) };
  }
}

/** Whether `v` holds a function somewhere (cycles are followed once). */
function hasFunction(v: unknown, seen: Set<object>): boolean {
  if (typeof v === "function") return true;
  if (typeof v !== "object" || v === null || seen.has(v) || ArrayBuffer.isView(v)) return false;
  seen.add(v);
  const children = v instanceof Map ? [...v].flat() : v instanceof Set ? [...v] : Object.values(v);
  return children.some((c) => hasFunction(c, seen));
}

/** The payload with bytes of its own (copied out of the scratch buffer if need be). */
export function ownPayload(p: Payload): Payload {
  return p.scratch ? { tag: p.tag, bytes: p.bytes.slice() } : p;
}

/**
 * Rebuilds the item of the `len` bytes from `at` in `bytes` (a channel's ring, read in
 * place): {@linkcode deserialize} without a view for the common small items.
 */
export function deserializeAt(tag: number, bytes: Uint8Array, at: number, len: number): unknown {
  if (tag === Tag.Number) {
    for (let i = 0; i < 8; i++) in64Bytes[i] = bytes[at + i];
    return in64[0];
  }
  // The constants (undefined, null, true, false) carry no bytes: no view is made for them.
  const view = tag < Tag.Number
    ? NO_BYTES
    : at === 0 && len === bytes.length
    ? bytes
    : bytes.subarray(at, at + len);
  return deserialize(tag, view);
}

const NO_BYTES = new Uint8Array(0);

/**
 * Rebuilds the item of a payload. `bytes` may be a view of shared memory, read before
 * it is reused: nothing returned keeps a reference to it.
 */
export function deserialize(tag: number, bytes: Uint8Array): unknown {
  switch (tag) {
    case Tag.Undefined:
      return undefined;
    case Tag.Null:
      return null;
    case Tag.True:
      return true;
    case Tag.False:
      return false;
    case Tag.Number:
      in64Bytes.set(bytes);
      return in64[0];
    case Tag.String:
      return decodeUtf8(bytes);
    case Tag.Json:
      return JSON.parse(decodeUtf8(bytes));
    case Tag.Bytes:
      return bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
    case Tag.ExtJson:
      return fromExtJson(JSON.parse(decodeUtf8(bytes)));
    case Tag.Structured:
      return deserializeStructured(bytes);
    case Tag.Encoded:
      return decodeLoaded(deserializeStructured(bytes));
  }
  throw new ProcessError(`Corrupt item in a shared channel: unknown tag ${tag}`);
}

function utf8(tag: number, s: string): Payload {
  if (s.length * 3 > scratch.length) return { tag, bytes: encoder.encode(s) };
  const { written } = encoder.encodeInto(s, scratch);
  return { tag, bytes: scratch.subarray(0, written), scratch: true };
}

/**
 * Whether `v` reaches one object twice, or holds an array with holes: structured clone
 * keeps both (one object, the holes), JSON would not.
 */
function sharesObjects(v: unknown, seen: Set<object>): boolean {
  if (typeof v !== "object" || v === null) return false;
  if (seen.has(v)) return true;
  seen.add(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!(i in v) || sharesObjects(v[i], seen)) return true;
    return false;
  }
  const children = v instanceof Map ? [...v].flat() : v instanceof Set ? [...v] : Object.values(v);
  return children.some((c) => sharesObjects(c, seen));
}

/** Objects met inside the value being checked (reused: no allocation per item). */
const inside = new Set<object>();

/**
 * True when `JSON.parse(JSON.stringify(v))` gives back a value equal to `v` (an object
 * reached twice is not: JSON would make two of it).
 */
export function jsonExact(v: unknown, depth: number): boolean {
  try {
    return exact(v, depth);
  } finally {
    inside.clear();
  }
}

function exact(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case "string":
      return true;
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(v) && !Object.is(v, -0);
    case "object": {
      if (v === null) return true;
      if (depth >= MAX_JSON_DEPTH) return false;
      if (inside.has(v)) return false;
      inside.add(v);
      const proto = Object.getPrototypeOf(v);
      if (proto === Array.prototype) {
        const a = v as unknown[];
        for (let i = 0; i < a.length; i++) if (!exact(a[i], depth + 1)) return false;
        return true;
      }
      if (proto !== Object.prototype && proto !== null) return false;
      for (const k in v) {
        if (!Object.hasOwn(v, k)) return false; // a null-prototype object's inherited key: be safe
        if (!exact((v as Record<string, unknown>)[k], depth + 1)) return false;
      }
      return true;
    }
  }
  return false;
}

function structured(item: unknown, what: string): Uint8Array {
  const shared = findShared(item, "item", new Set());
  if (shared) {
    throw new ProcessError(
      `Cannot send ${shared} to ${what}: shared objects of this package (queues, pipes, locks, ` +
        "values) and SharedArrayBuffers travel by reference only in the arguments of a Process, " +
        "so pass it to the child when you start it",
    );
  }
  try {
    return serializeStructured(item);
  } catch (e) {
    throw cloneError({ item }, what, e);
  }
}

function isShared(view: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer !== "undefined" && view.buffer instanceof SharedArrayBuffer;
}

/** The path of a shared object or shared buffer inside `v`, or `null`. */
function findShared(v: unknown, path: string, seen: Set<object>): string | null {
  if (typeof v !== "object" || v === null || seen.has(v)) return null;
  seen.add(v);
  if (SHARE in v) return `${path} (${v.constructor?.name ?? "shared object"})`;
  if (v instanceof SharedArrayBuffer) return `${path} (SharedArrayBuffer)`;
  if (ArrayBuffer.isView(v)) {
    return isShared(v) ? `${path} (${v.constructor.name} over a SharedArrayBuffer)` : null;
  }
  if (v instanceof ArrayBuffer) return null;
  if (v instanceof Map) {
    for (const [k, x] of v) {
      const hit = findShared(k, `${path}.<key>`, seen) ?? findShared(x, `${path}.get(${String(k)})`, seen);
      if (hit) return hit;
    }
    return null;
  }
  if (v instanceof Set) {
    for (const x of v) {
      const hit = findShared(x, `${path}.<member>`, seen);
      if (hit) return hit;
    }
    return null;
  }
  for (const k of Object.keys(v)) {
    const hit = findShared(
      (v as Record<string, unknown>)[k],
      Array.isArray(v) ? `${path}[${k}]` : `${path}.${k}`,
      seen,
    );
    if (hit) return hit;
  }
  return null;
}
