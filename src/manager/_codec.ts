/**
 * How manager requests and replies become bytes: a binary form for arrays of scalars,
 * else extended JSON (`internal/_ext_json.ts`), and the engine's structured serializer
 * only for anything else (typed arrays, errors, class instances...). A request whose
 * arguments have the binary form travels in a compact form of its own (integers as
 * int32, the method as ASCII read back without a new string).
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
import { FAIL, fromExtJson, toExtJson } from "../internal/_ext_json.ts";

/** Payload tag of extended JSON (beyond the serializer's own tags). */
const TAG_EXT_JSON = 100;
/** Payload tag of the binary form of arrays of scalars (below). */
const TAG_BINARY = 101;
/** Payload tag of the compact form of requests (below). */
const TAG_REQUEST = 102;
/** The serializer's plain JSON tag. */
const TAG_JSON = 6;

const encoder = new TextEncoder();
const scratch = new Uint8Array(64 * 1024);

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
  throw new Error(`Corrupt manager message: unknown value kind ${kind}`);
}

/** Copies `bytes` into `input`, to be read from `at` 0. */
function takeInput(bytes: Uint8Array): void {
  if (bytes.length > input.length) {
    input = new Uint8Array(Math.max(bytes.length, input.length * 2));
    inputView = new DataView(input.buffer);
  }
  input.set(bytes);
  at = 0;
}

function decodeBinary(bytes: Uint8Array): unknown {
  takeInput(bytes);
  return readBinary();
}

// The compact form of a request `[seq, slot, pid, id, method, args, flags]`, the message
// of every proxy call: the five integers as int32 (seq, slot, pid, id, flags), the
// method as one length byte and its ASCII, then `args` in the binary form. The server
// reads the method back as the same string it read before (no new string per call).
const REQUEST_HEAD = 21;

/** Writes `v` as an int32 at `at`; false if it is not one. */
function writeInt32(v: unknown, i: number): boolean {
  if (typeof v !== "number" || (v | 0) !== v) return false;
  view.setInt32(i, v, true);
  return true;
}

/** Writes the compact form of request `r`; false if it has none (then `at` is garbage). */
function writeRequest(r: readonly unknown[]): boolean {
  const method = r[4];
  if (typeof method !== "string" || method.length > 64) return false;
  if (!writeInt32(r[0], 0) || !writeInt32(r[1], 4) || !writeInt32(r[2], 8)) return false;
  if (!writeInt32(r[3], 12) || !writeInt32(r[6], 16)) return false;
  const n = method.length;
  scratch[20] = n;
  for (let i = 0; i < n; i++) {
    const c = method.charCodeAt(i);
    if (c >= 0x80) return false;
    scratch[REQUEST_HEAD + i] = c;
  }
  at = REQUEST_HEAD + n;
  return Array.isArray(r[5]) && writeBinary(r[5], 1);
}

/** Method names read lately, handed out again instead of new strings. */
const methods: string[] = [];
let nextMethod = 0;

/** The method name of `n` ASCII bytes at `start` of `input`. */
function readMethod(start: number, n: number): string {
  search: for (let k = 0; k < methods.length; k++) {
    const m = methods[k];
    if (m.length !== n) continue;
    for (let i = 0; i < n; i++) if (m.charCodeAt(i) !== input[start + i]) continue search;
    return m;
  }
  const m = String.fromCharCode.apply(null, input.subarray(start, start + n) as unknown as number[]);
  methods[nextMethod] = m;
  nextMethod = (nextMethod + 1) % 32;
  return m;
}

/**
 * Encodes a request `[seq, slot, pid, id, method, args, flags]` (in its compact form if
 * it has one, else as {@linkcode encodeMessage} does); the bytes may be the scratch
 * buffer, as there.
 */
export function encodeRequest(request: readonly unknown[], what: string): Payload {
  if (writeRequest(request)) return { tag: TAG_REQUEST, bytes: scratch.subarray(0, at), scratch: true };
  return encodeMessage(request, what);
}

/**
 * Decodes a request made by {@linkcode encodeRequest}: the `len` bytes at `from` of
 * `bytes` (which may be shared memory).
 */
export function decodeRequest(tag: number, bytes: Uint8Array, from: number, len: number): unknown[] {
  const b = bytes.subarray(from, from + len);
  if (tag !== TAG_REQUEST) return decodeMessage(tag, b) as unknown[];
  takeInput(b);
  const v = inputView;
  const n = input[20];
  const method = readMethod(REQUEST_HEAD, n);
  at = REQUEST_HEAD + n;
  const args = readBinary();
  return [
    v.getInt32(0, true),
    v.getInt32(4, true),
    v.getInt32(8, true),
    v.getInt32(12, true),
    method,
    args,
    v.getInt32(16, true),
  ];
}

/**
 * Encodes a manager message; `what` names its destination in errors. The bytes may be
 * this thread's scratch buffer (`scratch: true`), valid until the next encoding.
 */
export function encodeMessage(message: unknown, what: string): Payload {
  at = 0;
  if (writeBinary(message, 0)) return { tag: TAG_BINARY, bytes: scratch.subarray(0, at), scratch: true };
  const j = toExtJson(message);
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
  if (tag === TAG_EXT_JSON) return fromExtJson(JSON.parse(decodeUtf8(bytes)));
  // The structured deserializer may keep views of what it reads: give it bytes of its own.
  return deserialize(tag, bytes.buffer instanceof SharedArrayBuffer ? bytes.slice() : bytes);
}
