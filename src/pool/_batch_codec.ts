/**
 * Batches of values (a map's chunk of items, a chunk's results) packed for the trip
 * between a pool and its workers without a structured clone per item: cloning many
 * small values costs far more than cloning a few large ones. A batch becomes
 *
 * - one byte per item saying what it is (`null`, `undefined`, `false`, `true`, number,
 *   string, bigint, object), or a single tag when every item has the same;
 * - the numbers in one `Float64Array` (exact, `-0` and `NaN` included);
 * - the strings (and bigints, as decimals) joined in one string with their lengths in
 *   a `Uint32Array` (JavaScript strings, so lone surrogates survive);
 * - plain objects of a few shapes (the same keys in the same order) and arrays of a few
 *   lengths, holding primitives only, by columns: one such batch per key, rebuilt by
 *   an object literal per shape;
 * - other plain objects and arrays as one JSON text, only when JSON gives back exactly
 *   what structured clone would (finite numbers but `-0`, no `undefined`, no holes, no
 *   extra array properties, no `__proto__` key, no object reached twice, plain
 *   prototypes only).
 *
 * A batch with anything else (a Date, a Map, a function, a shared object, a value
 * reached twice...) is not packed: it travels by structured clone as before.
 * Typed arrays travel as their `ArrayBuffer` (see `pool_protocol.ts`).
 *
 * @module
 */

const T_UNDEFINED = 0;
const T_NULL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_NUMBER = 4;
const T_STRING = 5;
const T_BIGINT = 6;
const T_JSON = 7;
/** Not an item's tag: the batch holds objects of one shape, or arrays of one length, by columns. */
const T_SHAPED = 8;
/** Not an item's tag: the batch holds objects of a few shapes, by shape (see `packGroups`). */
const T_GROUPS = 9;

/** Nesting depth beyond which objects are left to structured clone. */
const MAX_DEPTH = 64;

/** Fewer items than this are not packed: cloning them is cheap anyway. */
export const MIN_PACKED = 8;

/** A packed batch (see the module doc): a few cloneable fields whatever the item count. */
export interface PackedBatch {
  /** The item count. */
  n: number;
  /** The tag of every item when they share one, else -1 (the tags are in `tags`). */
  u: number;
  /** One tag per item (a `Uint8Array`'s buffer), or `null` when `u` says it. */
  tags: ArrayBuffer | null;
  /** The numbers in order (a `Float64Array`'s buffer). */
  nums: ArrayBuffer | null;
  /** The strings and bigint decimals, joined. */
  strs: string;
  /** Their lengths in UTF-16 code units (a `Uint32Array`'s buffer). */
  lens: ArrayBuffer | null;
  /** The object items as one JSON array. */
  json: string | null;
  /** When `u` is `T_SHAPED`: the keys of every object, or `null` for arrays. */
  keys: string[] | null;
  /**
   * When `u` is `T_SHAPED`: one packed batch per key (or array index); `T_GROUPS`: one
   * per shape; otherwise the object items, when not in `json`.
   */
  cols: PackedBatch[] | null;
}

/** True for a {@linkcode PackedBatch} (a plain object, where an unpacked batch is an array). */
export function isPackedBatch(v: unknown): v is PackedBatch {
  return typeof v === "object" && v !== null && !Array.isArray(v) &&
    typeof (v as PackedBatch).u === "number" &&
    typeof (v as PackedBatch).strs === "string";
}

/**
 * The items packed, or `null` when there are fewer than {@linkcode MIN_PACKED} or one
 * of them cannot be packed exactly (it then all travels by structured clone).
 */
export function packBatch(items: ArrayLike<unknown>): PackedBatch | null {
  const n = items.length;
  if (n < MIN_PACKED) return null;
  // Objects of one shape, when the first, second and last items are objects (a mix
  // that starts with one goes to `pack` at once, not through columns made for nothing).
  if (isObject(items[0]) && isObject(items[1]) && isObject(items[n - 1])) {
    const shaped = packShaped(items, n);
    if (shaped !== null) return shaped;
  }
  return pack(items, n);
}

/**
 * The items `from` to `to` of `items`, packed straight from it when they are all numbers
 * (a `Float64Array`), all one `null`/`undefined`/boolean, or all strings (a
 * {@linkcode PackedBatch}); `null` otherwise (the caller then copies the chunk and tries
 * {@linkcode packBatch}), or when there are fewer than {@linkcode MIN_PACKED}. A hole
 * reads as `undefined`, as in a copied chunk. `numbers(n)` gives the `Float64Array` to
 * fill (one whose contents do not matter).
 */
export function packRange(
  items: ArrayLike<unknown>,
  from: number,
  to: number,
  numbers: (n: number) => Float64Array = (n) => new Float64Array(n),
): Float64Array | PackedBatch | null {
  const n = to - from;
  if (n < MIN_PACKED) return null;
  const first = items[from];
  if (first === null || first === undefined || typeof first === "boolean") {
    let i = from + 1;
    while (i < to && items[i] === first) i++;
    return i === to ? batch(n, tagOf(first)) : null;
  }
  if (typeof first === "number") {
    const nums = numbers(n);
    for (let i = from; i < to; i++) {
      const v = items[i];
      if (typeof v !== "number") return null;
      nums[i - from] = v;
    }
    return nums;
  }
  if (typeof first === "string") {
    const lens = new Uint32Array(n);
    let strs = "";
    for (let i = from; i < to; i++) {
      const v = items[i];
      if (typeof v !== "string") return null;
      strs += v;
      lens[i - from] = v.length;
    }
    const p = batch(n, T_STRING);
    p.strs = strs;
    p.lens = lens.buffer;
    return p;
  }
  return null;
}

/** True when every item of `p` is a string (a batch of strings only). */
export function isStringBatch(p: PackedBatch): boolean {
  return p.u === T_STRING && p.tags === null;
}

/** The one value of every item of `p` when they share one (`null`, `undefined` or a boolean). */
export function constantOf(p: PackedBatch): { value: unknown } | null {
  switch (p.u) {
    case T_UNDEFINED:
      return { value: undefined };
    case T_NULL:
      return { value: null };
    case T_FALSE:
      return { value: false };
    case T_TRUE:
      return { value: true };
  }
  return null;
}

/** A batch of `n` copies of `v`, when `v` is `null`, `undefined` or a boolean; else `null`. */
export function constantBatch(n: number, v: unknown): PackedBatch | null {
  return v === null || v === undefined || typeof v === "boolean" ? batch(n, tagOf(v)) : null;
}

function isObject(v: unknown): boolean {
  return typeof v === "object" && v !== null;
}

function batch(n: number, u: number): PackedBatch {
  return { n, u, tags: null, nums: null, strs: "", lens: null, json: null, keys: null, cols: null };
}

function tagOf(v: null | undefined | boolean): number {
  return v === null ? T_NULL : v === undefined ? T_UNDEFINED : v ? T_TRUE : T_FALSE;
}

function pack(items: ArrayLike<unknown>, n: number): PackedBatch | null {
  const first = items[0];
  if (first === null || first === undefined || typeof first === "boolean") {
    let i = 1;
    while (i < n && items[i] === first) i++;
    if (i === n) return batch(n, tagOf(first)); // all alike: the tag says it all
  } else if (typeof first === "number" || typeof first === "string") {
    const type = typeof first;
    let i = 1;
    while (i < n && typeof items[i] === type) i++;
    if (i === n && type === "number") {
      const p = batch(n, T_NUMBER);
      p.nums = new Float64Array(items as ArrayLike<number>).buffer;
      return p;
    }
    if (i === n) {
      const lens = new Uint32Array(n);
      // Appending builds a rope (cheaper than join); the clone flattens it once.
      let strs = "";
      for (let j = 0; j < n; j++) {
        const v = items[j] as string;
        strs += v;
        lens[j] = v.length;
      }
      const p = batch(n, T_STRING);
      p.strs = strs;
      p.lens = lens.buffer;
      return p;
    }
  }
  const tags = new Uint8Array(n);
  // Typed arrays of the largest size, trimmed at the end (cheaper than growing arrays).
  const nums = new Float64Array(n);
  let ni = 0;
  let strs = "";
  const lens = new Uint32Array(n);
  let si = 0;
  const objs: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const v = items[i];
    switch (typeof v) {
      case "undefined":
        tags[i] = T_UNDEFINED;
        break;
      case "boolean":
        tags[i] = v ? T_TRUE : T_FALSE;
        break;
      case "number":
        tags[i] = T_NUMBER;
        nums[ni++] = v;
        break;
      case "string":
        tags[i] = T_STRING;
        strs += v;
        lens[si++] = v.length;
        break;
      case "bigint": {
        const s = v.toString();
        tags[i] = T_BIGINT;
        strs += s;
        lens[si++] = s.length;
        break;
      }
      case "object":
        if (v === null) {
          tags[i] = T_NULL;
          break;
        }
        tags[i] = T_JSON;
        objs.push(v);
        break;
      default:
        return null; // functions travel by reference, symbols fail as before
    }
  }
  let u = tags[0];
  for (let i = 1; i < n; i++) {
    if (tags[i] !== u) {
      u = -1;
      break;
    }
  }
  const p = batch(n, u);
  if (u === -1) p.tags = tags.buffer;
  if (ni > 0) p.nums = nums.slice(0, ni).buffer;
  if (si > 0) {
    p.strs = strs;
    p.lens = lens.slice(0, si).buffer;
  }
  if (objs.length > 0) {
    const groups = packGroups(objs);
    if (groups !== null) p.cols = [groups];
    else {
      const seen = new Set<object>();
      for (let i = 0; i < objs.length; i++) if (!jsonObject(objs[i] as object, seen, 0)) return null;
      p.json = JSON.stringify(objs);
    }
  }
  return p;
}

/** Widest object or array packed by columns. */
const MAX_WIDTH = 32;

/** Most shapes of objects in a batch packed by columns (beyond, JSON carries them). */
const MAX_GROUPS = 8;

/**
 * Objects (and arrays) of a few shapes, each shape packed by columns, with the shape
 * of each in `tags`; `null` when they are not all so.
 */
function packGroups(objs: unknown[]): PackedBatch | null {
  const n = objs.length;
  const firsts: (string | number)[] = []; // an array's length, or an object's first key
  const members: unknown[][] = [];
  const tags = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const o = objs[i] as object;
    let id: string | number = -1;
    if (Array.isArray(o)) id = o.length;
    else {
      for (const k in o) {
        id = k;
        break;
      }
    }
    let g = firsts.indexOf(id);
    if (g === -1) {
      if (firsts.length === MAX_GROUPS) return null;
      g = firsts.length;
      firsts.push(id);
      members.push([]);
    }
    tags[i] = g;
    members[g].push(o);
  }
  if (firsts.length === 1) return packShaped(objs, n);
  const cols: PackedBatch[] = [];
  for (const m of members) {
    // Each shape checked in full (the first key only sorted them).
    const c = packShaped(m, m.length);
    if (c === null) return null;
    cols.push(c);
  }
  const p = batch(n, T_GROUPS);
  p.tags = tags.buffer;
  p.cols = cols;
  return p;
}

/** Column kinds of the typed readers and makers: any primitive, numbers only, strings only. */
const C_ANY = 0;
const C_NUM = 1;
const C_STR = 2;

/**
 * Objects of one shape (the same keys in the same order, plain prototype) or arrays
 * of one length, all of primitive values, packed by columns: a batch per key.
 * `null` when the items are not all so.
 */
function packShaped(items: ArrayLike<unknown>, n: number): PackedBatch | null {
  const first = items[0] as Record<string, unknown>;
  const array = Array.isArray(first);
  const keys = array ? null : Object.keys(first);
  const width = array ? first.length : keys!.length;
  if (width === 0 || width > MAX_WIDTH || (keys !== null && keys.includes("__proto__"))) return null;
  return packTyped(items, n, keys, width, first) ?? packColumns(items, n, keys, width);
}

/**
 * The typed path of {@linkcode packShaped}: each column's kind guessed from the first
 * item (numbers straight into a `Float64Array`, strings joined as they are read, other
 * primitives into an array), all read in one pass with no array per column of numbers
 * or strings. `null` when an item does not fit (another type in a column, another
 * shape, an object reached twice...): the caller then tries the general path.
 */
function packTyped(
  items: ArrayLike<unknown>,
  n: number,
  keys: string[] | null,
  width: number,
  first: Record<string, unknown>,
): PackedBatch | null {
  const kinds: number[] = [];
  const nums: (Float64Array<ArrayBuffer> | null)[] = [];
  const lens: (Uint32Array<ArrayBuffer> | null)[] = [];
  const anys: (unknown[] | null)[] = [];
  const strs: string[] = [];
  let typed = false;
  for (let j = 0; j < width; j++) {
    const v = keys === null ? first[j] : first[keys[j]];
    const kind = typeof v === "number" ? C_NUM : typeof v === "string" ? C_STR : C_ANY;
    typed ||= kind !== C_ANY;
    kinds.push(kind);
    nums.push(kind === C_NUM ? new Float64Array(n) : null);
    lens.push(kind === C_STR ? new Uint32Array(n) : null);
    anys.push(kind === C_ANY ? new Array(n) : null);
    strs.push("");
  }
  if (!typed) return null;
  const read = typedReader(keys, kinds);
  if (!read(items, n, keys, nums, lens, anys, strs)) return null;
  // An object reached twice stays one object: see packColumns.
  if (!nums.some((c) => c !== null && monotonicNumbers(c)) && new Set(items as unknown[]).size !== n) {
    return null;
  }
  const packed: PackedBatch[] = [];
  for (let j = 0; j < width; j++) {
    let c: PackedBatch | null;
    if (kinds[j] === C_NUM) {
      c = batch(n, T_NUMBER);
      c.nums = nums[j]!.buffer;
    } else if (kinds[j] === C_STR) {
      c = batch(n, T_STRING);
      c.strs = strs[j];
      c.lens = lens[j]!.buffer;
    } else {
      c = pack(anys[j]!, n);
      if (c === null) return null;
    }
    packed.push(c);
  }
  const p = batch(n, T_SHAPED);
  p.keys = keys;
  p.cols = packed;
  return p;
}

type TypedReader = (
  items: ArrayLike<unknown>,
  n: number,
  keys: string[] | null,
  nums: (Float64Array | null)[],
  lens: (Uint32Array | null)[],
  anys: (unknown[] | null)[],
  strs: string[],
) => boolean;

/** Typed readers, by shape and column kinds. */
const typedReaders = new Map<string, TypedReader>();

/** Generated functions kept per cache, at most (a batch of ever new shapes compiles each anew). */
const MAX_COMPILED = 256;

/** Keeps `f`, generated for `id`, in `cache` while it has room; returns `f`. */
function remember<F>(cache: Map<string, F>, id: string, f: F): F {
  if (cache.size < MAX_COMPILED) cache.set(id, f);
  return f;
}

/** The cache key of a typed reader or maker: the shape and its column kinds. */
function typedId(keys: string[] | null, kinds: number[]): string {
  return `${keys === null ? `[${kinds.length}` : JSON.stringify(keys)}:${kinds.join("")}`;
}

/**
 * A reader for one shape whose columns are of `kinds`: like {@linkcode reader}'s, it
 * checks that each item is an object of exactly `keys` in order (own enumerable keys,
 * plain prototype) or an array of `width` items without holes or named properties,
 * and reads its values; a column of numbers (or strings) takes numbers (or strings)
 * only. An object's keys are checked by `for-in` (no array per object) and its
 * prototype by `o.constructor === Object`, an inline-cached load (`Object.getPrototypeOf`
 * is a call on V8, and Deno has no `__proto__`): a null-prototype object fails here and
 * is left to the general reader; one whose prototype is not `Object.prototype` but has
 * `Object` for `constructor` (`Object.create({})`) and no enumerable property is packed
 * as the plain object of its own enumerable properties, which is what structured clone
 * makes of it. Class instances have their class for `constructor` and fail.
 */
function typedReader(keys: string[] | null, kinds: number[]): TypedReader {
  const width = kinds.length;
  const id = typedId(keys, kinds);
  const known = typedReaders.get(id);
  if (known !== undefined) return known;
  const lines: string[] = [];
  for (let j = 0; j < width; j++) {
    if (kinds[j] === C_NUM) lines.push(`const n${j} = nums[${j}];`);
    else if (kinds[j] === C_STR) lines.push(`const l${j} = lens[${j}]; let s${j} = "";`);
    else lines.push(`const a${j} = anys[${j}];`);
  }
  lines.push(
    "for (let i = 0; i < n; i++) {",
    "  const o = items[i];",
    "  if (typeof o !== 'object' || o === null) return false;",
  );
  if (keys === null) lines.push(`  if (!Array.isArray(o) || o.length !== ${width}) return false;`);
  else {
    // Own enumerable keys in order, and no inherited enumerable one: exactly `keys`.
    lines.push(
      "  if (o.constructor !== Object) return false;",
      "  let j = 0;",
      "  for (const k in o) if (k !== keys[j++]) return false;",
      `  if (j !== ${width}) return false;`,
    );
  }
  lines.push("  let v;");
  for (let j = 0; j < width; j++) {
    lines.push(`  v = o${keys === null ? `[${j}]` : `[${JSON.stringify(keys[j])}]`};`);
    if (kinds[j] === C_NUM) lines.push("  if (typeof v !== 'number') return false;", `  n${j}[i] = v;`);
    else if (kinds[j] === C_STR) {
      lines.push("  if (typeof v !== 'string') return false;", `  s${j} += v;`, `  l${j}[i] = v.length;`);
    } else {
      lines.push(
        "  if (typeof v === 'object' ? v !== null : typeof v === 'function' || typeof v === 'symbol') return false;",
      );
      if (keys === null) lines.push(`  if (v === undefined && !(${j} in o)) return false;`); // a hole
      lines.push(`  a${j}[i] = v;`);
    }
  }
  // Named properties besides the items (after the cheap checks: Object.keys of an array is
  // not cheap, for-in of one even less).
  if (keys === null) lines.push(`  if (Object.keys(o).length !== ${width}) return false;`);
  lines.push("}");
  for (let j = 0; j < width; j++) if (kinds[j] === C_STR) lines.push(`strs[${j}] = s${j};`);
  lines.push("return true;");
  const read = new Function("items", "n", "keys", "nums", "lens", "anys", "strs", lines.join("\n"));
  return remember(typedReaders, id, read as TypedReader);
}

/** The general path of {@linkcode packShaped}: a column array per key, each packed as a batch. */
function packColumns(
  items: ArrayLike<unknown>,
  n: number,
  keys: string[] | null,
  width: number,
): PackedBatch | null {
  const cols: unknown[][] = [];
  for (let j = 0; j < width; j++) cols.push(new Array(n));
  if (!reader(keys, width)(items, n, cols, Object.prototype)) return null;
  // An object reached twice stays one object: not packed. Two such items have the same
  // value in every column, so a column of strictly rising (or falling) numbers, as ids
  // often are, proves there is none; else one native Set build finds them (cheaper than
  // adding the objects one by one; every caller passes an array).
  if (!cols.some(monotonic) && new Set(items as unknown[]).size !== n) return null;
  const packed: PackedBatch[] = [];
  for (let j = 0; j < width; j++) {
    const c = pack(cols[j], n);
    if (c === null) return null;
    packed.push(c);
  }
  const p = batch(n, T_SHAPED);
  p.keys = keys;
  p.cols = packed;
  return p;
}

type Reader = (items: ArrayLike<unknown>, n: number, cols: unknown[][], objectProto: object) => boolean;

/** Readers of objects of one shape (or arrays of one length) into columns, by shape. */
const readers = new Map<string, Reader>();

/**
 * A reader for one shape: it checks that each item is an object of exactly `keys` in
 * order (own enumerable keys, plain prototype) or an array of `width` items without
 * holes or named properties, holding primitives only, and puts its values in `cols`;
 * false at the first item that is not so. Generated per shape, so each property is
 * read by name (an inline cache per key, not a keyed load).
 */
function reader(keys: string[] | null, width: number): Reader {
  const id = keys === null ? `[${width}` : JSON.stringify(keys);
  let read = readers.get(id);
  if (read === undefined) {
    const lines: string[] = [
      "for (let i = 0; i < n; i++) {",
      "  const o = items[i];",
      "  if (typeof o !== 'object' || o === null) return false;",
    ];
    if (keys === null) {
      lines.push(`  if (!Array.isArray(o) || o.length !== ${width}) return false;`);
    } else {
      lines.push(
        "  const proto = Object.getPrototypeOf(o);",
        "  if (proto !== objectProto && proto !== null) return false;",
        // Own enumerable keys in order (Object.keys is cached by shape: far cheaper than
        // for-in on V8, and on par on JavaScriptCore).
        "  const own = Object.keys(o);",
        `  if (own.length !== ${width}${
          keys.map((k, j) => ` || own[${j}] !== ${JSON.stringify(k)}`).join("")
        }) return false;`,
      );
    }
    lines.push("  let v;");
    for (let j = 0; j < width; j++) {
      const at = keys === null ? `[${j}]` : `[${JSON.stringify(keys[j])}]`;
      lines.push(
        `  v = o${at};`,
        "  if (typeof v === 'object' ? v !== null : typeof v === 'function' || typeof v === 'symbol') return false;",
      );
      if (keys === null) lines.push(`  if (v === undefined && !(${j} in o)) return false;`); // a hole
      lines.push(`  cols[${j}][i] = v;`);
    }
    // Named properties besides the items (after the cheap checks: Object.keys of an array is not cheap).
    if (keys === null) lines.push(`  if (Object.keys(o).length !== ${width}) return false;`);
    lines.push("}", "return true;");
    read = remember(
      readers,
      id,
      new Function("items", "n", "cols", "objectProto", lines.join("\n")) as Reader,
    );
  }
  return read;
}

/** True when `col` holds numbers only, strictly rising or strictly falling. */
function monotonic(col: unknown[]): boolean {
  const n = col.length;
  if (n < 2 || typeof col[0] !== "number" || typeof col[1] !== "number") return false;
  let prev = col[1] as number;
  if (prev > (col[0] as number)) {
    for (let i = 2; i < n; i++) {
      const v = col[i];
      if (typeof v !== "number" || !(v > prev)) return false;
      prev = v;
    }
    return true;
  }
  if (!(prev < (col[0] as number))) return false;
  for (let i = 2; i < n; i++) {
    const v = col[i];
    if (typeof v !== "number" || !(v < prev)) return false;
    prev = v;
  }
  return true;
}

/** True when `col` is strictly rising or strictly falling. */
function monotonicNumbers(col: Float64Array): boolean {
  const n = col.length;
  if (n < 2) return false;
  if (col[1] > col[0]) {
    for (let i = 2; i < n; i++) if (!(col[i] > col[i - 1])) return false;
    return true;
  }
  if (!(col[1] < col[0])) return false;
  for (let i = 2; i < n; i++) if (!(col[i] < col[i - 1])) return false;
  return true;
}

/** True when JSON gives `v` back exactly as structured clone would. */
function jsonValue(v: unknown, seen: Set<object>, depth: number): boolean {
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(v) && (v !== 0 || 1 / v > 0);
    case "object":
      return v === null || jsonObject(v, seen, depth + 1);
    default:
      return false;
  }
}

function jsonObject(v: object, seen: Set<object>, depth: number): boolean {
  const size = seen.size;
  if (depth > MAX_DEPTH || seen.add(v).size === size) return false; // reached twice
  if (Array.isArray(v)) {
    const n = v.length;
    for (let i = 0; i < n; i++) if (!jsonValue(v[i], seen, depth)) return false; // holes read undefined
    return Object.keys(v).length === n; // no named properties besides the items
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (k === "__proto__" || !jsonValue((v as Record<string, unknown>)[k], seen, depth)) return false;
  }
  return true;
}

/** The items of a packed batch, as an array like structured clone's. */
export function unpackBatch(p: PackedBatch): unknown[] {
  return unpackTo(p, new Array(p.n), 0);
}

/**
 * Unpacks `p` into `out` from `offset` (a map's result array, or a new array), and
 * returns `out`: a constant batch is one fill, numbers and strings one loop each.
 */
export function unpackInto(p: PackedBatch, out: unknown[], offset: number): unknown[] {
  return unpackTo(p, out, offset);
}

function unpackTo(p: PackedBatch, out: unknown[], o: number): unknown[] {
  const n = p.n;
  switch (p.u) {
    case T_SHAPED:
      return unpackShaped(p, out, o);
    case T_GROUPS:
      return unpackGroups(p, out, o);
    case T_UNDEFINED:
      return fill(out, o, n, undefined);
    case T_NULL:
      return fill(out, o, n, null);
    case T_FALSE:
      return fill(out, o, n, false);
    case T_TRUE:
      return fill(out, o, n, true);
    case T_NUMBER:
      if (p.tags === null) {
        const nums = new Float64Array(p.nums!);
        for (let i = 0; i < n; i++) out[o + i] = nums[i];
        return out;
      }
      break;
    case T_STRING:
      if (p.tags === null) {
        const lens = new Uint32Array(p.lens!), s = p.strs;
        for (let i = 0, pos = 0; i < n; i++) {
          const end = pos + lens[i];
          out[o + i] = s.slice(pos, end);
          pos = end;
        }
        return out;
      }
      break;
  }
  const tags = p.tags === null ? null : new Uint8Array(p.tags);
  const nums = p.nums === null ? null : new Float64Array(p.nums);
  const lens = p.lens === null ? null : new Uint32Array(p.lens);
  const objs = p.json !== null
    ? JSON.parse(p.json) as unknown[]
    : p.cols !== null
    ? unpackBatch(p.cols[0])
    : null;
  const s = p.strs;
  let ni = 0, si = 0, pos = 0, oi = 0;
  for (let i = 0; i < n; i++) {
    switch (tags === null ? p.u : tags[i]) {
      case T_UNDEFINED:
        out[o + i] = undefined;
        break;
      case T_NULL:
        out[o + i] = null;
        break;
      case T_FALSE:
        out[o + i] = false;
        break;
      case T_TRUE:
        out[o + i] = true;
        break;
      case T_NUMBER:
        out[o + i] = nums![ni++];
        break;
      case T_STRING: {
        const end = pos + lens![si++];
        out[o + i] = s.slice(pos, end);
        pos = end;
        break;
      }
      case T_BIGINT: {
        const end = pos + lens![si++];
        out[o + i] = BigInt(s.slice(pos, end));
        pos = end;
        break;
      }
      default:
        out[o + i] = objs![oi++];
    }
  }
  return out;
}

/** `v` at `n` places of `out` from `o` (a loop: `Array.prototype.fill` is several times slower on V8). */
function fill(out: unknown[], o: number, n: number, v: unknown): unknown[] {
  for (let i = 0; i < n; i++) out[o + i] = v;
  return out;
}

type TypedMaker = (out: unknown[], o: number, n: number, srcs: unknown[], strs: string[]) => void;

/** Typed makers, by shape and column kinds. */
const typedMakers = new Map<string, TypedMaker>();

/**
 * A maker of the objects (or arrays) of one shape into `out`, reading each column where
 * it is: a `Float64Array` of numbers, strings sliced from their joined text, or an
 * array of the unpacked column (no array per column of numbers or strings).
 */
function typedMaker(keys: string[] | null, kinds: number[]): TypedMaker {
  const width = kinds.length;
  const id = typedId(keys, kinds);
  const known = typedMakers.get(id);
  if (known !== undefined) return known;
  const lines: string[] = [];
  const parts: string[] = [];
  for (let j = 0; j < width; j++) {
    lines.push(`const c${j} = srcs[${j}];`);
    if (kinds[j] === C_STR) lines.push(`const s${j} = strs[${j}]; let p${j} = 0;`);
    const at = kinds[j] === C_STR ? `s${j}.slice(p${j}, p${j} = p${j} + c${j}[i])` : `c${j}[i]`;
    parts.push(`${keys === null ? "" : `${JSON.stringify(keys[j])}: `}${at}`);
  }
  // A literal builds an object (or array) far faster than adding its properties one by
  // one; its values are read left to right, so each slice's start is the last one's end.
  const body = keys === null ? `[${parts.join(", ")}]` : `{ ${parts.join(", ")} }`;
  lines.push("for (let i = 0; i < n; i++) out[o + i] = " + body + ";");
  return remember(
    typedMakers,
    id,
    new Function("out", "o", "n", "srcs", "strs", lines.join("\n")) as TypedMaker,
  );
}

function unpackShaped(p: PackedBatch, out: unknown[], o: number): unknown[] {
  const cols = p.cols!;
  const kinds: number[] = [];
  const srcs: unknown[] = [];
  const strs: string[] = [];
  for (let j = 0; j < cols.length; j++) {
    const c = cols[j];
    if (c.u === T_NUMBER && c.tags === null) {
      kinds.push(C_NUM);
      srcs.push(new Float64Array(c.nums!));
      strs.push("");
    } else if (c.u === T_STRING && c.tags === null) {
      kinds.push(C_STR);
      srcs.push(new Uint32Array(c.lens!));
      strs.push(c.strs);
    } else {
      kinds.push(C_ANY);
      srcs.push(unpackBatch(c));
      strs.push("");
    }
  }
  typedMaker(p.keys, kinds)(out, o, p.n, srcs, strs);
  return out;
}

function unpackGroups(p: PackedBatch, out: unknown[], o: number): unknown[] {
  const groups = p.cols!.map(unpackBatch);
  const next = new Array<number>(groups.length).fill(0);
  const tags = new Uint8Array(p.tags!);
  for (let i = 0; i < p.n; i++) {
    const g = tags[i];
    out[o + i] = groups[g][next[g]++];
  }
  return out;
}
