/**
 * `Listener`: Python's `multiprocessing.connection.Listener` over TCP or a Unix socket.
 *
 * @module
 */
import { ProcessError } from "../internal/errors.ts";
import { inspectable } from "../internal/_inspect.ts";
import { nodeNet } from "../internal/runtime.ts";
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
import { connectSocket, type NodeSocket, type SocketConnection } from "./socket_connection.ts";

/** Options of {@linkcode Listener}. */
export interface ListenerOptions extends NetOptions {
  /**
   * Where to listen: `[host, port]` (port 0 picks a free port; read the real one from
   * `await listener.ready` or `listener.address`) or a Unix socket path. Beyond
   * loopback (`127.0.0.1`, `::1`, `localhost`) an `authkey` is required.
   */
  address: Address;
  /**
   * The OS's queue of connections not yet taken by the runtime (default 128; Python's is
   * 1, which here would refuse clients that connect at the same moment).
   */
  backlog?: number;
}

/** Connections the runtime took from the OS that no `accept()` has taken yet, at most. */
const MAX_PENDING = 1024;

interface NodeServer {
  listen(options: Record<string, unknown>): void;
  address(): { address: string; port: number } | string | null;
  close(cb?: () => void): void;
  ref(): void;
  unref(): void;
  on(event: string, listener: (...args: never[]) => void): void;
  once(event: string, listener: (...args: never[]) => void): void;
}

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
  readonly #server: NodeServer;
  readonly #ready: Promise<Address>;
  #bound: Address | null = null;
  #bindError: Error | null = null;
  #lastAccepted: Address | null = null;
  #closed = false;
  readonly #pending: NodeSocket[] = [];
  readonly #takers: { resolve: (s: NodeSocket) => void; reject: (e: Error) => void }[] = [];

  /** Starts listening on `options.address` (see {@linkcode ListenerOptions}). */
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
    const server: NodeServer = nodeNet().createServer({ pauseOnConnect: true });
    this.#server = server;
    server.on("connection", (socket: NodeSocket) => this.#arrived(socket));
    this.#ready = new Promise<Address>((resolve, reject) => {
      server.once("listening", () => {
        const a = server.address();
        this.#bound = typeof a === "string" ? a : a === null ? address : [a.address, a.port];
        if (this.#takers.length === 0) server.unref();
        resolve(this.#bound);
      });
      server.once("error", (e: Error & { code?: string }) => {
        const err = new ProcessError(
          `Listener: cannot listen on ${formatAddress(address)}: ${e.message}` +
            (e.code === "EADDRINUSE" ? " (the address is in use: pick another port, or port 0 for any)" : ""),
          { cause: e },
        );
        Object.assign(err, { code: e.code });
        this.#bindError = err;
        this.#failTakers(err);
        reject(err);
      });
    });
    this.#ready.catch(() => {}); // reported by ready and accept(), never as an unhandled rejection
    server.on("error", () => {});
    server.listen(
      typeof address === "string"
        ? { path: address, backlog }
        : { host: address[0], port: address[1], backlog },
    );
  }

  /**
   * Resolves with the bound address once listening (`[host, port]` with the real port,
   * or the socket path); rejects with a `ProcessError` (`code` e.g. `"EADDRINUSE"`)
   * if the address cannot be bound.
   */
  get ready(): Promise<Address> {
    return this.#ready;
  }

  /**
   * The bound address. Before `ready` has resolved the real port of `[host, 0]` is not
   * known yet, and this throws a `ProcessError` saying to await `ready`.
   */
  get address(): Address {
    if (this.#bound) return this.#bound;
    if (typeof this.#requested !== "string" && this.#requested[1] === 0) {
      throw new ProcessError(
        "Listener.address: the port is not known until the listener is bound: await listener.ready " +
          "(which resolves with the address) first",
      );
    }
    return this.#requested;
  }

  /** The peer address of the last accepted connection (`""` for a Unix socket), or `null`. */
  get lastAccepted(): Address | null {
    return this.#lastAccepted;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Waits for the next client and returns the connection, after the handshake when
   * there is an authkey. Rejects with `AuthenticationError` if that client fails the
   * handshake (the listener keeps serving), with a `ProcessError` once closed.
   */
  async accept<T = unknown>(): Promise<SocketConnection<T>> {
    this.#check("accept");
    await this.#ready;
    const socket = await this.#take();
    const peer: Address = socket.remoteAddress !== undefined && socket.remotePort !== undefined
      ? [socket.remoteAddress, socket.remotePort]
      : "";
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
    try {
      // The OS socket closes now (a Unix socket's file is removed); the callback would wait
      // for the accepted connections too, which stay open as in Python.
      this.#server.close();
    } catch { /* never bound */ }
    this.#server.unref();
  }

  /** Closes the listener (`await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  /** A description, like Python's repr. */
  toString(): string {
    return `<Listener ${this.#where()}${this.#closed ? " closed" : ""}>`;
  }

  #where(): string {
    return formatAddress(this.#bound ?? this.#requested);
  }

  #arrived(socket: NodeSocket): void {
    if (this.#closed || this.#pending.length >= MAX_PENDING) return socket.destroy();
    socket.on("error", () => {}); // a reset before accept(): its connection reports it
    socket.unref(); // waiting to be accepted does not keep the program alive
    const taker = this.#takers.shift();
    if (taker) {
      this.#unrefIfIdle();
      taker.resolve(socket);
    } else this.#pending.push(socket);
  }

  #take(): Promise<NodeSocket> {
    if (this.#closed) return Promise.reject(this.#closedWhileWaiting());
    const socket = this.#pending.shift();
    if (socket) return Promise.resolve(socket);
    if (this.#bindError) return Promise.reject(this.#bindError);
    return new Promise<NodeSocket>((resolve, reject) => {
      this.#takers.push({ resolve, reject });
      this.#server.ref();
    });
  }

  #closedWhileWaiting(): ProcessError {
    return new ProcessError(`Listener on ${this.#where()}: closed while accept() waited`);
  }

  #unrefIfIdle(): void {
    if (this.#takers.length === 0) this.#server.unref();
  }

  #failTakers(e: Error): void {
    for (const t of this.#takers.splice(0)) t.reject(e);
    this.#unrefIfIdle();
  }

  #check(method: string): void {
    if (this.#closed) throw new ProcessError(`cannot ${method}: ${this} is closed`);
  }
}

inspectable(Listener);
