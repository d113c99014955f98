/**
 * `Pipe` of `mp.dummy` (Python's `multiprocessing.dummy.connection.Pipe`): two
 * connected ends on the calling thread, with the real `Connection`'s API.
 *
 * @module
 */
import { BufferTooShort, EOFError, ProcessError } from "../internal/errors.ts";
import { currentProcess, type DummyProcess, onProcessStart, whenEnded } from "./process.ts";
import { noWait, printable, timeoutMs, WaitList, wouldBlock } from "./waiters.ts";

/** An accepted byte source for `sendBytes`. */
export type BytesLike = ArrayBufferView | ArrayBuffer | SharedArrayBuffer;

interface Message {
  bytes: boolean;
  value: unknown;
}

/** One direction of a pipe: messages in order, and whether its sending end is closed. */
class Channel {
  messages: Message[] = [];
  writerClosed = false;
  readerClosed = false;
  readers = new WaitList<void>();
}

let holdFor: (c: Connection, p: DummyProcess) => void;

/** Notes the Connections found in `value` (args, arrays and plain objects in them) as held by `p`. */
function holdAll(value: unknown, p: DummyProcess, seen: Set<unknown>): void {
  if (typeof value !== "object" || value === null || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Connection) holdFor(value, p);
  else if (Array.isArray(value)) { for (const v of value) holdAll(v, p, seen); }
  else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) holdAll(v, p, seen);
  }
}

onProcessStart((p, args) => holdAll(args, p, new Set()));

let making: { input: Channel | null; output: Channel | null } | null = null;

function byteView(buf: BytesLike, where: string): Uint8Array {
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf instanceof ArrayBuffer || buf instanceof SharedArrayBuffer) return new Uint8Array(buf);
  throw new TypeError(`${where}: expected bytes (a typed array, DataView or ArrayBuffer), got ${typeof buf}`);
}

/**
 * One end of a dummy {@linkcode Pipe}: the real `Connection`'s API on this thread.
 * `send` passes objects as they are (not copied); `sendBytes` sends a copy of the bytes.
 * Sending never waits. `recv` waits without blocking; `recvSync` answers at once when a
 * message is there (or the other end is closed: `EOFError`) and otherwise throws a
 * `ProcessError`, since only another task of this thread could send one.
 *
 * @example A conversation between two tasks
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const [parent, child] = mp.Pipe<string>();
 * const p = new mp.Process({
 *   target: async () => {
 *     const question = await child.recv();
 *     await child.send(`you asked: ${question}`);
 *     child.close();
 *   },
 * });
 * await p.start();
 * await parent.send("how are you?");
 * console.log(await parent.recv()); // "you asked: how are you?"
 * await p.join();
 * ```
 */
export class Connection<T = unknown> {
  readonly #input: Channel | null;
  readonly #output: Channel | null;
  /** The dummy processes holding this end open: its creator, and those it was passed to in `args`. */
  readonly #holders = new Set<DummyProcess>();
  /** The dummy processes that closed this end: their later calls throw. */
  readonly #closedBy = new Set<DummyProcess>();
  #shut = false;

  static {
    holdFor = (c, p) => {
      if (c.#shut || c.#closedBy.has(p)) return;
      c.#holders.add(p);
      void whenEnded(p).then(() => c.#drop(p));
    };
  }

  /** Connections come from {@linkcode Pipe}; this constructor is not for direct use. */
  constructor() {
    if (making === null) throw new TypeError("Connection cannot be constructed directly: use Pipe()");
    this.#input = making.input;
    this.#output = making.output;
    this.#holders.add(currentProcess());
  }

  /** Whether this end was closed in the calling dummy process (or in all that held it). */
  get closed(): boolean {
    return this.#shut || this.#closedBy.has(currentProcess());
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
   * Sends `obj` (as it is) to the other end; rejects with a `ProcessError` ("broken pipe") if that end is closed.
   *
   * @param obj The object to send, as it is (no copy).
   * @throws {ProcessError} If this end is closed, cannot send (a one-way pipe's first end) or the other end is closed (broken pipe).
   */
  send(obj: T): Promise<void> {
    return this.#async(() => this.sendSync(obj));
  }

  /**
   * Like {@linkcode Connection.send}, at once (sending never waits).
   *
   * @param obj The object to send, as it is (no copy).
   * @throws {ProcessError} If this end is closed, cannot send (a one-way pipe's first end) or the other end is closed (broken pipe).
   */
  sendSync(obj: T): void {
    this.#put({ bytes: false, value: obj }, "sendSync");
  }

  /**
   * Receives the next object sent from the other end, waiting as long as it takes.
   * Rejects with {@linkcode EOFError} once the other end is closed and nothing is left.
   *
   * @returns A promise that resolves to the next object.
   * @throws {EOFError} If the other end is closed and nothing is left.
   * @throws {ProcessError} If this end is closed or cannot receive.
   */
  async recv(): Promise<T> {
    return (await this.#get("recv")).value as T;
  }

  /**
   * Receives the next object if one is there; throws {@linkcode EOFError} if the other
   * end is closed and nothing is left, and otherwise a `ProcessError` at once.
   *
   * @returns The next object.
   * @throws {EOFError} If the other end is closed and nothing is left.
   * @throws {ProcessError} If nothing is there yet (only another task could send it), or this end is closed.
   */
  recvSync(): T {
    return this.#getNow("recvSync", "await conn.recv()").value as T;
  }

  /**
   * Whether there is something to receive (or the other end is closed, so that `recv`
   * would not wait), waiting at most `timeout` ms. As in Python, the default is not to
   * wait; pass `Infinity` to wait as long as it takes.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to `true` if there is something to receive (or the other end is closed).
   * @throws {TypeError} If `timeout` is neither `undefined` nor a number.
   */
  async poll(timeout: number = 0): Promise<boolean> {
    const ms = timeoutMs(timeout, "Connection.poll()");
    const input = this.#check("poll", "readable");
    if (this.#ready(input)) return true;
    if (noWait(ms)) return false;
    await input.readers.park(ms);
    return this.#ready(input);
  }

  /**
   * Whether there is something to receive now; with a timeout above 0 and nothing there, throws a `ProcessError`.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns `true` if there is something to receive (or the other end is closed).
   * @throws {ProcessError} If nothing is there and `timeout` is above 0: only another task could send it.
   */
  pollSync(timeout: number = 0): boolean {
    const ms = timeoutMs(timeout, "Connection.pollSync()");
    const input = this.#check("pollSync", "readable");
    if (this.#ready(input)) return true;
    if (noWait(ms)) return false;
    throw wouldBlock("Connection.pollSync()", "nothing has been sent", "await conn.poll(timeout)");
  }

  /**
   * Sends `size` bytes of `buf` from byte `offset` (default: all of it) as one message (a copy).
   *
   * @param buf The bytes: a typed array, a DataView or an ArrayBuffer.
   * @param offset The byte of `buf` to start from (default 0).
   * @param size How many bytes to send (default: the rest).
   * @throws {TypeError} If `buf` is not bytes.
   * @throws {RangeError} If `offset` or `size` fall outside `buf`.
   * @throws {ProcessError} If this end is closed, cannot send, or the other end is closed.
   */
  sendBytes(buf: BytesLike, offset?: number, size?: number): Promise<void> {
    return this.#async(() => this.sendBytesSync(buf, offset, size));
  }

  /**
   * Like {@linkcode Connection.sendBytes}, at once.
   *
   * @param buf The bytes: a typed array, a DataView or an ArrayBuffer.
   * @param offset The byte of `buf` to start from (default 0).
   * @param size How many bytes to send (default: the rest).
   * @throws {TypeError} If `buf` is not bytes.
   * @throws {RangeError} If `offset` or `size` fall outside `buf`.
   * @throws {ProcessError} If this end is closed, cannot send, or the other end is closed.
   */
  sendBytesSync(buf: BytesLike, offset?: number, size?: number): void {
    const where = "Connection.sendBytes()";
    this.#check("sendBytes", "writable");
    const bytes = byteView(buf, where);
    const start = offset ?? 0;
    const length = size ?? bytes.length - start;
    if (!Number.isInteger(start) || start < 0 || start > bytes.length) {
      throw new RangeError(`${where}: offset ${offset} is outside the buffer (${bytes.length} bytes)`);
    }
    if (!Number.isInteger(length) || length < 0 || start + length > bytes.length) {
      throw new RangeError(
        `${where}: size ${size} from offset ${start} runs past the buffer (${bytes.length} bytes)`,
      );
    }
    this.#put({ bytes: true, value: bytes.slice(start, start + length) }, "sendBytes");
  }

  /**
   * Receives one message as bytes. Throws a `ProcessError` if it is longer than
   * `maxLength` (the message is then dropped), {@linkcode EOFError} as `recv` does.
   *
   * @param maxLength The longest message accepted, in bytes.
   * @returns A promise that resolves to the message's bytes.
   * @throws {ProcessError} If the message is longer than `maxLength` (it is dropped), or was sent with `send()`.
   * @throws {EOFError} If the other end is closed and nothing is left.
   */
  async recvBytes(maxLength?: number): Promise<Uint8Array> {
    this.#checkMax(maxLength, "recvBytes");
    return this.#bytesOf(await this.#get("recvBytes"), maxLength, "recvBytes");
  }

  /**
   * Like {@linkcode Connection.recvBytes} when a message is there; otherwise as {@linkcode Connection.recvSync}.
   *
   * @param maxLength The longest message accepted, in bytes.
   * @returns The message's bytes.
   * @throws {ProcessError} If nothing is there yet, or the message is longer than `maxLength`.
   * @throws {EOFError} If the other end is closed and nothing is left.
   */
  recvBytesSync(maxLength?: number): Uint8Array {
    this.#checkMax(maxLength, "recvBytesSync");
    return this.#bytesOf(this.#getNow("recvBytesSync", "await conn.recvBytes()"), maxLength, "recvBytesSync");
  }

  /**
   * Receives one message into `buf` from byte `offset`, returning its length in bytes.
   * Throws {@linkcode BufferTooShort} (holding the whole message) if it does not fit.
   *
   * @param buf Where to write the message: a typed array, a DataView or an ArrayBuffer.
   * @param offset The byte of `buf` to write from (default 0).
   * @returns A promise that resolves to the message's length in bytes.
   * @throws {BufferTooShort} If the message does not fit; it holds the whole message.
   * @throws {EOFError} If the other end is closed and nothing is left.
   */
  async recvBytesInto(buf: ArrayBufferView | ArrayBuffer, offset: number = 0): Promise<number> {
    const target = this.#intoTarget(buf, offset, "recvBytesInto");
    return this.#into(target, offset, await this.#get("recvBytesInto"), "recvBytesInto");
  }

  /**
   * Like {@linkcode Connection.recvBytesInto} when a message is there; otherwise as {@linkcode Connection.recvSync}.
   *
   * @param buf Where to write the message: a typed array, a DataView or an ArrayBuffer.
   * @param offset The byte of `buf` to write from (default 0).
   * @returns The message's length in bytes.
   * @throws {BufferTooShort} If the message does not fit; it holds the whole message.
   * @throws {ProcessError} If nothing is there yet: only another task could send it.
   */
  recvBytesIntoSync(buf: ArrayBufferView | ArrayBuffer, offset: number = 0): number {
    const target = this.#intoTarget(buf, offset, "recvBytesIntoSync");
    const m = this.#getNow("recvBytesIntoSync", "await conn.recvBytesInto(buf)");
    return this.#into(target, offset, m, "recvBytesIntoSync");
  }

  /**
   * Closes this end in the calling dummy process, as the real `close()` closes it in
   * this process. Once every dummy process holding it (its creator, and those it was
   * passed to in `args`) has closed it or ended, the other end's `recv` ends with
   * `EOFError` after what was sent.
   */
  close(): void {
    const me = currentProcess();
    if (this.#shut || this.#closedBy.has(me)) return;
    this.#closedBy.add(me);
    this.#drop(me);
  }

  #drop(p: DummyProcess): void {
    if (!this.#holders.delete(p) || this.#holders.size > 0 || this.#shut) return;
    this.#shut = true;
    const error = new ProcessError("This Connection was closed (close() was called) while this call waited");
    if (this.#input) {
      this.#input.readerClosed = true;
      this.#input.readers.failAll(error);
    }
    if (this.#output) {
      this.#output.writerClosed = true;
      this.#output.readers.wakeAll(); // the other end's waiters see EOF
    }
  }

  /** Closes the connection (`using conn = ...`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * A description, like Python's repr: `<Connection duplex>`.
   *
   * @returns The description.
   */
  toString(): string {
    const mode = this.readable && this.writable ? "duplex" : this.readable ? "read" : "write";
    return `<Connection ${mode}${this.closed ? " closed" : ""}>`;
  }

  #ready(input: Channel): boolean {
    return input.messages.length > 0 || input.writerClosed;
  }

  #async(f: () => void): Promise<void> {
    try {
      f();
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #put(m: Message, method: string): void {
    const out = this.#check(method, "writable");
    if (out.readerClosed) {
      throw new ProcessError(`Connection.${method}(): broken pipe (the other end was closed)`);
    }
    out.messages.push(m);
    out.readers.wakeAll(); // receivers look again in turn; pollers see it too
  }

  async #get(method: string): Promise<Message> {
    const input = this.#check(method, "readable");
    for (;;) {
      const m = input.messages.shift();
      if (m !== undefined) return m;
      if (input.writerClosed) throw this.#eof(method);
      await input.readers.park(undefined);
      this.#check(method, "readable");
    }
  }

  #getNow(method: string, instead: string): Message {
    const input = this.#check(method, "readable");
    const m = input.messages.shift();
    if (m !== undefined) return m;
    if (input.writerClosed) throw this.#eof(method);
    throw wouldBlock(`Connection.${method}()`, "nothing has been sent", instead);
  }

  #eof(method: string): EOFError {
    return new EOFError(`Connection.${method}(): the other end was closed and nothing is left to receive`);
  }

  #checkMax(maxLength: number | undefined, method: string): void {
    if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < 0)) {
      throw new RangeError(
        `Connection.${method}(): maxLength must be a non-negative integer, got ${maxLength}`,
      );
    }
  }

  #bytesOf(m: Message, maxLength: number | undefined, method: string): Uint8Array {
    if (!m.bytes) {
      throw new ProcessError(
        `Connection.${method}(): the message was sent with send(), not sendBytes(), and it was dropped: ` +
          "receive objects with recv()",
      );
    }
    const bytes = m.value as Uint8Array;
    if (maxLength !== undefined && bytes.length > maxLength) {
      throw new ProcessError(
        `Connection.${method}(): bad message length: the message has ${bytes.length} bytes, more than ` +
          `maxLength ${maxLength}; it was dropped`,
      );
    }
    return bytes;
  }

  #intoTarget(buf: ArrayBufferView | ArrayBuffer, offset: number, method: string): Uint8Array {
    this.#check(method, "readable");
    const target = byteView(buf, `Connection.${method}(buf)`);
    if (!Number.isInteger(offset) || offset < 0 || offset > target.length) {
      throw new RangeError(
        `Connection.${method}(): offset ${offset} is outside the buffer (${target.length} bytes)`,
      );
    }
    return target;
  }

  #into(target: Uint8Array, offset: number, m: Message, method: string): number {
    const bytes = this.#bytesOf(m, undefined, method);
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

  #check(method: string, need: "readable" | "writable"): Channel {
    if (this.closed) {
      throw new ProcessError(`Connection.${method}(): this Connection is closed (handle is closed)`);
    }
    const channel = need === "writable" ? this.#output : this.#input;
    if (channel === null) {
      throw new ProcessError(
        `Connection.${method}(): this end of a one-way Pipe(false) is not ${need} (the first end receives, ` +
          "the second end sends)",
      );
    }
    return channel;
  }
}

function connect<T>(input: Channel | null, output: Channel | null): Connection<T> {
  making = { input, output };
  try {
    return new Connection<T>();
  } finally {
    making = null;
  }
}

/**
 * Creates a dummy pipe: a pair of connected {@linkcode Connection}s on this thread,
 * like the real `Pipe()`. Duplex by default; with `duplex = false` the first end only
 * receives and the second only sends.
 *
 * @example One-way pipe
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const [reader, writer] = mp.Pipe<number[]>(false);
 * await writer.send([1, 2, 3]);
 * writer.close();
 * console.log(await reader.recv()); // [1, 2, 3]
 * console.log(await reader.poll()); // true: recv would end with EOFError now
 * ```
 * @param duplex `true` (default) for two ends that both send and receive; `false` for a receiving end and a sending end.
 * @returns The two ends, `[a, b]`.
 */
export function Pipe<T = unknown>(duplex: boolean = true): [Connection<T>, Connection<T>] {
  const forward = new Channel();
  if (!duplex) return [connect(forward, null), connect(null, forward)];
  const back = new Channel();
  return [connect(back, forward), connect(forward, back)];
}

printable(Connection);
