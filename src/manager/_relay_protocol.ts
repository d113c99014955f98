/**
 * What a remote manager's blocking calls and their relay thread both speak, and how both
 * connect to the server (neutral: `_remote.ts` and `_remote_relay.ts` import it, never
 * each other).
 *
 * A `*Sync` method of a remote proxy cannot wait for its reply on its own thread: the
 * reply would come through a socket that this thread's event loop feeds, and the thread
 * is blocked. So a relay thread (a helper Worker with its own connection to the server,
 * which joins the program's session as its relay: `hello(token, "relay")`) receives the
 * reply, and the caller blocks with `Atomics.wait` until it is there. The caller sends
 * its request on the program's own connection, with sequence number -1, which the
 * server answers on the session's relay connection; before that connection is up (a
 * proxy that has just arrived in a child), it hands the request to the relay instead,
 * which sends it on its own connection.
 *
 * Messages go through a shared buffer of `RELAY_CHUNK` bytes, a chunk at a time. Each
 * chunk sets `R_LEN` (its bytes), `R_MORE` (1 if more chunks follow), `R_TOTAL` (the
 * whole message's length) and `R_KIND`, then adds 1 to its side's counter and notifies:
 * `R_REQ` for the caller's request chunks, `R_REP` for the relay's reply chunks. The
 * relay answers each request chunk but the last with an empty `R_REP` hand-over (send
 * the next); the caller answers each reply chunk but the last by adding 1 to `R_ACK`.
 *
 * @module
 */
import { Client } from "../net/client.ts";
import { heartbeat, keepAlive, type SocketConnection } from "../net/socket_connection.ts";
import type { Address } from "../net/address.ts";
import type { Authkey } from "../net/auth.ts";
import { KEEPALIVE_MS, PING_TO_CLIENT, PING_TO_SERVER } from "./_protocol.ts";

/** Where a remote manager's server is and how to talk to it (a proxy's handle holds it). */
export interface RemoteSettings {
  address: Address;
  authkey?: Authkey;
  maxMessageSize?: number;
  /** How long (ms) the connection may go without sending before it pings (default `KEEPALIVE_MS`). */
  keepAlive?: number;
}

/**
 * Connects to the server of `remote` as a client: with its authkey, and pinging the
 * server after `keepAlive` ms without sending (the server's pings are dropped), so that
 * a server whose machine or network vanished fails the connection in time and calls
 * reject instead of waiting for a reply forever.
 */
export async function connectToServer(remote: RemoteSettings): Promise<SocketConnection> {
  const { address, authkey, maxMessageSize } = remote;
  const ms = remote.keepAlive ?? KEEPALIVE_MS;
  const c = await Client(address, { authkey, maxMessageSize });
  keepAlive(c, ms);
  heartbeat(c, ms, PING_TO_SERVER, PING_TO_CLIENT);
  return c;
}

/** Control word: request chunks the caller handed over. */
export const R_REQ = 0;
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
/** Control word: reply chunks (and request acknowledgements) the relay handed over. */
export const R_REP = 6;
/** Control word: reply chunks the caller took, asking for the next. */
export const R_ACK = 7;
/** Control words in all. */
export const RELAY_WORDS = 8;

/** The sequence number of a blocking call's request: its reply comes on the relay's connection. */
export const RELAY_SEQ = -1;

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
export interface RelayConfig extends RemoteSettings {
  ctl: Int32Array<SharedArrayBuffer>;
  data: Uint8Array<SharedArrayBuffer>;
  /** The program's session token: the relay's connection joins its session. */
  session: string;
}

/**
 * Puts the chunk of `bytes` starting at `offset` in the buffer and hands it over (adds 1
 * to `counter`, `R_REQ` or `R_REP`); returns the offset of the next chunk.
 */
export function handOver(
  ctl: Int32Array<SharedArrayBuffer>,
  data: Uint8Array<SharedArrayBuffer>,
  counter: number,
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
  bump(ctl, counter);
  return offset + n;
}

/** Adds 1 to control word `i` and wakes its waiter. */
export function bump(ctl: Int32Array<SharedArrayBuffer>, i: number): void {
  Atomics.add(ctl, i, 1);
  Atomics.notify(ctl, i);
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
