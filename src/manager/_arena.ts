/**
 * A manager's shared objects (locks, events, values...) live in the process tree's
 * arena, the growable buffer that every process of the tree holds (`arena.ts`). So an
 * object is described by numbers alone (where its words are), and its description can
 * travel anywhere, in channel bytes too: inside a dict proxy's value, say.
 *
 * The server makes an object with its class as usual, then relocates it: each typed
 * array of its shared handle (see `codec.ts`) is copied into the manager's arena chunks
 * and replaced by `{ [VIEW]: [type, byteOffset, length] }`, and the whole is kept as
 * JSON text. A receiver puts views over
 * the tree buffer back and revives the handle. Views that already are in the tree
 * buffer (a manager Lock given to a manager Condition) are kept where they are.
 *
 * The chunks are never given back to the arena; a queue's word is reused once the
 * queue is freed. Locks, Values and the like are not reference counted: an object may
 * be in use by some process until the program ends (a few bytes each, in chunks of
 * 4 KiB per manager).
 *
 * @module
 */
import { blockBytes, createBlock } from "../shared/_arena.ts";
import { decodeLoaded, encode, type Shareable } from "../internal/_codec.ts";
import { ProcessError } from "../internal/errors.ts";
import { tree } from "../process/_state.ts";

const VIEW = "\u0000mp-view";
const CHUNK = 4096;
const ALIGN = 8;

type ViewCtor = new (buffer: SharedArrayBuffer, byteOffset: number, length: number) => ArrayBufferView;

const CTORS: Record<string, ViewCtor> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as unknown as Record<string, ViewCtor>;

function treeBuffer(): SharedArrayBuffer {
  return tree().buffer as SharedArrayBuffer;
}

/** Hands out aligned bytes of the tree buffer, in chunks named after a manager. */
export class ArenaChunks {
  readonly #prefix: string;
  #chunks = 0;
  #at = 0;
  #end = 0;
  /** Freed offsets by rounded size. */
  readonly #free = new Map<number, number[]>();

  /** Allocator of the manager whose token is `token`. */
  constructor(token: number) {
    this.#prefix = `mp-manager-${token}-objects-`;
  }

  /** Returns the byte offset (in the tree buffer) of `size` fresh zeroed bytes. */
  alloc(size: number): number {
    const need = Math.ceil(Math.max(size, 1) / ALIGN) * ALIGN;
    const reused = this.#free.get(need)?.pop();
    if (reused !== undefined) {
      new Uint8Array(treeBuffer(), reused, need).fill(0);
      return reused;
    }
    if (this.#at + need > this.#end) {
      const ref = createBlock(`${this.#prefix}${++this.#chunks}`, Math.max(CHUNK, need));
      const bytes = blockBytes(ref);
      this.#at = bytes.byteOffset;
      this.#end = bytes.byteOffset + bytes.byteLength;
    }
    const at = this.#at;
    this.#at += need;
    return at;
  }

  /** Gives back `size` bytes at `offset` (from {@linkcode ArenaChunks.alloc}) for reuse. */
  free(offset: number, size: number): void {
    const need = Math.ceil(Math.max(size, 1) / ALIGN) * ALIGN;
    let list = this.#free.get(need);
    if (list === undefined) this.#free.set(need, list = []);
    list.push(offset);
  }

  /**
   * Describes `obj` (one of this package's shared objects) with its memory moved into
   * the arena. `obj` itself must not be used afterwards: the description is the object.
   */
  relocate(obj: Shareable): string {
    const moved = new Map<ArrayBufferLike, number>();
    const tb = treeBuffer();
    const walk = (v: unknown): unknown => {
      if (typeof v !== "object" || v === null) return v;
      if (ArrayBuffer.isView(v)) {
        const buf = v.buffer;
        if (!(buf instanceof SharedArrayBuffer)) return v;
        let base = buf === tb ? 0 : moved.get(buf);
        if (base === undefined) {
          base = this.alloc(buf.byteLength);
          new Uint8Array(tb, base, buf.byteLength).set(new Uint8Array(buf));
          moved.set(buf, base);
        }
        const length = (v as unknown as { length?: number }).length ?? v.byteLength;
        return { [VIEW]: [v.constructor.name, base + v.byteOffset, length] };
      }
      if (v instanceof SharedArrayBuffer) {
        throw new ProcessError(
          "Internal error: a manager object's memory must be typed arrays, not a raw buffer",
        );
      }
      if (Array.isArray(v)) return v.map(walk);
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    };
    // A string, so that the codec sees no shared handle inside a proxy's description.
    return JSON.stringify(walk(encode(obj)));
  }
}

/** Rebuilds the object a {@linkcode ArenaChunks.relocate} description stands for. */
export function revive(description: string): unknown {
  const tb = treeBuffer();
  const walk = (v: unknown): unknown => {
    if (typeof v !== "object" || v === null) return v;
    if (Array.isArray(v)) return v.map(walk);
    const view = (v as Record<string, unknown>)[VIEW] as [string, number, number] | undefined;
    if (view !== undefined) return new CTORS[view[0]](tb, view[1], view[2]);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = walk(x);
    return out;
  };
  return decodeLoaded(walk(JSON.parse(description)));
}

/** The Int32 word at byte `offset` of the tree buffer. */
export function wordAt(offset: number): Int32Array<SharedArrayBuffer> {
  return new Int32Array(treeBuffer(), offset, 1);
}
