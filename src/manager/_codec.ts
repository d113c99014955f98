/**
 * How manager requests and replies become bytes: JSON, extended with tagged objects for
 * what JSON cannot carry exactly (`undefined`, `NaN`, `±Infinity`, `-0`, bigints, Maps,
 * Sets, Dates), and the engine's structured serializer only for anything else (typed
 * arrays, errors, class instances...).
 *
 * Why not the structured serializer for everything: on Deno, each `node:v8`
 * `serialize()` leaves a few KB of native memory that V8 does not count, so a thread
 * that allocates little JS memory (the manager's server) never collects it: 40 000
 * calls grew the process by 260 MB. Every reply carrying `undefined` (`set()`, ...)
 * took that path. JSON is also faster for the small values proxies carry.
 *
 * @module
 */
import { decodeUtf8 } from "../internal/runtime.ts";
import { deserialize, type Payload, serialize } from "../internal/_serializer.ts";

/** Payload tag of extended JSON (beyond the serializer's own tags). */
const TAG_EXT_JSON = 100;
/** Payload tag of the binary form of arrays of scalars (below). */
const TAG_BINARY = 101;
/** The serializer's plain JSON tag. */
const TAG_JSON = 6;

/** The key of a tagged object. */
const K = "\u0000mp";
const MAX_DEPTH = 64;
const FAIL: unique symbol = Symbol("fail");

const encoder = new TextEncoder();
const scratch = new Uint8Array(64 * 1024);

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

// The binary form: most requests and replies are arrays of numbers and short strings
// (`[seq, slot, pid, id, "set", ["key", 1], 0]`, `[seq, 0, undefined]`), which this
// writes and reads several times faster than JSON text (no string building or parsing,
// no text decoding of shared memory). A value is a kind byte and its data: numbers as
// float64, strings as a uint32 byte length and UTF-8, arrays as a uint32 count and
// their items.
const B_UNDEFINED = 0, B_NULL = 1, B_TRUE = 2, B_FALSE = 3, B_NUMBER = 4, B_STRING = 5, B_ARRAY = 6;
const view = new DataView(scratch.buffer);
const MAX_BINARY_DEPTH = 8;
/** Copy of shared bytes being read (DataView reads of shared memory are slower). */
let input = new Uint8Array(4096);
let inputView = new DataView(input.buffer);
let at = 0;

/** Writes `v` at `at`; false if it has no binary form (or does not fit). */
function writeBinary(v: unknown, depth: number): boolean {
  if (at + 16 > scratch.length) return false;
  switch (typeof v) {
    case "number":
      scratch[at] = B_NUMBER;
      view.setFloat64(at + 1, v, true);
      at += 9;
      return true;
    case "string": {
      const n = v.length;
      if (at + 5 + n * 3 > scratch.length) return false;
      const start = at + 5;
      let i = 0;
      for (; i < n; i++) {
        const c = v.charCodeAt(i);
        if (c >= 0x80) break;
        scratch[start + i] = c;
      }
      let len = i;
      if (i < n) {
        if (!v.isWellFormed()) return false;
        len = i + encoder.encodeInto(v.slice(i), scratch.subarray(start + i)).written;
      }
      scratch[at] = B_STRING;
      view.setUint32(at + 1, len, true);
      at = start + len;
      return true;
    }
    case "undefined":
      scratch[at++] = B_UNDEFINED;
      return true;
    case "boolean":
      scratch[at++] = v ? B_TRUE : B_FALSE;
      return true;
    case "object": {
      if (v === null) {
        scratch[at++] = B_NULL;
        return true;
      }
      if (depth >= MAX_BINARY_DEPTH || Object.getPrototypeOf(v) !== Array.prototype) return false;
      const a = v as unknown[];
      scratch[at] = B_ARRAY;
      view.setUint32(at + 1, a.length, true);
      at += 5;
      for (let i = 0; i < a.length; i++) if (!writeBinary(a[i], depth + 1)) return false;
      return true;
    }
  }
  return false;
}

function readBinary(): unknown {
  const kind = input[at++];
  switch (kind) {
    case B_NUMBER: {
      const n = inputView.getFloat64(at, true);
      at += 8;
      return n;
    }
    case B_STRING: {
      const len = inputView.getUint32(at, true);
      const start = at + 4;
      at = start + len;
      if (len <= 32) {
        let ascii = true;
        for (let i = start; i < at; i++) if (input[i] >= 0x80) ascii = false;
        if (ascii) return String.fromCharCode.apply(null, input.subarray(start, at) as unknown as number[]);
      }
      return decodeUtf8(input.subarray(start, at));
    }
    case B_UNDEFINED:
      return undefined;
    case B_NULL:
      return null;
    case B_TRUE:
      return true;
    case B_FALSE:
      return false;
    case B_ARRAY: {
      const n = inputView.getUint32(at, true);
      at += 4;
      const a = new Array(n);
      for (let i = 0; i < n; i++) a[i] = readBinary();
      return a;
    }
  }
  throw new Error(`corrupt manager message: unknown value kind ${kind}`);
}

function decodeBinary(bytes: Uint8Array): unknown {
  if (bytes.length > input.length) {
    input = new Uint8Array(Math.max(bytes.length, input.length * 2));
    inputView = new DataView(input.buffer);
  }
  input.set(bytes);
  at = 0;
  return readBinary();
}

/**
 * Encodes a manager message; `what` names its destination in errors. The bytes may be
 * this thread's scratch buffer (`scratch: true`), valid until the next encoding.
 */
export function encodeMessage(message: unknown, what: string): Payload {
  at = 0;
  if (writeBinary(message, 0)) return { tag: TAG_BINARY, bytes: scratch.subarray(0, at), scratch: true };
  const j = toJson(message, 0);
  if (j === FAIL) return serialize(message, what);
  const text = JSON.stringify(j);
  const tag = j === message ? TAG_JSON : TAG_EXT_JSON;
  if (text.length * 3 > scratch.length) return { tag, bytes: encoder.encode(text) };
  const { written } = encoder.encodeInto(text, scratch);
  return { tag, bytes: scratch.subarray(0, written), scratch: true };
}

/** Decodes what {@linkcode encodeMessage} made (`bytes` may be a view of shared memory). */
export function decodeMessage(tag: number, bytes: Uint8Array): unknown {
  if (tag === TAG_BINARY) return decodeBinary(bytes);
  if (tag === TAG_JSON) return JSON.parse(decodeUtf8(bytes));
  if (tag === TAG_EXT_JSON) return fromJson(JSON.parse(decodeUtf8(bytes)));
  // The structured deserializer may keep views of what it reads: give it bytes of its own.
  return deserialize(tag, bytes.buffer instanceof SharedArrayBuffer ? bytes.slice() : bytes);
}
