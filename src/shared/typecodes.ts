/**
 * The typecodes of Value and Array (Python's `array` module letters) and the typed
 * arrays that store them.
 *
 * @module
 */

/** The typecodes: `b B h H i I l L q Q f d c` (`l L q Q` are 64-bit, `c` is a byte). */
export type Typecode = "b" | "B" | "h" | "H" | "i" | "I" | "l" | "L" | "q" | "Q" | "f" | "d" | "c";

/** The JS type of a typecode's values: `bigint` for the 64-bit integer codes. */
export type ValueOf<T extends Typecode> = T extends "l" | "L" | "q" | "Q" ? bigint : number;

/** What a Value of a typecode can be set from: its values, numbers, and a one-character string for `c`. */
export type InitOf<T extends Typecode> = ValueOf<T> | number | (T extends "c" ? string : never);

/** The typed array over shared memory that holds a typecode's values. */
export type TypedArrayOf<T extends Typecode> = T extends "b" ? Int8Array<SharedArrayBuffer>
  : T extends "B" | "c" ? Uint8Array<SharedArrayBuffer>
  : T extends "h" ? Int16Array<SharedArrayBuffer>
  : T extends "H" ? Uint16Array<SharedArrayBuffer>
  : T extends "i" ? Int32Array<SharedArrayBuffer>
  : T extends "I" ? Uint32Array<SharedArrayBuffer>
  : T extends "l" | "q" ? BigInt64Array<SharedArrayBuffer>
  : T extends "L" | "Q" ? BigUint64Array<SharedArrayBuffer>
  : T extends "f" ? Float32Array<SharedArrayBuffer>
  : Float64Array<SharedArrayBuffer>;

/** Any typed array a typecode maps to. */
export type AnyTyped = TypedArrayOf<Typecode>;

type TypedCtor = new (buffer: SharedArrayBuffer, byteOffset?: number, length?: number) => AnyTyped;

const CTORS: Record<Typecode, TypedCtor> = {
  b: Int8Array,
  B: Uint8Array,
  h: Int16Array,
  H: Uint16Array,
  i: Int32Array,
  I: Uint32Array,
  l: BigInt64Array,
  L: BigUint64Array,
  q: BigInt64Array,
  Q: BigUint64Array,
  f: Float32Array,
  d: Float64Array,
  c: Uint8Array,
} as Record<Typecode, TypedCtor>;

/** All typecodes, in Python's order. */
export const TYPECODES: readonly Typecode[] = Object.keys(CTORS) as Typecode[];

/** Checks a typecode, throwing `TypeError` "bad typecode" for anything else. */
export function checkTypecode(tc: unknown, where: string): Typecode {
  if (typeof tc === "string" && Object.hasOwn(CTORS, tc)) return tc as Typecode;
  throw new TypeError(
    `${where}: bad typecode (must be one of ${TYPECODES.join(" ")}), got ${
      typeof tc === "string" ? JSON.stringify(tc) : String(tc)
    }`,
  );
}

/** Whether the typecode's values are bigints. */
export function isBig(tc: Typecode): boolean {
  return tc === "l" || tc === "L" || tc === "q" || tc === "Q";
}

/** A zero-filled typed array of `length` items over a new SharedArrayBuffer. */
export function allocate<T extends Typecode>(tc: T, length: number): TypedArrayOf<T> {
  const Ctor = CTORS[tc];
  const size = (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  return new Ctor(new SharedArrayBuffer(Math.max(1, length) * size), 0, length) as TypedArrayOf<T>;
}

/**
 * Converts `v` to what a typecode stores, or throws a `TypeError` naming it: numbers
 * for the small codes (integers only but for `f` and `d`, as Python's ctypes; a
 * one-character string too for `c`), bigints for the 64-bit ones (integer numbers are
 * accepted and converted).
 */
export function toStored<T extends Typecode>(tc: T, v: unknown, where: string): ValueOf<T> {
  if (isBig(tc)) {
    if (typeof v === "bigint") return v as ValueOf<T>;
    if (typeof v === "number" && Number.isInteger(v)) return BigInt(v) as ValueOf<T>;
    throw new TypeError(`${where}: typecode "${tc}" holds 64-bit integers (bigint), got ${describeValue(v)}`);
  }
  if (typeof v === "number") {
    // As Python's ctypes: an integer typecode takes no fraction (nor NaN or Infinity).
    if (tc !== "f" && tc !== "d" && !Number.isInteger(v)) {
      throw new TypeError(
        `${where}: typecode "${tc}" holds integers, got number ${v}: round it first (Math.round, Math.trunc), ` +
          'or use "d" for fractions',
      );
    }
    return v as ValueOf<T>;
  }
  if (typeof v === "boolean") return Number(v) as ValueOf<T>;
  if (tc === "c" && typeof v === "string" && v.length === 1 && v.charCodeAt(0) < 256) {
    return v.charCodeAt(0) as ValueOf<T>;
  }
  throw new TypeError(
    `${where}: typecode "${tc}" holds numbers${tc === "c" ? " (bytes)" : ""}, got ${describeValue(v)}`,
  );
}

function describeValue(v: unknown): string {
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + "…" : v)}`;
  if (typeof v === "bigint") return `the bigint ${v}n`;
  return v === null
    ? "null"
    : typeof v === "object"
    ? (v.constructor?.name ?? "object")
    : `${typeof v} ${String(v)}`;
}

/**
 * A new typed array for `tc`: zero-filled of a given length, or holding the items of
 * an iterable (a string of bytes for `c`), each checked and stored as the typecode
 * stores it. `where` names the caller in errors.
 */
export function newTypedArray<T extends Typecode>(
  tc: T,
  sizeOrInit: unknown,
  where: string,
): TypedArrayOf<T> {
  if (typeof sizeOrInit === "number") {
    if (!Number.isInteger(sizeOrInit) || sizeOrInit < 0) {
      throw new RangeError(`${where}: the size must be an integer >= 0, got ${sizeOrInit}`);
    }
    return allocate(tc, sizeOrInit);
  }
  let items: unknown[];
  if (typeof sizeOrInit === "string" && tc === "c") items = [...new TextEncoder().encode(sizeOrInit)];
  else if (typeof sizeOrInit === "object" && sizeOrInit !== null && Symbol.iterator in sizeOrInit) {
    items = [...(sizeOrInit as Iterable<unknown>)];
  } else {
    throw new TypeError(
      `${where}: sizeOrInit must be a length or an iterable of initial values, got ${typeof sizeOrInit}`,
    );
  }
  const data = allocate(tc, items.length);
  for (let i = 0; i < items.length; i++) data[i] = toStored(tc, items[i], `${where} item ${i}`) as never;
  return data;
}
