/**
 * `Client`: Python's `multiprocessing.connection.Client` over TCP or a Unix socket.
 *
 * @module
 */
import { AuthenticationError, ProcessError } from "../internal/errors.ts";
import { connectSocket as connectRaw, type NetSocket } from "../internal/runtime.ts";
import { clientHandshake } from "./auth.ts";
import {
  type Address,
  checkAddress,
  formatAddress,
  handshake,
  type NetOptions,
  netSettings,
} from "./address.ts";
import { connectSocket, type SocketConnection } from "./socket_connection.ts";

/** Options of {@linkcode Client}. */
export type ClientOptions = NetOptions;

/**
 * Connects to a {@linkcode Listener} (of this package or of Python's
 * `multiprocessing.connection`) at `address`, `[host, port]` or a Unix socket path,
 * and returns the connection, after the handshake when there is an `authkey`. Rejects
 * with `AuthenticationError` if the keys differ (or the handshake does not finish
 * within `handshakeTimeout`), with a `ProcessError` (`code` e.g. `"ECONNREFUSED"`) if
 * nothing listens there.
 *
 * @param address Where the listener is: `[host, port]` (port an integer 0..65535) or a
 * Unix socket path.
 * @param options `authkey` (a `Uint8Array`, or a string taken as UTF-8; default none),
 * `maxMessageSize` in bytes (default 128 MiB) and `handshakeTimeout` in milliseconds
 * for the connect and the handshake together (default 5000), see {@linkcode NetOptions}.
 * @returns A promise that resolves to the connection, authenticated when there is an
 * `authkey`.
 * @throws {AuthenticationError} If the keys differ, the handshake does not finish, or
 * the connect gets no answer, within `handshakeTimeout` ms (a rejection).
 * @throws {ProcessError} If the connect fails, e.g. nothing listens there (a rejection
 * with `code` `"ECONNREFUSED"` or `"ENOENT"`).
 * @throws {TypeError} If `address` is not `[host, port]` nor a non-empty path,
 * `authkey` is neither bytes nor a string, or `handshakeTimeout` is not a number (a
 * rejection).
 * @throws {RangeError} If `maxMessageSize` is not a non-negative integer (a rejection).
 *
 * @example Talk to a Python `multiprocessing.connection.Listener`
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 *
 * // Python: Listener(("127.0.0.1", 6000), authkey=b"secret").accept()
 * using conn = await mp.connection.Client(["127.0.0.1", 6000], { authkey: "secret" });
 * await conn.sendBytes(new TextEncoder().encode("hello")); // Python: conn.recv_bytes()
 * console.log(await conn.recvBytes()); // what Python's conn.send_bytes() sent
 * ```
 */
export async function Client<T = unknown>(
  address: Address,
  options: ClientOptions = {},
): Promise<SocketConnection<T>> {
  const where = checkAddress(address, "Client");
  const settings = netSettings(options, "Client");
  const target = formatAddress(where);
  const started = performance.now();
  const socket = await connectTo(where, target, settings.handshakeTimeout);
  const label = `${formatLocal(socket)} → ${target}`;
  const conn = connectSocket<T>(socket, { maxMessageSize: settings.maxMessageSize, label });
  const key = settings.authkey;
  if (key !== null) {
    const left = Math.max(1, settings.handshakeTimeout - (performance.now() - started));
    await handshake(
      conn,
      { ...settings, handshakeTimeout: left },
      () => clientHandshake(conn, key),
      `the listener at ${target}`,
    );
  }
  return conn;
}

function formatLocal(socket: NetSocket): string {
  return socket.local !== null ? formatAddress(socket.local) : "unix";
}

function connectTo(address: Address, target: string, timeout: number): Promise<NetSocket> {
  return new Promise<NetSocket>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(new AuthenticationError(`Client: cannot connect to ${target}: no answer within ${timeout} ms`));
    }, timeout);
    connectRaw(address).then((socket) => {
      clearTimeout(timer);
      if (timedOut) return socket.destroy();
      resolve(socket);
    }, (e: Error & { code?: string }) => {
      clearTimeout(timer);
      const hint = e.code === "ECONNREFUSED" || e.code === "ENOENT"
        ? ": nothing listens there; start the Listener first, or check the address"
        : "";
      const err = new ProcessError(`Client: cannot connect to ${target}: ${e.message}${hint}`, { cause: e });
      Object.assign(err, { code: e.code });
      reject(err);
    });
  });
}
