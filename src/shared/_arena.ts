/**
 * The tree-wide shared memory arena behind `SharedMemory`: named blocks inside the
 * growable buffer of the process tree's table (`tree.ts`), which every process of the
 * tree holds from its start. So a block created by any process can be attached by name
 * from any other, like a POSIX shared memory segment.
 *
 * Layout, from `ARENA_OFFSET`: a 64-byte header (the arena's robust mutex, the serial
 * number of the last block, the end of the last block), then blocks one after the
 * other, each a 256-byte header (total size, data size, state, open handles, serial
 * number, name) and its data. A block is freed once it is unlinked and every handle is
 * closed; free neighbours merge, and later blocks reuse the space.
 *
 * @module
 */
import { mutexSync, unlockMutex } from "../sync/_mutex.ts";
import { ProcessError } from "../internal/errors.ts";
import { tree } from "../process/_state.ts";
import { ARENA_OFFSET } from "../process/_tree.ts";

const HEADER = 64;
const BLOCK_HEADER = 256;
const NAME_AT = 32;
/** Longest name, in UTF-8 bytes. */
export const MAX_NAME_BYTES: number = BLOCK_HEADER - NAME_AT;
const ALIGN = 64;
const GROW_STEP = 64 * 1024;

// Header: Int32 [0, 1] the mutex, Float64 [2] the end of the last block (0: none yet),
// Int32 [6] the serial number of the last block.
const TOP = 2;
const SERIAL = 6;

// Block fields: Float64 [0] total size, [1] data size; Int32 [4] state, [5] open handles,
// [6] serial number, [7] name length.
const FREE = 0;
const NAMED = 1;
const UNLINKED = 2;

/** Where a block is, as a handle carries it. */
export interface BlockRef {
  /** Byte offset of the block's header from the arena's start. */
  offset: number;
  /** Serial number, telling a block from a later one at the same offset. */
  id: number;
  /** Size of the data in bytes. */
  size: number;
  name: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function buffer(): SharedArrayBuffer {
  return tree().buffer as SharedArrayBuffer;
}

interface Views {
  i32: Int32Array<SharedArrayBuffer>;
  f64: Float64Array<SharedArrayBuffer>;
  u8: Uint8Array<SharedArrayBuffer>;
}

/** Views over the arena as it is now (they are rebuilt after it grows). */
function views(): Views {
  const sab = buffer();
  ensureLength(sab, ARENA_OFFSET + HEADER);
  const bytes = sab.byteLength - ARENA_OFFSET;
  return {
    i32: new Int32Array(sab, ARENA_OFFSET, bytes >> 2),
    f64: new Float64Array(sab, ARENA_OFFSET, bytes >> 3),
    u8: new Uint8Array(sab, ARENA_OFFSET, bytes),
  };
}

function ensureLength(sab: SharedArrayBuffer, length: number): void {
  if (sab.byteLength >= length) return;
  if (!sab.growable || length > sab.maxByteLength) {
    const max = sab.growable ? sab.maxByteLength : sab.byteLength;
    throw Object.assign(
      new RangeError(
        `Cannot allocate shared memory: ${length - ARENA_OFFSET} bytes would exceed the ${
          max - ARENA_OFFSET
        } bytes this runtime lets the process tree reserve: free (close and unlink) segments you no longer need, or use smaller ones`,
      ),
      { code: "ENOMEM" },
    );
  }
  const target = Math.min(sab.maxByteLength, Math.ceil(length / GROW_STEP) * GROW_STEP);
  try {
    sab.grow(target);
  } catch (e) {
    if (sab.byteLength < length) throw e; // not a concurrent growth: a real failure
  }
}

/** Runs `fn` holding the arena's mutex. */
function locked<R>(fn: (v: Views) => R): R {
  const v = views();
  mutexSync(v.i32, 0);
  try {
    return fn(v);
  } finally {
    unlockMutex(v.i32, 0);
  }
}

function notFound(name: string): ProcessError {
  return Object.assign(
    new ProcessError(
      `No shared memory block named ${JSON.stringify(name)}: it was never created in this process tree, ` +
        "or it was unlinked: create it with new SharedMemory({ name, create: true, size })",
    ),
    { code: "ENOENT" },
  );
}

/** Checks a block name: a non-empty string of at most `MAX_NAME_BYTES` UTF-8 bytes. */
export function nameBytes(name: unknown, where: string): Uint8Array {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError(
      `${where}: name must be a non-empty string, got ${JSON.stringify(name) ?? typeof name}`,
    );
  }
  const bytes = encoder.encode(name);
  if (bytes.length > MAX_NAME_BYTES) {
    throw new RangeError(`${where}: name is ${bytes.length} bytes long, the limit is ${MAX_NAME_BYTES}`);
  }
  return bytes;
}

function nameIs(v: Views, at: number, bytes: Uint8Array): boolean {
  if (v.i32[(at >> 2) + 7] !== bytes.length) return false;
  const base = at + NAME_AT;
  for (let k = 0; k < bytes.length; k++) if (v.u8[base + k] !== bytes[k]) return false;
  return true;
}

function nameOf(v: Views, at: number): string {
  const n = v.i32[(at >> 2) + 7];
  return decoder.decode(v.u8.slice(at + NAME_AT, at + NAME_AT + n));
}

function topOf(v: Views): number {
  return v.f64[TOP] || HEADER;
}

/** Visits the blocks in order; stops when `visit` returns true. Merges free neighbours. */
function walk(v: Views, visit: (at: number) => boolean | void): void {
  const top = topOf(v);
  let at = HEADER;
  while (at < top) {
    if (v.i32[(at >> 2) + 4] === FREE) {
      let next = at + v.f64[at >> 3];
      while (next < top && v.i32[(next >> 2) + 4] === FREE) next += v.f64[next >> 3];
      v.f64[at >> 3] = next - at;
      if (next === top) {
        v.f64[TOP] = at; // trailing free space goes back to the top
        return;
      }
    }
    if (visit(at)) return;
    at += v.f64[at >> 3];
  }
}

function findNamed(v: Views, bytes: Uint8Array): number {
  let found = -1;
  walk(v, (at) => {
    if (v.i32[(at >> 2) + 4] === NAMED && nameIs(v, at, bytes)) {
      found = at;
      return true;
    }
  });
  return found;
}

function refOf(v: Views, at: number): BlockRef {
  return { offset: at, id: v.i32[(at >> 2) + 6], size: v.f64[(at >> 3) + 1], name: nameOf(v, at) };
}

/** Creates a block of `size` zeroed bytes named `name`; `EEXIST` if the name is taken. */
export function createBlock(name: string, size: number): BlockRef {
  const bytes = nameBytes(name, "SharedMemory()");
  const need = BLOCK_HEADER + Math.ceil(size / ALIGN) * ALIGN;
  return locked((v) => {
    if (findNamed(v, bytes) >= 0) {
      throw Object.assign(
        new ProcessError(
          `A shared memory block named ${JSON.stringify(name)} already exists: attach to it with ` +
            "new SharedMemory({ name }), or pick another name (or none, for a fresh unique one)",
        ),
        { code: "EEXIST" },
      );
    }
    let at = -1;
    walk(v, (b) => {
      if (v.i32[(b >> 2) + 4] === FREE && v.f64[b >> 3] >= need) {
        at = b;
        return true;
      }
    });
    if (at >= 0) {
      const total = v.f64[at >> 3];
      if (total - need >= BLOCK_HEADER + ALIGN) {
        v.f64[(at + need) >> 3] = total - need;
        v.i32[((at + need) >> 2) + 4] = FREE;
        v.f64[at >> 3] = need;
      }
    } else {
      at = topOf(v); // the space above the top may hold a freed block's bytes
      ensureLength(buffer(), ARENA_OFFSET + at + need);
      v = views();
      v.f64[at >> 3] = need;
      v.f64[TOP] = at + need;
    }
    v.u8.fill(0, at + BLOCK_HEADER, at + v.f64[at >> 3]);
    const w = at >> 2;
    v.f64[(at >> 3) + 1] = size;
    v.i32[w + 4] = NAMED;
    v.i32[w + 5] = 1;
    v.i32[w + 6] = v.i32[SERIAL] = (v.i32[SERIAL] + 1) | 0;
    v.i32[w + 7] = bytes.length;
    v.u8.set(bytes, at + NAME_AT);
    return refOf(v, at);
  });
}

/** Opens the block named `name`; `ENOENT` if there is none. */
export function attachBlock(name: string): BlockRef {
  const bytes = nameBytes(name, "SharedMemory()");
  return locked((v) => {
    const at = findNamed(v, bytes);
    if (at < 0) throw notFound(name);
    v.i32[(at >> 2) + 5]++;
    return refOf(v, at);
  });
}

/** Opens the block a handle points to (it travelled to this process). */
export function reopenBlock(ref: BlockRef): void {
  locked((v) => {
    const w = ref.offset >> 2;
    if (v.i32[w + 6] !== ref.id || v.i32[w + 4] === FREE) {
      throw new ProcessError(
        `The shared memory block ${JSON.stringify(ref.name)} was freed before this process could open it: ` +
          "keep it open in the sending process until the receiver has started",
      );
    }
    v.i32[w + 5]++;
  });
}

/** Closes one handle of a block; frees it when it was unlinked and this was the last. */
export function closeBlock(ref: BlockRef): void {
  locked((v) => {
    const w = ref.offset >> 2;
    if (v.i32[w + 6] !== ref.id || v.i32[w + 4] === FREE) return;
    if (--v.i32[w + 5] <= 0 && v.i32[w + 4] === UNLINKED) v.i32[w + 4] = FREE;
  });
}

/** Removes a block's name; frees it now if no handle is open. `ENOENT` if already unlinked. */
export function unlinkBlock(ref: BlockRef): void {
  locked((v) => {
    const w = ref.offset >> 2;
    if (v.i32[w + 6] !== ref.id || v.i32[w + 4] !== NAMED) throw notFound(ref.name);
    v.i32[w + 4] = v.i32[w + 5] > 0 ? UNLINKED : FREE;
  });
}

/** Bytes in use by the arena (blocks and their headers, free ones included): what the unit tests watch growth and reuse by. */
export function arenaTop(): number {
  return locked((v) => topOf(v) - HEADER);
}

/** The bytes of a block, as a view. */
export function blockBytes(ref: BlockRef): Uint8Array<SharedArrayBuffer> {
  return new Uint8Array(buffer(), ARENA_OFFSET + ref.offset + BLOCK_HEADER, ref.size);
}
