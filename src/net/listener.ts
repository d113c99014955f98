/**
 * `Listener`: Python's `multiprocessing.connection.Listener` over TCP or a Unix socket.
 *
 * @module
 */
import { ProcessError } from "../internal/errors.ts";
import { inspectable } from "../internal/_inspect.ts";
import { listenSocket, type NetServer, type NetSocket } from "../internal/runtime.ts";
import { answerChallenge, deliverChallenge } from "./auth.ts";
import {
  type Address,
  checkAddress,
  formatAddress,
  handshake,
  isLoopback,
  needsAuthkey,
  type NetOptions,
  type NetSettings,
  netSettings,
} from "./address.ts";
import { connectSocket, type SocketConnection } from "./socket_connection.ts";

/** Options of {@linkcode Listener}. */
export interface ListenerOptions extends NetOptions {
  /**
   * Where to listen: `[host, port]` (port 0 picks a free port; read the real one from
   * `await listener.ready` or `listener.address`) or a Unix socket path. Beyond
   * loopback (`127.0.0.1`, `::1`, `localhost`) an `authkey` is required.
   */
  address: Address;
  /**
   * Checked (a non-negative integer) and otherwise unused: the runtime takes connections
   * from the OS as they come (at most 1024 wait for `accept()`), so unlike Python's
   * default of 1, clients that connect at the same moment are not refused.
   */
  backlog?: number;
}

/** Connections the runtime took from the OS that no `accept()` has taken yet, at most. */
const MAX_PENDING = 1024;

/**
 * Listens for connections from {@linkcode Client}s (of this package or of Python's
 * `multiprocessing.connection`), like Python's `Listener`. It starts listening at
 * once; `ready` resolves with the bound address (or rejects if the address cannot be
 * bound: `accept()` then rejects with the same error).
 *
 * `accept()` takes the next connection and, with an `authkey`, runs the handshake
 * (challenge in both directions, bounded by `handshakeTimeout`). As in Python, a
 * client that fails it makes that `accept()` reject with `AuthenticationError` (also
 * when it stalls or hangs up mid-handshake); the listener keeps serving, so call
 * `accept()` again. An idle listener does not keep the program alive; a pending
 * `accept()` does.
 *
 * @example An authenticated echo server for one client
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * const authkey = "secret password";
 * await using listener = new mp.connection.Listener({ address: ["127.0.0.1", 0], authkey });
 * const address = await listener.ready;
 * const client = mp.connection.Client(address, { authkey });
 * using conn = await listener.accept();
 * console.log("connection from", listener.lastAccepted);
 * using mine = await client;
 * await mine.send([1, 2, 3]);
 * await conn.send(await conn.recv());
 * console.log(await mine.recv()); // [1, 2, 3]
 * ```
 */
export class Listener implements AsyncDisposable {
  readonly #settings: NetSettings;
  readonly #requested: Address;
  readonly #server: NetServer | null = null;
  readonly #ready: Promise<Address>;
  #bound: Address | null = null;
  #bindError: Error | null = null;
  #lastAccepted: Address | null = null;
  #closed = false;
  readonly #pending: NetSocket[] = [];
  readonly #takers: { resolve: (s: NetSocket) => void; reject: (e: Error) => void }[] = [];

  /**
   * Starts listening on `options.address` (see {@linkcode ListenerOptions}).
   *
   * @param options `address` (`[host, port]`, port 0 for any free port, or a Unix
   * socket path), `authkey` (required beyond loopback), `maxMessageSize` in bytes
   * (default 128 MiB), `handshakeTimeout` in milliseconds (default 5000), `backlog`
   * (checked, unused).
   * @throws {TypeError} If `options` is not an object, `address` is not `[host, port]`
   * nor a non-empty path, `authkey` is neither bytes nor a string, or
   * `handshakeTimeout` is not a number.
   * @throws {RangeError} If `maxMessageSize` or `backlog` is not a non-negative integer.
   * @throws {ProcessError} If the address is beyond loopback and there is no `authkey`.
   * (An address that cannot be bound does not throw here: `ready` and `accept()`
   * reject with that `ProcessError`.)
   */
  constructor(options: ListenerOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `Listener: expected an options object { address, authkey?, backlog? }, got ${options}`,
      );
    }
    const address = checkAddress(options.address, "Listener");
    this.#settings = netSettings(options, "Listener");
    const backlog = options.backlog ?? 128;
    if (!Number.isInteger(backlog) || backlog < 0) {
      throw new RangeError(`Listener: backlog must be a non-negative integer, got ${backlog}`);
    }
    if (typeof address !== "string" && !isLoopback(address[0]) && this.#settings.authkey === null) {
      throw needsAuthkey(address);
    }
    this.#requested = address;
    try {
      this.#server = listenSocket(address, (socket) => this.#arrived(socket));
      this.#bound = this.#server.address;
      this.#ready = Promise.resolve(this.#bound);
    } catch (e) {
      const cause = e as Error & { code?: string };
      const err = new ProcessError(
        `Listener: cannot listen on ${formatAddress(address)}: ${cause.message}` +
          (cause.code === "EADDRINUSE"
            ? " (the address is in use: pick another port, or port 0 for any)"
            : ""),
        { cause },
      );
      Object.assign(err, { code: cause.code });
      this.#bindError = err;
      this.#ready = Promise.reject(err);
      this.#ready.catch(() => {}); // reported by ready and accept(), never as an unhandled rejection
    }
  }

  /**
   * Resolves with the bound address once listening (`[host, port]` with the real port,
   * or the socket path); rejects with a `ProcessError` (`code` e.g. `"EADDRINUSE"`)
   * if the address cannot be bound.
   *
   * @returns A promise that resolves to the bound address.
   * @throws {ProcessError} If the address cannot be bound (a rejection, `code` e.g.
   * `"EADDRINUSE"`).
   */
  get ready(): Promise<Address> {
    return this.#ready;
  }

  /**
   * The bound address (the real port of `[host, 0]`: the listener binds in its
   * constructor, as Python's does). If the address could not be bound, this throws the
   * `ProcessError` that `ready` rejects with.
   *
   * @returns The bound address: `[host, port]` or the socket path.
   * @throws {ProcessError} If the address could not be bound.
   */
  get address(): Address {
    if (this.#bound) return this.#bound;
    throw this.#bindError!;
  }

  /**
   * The peer address of the last accepted connection (`""` for a Unix socket), or `null`.
   *
   * @returns The address, or `null` before the first `accept()`.
   */
  get lastAccepted(): Address | null {
    return this.#lastAccepted;
  }

  /**
   * Whether `close()` was called.
   *
   * @returns `true` once closed.
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Waits for the next client and returns the connection, after the handshake when
   * there is an authkey. Rejects with `AuthenticationError` if that client fails the
   * handshake (the listener keeps serving), with a `ProcessError` once closed.
   *
   * @returns A promise that resolves to the connection, authenticated when there is an
   * `authkey`.
   * @throws {AuthenticationError} If the client fails the handshake, stalls beyond
   * `handshakeTimeout` ms or hangs up during it (a rejection; call `accept()` again).
   * @throws {ProcessError} If the listener is closed, or closes while waiting, or the
   * address could not be bound (a rejection).
   */
  async accept<T = unknown>(): Promise<SocketConnection<T>> {
    this.#check("accept");
    await this.#ready;
    const socket = await this.#take();
    const peer: Address = socket.remote ?? "";
    this.#lastAccepted = peer;
    const local = this.#bound ?? this.#requested;
    const conn = connectSocket<T>(socket, {
      maxMessageSize: this.#settings.maxMessageSize,
      label: `${formatAddress(local)} ← ${typeof peer === "string" ? "unix peer" : formatAddress(peer)}`,
    });
    const key = this.#settings.authkey;
    if (key !== null) {
      await handshake(conn, this.#settings, async () => {
        await deliverChallenge(conn, key);
        await answerChallenge(conn, key);
      }, `the client ${typeof peer === "string" ? "on the Unix socket" : formatAddress(peer)}`);
    }
    return conn;
  }

  /**
   * Stops listening: pending `accept()` calls reject, connections not yet accepted are
   * dropped (accepted ones stay open), and a Unix socket's file is removed.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#pending.splice(0)) s.destroy();
    this.#failTakers(this.#closedWhileWaiting());
    // The OS socket closes now (a Unix socket's file is removed); accepted connections stay open, as in Python.
    this.#server?.close();
  }

  /**
   * Closes the listener (`await using`).
   *
   * @returns A promise that resolves once closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  /**
   * A description, like Python's repr: `<Listener 127.0.0.1:6000>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<Listener ${this.#where()}${this.#closed ? " closed" : ""}>`;
  }

  #where(): string {
    return formatAddress(this.#bound ?? this.#requested);
  }

  #arrived(socket: NetSocket): void {
    // Waiting to be accepted does not keep the program alive (a NetSocket does not, unref'd).
    if (this.#closed || this.#pending.length >= MAX_PENDING) return socket.destroy();
    const taker = this.#takers.shift();
    if (taker) {
      this.#unrefIfIdle();
      taker.resolve(socket);
    } else this.#pending.push(socket);
  }

  #take(): Promise<NetSocket> {
    if (this.#closed) return Promise.reject(this.#closedWhileWaiting());
    const socket = this.#pending.shift();
    if (socket) return Promise.resolve(socket);
    if (this.#bindError) return Promise.reject(this.#bindError);
    return new Promise<NetSocket>((resolve, reject) => {
      this.#takers.push({ resolve, reject });
      this.#server?.ref(true);
    });
  }

  #closedWhileWaiting(): ProcessError {
    return new ProcessError(`Listener on ${this.#where()}: closed while accept() waited`);
  }

  #unrefIfIdle(): void {
    if (this.#takers.length === 0) this.#server?.ref(false);
  }

  #failTakers(e: Error): void {
    for (const t of this.#takers.splice(0)) t.reject(e);
    this.#unrefIfIdle();
  }

  #check(method: string): void {
    if (this.#closed) throw new ProcessError(`Listener.${method}(): ${this} is closed`);
  }
}

inspectable(Listener);
