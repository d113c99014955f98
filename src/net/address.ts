/**
 * Addresses of `mp.connection`: `[host, port]` for TCP, a path for a Unix socket;
 * and the options that Listener and Client share.
 *
 * @module
 */
import { AuthenticationError, ProcessError } from "../internal/errors.ts";
import { checkTimeout } from "../internal/_timeouts.ts";
import { type Authkey, authkeyBytes, HANDSHAKE_MAX } from "./auth.ts";
import { destroyConnection, frameReader, type SocketConnection } from "./socket_connection.ts";
import { DEFAULT_MAX_MESSAGE_SIZE } from "./wire.ts";

/** A TCP address `[host, port]` (Python's `(host, port)`) or a Unix socket path. */
export type Address = readonly [host: string, port: number] | string;

/** Options that {@linkcode Listener} and {@linkcode Client} share. */
export interface NetOptions {
  /**
   * The shared secret (bytes, or a string taken as UTF-8). With it, both ends prove
   * they know it (HMAC challenge in both directions) before any message passes; a
   * wrong key fails with `AuthenticationError` on both sides.
   */
  authkey?: Authkey;
  /**
   * Incoming messages announcing more bytes than this are refused before anything is
   * allocated, and the connection is dropped. Default 128 MiB.
   */
  maxMessageSize?: number;
  /**
   * Milliseconds a peer has to finish the authentication handshake (for `Client`, the
   * connect too) before it is dropped. Default 5000.
   */
  handshakeTimeout?: number;
}

/** The settings derived from {@linkcode NetOptions}. */
export interface NetSettings {
  authkey: Uint8Array | null;
  maxMessageSize: number;
  handshakeTimeout: number;
}

/** Checks `options`, naming the one at fault. */
export function netSettings(options: NetOptions, where: string): NetSettings {
  const max = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  if (!Number.isSafeInteger(max) || max < 0) {
    throw new RangeError(`${where}: maxMessageSize must be a non-negative integer of bytes, got ${max}`);
  }
  const timeout = checkTimeout(options.handshakeTimeout, `${where} handshakeTimeout`) ?? 5000;
  return { authkey: authkeyBytes(options.authkey, where), maxMessageSize: max, handshakeTimeout: timeout };
}

/** Checks an address, naming it in the error. */
export function checkAddress(address: unknown, where: string): Address {
  if (typeof address === "string") {
    if (address.length === 0) throw new TypeError(`${where}: the Unix socket path is empty`);
    return address;
  }
  if (
    Array.isArray(address) && address.length === 2 && typeof address[0] === "string" &&
    Number.isInteger(address[1]) && address[1] >= 0 && address[1] <= 65535
  ) {
    return [address[0], address[1]];
  }
  throw new TypeError(
    `${where}: address must be [host, port] (a string and an integer 0..65535) or a Unix socket path, ` +
      `got ${show(address)}`,
  );
}

function show(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** `host:port` or the path. */
export function formatAddress(address: Address): string {
  if (typeof address === "string") return address;
  return address[0].includes(":") ? `[${address[0]}]:${address[1]}` : `${address[0]}:${address[1]}`;
}

/** Whether `host` names this machine's loopback interface only. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "::1" || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * Runs a handshake with a time bound: on failure or timeout the connection is dropped
 * and an {@linkcode AuthenticationError} (carrying the cause) is thrown.
 */
export async function handshake(
  conn: SocketConnection<unknown>,
  settings: NetSettings,
  steps: () => Promise<void>,
  who: string,
): Promise<void> {
  // The peer's first three messages are handshake messages: small, whatever it claims.
  frameReader(conn).limitNext(3, HANDSHAKE_MAX);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new AuthenticationError(
        `Authentication failed: ${who} did not finish the handshake within ${settings.handshakeTimeout} ms, ` +
          "so the connection was dropped: raise handshakeTimeout if the peer is slow",
      );
      destroyConnection(conn, e);
      reject(e);
    }, settings.handshakeTimeout);
  });
  try {
    await Promise.race([steps(), expired]);
  } catch (e) {
    destroyConnection(conn, e as Error);
    if (e instanceof AuthenticationError) throw e;
    throw new AuthenticationError(
      `The authentication handshake with ${who} failed: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Error for a listening address beyond loopback without an authkey. */
export function needsAuthkey(address: Address): ProcessError {
  return new ProcessError(
    `Listener: listening on ${formatAddress(address)}, beyond loopback, needs an authkey: anyone who can ` +
      "reach the port could otherwise send messages, so pass { authkey } (the same on both ends), or " +
      "listen on 127.0.0.1 or a Unix socket path",
  );
}
