/**
 * Python's `multiprocessing.connection` framing: each message is a 4-byte big-endian
 * signed length and the bytes; a message longer than 0x7fffffff bytes has the length
 * `-1` followed by an 8-byte big-endian length. Incoming frames are checked against a
 * size limit before anything is allocated for them.
 *
 * @module
 */
import { ProcessError } from "../internal/errors.ts";

/** Longest message with a 4-byte length. */
const SHORT_MAX = 0x7fffffff;

/** The default `maxMessageSize`: 128 MiB (a 64 MiB message passes with room to spare). */
export const DEFAULT_MAX_MESSAGE_SIZE = 128 * 1024 * 1024;

/** A frame: the header and `size` bytes of `bytes` from `offset`, in one new buffer. */
export function frame(bytes: Uint8Array, offset = 0, size = bytes.length - offset): Uint8Array {
  const head = size > SHORT_MAX ? 12 : 4;
  const out = new Uint8Array(head + size);
  const view = new DataView(out.buffer);
  if (head === 4) view.setInt32(0, size);
  else {
    view.setInt32(0, -1);
    view.setBigUint64(4, BigInt(size));
  }
  out.set(bytes.subarray(offset, offset + size), head);
  return out;
}

/**
 * Frames in place a body encoded after 4 free bytes (`encodeMessage(value, 4)`): the
 * length goes into those bytes, so header and body leave as one buffer, uncopied. A
 * body too long for a 4-byte length is copied behind the long header instead.
 */
export function frameInPlace(buf: Uint8Array): Uint8Array {
  const size = buf.length - 4;
  if (size > SHORT_MAX) return frame(buf, 4, size);
  new DataView(buf.buffer, buf.byteOffset, 4).setInt32(0, size);
  return buf;
}

/** A frame whose announced length is above the limit: the connection must be dropped. */
export class FrameTooLarge extends ProcessError {}

/**
 * Cuts a byte stream into frames. The first `strict` frames have their own (small)
 * limit: the handshake's, so that a peer that has not authenticated cannot make us
 * allocate more than that.
 */
export class FrameReader {
  readonly #head = new Uint8Array(12);
  readonly #headView = new DataView(this.#head.buffer);
  #headFill = 0;
  #headNeed = 4;
  #body: Uint8Array | null = null;
  #bodyFill = 0;
  #max: number;
  #strict = 0;
  #strictMax = 0;

  constructor(max: number) {
    this.#max = max;
  }

  /** The next `count` frames may be at most `max` bytes long. */
  limitNext(count: number, max: number): void {
    this.#strict = count;
    this.#strictMax = max;
  }

  /** True when part of a frame has arrived and the rest has not. */
  get midFrame(): boolean {
    return this.#headFill > 0 || this.#body !== null;
  }

  /** Feeds `chunk`, calling `emit` for each completed frame. Throws {@linkcode FrameTooLarge}. */
  push(chunk: Uint8Array, emit: (frame: Uint8Array) => void): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.#body === null) {
        const take = Math.min(this.#headNeed - this.#headFill, chunk.length - off);
        this.#head.set(chunk.subarray(off, off + take), this.#headFill);
        this.#headFill += take;
        off += take;
        if (this.#headFill < this.#headNeed) return;
        const size = this.#size();
        if (size < 0) continue; // -1: the 8-byte length follows
        this.#headFill = 0;
        this.#headNeed = 4;
        if (size === 0) {
          emit(new Uint8Array(0));
          continue;
        }
        this.#body = new Uint8Array(size);
        this.#bodyFill = 0;
      }
      const body = this.#body;
      const take = Math.min(body.length - this.#bodyFill, chunk.length - off);
      body.set(chunk.subarray(off, off + take), this.#bodyFill);
      this.#bodyFill += take;
      off += take;
      if (this.#bodyFill === body.length) {
        this.#body = null;
        emit(body);
      }
    }
  }

  /** The length in the completed header, checked; -1 when the long form's length follows. */
  #size(): number {
    let size: number;
    if (this.#headNeed === 4) {
      size = this.#headView.getInt32(0);
      if (size === -1) {
        this.#headNeed = 12;
        return -1;
      }
      // message: python
      if (size < -1) throw new FrameTooLarge(`bad message length: the peer announced ${size} bytes`);
    } else {
      const big = this.#headView.getBigUint64(4);
      size = big > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(big);
    }
    const strict = this.#strict > 0;
    const max = strict ? this.#strictMax : this.#max;
    if (strict) this.#strict--;
    if (size > max) {
      // message: python
      throw new FrameTooLarge(
        `bad message length: the peer announced a message of ${size} bytes, more than the ` +
          (strict
            ? `${max} bytes a handshake message may have`
            : `maxMessageSize of ${max} bytes; raise maxMessageSize (on Listener or Client) if such ` +
              "messages are expected"),
      );
    }
    return size;
  }
}
