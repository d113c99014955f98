/**
 * How `send(obj)` / `recv()` of a network connection turn values into bytes. Python
 * pickles; a pickle cannot be read safely (it runs code) nor portably here, and the
 * engines' own serializers differ between Deno (V8) and Bun (JavaScriptCore). So the
 * message body is this package's own format, the same on both runtimes, and nothing
 * in it is ever run as code:
 *
 * - `J` (0x4A) then UTF-8 JSON text: values that JSON carries exactly (plain objects
 *   and arrays of strings, finite numbers, booleans and null).
 * - `T` (0x54) then one tagged value, lengths and counts as 4-byte big-endian
 *   unsigned integers: 0 undefined, 1 null, 2 false, 3 true, 4 number (8-byte
 *   big-endian float64), 5 string (length, UTF-8), 6 bigint (length, decimal ASCII),
 *   7 array (count, values), 8 object (count, then key as a string body and value),
 *   9 Map (count, key and value pairs), 10 Set (count, values), 11 Date (float64 ms),
 *   12 RegExp (source, flags as string bodies), 13 Uint8Array (length, bytes),
 *   14 ArrayBuffer (length, bytes), 15 other typed array or DataView (kind byte,
 *   length, little-endian bytes), 16 Error (name, message, stack as string bodies),
 *   17 string that is not well-formed UTF-16 (a lone surrogate; its JSON text as a
 *   string body).
 *
 * Class instances arrive as plain objects with their own enumerable properties (as
 * structured clone does); functions, symbols, cycles and this package's shared objects
 * are refused at `send`, naming the part at fault.
 *
 * @module
 */
import { SHARE } from "../internal/_codec.ts";
import { ProcessError } from "../internal/errors.ts";
import { jsonExact } from "../internal/_serializer.ts";

const JSON_KIND = 0x4a;
const TAGGED_KIND = 0x54;
/** Nesting deeper than this is refused when decoding (a hostile peer's deep nesting). */
const MAX_DEPTH = 512;

const T = {
  Undefined: 0,
  Null: 1,
  False: 2,
  True: 3,
  Number: 4,
  String: 5,
  BigInt: 6,
  Array: 7,
  Object: 8,
  Map: 9,
  Set: 10,
  Date: 11,
  RegExp: 12,
  Bytes: 13,
  ArrayBuffer: 14,
  Typed: 15,
  Error: 16,
  LoneSurrogates: 17,
} as const;

type TypedCtor = { new (buffer: ArrayBuffer): ArrayBufferView; readonly BYTES_PER_ELEMENT?: number };

const TYPED: [number, TypedCtor, number][] = [
  [1, Int8Array, 1],
  [2, Uint8ClampedArray, 1],
  [3, Int16Array, 2],
  [4, Uint16Array, 2],
  [5, Int32Array, 4],
  [6, Uint32Array, 4],
  [7, Float32Array, 4],
  [8, Float64Array, 8],
  [9, BigInt64Array, 8],
  [10, BigUint64Array, 8],
  [11, DataView as unknown as TypedCtor, 1],
];

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes `value` as a message body; throws a `ProcessError` naming what cannot be sent.
 * With `head`, the result starts with that many bytes left free before the body (for a
 * frame's length, so that header and body go out as one buffer without a copy).
 */
export function encodeMessage(value: unknown, head = 0): Uint8Array {
  if (typeof value === "object" && value !== null && !(SHARE in value) && jsonExact(value, 0)) {
    const text = JSON.stringify(value);
    const out = new Uint8Array(head + 1 + text.length * 3);
    out[head] = JSON_KIND;
    const { written } = encoder.encodeInto(text, out.subarray(head + 1));
    return out.subarray(0, head + 1 + written);
  }
  const w = new Writer(head);
  w.byte(TAGGED_KIND);
  encodeValue(w, value, "obj", new Set());
  return w.done();
}

/** Decodes a message body made by {@linkcode encodeMessage}. */
export function decodeMessage(bytes: Uint8Array): unknown {
  if (bytes.length === 0) throw notOurs("an empty message");
  if (bytes[0] === JSON_KIND) {
    try {
      return JSON.parse(decoder.decode(bytes.subarray(1)));
    } catch (e) {
      throw new ProcessError(`recv(): a corrupt JSON message arrived (${(e as Error).message})`);
    }
  }
  if (bytes[0] !== TAGGED_KIND) {
    const hint = bytes[0] === 0x80 ? " (it starts like a Python pickle)" : "";
    throw notOurs(`a message starting with byte 0x${bytes[0].toString(16).padStart(2, "0")}${hint}`);
  }
  const r = new Reader(bytes, 1);
  const value = decodeValue(r, 0);
  if (r.pos !== bytes.length) {
    throw new ProcessError(`recv(): a corrupt message arrived: ${bytes.length - r.pos} bytes left over`);
  }
  return value;
}

function notOurs(what: string): ProcessError {
  return new ProcessError(
    `recv(): ${what} arrived that was not sent by send() of @mp/multiprocessing; the peer may be a ` +
      "Python program sending pickles: exchange raw bytes with sendBytes()/recvBytes() (Python's " +
      "send_bytes()/recv_bytes()) instead",
  );
}

class Writer {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #pos: number;

  constructor(head: number) {
    this.#pos = head;
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  byte(b: number): void {
    this.#room(1);
    this.#buf[this.#pos++] = b;
  }

  u32(n: number): void {
    if (n > 0xffffffff) throw new ProcessError(`send(): a part of ${n} items or bytes is too big to send`);
    this.#room(4);
    this.#view.setUint32(this.#pos, n);
    this.#pos += 4;
  }

  f64(x: number): void {
    this.#room(8);
    this.#view.setFloat64(this.#pos, x);
    this.#pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.#room(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
  }

  string(s: string): void {
    this.#room(4 + s.length * 3);
    const { written } = encoder.encodeInto(s, this.#buf.subarray(this.#pos + 4));
    this.#view.setUint32(this.#pos, written);
    this.#pos += 4 + written;
  }

  done(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }
}

function encodeValue(w: Writer, v: unknown, path: string, open: Set<object>): void {
  switch (typeof v) {
    case "undefined":
      return w.byte(T.Undefined);
    case "boolean":
      return w.byte(v ? T.True : T.False);
    case "number":
      w.byte(T.Number);
      return w.f64(v);
    case "string":
      if (!v.isWellFormed()) {
        w.byte(T.LoneSurrogates); // UTF-8 cannot carry it; JSON escapes it exactly
        return w.string(JSON.stringify(v));
      }
      w.byte(T.String);
      return w.string(v);
    case "bigint":
      w.byte(T.BigInt);
      return w.string(v.toString());
    case "object":
      if (v === null) return w.byte(T.Null);
      return encodeObject(w, v, path, open);
  }
  throw cannotSend(path, `a ${typeof v}`);
}

function encodeObject(w: Writer, v: object, path: string, open: Set<object>): void {
  if (open.has(v)) throw cannotSend(path, "a reference back to an object that contains it (a cycle)");
  if (SHARE in v) {
    throw cannotSend(
      path,
      `a ${v.constructor?.name ?? "shared object"} of this package, which works only inside one program`,
    );
  }
  if (v instanceof Uint8Array && v.constructor === Uint8Array) {
    w.byte(T.Bytes);
    return w.bytes(v);
  }
  if (ArrayBuffer.isView(v)) {
    const kind = TYPED.find(([, C]) => v.constructor === C);
    if (!kind) throw cannotSend(path, `a ${v.constructor.name}`);
    w.byte(T.Typed);
    w.byte(kind[0]);
    return w.bytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  if (v instanceof ArrayBuffer) {
    w.byte(T.ArrayBuffer);
    return w.bytes(new Uint8Array(v));
  }
  if (typeof SharedArrayBuffer !== "undefined" && v instanceof SharedArrayBuffer) {
    throw cannotSend(path, "a SharedArrayBuffer, which cannot be shared with another program");
  }
  if (v instanceof Date) {
    w.byte(T.Date);
    return w.f64(v.getTime());
  }
  if (v instanceof RegExp) {
    w.byte(T.RegExp);
    w.string(v.source);
    return w.string(v.flags);
  }
  if (v instanceof Error) {
    w.byte(T.Error);
    w.string(v.name);
    w.string(v.message);
    return w.string(v.stack ?? "");
  }
  if (typeof (v as { then?: unknown }).then === "function") throw cannotSend(path, "a Promise");
  open.add(v);
  if (Array.isArray(v)) {
    w.byte(T.Array);
    w.u32(v.length);
    for (let i = 0; i < v.length; i++) encodeValue(w, v[i], `${path}[${i}]`, open);
  } else if (v instanceof Map) {
    w.byte(T.Map);
    w.u32(v.size);
    for (const [k, x] of v) {
      encodeValue(w, k, `${path}.<key>`, open);
      encodeValue(w, x, `${path}.get(${String(k)})`, open);
    }
  } else if (v instanceof Set) {
    w.byte(T.Set);
    w.u32(v.size);
    for (const x of v) encodeValue(w, x, `${path}.<member>`, open);
  } else {
    const keys = Object.keys(v);
    w.byte(T.Object);
    w.u32(keys.length);
    for (const k of keys) {
      w.string(k);
      encodeValue(w, (v as Record<string, unknown>)[k], `${path}.${k}`, open);
    }
  }
  open.delete(v);
}

function cannotSend(path: string, what: string): ProcessError {
  return new ProcessError(
    `send(): ${path} is ${what}, which cannot be sent over a network connection: send data (numbers, ` +
      "strings, bigints, arrays, plain objects, Map, Set, Date, typed arrays, errors) instead",
  );
}

class Reader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  pos: number;

  constructor(bytes: Uint8Array, pos: number) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
  }

  #need(n: number): void {
    if (this.pos + n > this.#bytes.length) {
      throw new ProcessError(
        `recv(): a corrupt message arrived: it ends ${this.pos + n - this.#bytes.length} bytes early`,
      );
    }
  }

  byte(): number {
    this.#need(1);
    return this.#bytes[this.pos++];
  }

  u32(): number {
    this.#need(4);
    const n = this.#view.getUint32(this.pos);
    this.pos += 4;
    return n;
  }

  /** A count of items, each at least one byte long: checked before anything is allocated. */
  count(): number {
    const n = this.u32();
    this.#need(n);
    return n;
  }

  f64(): number {
    this.#need(8);
    const x = this.#view.getFloat64(this.pos);
    this.pos += 8;
    return x;
  }

  bytes(): Uint8Array {
    const n = this.u32();
    this.#need(n);
    const out = this.#bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    const n = this.u32();
    this.#need(n);
    const s = decoder.decode(this.#bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
}

const ERRORS: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

function decodeValue(r: Reader, depth: number): unknown {
  if (depth > MAX_DEPTH) {
    throw new ProcessError(`recv(): a message nested deeper than ${MAX_DEPTH} levels was refused`);
  }
  const tag = r.byte();
  switch (tag) {
    case T.Undefined:
      return undefined;
    case T.Null:
      return null;
    case T.False:
      return false;
    case T.True:
      return true;
    case T.Number:
      return r.f64();
    case T.String:
      return r.string();
    case T.LoneSurrogates: {
      const json = r.string();
      let v: unknown;
      try {
        v = JSON.parse(json);
      } catch { /* checked below */ }
      if (typeof v !== "string") throw new ProcessError("recv(): a corrupt string arrived");
      return v;
    }
    case T.BigInt: {
      const text = r.string();
      if (!/^-?\d+$/.test(text)) {
        throw new ProcessError(`recv(): a corrupt bigint arrived: ${text.slice(0, 40)}`);
      }
      return BigInt(text);
    }
    case T.Array: {
      const n = r.count();
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = decodeValue(r, depth + 1);
      return out;
    }
    case T.Object: {
      const n = r.count();
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = r.string();
        const v = decodeValue(r, depth + 1);
        // A key "__proto__" stays an own property: nothing from the wire changes a prototype.
        Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case T.Map: {
      const n = r.count();
      const out = new Map();
      for (let i = 0; i < n; i++) out.set(decodeValue(r, depth + 1), decodeValue(r, depth + 1));
      return out;
    }
    case T.Set: {
      const n = r.count();
      const out = new Set();
      for (let i = 0; i < n; i++) out.add(decodeValue(r, depth + 1));
      return out;
    }
    case T.Date:
      return new Date(r.f64());
    case T.RegExp: {
      const source = r.string();
      const flags = r.string();
      try {
        return new RegExp(source, flags);
      } catch {
        throw new ProcessError(`recv(): a corrupt RegExp arrived: /${source.slice(0, 40)}/${flags}`);
      }
    }
    case T.Bytes:
      return r.bytes();
    case T.ArrayBuffer:
      return r.bytes().buffer;
    case T.Typed: {
      const kind = r.byte();
      const entry = TYPED.find(([k]) => k === kind);
      const bytes = r.bytes();
      if (!entry || bytes.length % entry[2] !== 0) {
        throw new ProcessError(`recv(): a corrupt typed array arrived (kind ${kind}, ${bytes.length} bytes)`);
      }
      return new entry[1](bytes.buffer as ArrayBuffer);
    }
    case T.Error: {
      const name = r.string();
      const message = r.string();
      const stack = r.string();
      const err = new (ERRORS[name] ?? Error)(message);
      if (err.name !== name) {
        Object.defineProperty(err, "name", { value: name, configurable: true, writable: true });
      }
      Object.defineProperty(err, "stack", { value: stack, configurable: true, writable: true });
      return err;
    }
  }
  throw new ProcessError(`recv(): a corrupt message arrived: unknown type tag ${tag}`);
}
