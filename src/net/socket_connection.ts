/**
 * A {@linkcode SocketConnection}: a Connection over a TCP or Unix socket, framed as
 * Python frames it, fed by the event loop of the thread that owns the socket. The
 * socket is the runtime's own (`NetSocket` of `internal/runtime.ts`).
 *
 * @module
 */
import { registerReadable } from "../internal/_readable.ts";
import { SHARE } from "../internal/_codec.ts";
import { BufferTooShort, EOFError, ProcessError } from "../internal/errors.ts";
import { inspectable } from "../internal/_inspect.ts";
import { checkTimeout } from "../internal/_timeouts.ts";
import type { BytesLike } from "../channel/connection.ts";
import { type NetSocket, unrefTimer } from "../internal/runtime.ts";
import { decodeMessage, encodeMessage } from "./codec.ts";
import { frame, frameInPlace, FrameReader } from "./wire.ts";

/** Settings of one connection. */
export interface SocketSettings {
  /** Frames announcing more bytes than this are refused and the connection dropped. */
  maxMessageSize: number;
  /** How the two ends are named in `toString()`. */
  label: string;
}

/** Received frames above this many bytes in total pause the socket until some are read. */
const HIGH_WATER = 16 * 1024 * 1024;

let making = false;

/**
 * Creates the connection over `socket` (for {@linkcode Listener} and {@linkcode Client}).
 * @ignore
 */
export function connectSocket<T>(socket: NetSocket, settings: SocketSettings): SocketConnection<T> {
  making = true;
  try {
    const conn = new SocketConnection<T>();
    wire(conn, socket, settings);
    return conn;
  } finally {
    making = false;
  }
}

let wire: (conn: SocketConnection<unknown>, socket: NetSocket, settings: SocketSettings) => void;
let readerOf: (conn: SocketConnection<unknown>) => FrameReader;
let destroyOf: (conn: SocketConnection<unknown>, reason: Error) => void;
let socketOf: (conn: SocketConnection<unknown>) => NetSocket | null;
let sendNow: (conn: SocketConnection<unknown>, obj: unknown, done: (err?: Error) => void) => void;
let onArrival: (conn: SocketConnection<unknown>, f: (() => void) | null) => void;

/** The frame reader of `conn` (the handshake limits its first frames). @ignore */
export function frameReader(conn: SocketConnection<unknown>): FrameReader {
  return readerOf(conn);
}

/**
 * Turns on TCP keep-alive probes for `conn` after `ms` idle, so that a peer that
 * vanished without closing (its machine or network gone) is noticed (remote managers).
 * @ignore
 */
export function keepAlive(conn: SocketConnection<unknown>, ms: number): void {
  socketOf(conn)?.keepAlive(ms);
}

/**
 * Sends `obj` as `send()` does, but reports through `done` instead of a promise (the
 * managers' request and reply path: no promise per message). Throws what `send()`
 * rejects with at once (a value that cannot be sent, a closed or broken connection).
 * @ignore
 */
export function sendWith(conn: SocketConnection<unknown>, obj: unknown, done: (err?: Error) => void): void {
  sendNow(conn, obj, done);
}

/**
 * Calls `f` (synchronously, in the socket's data callback) each time messages arrive,
 * or the connection ends or fails, so that a reader takes them with `recvSync()` at once
 * instead of through a promise per message; `null` stops. While set, the socket keeps
 * the program alive. One per connection (the managers' request and reply loops).
 * @ignore
 */
export function onMessages(conn: SocketConnection<unknown>, f: (() => void) | null): void {
  onArrival(conn, f);
}

/**
 * Checks that the peer is still there (remote managers): whenever nothing was sent on
 * `conn` for `ms`, sends `ping`, so that the OS notices a peer whose machine or network
 * vanished (the bytes it never acknowledges time out, and the connection fails) where
 * TCP keep-alive probes cannot be timed (Deno). Arriving messages equal to `ignore`
 * (the peer's pings) are dropped. The timer never keeps the program alive and stops
 * when the connection ends.
 * @ignore
 */
export function heartbeat(conn: SocketConnection<unknown>, ms: number, ping: unknown, ignore: unknown): void {
  beat(conn, ms, frameInPlace(encodeMessage(ping, 4)), encodeMessage(ignore, 4).subarray(4));
}
let beat: (conn: SocketConnection<unknown>, ms: number, ping: Uint8Array, ignore: Uint8Array) => void;

/**
 * Hands what was sent on `conn` so far to the OS now (as much as it takes without
 * waiting), rather than after the current code: before the thread blocks.
 * @ignore
 */
export function flushWrites(conn: SocketConnection<unknown>): void {
  socketOf(conn)?.flush();
}

/**
 * Whether what is sent on `conn` now would leave only once the event loop runs again,
 * even after {@linkcode flushWrites} (an earlier write is still under way).
 * @ignore
 */
export function writesWait(conn: SocketConnection<unknown>): boolean {
  return socketOf(conn)?.busy ?? true;
}

/** Whether `conn` has a message, or an end or failure, to report (`recvSync()` will not throw "nothing arrived"). @ignore */
export function hasNews(conn: SocketConnection<unknown>): boolean {
  return newsOf(conn);
}
let newsOf: (conn: SocketConnection<unknown>) => boolean;

/** Drops `conn` at once: pending and later operations fail with `reason`. @ignore */
export function destroyConnection(conn: SocketConnection<unknown>, reason: Error): void {
  destroyOf(conn, reason);
}

/**
 * One end of a network connection made by {@linkcode Listener.accept} or
 * {@linkcode Client}: the API of a `Pipe()` end (Python's `Connection` over a socket).
 * `sendBytes` / `recvBytes` exchange raw bytes and interoperate with Python's
 * `send_bytes` / `recv_bytes`; `send` / `recv` carry values in this package's own
 * format (see the README), which only this package reads.
 *
 * The `*Sync` twins never wait, since the socket is fed by this thread's event loop:
 * `sendSync` / `sendBytesSync` hand the message to the OS at once, as far as it takes
 * it without waiting, and return (a failure shows at the next call); `recvSync` / `recvBytesSync` / `recvBytesIntoSync` return a
 * message that has already arrived (after `await poll()` or `wait()`), and throw a
 * `ProcessError` saying to use the async method when none has; `pollSync(0)` answers
 * from what has arrived, and `pollSync` with a positive timeout throws.
 *
 * @example Ask and answer over loopback
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * await using listener = new mp.connection.Listener({ address: ["127.0.0.1", 0] });
 * const address = await listener.ready;
 * const [server, client] = await Promise.all([listener.accept(), mp.connection.Client(address)]);
 * await client.send({ question: "six times seven?" });
 * console.log(await server.recv()); // { question: "six times seven?" }
 * await server.sendBytes(new TextEncoder().encode("42"));
 * console.log(new TextDecoder().decode(await client.recvBytes())); // "42"
 * client.close();
 * server.close();
 * ```
 */
export class SocketConnection<T = unknown> {
  #socket: NetSocket | null = null;
  #reader!: FrameReader;
  #label = "";
  readonly #frames: Uint8Array[] = [];
  #head = 0;
  #queued = 0;
  #paused = false;
  #eof = false;
  #failure: Error | null = null;
  #closed = false;
  #holds = 0;
  #waiters: (() => void)[] = [];
  /** Called at each arrival (see `onMessages`). */
  #arrival: (() => void) | null = null;
  /** Messages sent so far (the heartbeat pings only a connection that sent none lately). */
  #sent = 0;
  /** The heartbeat's timer and the peer's ping, dropped on arrival (see `heartbeat`). */
  #beat: ReturnType<typeof setInterval> | null = null;
  #ignore: Uint8Array | null = null;

  /**
   * Network connections come from `Listener.accept()` and `Client()`; not for direct use.
   *
   * @throws {TypeError} Always, when called by user code.
   */
  constructor() {
    if (!making) {
      throw new TypeError(
        "SocketConnection cannot be constructed directly: use mp.connection.Client() or Listener.accept()",
      );
    }
    registerReadable(this, {
      check: () => void this.#check("wait on"),
      ready: () => this.#ready(),
      watch: (timeout) => this.#watch(timeout),
    });
  }

  static {
    wire = (conn, socket, settings) => conn.#attach(socket, settings);
    readerOf = (conn) => conn.#reader;
    destroyOf = (conn, reason) => conn.#drop(reason);
    socketOf = (conn) => conn.#socket;
    sendNow = (conn, obj, done) => conn.#writeWith(frameInPlace(encodeMessage(obj, 4)), "send", done);
    onArrival = (conn, f) => {
      if (f !== null && conn.#arrival === null) conn.#hold();
      else if (f === null && conn.#arrival !== null) conn.#release();
      conn.#arrival = f;
    };
    newsOf = (conn) => conn.#ready();
    beat = (conn, ms, ping, ignore) => conn.#heartbeat(ms, ping, ignore);
  }

  /**
   * Whether this end was closed.
   *
   * @returns `true` once `close()` was called.
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Always true: a network connection receives.
   *
   * @returns `true`.
   */
  get readable(): boolean {
    return true;
  }

  /**
   * Always true: a network connection sends.
   *
   * @returns `true`.
   */
  get writable(): boolean {
    return true;
  }

  /**
   * Sends `obj` as one message, encoded in this package's format (a peer using this
   * package reads it with `recv()`). Rejects at once, naming the part at fault, for what
   * cannot be sent (functions, symbols, cycles), and with a `ProcessError` ("broken
   * pipe") once the peer is gone. Resolves when the bytes were handed to the OS.
   *
   * @param obj The value to send; it is encoded (see the README for what can travel).
   * @returns A promise that resolves once the bytes were handed to the OS.
   * @throws {ProcessError} If `obj` cannot be sent (a function, symbol, cycle, Promise,
   * `SharedArrayBuffer`...), the connection is closed, the peer is gone ("broken pipe")
   * or the connection failed (always a rejection).
   */
  send(obj: T): Promise<void> {
    try {
      return this.#write(frameInPlace(encodeMessage(obj, 4)), "send");
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * {@linkcode SocketConnection.send} without waiting for the OS to take the bytes.
   *
   * @param obj The value to send; it is encoded (see the README for what can travel).
   * @throws {ProcessError} If `obj` cannot be sent, the connection is closed, the peer
   * is gone ("broken pipe") or the connection failed. A failure to write shows at the
   * next call.
   */
  sendSync(obj: T): void {
    this.#writeWith(frameInPlace(encodeMessage(obj, 4)), "sendSync", IGNORE);
    this.#socket!.flush();
  }

  /**
   * Receives the next message sent with `send()`, waiting as long as it takes. Rejects
   * with {@linkcode EOFError} once the peer has closed and nothing is left.
   *
   * @returns A promise that resolves to the decoded message.
   * @throws {EOFError} If the peer closed and nothing is left to receive (a rejection).
   * @throws {ProcessError} If this end is or gets closed, the connection failed, a
   * message was larger than `maxMessageSize`, or it is not in this package's format
   * (e.g. sent by Python's `send()`; use `recvBytes()`) (a rejection).
   */
  recv(): Promise<T> {
    try {
      if (this.#ready()) return Promise.resolve(decodeMessage(this.#nextNow("recv", "recv")) as T);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#next("recv").then(decodeMessage) as Promise<T>;
  }

  /**
   * A message that has already arrived, decoded; throws if none has (never waits).
   *
   * @returns The decoded message.
   * @throws {ProcessError} If no message has arrived yet (await `poll()` or `wait()`
   * first), this end is closed, the connection failed, or the message is not in this
   * package's format.
   * @throws {EOFError} If the peer closed and nothing is left to receive.
   */
  recvSync(): T {
    return decodeMessage(this.#nextNow("recvSync", "recv")) as T;
  }

  /**
   * Whether a message has arrived (or the peer closed, so that `recv` would not wait),
   * waiting at most `timeout` ms; the default does not wait, `Infinity` waits as long
   * as it takes.
   *
   * @param timeout How long to wait, in milliseconds (default 0: do not wait); `null`
   * or `Infinity` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to `true` if `recv` would not wait, `false` on
   * timeout.
   * @throws {ProcessError} If this end is or gets closed (a rejection).
   * @throws {TypeError} If `timeout` is `NaN` or not a number (a rejection).
   */
  async poll(timeout: number = 0): Promise<boolean> {
    this.#check("poll");
    const ms = checkTimeout(timeout, "SocketConnection.poll()") ?? Infinity;
    if (this.#ready() || ms <= 0) return this.#ready();
    const end = performance.now() + ms;
    while (!this.#ready()) {
      const left = end - performance.now();
      if (left <= 0) return false;
      await this.#watch(left);
      this.#check("poll");
    }
    return true;
  }

  /**
   * Whether a message has arrived; a positive timeout throws (this would block the event loop).
   *
   * @param timeout `0` or less (the default); a positive value throws unless a message
   * has already arrived.
   * @returns `true` if `recv` would not wait.
   * @throws {ProcessError} If this end is closed, or `timeout` is positive and nothing
   * has arrived (use `await poll(timeout)`).
   */
  pollSync(timeout: number = 0): boolean {
    this.#check("pollSync");
    if (timeout > 0 && !this.#ready()) {
      throw new ProcessError(
        `SocketConnection.pollSync(${timeout}): a network connection cannot wait synchronously: its ` +
          "data arrives through this thread's event loop, which a blocking wait would stop: use " +
          `await conn.poll(${timeout})`,
      );
    }
    return this.#ready();
  }

  /**
   * Sends `size` bytes of `buf` from byte `offset` (default: all of it) as one raw
   * message, which Python's `recv_bytes()` receives as is.
   *
   * @param buf The bytes: a typed array, `DataView` or `ArrayBuffer`.
   * @param offset The first byte to send, an integer (default 0).
   * @param size How many bytes to send, an integer (default: the rest of `buf`).
   * @returns A promise that resolves once the bytes were handed to the OS.
   * @throws {TypeError} If `buf` is not bytes (a rejection).
   * @throws {RangeError} If `offset` or `size` falls outside `buf` (a rejection).
   * @throws {ProcessError} If this end is closed, the peer is gone ("broken pipe") or
   * the connection failed (a rejection).
   */
  sendBytes(buf: BytesLike, offset?: number, size?: number): Promise<void> {
    try {
      return this.#write(this.#bytesFrame(buf, offset, size, "sendBytes"), "sendBytes");
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * {@linkcode SocketConnection.sendBytes} without waiting for the OS to take the bytes.
   *
   * @param buf The bytes: a typed array, `DataView` or `ArrayBuffer`.
   * @param offset The first byte to send, an integer (default 0).
   * @param size How many bytes to send, an integer (default: the rest of `buf`).
   * @throws {TypeError} If `buf` is not bytes.
   * @throws {RangeError} If `offset` or `size` falls outside `buf`.
   * @throws {ProcessError} If this end is closed, the peer is gone ("broken pipe") or
   * the connection failed.
   */
  sendBytesSync(buf: BytesLike, offset?: number, size?: number): void {
    this.#writeWith(this.#bytesFrame(buf, offset, size, "sendBytesSync"), "sendBytesSync", IGNORE);
    this.#socket!.flush();
  }

  /**
   * Receives one message as bytes (from Python's `send_bytes()`, say). Rejects with a
   * `ProcessError` if it is longer than `maxLength` (the message is dropped), and with
   * {@linkcode EOFError} as `recv` does.
   *
   * @param maxLength The longest message accepted, in bytes (default: no limit beyond
   * `maxMessageSize`).
   * @returns A promise that resolves to the message's bytes.
   * @throws {EOFError} If the peer closed and nothing is left to receive (a rejection).
   * @throws {ProcessError} If the message is longer than `maxLength` (it is dropped),
   * this end is or gets closed, or the connection failed (a rejection).
   * @throws {RangeError} If `maxLength` is not a non-negative integer (a rejection).
   */
  async recvBytes(maxLength?: number): Promise<Uint8Array> {
    checkMaxLength(maxLength, "recvBytes");
    return limit(await this.#next("recvBytes"), maxLength, "recvBytes");
  }

  /**
   * A message that has already arrived, as bytes; throws if none has (never waits).
   *
   * @param maxLength The longest message accepted, in bytes (default: no limit beyond
   * `maxMessageSize`).
   * @returns The message's bytes.
   * @throws {ProcessError} If no message has arrived yet, it is longer than
   * `maxLength` (it is dropped), this end is closed, or the connection failed.
   * @throws {EOFError} If the peer closed and nothing is left to receive.
   * @throws {RangeError} If `maxLength` is not a non-negative integer.
   */
  recvBytesSync(maxLength?: number): Uint8Array {
    checkMaxLength(maxLength, "recvBytesSync");
    return limit(this.#nextNow("recvBytesSync", "recvBytes"), maxLength, "recvBytesSync");
  }

  /**
   * Receives one message into `buf` from byte `offset` and returns its length. Rejects
   * with {@linkcode BufferTooShort} (holding the whole message) if it does not fit.
   *
   * @param buf Where to write: a typed array, `DataView` or `ArrayBuffer`.
   * @param offset The byte of `buf` to start at, an integer (default 0).
   * @returns A promise that resolves to the message's length in bytes.
   * @throws {BufferTooShort} If the message does not fit from `offset`; `received`
   * holds it (a rejection).
   * @throws {EOFError} If the peer closed and nothing is left to receive (a rejection).
   * @throws {TypeError} If `buf` is not bytes (a rejection).
   * @throws {RangeError} If `offset` is outside `buf` (a rejection).
   * @throws {ProcessError} If this end is or gets closed, or the connection failed (a
   * rejection).
   */
  async recvBytesInto(buf: ArrayBufferView | ArrayBuffer, offset: number = 0): Promise<number> {
    const target = into(buf, offset, "recvBytesInto");
    return copyInto(await this.#next("recvBytesInto"), target, offset, "recvBytesInto");
  }

  /**
   * {@linkcode SocketConnection.recvBytesInto} for a message that has already arrived.
   *
   * @param buf Where to write: a typed array, `DataView` or `ArrayBuffer`.
   * @param offset The byte of `buf` to start at, an integer (default 0).
   * @returns The message's length in bytes.
   * @throws {BufferTooShort} If the message does not fit from `offset`; `received`
   * holds it.
   * @throws {ProcessError} If no message has arrived yet, this end is closed, or the
   * connection failed.
   * @throws {EOFError} If the peer closed and nothing is left to receive.
   * @throws {TypeError} If `buf` is not bytes.
   * @throws {RangeError} If `offset` is outside `buf`.
   */
  recvBytesIntoSync(buf: ArrayBufferView | ArrayBuffer, offset: number = 0): number {
    const target = into(buf, offset, "recvBytesIntoSync");
    return copyInto(this.#nextNow("recvBytesIntoSync", "recvBytesInto"), target, offset, "recvBytesIntoSync");
  }

  /**
   * Closes the connection: what was sent is still delivered, then the socket is
   * closed and the peer's `recv` ends with `EOFError`. Waiting calls here reject.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopBeat();
    const socket = this.#socket;
    if (socket) {
      socket.ref(false);
      socket.end(); // what was sent is still delivered, then the socket closes
    }
    this.#notify();
  }

  /** Closes the connection (`using conn = ...`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Network connections cannot travel to other processes.
   * @ignore
   */
  [SHARE](): never {
    throw new ProcessError(
      `Cannot pass ${this} to another process: its socket belongs to this thread's event loop, so ` +
        "pass the address (and authkey) instead, and call mp.connection.Client() in the child",
    );
  }

  /**
   * A description, like Python's repr: `<SocketConnection 127.0.0.1:6000 ← 127.0.0.1:51234>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<SocketConnection ${this.#label}${this.#closed ? " closed" : ""}>`;
  }

  #heartbeat(ms: number, ping: Uint8Array, ignore: Uint8Array): void {
    this.#ignore = ignore;
    if (this.#beat !== null) clearInterval(this.#beat);
    let seen = this.#sent;
    this.#beat = setInterval(() => {
      const socket = this.#socket;
      if (this.#closed || this.#failure !== null || this.#eof || socket === null || socket.destroyed) {
        return this.#stopBeat();
      }
      if (this.#sent === seen) socket.write(ping);
      seen = this.#sent;
    }, ms);
    unrefTimer(this.#beat);
  }

  #stopBeat(): void {
    if (this.#beat === null) return;
    clearInterval(this.#beat);
    this.#beat = null;
  }

  #attach(socket: NetSocket, settings: SocketSettings): void {
    this.#socket = socket;
    this.#label = settings.label;
    this.#reader = new FrameReader(settings.maxMessageSize);
    const emit = (f: Uint8Array) => {
      if (this.#ignore !== null && sameBytes(f, this.#ignore)) return;
      this.#frames.push(f);
      this.#queued += f.length;
    };
    socket.start({
      data: (chunk) => {
        if (this.#failure || this.#closed) return;
        try {
          this.#reader.push(chunk, emit);
        } catch (e) {
          this.#drop(e as Error);
          return;
        }
        if (this.#queued > HIGH_WATER && !this.#paused) {
          this.#paused = true;
          socket.pause();
        }
        this.#notify();
      },
      end: () => {
        this.#eof = true;
        this.#notify();
      },
      error: (e) => {
        this.#failure ??= new ProcessError(`${this}: the connection failed: ${e.message}`, { cause: e });
        this.#notify();
      },
    });
  }

  /** Drops the connection at once (a protocol error, a failed handshake). */
  #drop(reason: Error): void {
    this.#failure ??= reason;
    this.#stopBeat();
    this.#socket?.destroy();
    this.#notify();
  }

  #ready(): boolean {
    return this.#head < this.#frames.length || this.#eof || this.#failure !== null || this.#closed;
  }

  #notify(): void {
    this.#arrival?.();
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves at the next change (data, EOF, failure, close) or after `timeout` ms. */
  #watch(timeout: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let settled = false;
      const done = () => {
        if (settled) return; // a timeout, then a change: count the hold once
        settled = true;
        clearTimeout(timer);
        this.#release();
        resolve();
      };
      this.#hold();
      this.#waiters.push(done);
      if (timeout !== Infinity) {
        timer = setTimeout(() => {
          const i = this.#waiters.indexOf(done);
          if (i >= 0) this.#waiters.splice(i, 1);
          done();
        }, Math.max(0, timeout));
      }
    });
  }

  #hold(): void {
    if (this.#holds++ === 0 && !this.#closed) this.#socket?.ref(true);
  }

  #release(): void {
    if (--this.#holds === 0 && !this.#closed) this.#socket?.ref(false);
  }

  async #next(method: string): Promise<Uint8Array> {
    this.#check(method);
    while (!this.#ready()) {
      await this.#watch(Infinity);
      this.#check(method);
    }
    return this.#take();
  }

  #nextNow(method: string, asyncName: string): Uint8Array {
    this.#check(method);
    if (!this.#ready()) {
      throw new ProcessError(
        `SocketConnection.${method}(): no message has arrived yet, and a network connection cannot wait ` +
          "synchronously (its data comes through this thread's event loop, which a blocking wait would " +
          `stop): use await conn.${asyncName}(), or check first with await conn.poll() or mp.wait()`,
      );
    }
    return this.#take();
  }

  #take(): Uint8Array {
    if (this.#head < this.#frames.length) {
      const f = this.#frames[this.#head];
      this.#frames[this.#head++] = EMPTY;
      if (this.#head > 1024 && this.#head * 2 > this.#frames.length) {
        this.#frames.splice(0, this.#head);
        this.#head = 0;
      }
      this.#queued -= f.length;
      if (this.#paused && this.#queued <= HIGH_WATER / 2) {
        this.#paused = false;
        this.#socket?.resume();
      }
      return f;
    }
    if (this.#failure) throw this.#failure;
    throw new EOFError(
      `${this}: the other end closed the connection` +
        (this.#reader.midFrame ? " in the middle of a message" : "") + " and nothing is left to receive",
    );
  }

  #write(data: Uint8Array, method: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#writeWith(data, method, (err) => err ? reject(err) : resolve());
    });
  }

  /** Hands `data` to the socket; `done` hears when the OS took it. Throws if it cannot be sent. */
  #writeWith(data: Uint8Array, method: string, done: (err?: Error) => void): void {
    this.#check(method);
    const socket = this.#socket!;
    if (this.#failure) throw this.#failure;
    if (this.#eof || socket.destroyed) {
      throw new ProcessError(
        `${this}.${method}(): broken pipe: the other end closed the connection, so nothing sent can be ` +
          "received: check the other side, or catch this error to stop sending",
      );
    }
    this.#sent++;
    socket.write(data, (err) => {
      if (!err) return done();
      done(
        new ProcessError(`${this}.${method}(): the message could not be sent: ${err.message}`, {
          cause: err,
        }),
      );
    });
  }

  #bytesFrame(buf: BytesLike, offset: number | undefined, size: number | undefined, method: string) {
    this.#check(method);
    const bytes = byteView(buf, `SocketConnection.${method}(buf)`);
    const start = offset ?? 0;
    const length = size ?? bytes.length - start;
    if (!Number.isInteger(start) || start < 0 || start > bytes.length) {
      throw new RangeError(
        `SocketConnection.${method}(): offset ${offset} is outside the buffer (${bytes.length} bytes)`,
      );
    }
    if (!Number.isInteger(length) || length < 0 || start + length > bytes.length) {
      throw new RangeError(
        `SocketConnection.${method}(): size ${size} from offset ${start} runs past the buffer ` +
          `(${bytes.length} bytes)`,
      );
    }
    return frame(bytes, start, length);
  }

  #check(method: string): void {
    if (this.#closed) {
      throw new ProcessError(`SocketConnection.${method}(): ${this} is closed (handle is closed)`);
    }
  }
}

const EMPTY = new Uint8Array(0);

const IGNORE = () => {};

/** Whether `a` and `b` hold the same bytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function byteView(buf: BytesLike, where: string): Uint8Array {
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf instanceof ArrayBuffer || buf instanceof SharedArrayBuffer) return new Uint8Array(buf);
  throw new TypeError(`${where}: expected bytes (a typed array, DataView or ArrayBuffer), got ${typeof buf}`);
}

function checkMaxLength(maxLength: number | undefined, method: string): void {
  if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < 0)) {
    throw new RangeError(
      `SocketConnection.${method}(): maxLength must be a non-negative integer, got ${maxLength}`,
    );
  }
}

function limit(bytes: Uint8Array, maxLength: number | undefined, method: string): Uint8Array {
  if (maxLength !== undefined && bytes.length > maxLength) {
    throw new ProcessError(
      `SocketConnection.${method}(): bad message length: the message has ${bytes.length} bytes, more ` +
        `than maxLength ${maxLength}; it was dropped`,
    );
  }
  return bytes;
}

function into(buf: ArrayBufferView | ArrayBuffer, offset: number, method: string): Uint8Array {
  const target = byteView(buf, `SocketConnection.${method}(buf)`);
  if (!Number.isInteger(offset) || offset < 0 || offset > target.length) {
    throw new RangeError(
      `SocketConnection.${method}(): offset ${offset} is outside the buffer (${target.length} bytes)`,
    );
  }
  return target;
}

function copyInto(bytes: Uint8Array, target: Uint8Array, offset: number, method: string): number {
  if (bytes.length > target.length - offset) {
    throw new BufferTooShort(
      bytes,
      `SocketConnection.${method}(): the buffer has ${target.length - offset} bytes from offset ${offset}, ` +
        `too short for a message of ${bytes.length} bytes; the whole message is in error.received`,
    );
  }
  target.set(bytes, offset);
  return bytes.length;
}

inspectable(SocketConnection);
