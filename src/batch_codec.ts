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
 * - the plain objects and arrays as one JSON text, only when JSON gives back exactly
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
}

/** True for a {@linkcode PackedBatch} (a plain object, where an unpacked batch is an array). */
export function isPackedBatch(v: unknown): v is PackedBatch {
  return typeof v === "object" && v !== null && !Array.isArray(v) && typeof (v as PackedBatch).u === "number" &&
    typeof (v as PackedBatch).strs === "string";
}

/**
 * The items packed, or `null` when there are fewer than {@linkcode MIN_PACKED} or one
 * of them cannot be packed exactly (it then all travels by structured clone).
 */
export function packBatch(items: ArrayLike<unknown>): PackedBatch | null {
  const n = items.length;
  if (n < MIN_PACKED) return null;
  const tags = new Uint8Array(n);
  const nums: number[] = [];
  const strs: string[] = [];
  const lens: number[] = [];
  const objs: unknown[] = [];
  let seen: Set<object> | null = null;
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
        nums.push(v);
        break;
      case "string":
        tags[i] = T_STRING;
        strs.push(v);
        lens.push(v.length);
        break;
      case "bigint": {
        const s = v.toString();
        tags[i] = T_BIGINT;
        strs.push(s);
        lens.push(s.length);
        break;
      }
      case "object":
        if (v === null) {
          tags[i] = T_NULL;
          break;
        }
        seen ??= new Set();
        if (!jsonObject(v, seen, 0)) return null;
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
  return {
    n,
    u,
    tags: u === -1 ? tags.buffer : null,
    nums: nums.length > 0 ? new Float64Array(nums).buffer : null,
    strs: strs.length > 0 ? strs.join("") : "",
    lens: lens.length > 0 ? new Uint32Array(lens).buffer : null,
    json: objs.length > 0 ? JSON.stringify(objs) : null,
  };
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
  if (depth > MAX_DEPTH || seen.has(v)) return false;
  seen.add(v);
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
  const n = p.n;
  const out = new Array(n);
  switch (p.u) {
    case T_UNDEFINED:
      return out.fill(undefined);
    case T_NULL:
      return out.fill(null);
    case T_FALSE:
      return out.fill(false);
    case T_TRUE:
      return out.fill(true);
  }
  const tags = p.tags === null ? null : new Uint8Array(p.tags);
  const nums = p.nums === null ? null : new Float64Array(p.nums);
  const lens = p.lens === null ? null : new Uint32Array(p.lens);
  const objs = p.json === null ? null : JSON.parse(p.json) as unknown[];
  const s = p.strs;
  let ni = 0, si = 0, pos = 0, oi = 0;
  for (let i = 0; i < n; i++) {
    switch (tags === null ? p.u : tags[i]) {
      case T_UNDEFINED:
        out[i] = undefined;
        break;
      case T_NULL:
        out[i] = null;
        break;
      case T_FALSE:
        out[i] = false;
        break;
      case T_TRUE:
        out[i] = true;
        break;
      case T_NUMBER:
        out[i] = nums![ni++];
        break;
      case T_STRING: {
        const end = pos + lens![si++];
        out[i] = s.slice(pos, end);
        pos = end;
        break;
      }
      case T_BIGINT: {
        const end = pos + lens![si++];
        out[i] = BigInt(s.slice(pos, end));
        pos = end;
        break;
      }
      default:
        out[i] = objs![oi++];
    }
  }
  return out;
}
