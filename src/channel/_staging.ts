/**
 * Private: one reusable staging buffer for the bytes of a pending async send.
 *
 * An async `sendBytes` copies the caller's bytes at the call (the caller may change
 * its buffer at once, as after Python's `send_bytes`), then writes them into the ring
 * as the reader drains it. A fresh buffer for a large message costs far more than the
 * copy itself (16 MiB: 2–10 ms of page faults and zeroing on Deno, 0.5 ms to copy into
 * a buffer already touched), so large messages are staged in one buffer kept for the
 * next send, and let go after {@linkcode IDLE_MS} without a large send.
 *
 * @module
 */
import { unrefTimer } from "../internal/runtime.ts";

/** Messages below this size are copied into a fresh buffer of their own. */
const MIN_STAGED = 1 << 16;
/** The kept buffer grows up to this size; larger messages get a fresh buffer. */
const MAX_KEPT = 64 << 20;
/** The kept buffer goes after this long without a large send. */
const IDLE_MS = 2_000;

let kept: ArrayBuffer | null = null;
let idle: ReturnType<typeof setTimeout> | undefined;

/** A copy of some bytes, to hand back with `release()` once they are written. */
export interface Staged {
  /** The copy. */
  bytes: Uint8Array;
  /** Gives the copy's buffer back for the next send (call once, when done with it). */
  release(): void;
}

const NOTHING = (): void => {};

/** Copies `src`, into the kept buffer when it is large and the buffer is free. */
export function stage(src: Uint8Array): Staged {
  const n = src.length;
  if (n < MIN_STAGED || n > MAX_KEPT) return { bytes: src.slice(), release: NOTHING };
  let buf = kept;
  kept = null; // in use: a send meanwhile gets a buffer of its own
  if (buf === null || buf.byteLength < n) buf = new ArrayBuffer(n);
  const bytes = new Uint8Array(buf, 0, n);
  bytes.set(src);
  const release = () => {
    if (kept === null || kept.byteLength < buf.byteLength) kept = buf;
    if (idle !== undefined) clearTimeout(idle);
    idle = setTimeout(() => {
      kept = null;
      idle = undefined;
    }, IDLE_MS);
    unrefTimer(idle);
  };
  return { bytes, release };
}
