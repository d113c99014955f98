/**
 * What a remote manager's blocking calls and their relay thread both speak (neutral:
 * `_remote.ts` and `_remote_relay.ts` import it, never each other).
 *
 * A `*Sync` method of a remote proxy cannot wait for its reply on its own thread: the
 * reply comes through a socket that this thread's event loop feeds, and the thread is
 * blocked. So a relay thread (a helper Worker with its own connection to the server,
 * in the same session as the program's connection) sends the request and receives the
 * reply, and the caller blocks with `Atomics.wait` until it is there.
 *
 * The two hand messages over in a shared buffer of `RELAY_CHUNK` bytes, a chunk at a
 * time, taking turns: while `R_TURN` is even the caller owns the buffer, while it is odd
 * the relay does. Each hand-over sets `R_LEN` (the bytes in the buffer), `R_MORE` (1 if
 * more chunks follow), `R_TOTAL` (the whole message's length) and `R_KIND`, then adds 1
 * to `R_TURN` and notifies. A call is: the request's chunks (the relay answers each
 * chunk but the last with an empty hand-over back), then the reply's chunks (the caller
 * answers each but the last the same way).
 *
 * @module
 */

/** Control word: whose turn it is (even: the caller's, odd: the relay's). */
export const R_TURN = 0;
/** Control word: `RELAY_STARTING`, `RELAY_READY` or `RELAY_FAILED`. */
export const R_STATE = 1;
/** Control word: the bytes of this hand-over. */
export const R_LEN = 2;
/** Control word: 1 if more chunks of the message follow. */
export const R_MORE = 3;
/** Control word: the whole message's length. */
export const R_TOTAL = 4;
/** Control word: `KIND_MESSAGE`, or `KIND_FAILURE` (the chunks are a UTF-8 reason). */
export const R_KIND = 5;
/** Control words in all. */
export const RELAY_WORDS = 8;

/** The relay is connecting. */
export const RELAY_STARTING = 0;
/** The relay is connected and waits for calls. */
export const RELAY_READY = 1;
/** The relay could not connect, or its connection failed: the buffer holds why. */
export const RELAY_FAILED = 2;

/** The chunks are an encoded message. */
export const KIND_MESSAGE = 0;
/** The chunks are why the connection failed (UTF-8). */
export const KIND_FAILURE = 1;

/** The shared buffer's size. */
export const RELAY_CHUNK = 256 * 1024;

/** The relay's settings (the init message's `extra`). */
export interface RelayConfig {
  ctl: Int32Array<SharedArrayBuffer>;
  data: Uint8Array<SharedArrayBuffer>;
  address: unknown;
  authkey?: unknown;
  maxMessageSize?: number;
  keepAlive: number;
  /** The program's session token: the relay's connection joins its session. */
  session: string;
}

/**
 * Puts the chunk of `bytes` starting at `offset` in the buffer and hands it over (turn
 * + 1); returns the offset of the next chunk.
 */
export function handOver(
  ctl: Int32Array<SharedArrayBuffer>,
  data: Uint8Array<SharedArrayBuffer>,
  bytes: Uint8Array,
  offset: number,
  kind: number = KIND_MESSAGE,
): number {
  const n = Math.min(RELAY_CHUNK, bytes.length - offset);
  data.set(bytes.subarray(offset, offset + n));
  Atomics.store(ctl, R_LEN, n);
  Atomics.store(ctl, R_TOTAL, bytes.length);
  Atomics.store(ctl, R_MORE, offset + n < bytes.length ? 1 : 0);
  Atomics.store(ctl, R_KIND, kind);
  Atomics.add(ctl, R_TURN, 1);
  Atomics.notify(ctl, R_TURN);
  return offset + n;
}

/** Hands the turn back without data (asks for the next chunk). */
export function askNext(ctl: Int32Array<SharedArrayBuffer>): void {
  Atomics.store(ctl, R_LEN, 0);
  Atomics.add(ctl, R_TURN, 1);
  Atomics.notify(ctl, R_TURN);
}

/** A message being taken a chunk at a time. */
export class Assembly {
  #bytes: Uint8Array | null = null;
  #at = 0;
  kind = KIND_MESSAGE;

  /** Takes the chunk in the buffer; returns the whole message after its last chunk, else `null`. */
  take(ctl: Int32Array<SharedArrayBuffer>, data: Uint8Array<SharedArrayBuffer>): Uint8Array | null {
    const n = Atomics.load(ctl, R_LEN);
    if (this.#bytes === null) {
      this.#bytes = new Uint8Array(Atomics.load(ctl, R_TOTAL));
      this.#at = 0;
      this.kind = Atomics.load(ctl, R_KIND);
    }
    this.#bytes.set(data.subarray(0, n), this.#at);
    this.#at += n;
    if (Atomics.load(ctl, R_MORE) === 1) return null;
    const whole = this.#bytes;
    this.#bytes = null;
    return whole;
  }
}
