/**
 * `Pipe` and `Connection`: Python's `multiprocessing.Pipe`, each direction one shared
 * channel. Each side of a channel keeps a table of the processes holding it open, so
 * that the other end sees EOF once every holder has closed it or ended.
 *
 * @module
 */
import { ownPid } from "../process/_liveness.ts";
import { runAsync, runSync, type Steps } from "../sync/_steps.ts";
import { Channel, EXTRA_WORDS_AT, SLOW } from "./_channel.ts";
import { deadline, type Failures, getItem, getPayload, Later, putPayload } from "./_items.ts";
import { registerReadable } from "../internal/_readable.ts";
import { registerShared, SHARE, type SharedHandle } from "../internal/_codec.ts";
import { BufferTooShort, ProcessError } from "../internal/errors.ts";
import { addHolder, hasHolder, HOLDER_WORDS, removeHolder } from "./_holders.ts";
import { stage, type Staged } from "./_staging.ts";
import { deserializeAt, serialize, Tag } from "../internal/_serializer.ts";
import { inspectable } from "../internal/_inspect.ts";

/** Holder table of the processes that write into a channel. */
const WRITERS = EXTRA_WORDS_AT;
/** Holder table of the processes that read from it. */
const READERS = EXTRA_WORDS_AT + HOLDER_WORDS;

/** Capacity of each direction's ring (bigger messages pass in pieces). */
const PIPE_CAPACITY = 1 << 20;

interface Ends {
  input: Channel | null;
  output: Channel | null;
}

let making: Ends | null = null;

interface ConnectionState {
  input: SharedArrayBuffer | null;
  output: SharedArrayBuffer | null;
  /** The process that sent the handle: its in-transit hold is handed over on arrival. */
  from: number;
}

/** An accepted byte source for `sendBytes`. */
export type BytesLike = ArrayBufferView | ArrayBuffer | SharedArrayBuffer;

/**
 * One end of a {@linkcode Pipe}, like Python's `multiprocessing.connection.Connection`:
 * `send` / `recv` copy values (structured clone semantics), `sendBytes` /
 * `recvBytes` move raw bytes. Every operation has a blocking `*Sync` twin. It travels
 * to children in `Process` args; `using` closes it.
 *
 * @example A conversation with a child
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export async function child(conn: mp.Connection<string>) {
 *   const question = await conn.recv();
 *   await conn.send(`you asked: ${question}`);
 *   conn.close();
 * }
 *
 * if (import.meta.main) {
 *   const [parent, other] = mp.Pipe<string>();
 *   const p = new mp.Process({ target: child, args: [other] });
 *   await p.start();
 *   await parent.send("how are you?");
 *   console.log(await parent.recv()); // "you asked: how are you?"
 *   await p.join();
 * }
 * ```
 */
export class Connection<T = unknown> {
  readonly #input: Channel | null;
  readonly #output: Channel | null;
  #closed = false;

  /**
   * Connections come from {@linkcode Pipe}; this constructor is not for direct use.
   *
   * @throws {TypeError} Always, when called directly.
   */
  constructor() {
    if (making === null) throw new TypeError("Connection cannot be constructed directly: use Pipe()");
    this.#input = making.input;
    this.#output = making.output;
    const pid = ownPid();
    if (this.#input) addHolder(this.#input.header, READERS, pid);
    if (this.#output) addHolder(this.#output.header, WRITERS, pid);
    if (this.#input) {
      registerReadable(this, {
        channel: this.#input,
        peerGone: this.#writersGone,
        check: () => this.#check("wait on", "readable"),
      });
    }
  }

  /** Whether this end was closed in this process. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether this end can receive. */
  get readable(): boolean {
    return this.#input !== null;
  }

  /** Whether this end can send. */
  get writable(): boolean {
    return this.#output !== null;
  }

  /**
   * Sends a copy of `obj` to the other end. Rejects at once if it cannot be copied,
   * and with a `ProcessError` ("broken pipe") if the other end is closed.
   *
   * @param obj The value to send; it is copied.
   * @returns A promise that resolves once the value is in the pipe.
   * @throws {ProcessError} If this end is closed or cannot send (one-way pipe), the other end
   *   is closed ("broken pipe"), or `obj` cannot be copied.
   */
  send(obj: T): Promise<void> {
    try {
      const steps = this.#send(obj, "send");
      return steps === null ? Promise.resolve() : runAsync(steps);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Blocking {@linkcode Connection.send}.
   *
   * @param obj The value to send; it is copied.
   * @throws {ProcessError} If this end is closed or cannot send (one-way pipe), the other end
   *   is closed ("broken pipe"), or `obj` cannot be copied.
   */
  sendSync(obj: T): void {
    const steps = this.#send(obj, "sendSync");
    if (steps !== null) runSync(steps);
  }

  /**
   * Receives the next object sent from the other end, waiting as long as it takes.
   * Rejects with {@linkcode EOFError} once the other end is closed and nothing is left.
   *
   * @returns A promise that resolves to the value received.
   * @throws {EOFError} If the other end is closed and nothing is left to receive.
   * @throws {ProcessError} If this end is closed or cannot receive (one-way pipe).
   */
  recv(): Promise<T> {
    try {
      const got = this.#recv("recv");
      return got instanceof Later ? runAsync(got.steps) : Promise.resolve(got);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Blocking {@linkcode Connection.recv}.
   *
   * @returns The value received.
   * @throws {EOFError} If the other end is closed and nothing is left to receive.
   * @throws {ProcessError} If this end is closed or cannot receive (one-way pipe).
   */
  recvSync(): T {
    const got = this.#recv("recvSync");
    return got instanceof Later ? runSync(got.steps) : got;
  }

  /**
   * Whether there is something to receive (or the other end is closed, so that `recv`
   * would not wait), waiting at most `timeout` ms. As in Python, the default is not to
   * wait; pass `Infinity` to wait as long as it takes.
   *
   * @param timeout How long to wait, in milliseconds (default 0: do not wait).
   * @returns A promise that resolves to `true` if a message (or EOF) is there, `false` on
   *   timeout.
   * @throws {ProcessError} If this end is closed or cannot receive (one-way pipe).
   * @throws {TypeError} If `timeout` is not a number.
   */
  poll(timeout: number = 0): Promise<boolean> {
    return this.#async(() => this.#poll(timeout, "poll"));
  }

  /**
   * Blocking {@linkcode Connection.poll}.
   *
   * @param timeout How long to wait, in milliseconds (default 0: do not wait).
   * @returns `true` if a message (or EOF) is there, `false` on timeout.
   * @throws {ProcessError} If this end is closed or cannot receive (one-way pipe).
   * @throws {TypeError} If `timeout` is not a number.
   */
  pollSync(timeout: number = 0): boolean {
    return runSync(this.#poll(timeout, "pollSync"));
  }

  /**
   * Sends `size` bytes of `buf` from byte `offset` (default: all of it) as one message.
   *
   * @param buf The bytes: a typed array, DataView, ArrayBuffer or SharedArrayBuffer.
   * @param offset The first byte to send (default 0).
   * @param size How many bytes to send (default: the rest of `buf`).
   * @returns A promise that resolves once the message is in the pipe.
   * @throws {ProcessError} If this end is closed or cannot send (one-way pipe), or the other end
   *   is closed ("broken pipe").
   * @throws {TypeError} If `buf` is not bytes.
   * @throws {RangeError} If `offset` or `size` is not an integer within `buf`.
   */
  sendBytes(buf: BytesLike, offset?: number, size?: number): Promise<void> {
    return this.#async(() => this.#sendBytes(buf, offset, size, "sendBytes"));
  }

  /**
   * Blocking {@linkcode Connection.sendBytes}.
   *
   * @param buf The bytes: a typed array, DataView, ArrayBuffer or SharedArrayBuffer.
   * @param offset The first byte to send (default 0).
   * @param size How many bytes to send (default: the rest of `buf`).
   * @throws {ProcessError} If this end is closed or cannot send (one-way pipe), or the other end
   *   is closed ("broken pipe").
   * @throws {TypeError} If `buf` is not bytes.
   * @throws {RangeError} If `offset` or `size` is not an integer within `buf`.
   */
  sendBytesSync(buf: BytesLike, offset?: number, size?: number): void {
    runSync(this.#sendBytes(buf, offset, size, "sendBytesSync"));
  }

  /**
   * Receives one message as bytes. Throws a `ProcessError` if it is longer than
   * `maxLength` (the message is then dropped), {@linkcode EOFError} as `recv` does.
   *
   * @param maxLength The longest message accepted, in bytes (default: no limit).
   * @returns A promise that resolves to the message's bytes.
   * @throws {ProcessError} If the message is longer than `maxLength`, or this end is
   *   closed or cannot receive.
   * @throws {EOFError} If the other end is closed and nothing is left to receive.
   * @throws {RangeError} If `maxLength` is not an integer >= 0.
   */
  recvBytes(maxLength?: number): Promise<Uint8Array> {
    return this.#async(() => this.#recvBytes(maxLength, "recvBytes"));
  }

  /**
   * Blocking {@linkcode Connection.recvBytes}.
   *
   * @param maxLength The longest message accepted, in bytes (default: no limit).
   * @returns The message's bytes.
   * @throws {ProcessError} If the message is longer than `maxLength`, or this end is
   *   closed or cannot receive.
   * @throws {EOFError} If the other end is closed and nothing is left to receive.
   * @throws {RangeError} If `maxLength` is not an integer >= 0.
   */
  recvBytesSync(maxLength?: number): Uint8Array {
    return runSync(this.#recvBytes(maxLength, "recvBytesSync"));
  }

  /**
   * Receives one message into `buf` from byte `offset`, returning its length in bytes.
   * Throws {@linkcode BufferTooShort} (holding the whole message) if it does not fit.
   *
   * @param buf Where to write: a typed array, DataView or ArrayBuffer.
   * @param offset The byte of `buf` to start at (default 0).
   * @returns A promise that resolves to the message's length in bytes.
   * @throws {BufferTooShort} If the message does not fit; `received` holds it.
   * @throws {EOFError} If the other end is closed and nothing is left to receive.
   * @throws {ProcessError} If this end is closed or cannot receive (one-way pipe).
   * @throws {TypeError} If `buf` is not bytes.
   * @throws {RangeError} If `offset` is not an integer within `buf`.
   */
  recvBytesInto(buf: ArrayBufferView | ArrayBuffer, offset: number = 0): Promise<number> {
    return this.#async(() => this.#recvBytesInto(buf, offset, "recvBytesInto"));
  }

  /**
   * Blocking {@linkcode Connection.recvBytesInto}.
   *
   * @param buf Where to write: a typed array, DataView or ArrayBuffer.
   * @param offset The byte of `buf` to start at (default 0).
   * @returns The message's length in bytes.
   * @throws {BufferTooShort} If the message does not fit; `received` holds it.
   * @throws {EOFError} If the other end is closed and nothing is left to receive.
   * @throws {ProcessError} If this end is closed or cannot receive (one-way pipe).
   * @throws {TypeError} If `buf` is not bytes.
   * @throws {RangeError} If `offset` is not an integer within `buf`.
   */
  recvBytesIntoSync(buf: ArrayBufferView | ArrayBuffer, offset: number = 0): number {
    return runSync(this.#recvBytesInto(buf, offset, "recvBytesIntoSync"));
  }

  /**
   * Closes this end in this process. Once every process holding the other side's
   * counterpart has closed it (or ended), the other end's `recv` ends with EOFError.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const pid = ownPid();
    if (this.#input) {
      removeHolder(this.#input.header, READERS, pid);
      this.#input.wakeAll();
    }
    if (this.#output) {
      removeHolder(this.#output.header, WRITERS, pid);
      this.#output.wakeAll();
    }
  }

  /** Closes the connection (`using conn = ...`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * The handle this connection travels as (codec).
   * @ignore
   */
  [SHARE](): SharedHandle {
    this.#check("send", null);
    const pid = ownPid();
    // Held for the receiver until it arrives, so that a close() here meanwhile is no EOF there.
    if (this.#input) addHolder(this.#input.header, READERS, pid);
    if (this.#output) addHolder(this.#output.header, WRITERS, pid);
    const state: ConnectionState = {
      input: this.#input?.buffer ?? null,
      output: this.#output?.buffer ?? null,
      from: pid,
    };
    return { type: "Connection", module: import.meta.url, state };
  }

  /**
   * A description, like Python's repr.
   *
   * @returns The description, e.g. `<Connection duplex>` or `<Connection read closed>`.
   */
  toString(): string {
    const mode = this.readable && this.writable ? "duplex" : this.readable ? "read" : "write";
    return `<Connection ${mode}${this.#closed ? " closed" : ""}>`;
  }

  #writersGone = (): boolean => !hasHolder(this.#input!.header, WRITERS);
  #readersGone = (): boolean => !hasHolder(this.#output!.header, READERS);

  #async<R>(make: () => Steps<R>): Promise<R> {
    try {
      return runAsync(make());
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Sends `obj` at once when nothing stands in the way (`null`: done), else the steps that wait. */
  #send(obj: T, method: string): Steps<void> | null {
    const out = this.#check(method, "writable");
    const payload = serialize(obj, "the other end of the pipe");
    if (out.tryWrite(payload, this.#readersGone) === "ok") return null;
    return putPayload(out, payload, undefined, Infinity, this.#sendFailures);
  }

  /** Receives at once when an item is there, else the steps that wait for one. */
  #recv(method: string): T | Later<T> {
    const input = this.#check(method, "readable");
    const item = input.tryRead(deserializeAt);
    if (item !== SLOW) return item as T;
    return new Later(getItem(input, undefined, Infinity, this.#recvFailures) as Steps<T>);
  }

  #sendFailures: Failures = { peerGone: () => this.#readersGone() };
  #recvFailures: Failures = { peerGone: () => this.#writersGone() };

  #poll(timeout: number, method: string): Steps<boolean> {
    const input = this.#check(method, "readable");
    const d = deadline(timeout, `Connection.${method}()`);
    return input.ready({ deadline: d.deadline, peerGone: this.#writersGone });
  }

  #sendBytes(
    buf: BytesLike,
    offset: number | undefined,
    size: number | undefined,
    method: string,
  ): Steps<void> {
    const out = this.#check(method, "writable");
    const bytes = byteView(buf, `Connection.${method}(buf)`);
    const start = offset ?? 0;
    const length = size ?? bytes.length - start;
    if (!Number.isInteger(start) || start < 0 || start > bytes.length) {
      throw new RangeError(
        `Connection.${method}(): offset ${offset} is outside the buffer (${bytes.length} bytes)`,
      );
    }
    if (!Number.isInteger(length) || length < 0 || start + length > bytes.length) {
      throw new RangeError(
        `Connection.${method}(): size ${size} from offset ${start} runs past the buffer (${bytes.length} bytes)`,
      );
    }
    const view = bytes.subarray(start, start + length);
    const fail = { peerGone: this.#readersGone };
    // A blocking send has written every byte when it returns: no copy is needed.
    if (method === "sendBytesSync") {
      return putPayload(out, { tag: Tag.Bytes, bytes: view }, undefined, Infinity, fail);
    }
    return sendStaged(out, stage(view), fail);
  }

  *#recvBytes(maxLength: number | undefined, method: string): Steps<Uint8Array> {
    const input = this.#check(method, "readable");
    if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < 0)) {
      throw new RangeError(
        `Connection.${method}(): maxLength must be a non-negative integer, got ${maxLength}`,
      );
    }
    const { bytes } = yield* getPayload(input, undefined, Infinity, { peerGone: this.#writersGone });
    if (maxLength !== undefined && bytes.length > maxLength) {
      throw new ProcessError(
        `Connection.${method}(): bad message length: the message has ${bytes.length} bytes, more than ` +
          `maxLength ${maxLength}; it was dropped`,
      );
    }
    return bytes;
  }

  *#recvBytesInto(buf: ArrayBufferView | ArrayBuffer, offset: number, method: string): Steps<number> {
    const input = this.#check(method, "readable");
    const target = byteView(buf, `Connection.${method}(buf)`);
    if (!Number.isInteger(offset) || offset < 0 || offset > target.length) {
      throw new RangeError(
        `Connection.${method}(): offset ${offset} is outside the buffer (${target.length} bytes)`,
      );
    }
    const { bytes } = yield* getPayload(input, undefined, Infinity, { peerGone: this.#writersGone });
    if (bytes.length > target.length - offset) {
      throw new BufferTooShort(
        bytes,
        `Connection.${method}(): the buffer has ${target.length - offset} bytes from offset ${offset}, too ` +
          `short for a message of ${bytes.length} bytes; the whole message is in error.received`,
      );
    }
    target.set(bytes, offset);
    return bytes.length;
  }

  #check(method: string, need: "readable" | "writable" | null): Channel {
    if (this.#closed) {
      throw new ProcessError(`Connection.${method}(): this Connection is closed (handle is closed)`);
    }
    const channel = need === "writable" ? this.#output : this.#input;
    if (need !== null && channel === null) {
      throw new ProcessError(
        `Connection.${method}(): this end of a one-way Pipe(false) is not ${need} (the first end receives, ` +
          "the second end sends)",
      );
    }
    return channel!;
  }
}

/** Writes staged bytes, and gives the staging buffer back however the write ends. */
function* sendStaged(out: Channel, staged: Staged, fail: Failures): Steps<void> {
  try {
    yield* putPayload(out, { tag: Tag.Bytes, bytes: staged.bytes }, undefined, Infinity, fail);
  } finally {
    staged.release();
  }
}

function byteView(buf: BytesLike, where: string): Uint8Array {
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf instanceof ArrayBuffer || buf instanceof SharedArrayBuffer) return new Uint8Array(buf);
  throw new TypeError(`${where}: expected bytes (a typed array, DataView or ArrayBuffer), got ${typeof buf}`);
}

function connect<T>(ends: Ends): Connection<T> {
  making = ends;
  try {
    return new Connection<T>();
  } finally {
    making = null;
  }
}

/**
 * Creates a pipe: a pair of connected {@linkcode Connection}s, like Python's
 * `multiprocessing.Pipe()`. Duplex by default (both ends send and receive); with
 * `duplex = false` the first end only receives and the second only sends.
 *
 * @example One-way pipe
 * ```ts
 * import { Pipe } from "@mp/multiprocessing";
 * const [reader, writer] = Pipe<number[]>(false);
 * await writer.send([1, 2, 3]);
 * writer.close();
 * console.log(await reader.recv()); // [1, 2, 3]
 * console.log(await reader.poll()); // true: recv would end with EOFError now
 * ```
 *
 * @param duplex `true` (default) for two-way ends, `false` for a receiving end and a
 *   sending end.
 * @returns The two ends; with `duplex = false`, `[receiver, sender]`.
 * @throws {TypeError} If `duplex` is not a boolean.
 */
export function Pipe<T = unknown>(duplex: boolean = true): [Connection<T>, Connection<T>] {
  if (typeof duplex !== "boolean") {
    throw new TypeError(`Pipe(duplex): duplex must be true or false, got ${String(duplex)}`);
  }
  const forward = Channel.create({ capacity: PIPE_CAPACITY });
  if (!duplex) return [connect({ input: forward, output: null }), connect({ input: null, output: forward })];
  const back = Channel.create({ capacity: PIPE_CAPACITY });
  return [connect({ input: back, output: forward }), connect({ input: forward, output: back })];
}

registerShared("Connection", (raw) => {
  const state = raw as ConnectionState;
  const input = state.input ? new Channel(state.input) : null;
  const output = state.output ? new Channel(state.output) : null;
  const conn = connect({ input, output });
  if (input) removeHolder(input.header, READERS, state.from);
  if (output) removeHolder(output.header, WRITERS, state.from);
  return conn;
});

inspectable(Connection);
