/**
 * A proxy's way to a remote manager (one started with an `address`, served by
 * `getServer().serveForever()`, or reached with `connect()`): a {@linkcode SocketConnection}
 * (`mp.connection.Client`, with the manager's authkey) instead of the shared-memory
 * transport. It has the parts of a `Transport` that proxies use; calls go through
 * `callRemote`, which the proxies' `callAsync` uses for it. Blocking (`*Sync`) calls
 * cannot wait for a socket fed by the thread's own event loop: their requests (seq -1)
 * are answered on the connection of a relay thread (`_remote_relay.ts`, started at the
 * first one), in the same session as this one (`hello` with this transport's token,
 * first on both), which hands the reply over while this thread waits with
 * `Atomics.wait`.
 *
 * Replies are taken as their bytes arrive, in the socket's data callback (no promise
 * per reply); the connection listens only while calls are pending, so that an idle
 * client program ends as usual. If the connection fails (the server ended, the network broke), every
 * pending and later call rejects with a `ProcessError` saying so.
 *
 * @module
 */
import {
  flushWrites,
  hasNews,
  onMessages,
  sendWith,
  type SocketConnection,
  writesWait,
} from "../net/socket_connection.ts";
import { formatAddress } from "../net/address.ts";
import { ProcessError } from "../internal/errors.ts";
import { errorFromData } from "../internal/_error_wire.ts";
import type { Transport } from "./_transport.ts";
import { decodeMessage, encodeMessage } from "../net/codec.ts";
import { LIVENESS_POLL_MS } from "../internal/_atomics.ts";
import { decodeUtf8 } from "../internal/runtime.ts";
import { runSync, type Steps, wait } from "../sync/_steps.ts";
import { Child } from "../process/_child.ts";
import { CTL_STATE, STATE_EXITED } from "../process/_messages.ts";
import { startHelper } from "../process/process.ts";
import {
  Assembly,
  bump,
  connectToServer,
  handOver,
  KIND_FAILURE,
  R_ACK,
  R_LEN,
  R_REP,
  R_REQ,
  R_STATE,
  RELAY_CHUNK,
  RELAY_FAILED,
  RELAY_SEQ,
  RELAY_STARTING,
  RELAY_WORDS,
  type RelayConfig,
  type RemoteSettings,
} from "./_relay_protocol.ts";
import { registerProxyKind, setRemoteTransports } from "./proxy/base.ts";
import { RemoteQueueProxy } from "./proxy/remote_queue.ts";
import {
  RemoteAcquirerProxy,
  RemoteArrayProxy,
  RemoteBarrierProxy,
  RemoteConditionProxy,
  RemoteEventProxy,
  RemoteValueProxy,
} from "./proxy/remote_sync.ts";
import { RemoteKind } from "./_protocol.ts";

/** What a remote transport travels as (in `Process` args, inside a proxy's handle). */
export interface RemoteHandle {
  remote: RemoteSettings;
  token: number;
}

/**
 * The error a remote call rejects with, as a local manager's: the server's class (a
 * built-in or this package's; another keeps its `name`) and message, with a
 * `RemoteError` holding the server's stack as its `cause`.
 */
function remoteError(data: unknown): Error {
  const d = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>;
  const name = typeof d.name === "string" ? d.name : "Error";
  const message = typeof d.message === "string" ? d.message : String(data);
  const stack = typeof d.stack === "string" ? d.stack : `${name}: ${message}`;
  return errorFromData({ name, message, stack });
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  typeid: string;
}

/** One program's connection to a remote manager. */
export class RemoteTransport {
  /** Marks this transport as remote (see `callAsync`). */
  readonly remote = true;
  readonly handle: RemoteHandle;
  readonly #where: string;
  #conn: SocketConnection | null = null;
  #connecting: Promise<SocketConnection>;
  #failure: Error | null = null;
  #closed = false;
  #seq = 0;
  readonly #pending = new Map<number, Pending>();
  /** This program's session with the server (its relay's connection joins it). */
  readonly #session = sessionToken();
  /** Makes the blocking calls (started at the first). */
  #relay: Relay | null = null;
  /** Takes the replies that arrived (set on the connection while calls are pending). */
  readonly #arrived = (): void => this.#takeReplies();
  #listening = false;

  /** Connects to the manager at `handle.remote.address` (calls wait for the connection). */
  constructor(handle: RemoteHandle) {
    this.handle = handle;
    this.#where = formatAddress(handle.remote.address);
    this.#connecting = connectToServer(handle.remote).then((c) => {
      sendWith(c, [0, 0, "hello", [this.#session]], () => {});
      this.#conn = c;
      if (this.#closed) c.close();
      return c;
    });
    this.#connecting.catch((e) => this.#fail(e));
  }

  /** Resolves once connected (rejects with the connection's error). */
  async ready(): Promise<void> {
    await this.#connecting;
  }

  /** The manager's token. */
  get token(): number {
    return this.handle.token;
  }

  /** True once closed here. */
  closed(): boolean {
    return this.#closed;
  }

  /** True once the connection was closed or failed. */
  gone = (): boolean => this.#closed || this.#failure !== null;

  /** Throws if the manager cannot be reached any more. */
  check(what: string): void {
    if (this.gone()) throw this.goneError(what);
  }

  /** Why `what` cannot reach the manager. */
  goneError(what: string): ProcessError {
    if (this.#closed) {
      return new ProcessError(
        `Cannot use ${what}: the connection to the remote manager at ${this.#where} was closed ` +
          "(shutdown() was called, or the manager was disposed)",
      );
    }
    return new ProcessError(
      `Cannot use ${what}: the connection to the remote manager at ${this.#where} failed ` +
        `(${this.#failure?.message ?? "unknown"}): its server ended, or the network broke`,
      { cause: this.#failure },
    );
  }

  /** {@linkcode RemoteTransport.call}, blocking: the `*Sync` proxy methods. */
  callSync(id: number, method: string, args: unknown[], typeid: string): unknown {
    return runSync(this.call(id, method, args, typeid));
  }

  /**
   * Calls `method` of object `id` on the server and waits for the reply, which comes
   * through the relay thread (run by `callSync`).
   */
  *call(id: number, method: string, args: unknown[], typeid: string): Steps<unknown> {
    if (this.gone()) throw this.goneError(`this ${typeid} proxy`);
    const message = [RELAY_SEQ, id, method, args];
    // The request goes on this program's connection, after what it sent before, unless
    // that connection cannot hand it to the OS before this thread blocks: it is not up
    // yet (a proxy just arrived in a child), or an earlier write's end is only told by
    // the event loop (Deno, after a blocking call). The relay sends it then.
    const c = this.#conn !== null && !writesWait(this.#conn) ? this.#conn : null;
    const request = c === null ? encodeMessage(message) : null; // a value that cannot be sent throws here
    this.#relay ??= new Relay({ ...this.handle.remote, session: this.#session });
    const relay = this.#relay;
    const failed = yield* relay.ready(this.#where);
    if (failed !== null) {
      // It could not connect: the next blocking call tries again with a new relay.
      relay.close();
      this.#relay = null;
      throw failed;
    }
    const reply = yield* relay.call(request, () => {
      // On this program's connection, after what it sent before (an async put, a
      // release), handed to the OS now: this thread blocks next.
      try {
        sendWith(c!, message, (err) => err && this.#fail(err));
      } catch (e) {
        if (this.#brokenBy(c!, e)) throw this.goneError(`this ${typeid} proxy`);
        throw e; // a value this package cannot send: the caller's error
      }
      flushWrites(c!);
    });
    if (reply === null || reply.kind === KIND_FAILURE) {
      this.#fail(new ProcessError(reply === null ? "its relay thread ended" : decodeUtf8(reply.bytes)));
      throw this.goneError(`this ${typeid} proxy`);
    }
    const r = decodeMessage(reply.bytes);
    if (!Array.isArray(r) || r.length !== 3 || r[0] !== RELAY_SEQ) {
      this.#fail(new ProcessError("The remote manager's server sent a malformed reply"));
      throw this.goneError(`this ${typeid} proxy`);
    }
    if (r[1] === 0) return r[2];
    throw remoteError(r[2]);
  }

  /** Calls `method` of object `id` on the server; resolves with the reply's value. */
  callRemote(id: number, method: string, args: unknown[], typeid: string): Promise<unknown> {
    if (this.gone()) return Promise.reject(this.goneError(`this ${typeid} proxy`));
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      const c = this.#conn;
      if (c === null) {
        // Not connected yet: send once connected.
        this.#pending.set(seq, { resolve, reject, typeid });
        this.#connecting.then(() => this.#sendCall(seq, [seq, id, method, args]), () => {});
        return;
      }
      try {
        sendWith(c, [seq, id, method, args], (err) => err && this.#sendFailed(seq, err));
      } catch (e) {
        // A value this package cannot send is the caller's error; anything else is the connection's.
        if (this.#brokenBy(c, e)) return reject(this.goneError(`this ${typeid} proxy`));
        return reject(e);
      }
      this.#pending.set(seq, { resolve, reject, typeid });
      this.#listen(c);
    });
  }

  /** Sends a call made before the connection was up. */
  #sendCall(seq: number, message: unknown[]): void {
    const c = this.#conn;
    if (c === null || !this.#pending.has(seq)) return;
    try {
      sendWith(c, message, (err) => err && this.#sendFailed(seq, err));
    } catch (e) {
      this.#sendFailed(seq, e, !this.#brokenBy(c, e));
      return;
    }
    this.#listen(c);
  }

  /** Whether `e`, thrown by a send on `c`, means the connection is gone (not a bad value). */
  #brokenBy(c: SocketConnection, e: unknown): boolean {
    if (this.#failure !== null || this.#closed) return true;
    if (c.closed || !(e instanceof ProcessError) || !/broken pipe|the connection failed/.test(e.message)) {
      return false;
    }
    this.#fail(e);
    return true;
  }

  #sendFailed(seq: number, e: unknown, callersError = false): void {
    const p = this.#pending.get(seq);
    if (p === undefined) return;
    this.#pending.delete(seq);
    p.reject(callersError ? e as Error : this.goneError(`this ${p.typeid} proxy`));
    if (!callersError) this.#fail(e);
  }

  /** Sends a request without waiting for a reply (reference counting). */
  post(method: string, args: unknown[], _sync?: boolean): void {
    if (this.gone()) return;
    const message = [0, 0, method, args];
    const send = (c: SocketConnection) => {
      try {
        sendWith(c, message, () => {});
      } catch { /* the connection is gone: so are the references */ }
    };
    if (this.#conn !== null) send(this.#conn);
    else this.#connecting.then(send, () => {});
  }

  /** Closes the connection: pending calls reject. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unlisten();
    this.#conn?.close();
    this.#relay?.close();
    this.#rejectAll();
  }

  /** Listens for replies while calls are pending (an idle program ends). */
  #listen(c: SocketConnection): void {
    if (this.#listening || this.#pending.size === 0) return;
    this.#listening = true;
    onMessages(c, this.#arrived);
    if (hasNews(c)) this.#takeReplies();
  }

  #unlisten(): void {
    if (!this.#listening) return;
    this.#listening = false;
    if (this.#conn !== null) onMessages(this.#conn, null);
  }

  #takeReplies(): void {
    const c = this.#conn;
    if (c === null) return;
    try {
      while (this.#pending.size > 0 && !this.gone() && hasNews(c)) {
        const r = c.recvSync();
        if (!Array.isArray(r) || r.length !== 3 || typeof r[0] !== "number") {
          throw new ProcessError("The remote manager's server sent a malformed reply");
        }
        const p = this.#pending.get(r[0]);
        if (p === undefined) continue;
        this.#pending.delete(r[0]);
        if (r[1] === 0) p.resolve(r[2]);
        else p.reject(remoteError(r[2]));
      }
    } catch (e) {
      this.#fail(e);
    }
    if (this.#pending.size === 0) this.#unlisten();
  }

  #fail(e: unknown): void {
    if (this.#failure !== null || this.#closed) return;
    this.#failure = e instanceof Error ? e : new Error(String(e));
    this.#unlisten();
    this.#conn?.close();
    this.#relay?.close();
    this.#rejectAll();
  }

  #rejectAll(): void {
    for (const [seq, p] of this.#pending) {
      this.#pending.delete(seq);
      p.reject(this.goneError(`this ${p.typeid} proxy`));
    }
  }
}

/** A new session token: 16 random bytes in hex. */
function sessionToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** How long a relay may take to connect to the server (ms). */
const RELAY_CONNECT_MS = 60_000;

let relays = 0;

/**
 * The caller's side of a relay thread (see `_relay_protocol.ts`): the thread's `Child`
 * and the shared buffer, and one blocking call at a time.
 */
class Relay {
  readonly #ctl = new Int32Array(new SharedArrayBuffer(RELAY_WORDS * 4));
  readonly #data = new Uint8Array(new SharedArrayBuffer(RELAY_CHUNK));
  readonly #child: Child;

  constructor(settings: Omit<RelayConfig, "ctl" | "data">) {
    const config: RelayConfig = { ctl: this.#ctl, data: this.#data, ...settings };
    this.#child = new Child({
      kind: "RemoteRelay",
      role: { role: "relay", extra: () => config, message: () => {} },
    });
    startHelper(this.#child, `RemoteRelay-${++relays}`);
  }

  /** Whether its thread has ended (set by its bootstrap, so seen while this thread is blocked). */
  #ended(): boolean {
    const c = this.#child.control;
    return c === null || this.#child.hasEnded || Atomics.load(c, CTL_STATE) === STATE_EXITED;
  }

  /** Waits until it is connected: `null`, or the error it could not connect with. */
  *ready(where: string): Steps<ProcessError | null> {
    const deadline = performance.now() + RELAY_CONNECT_MS;
    while (Atomics.load(this.#ctl, R_STATE) === RELAY_STARTING) {
      if (this.#ended() || performance.now() > deadline) {
        return new ProcessError(
          `Cannot make a blocking call to the remote manager at ${where}: its relay thread ` +
            `${
              this.#ended() ? "ended" : `did not connect within ${RELAY_CONNECT_MS} ms`
            }: use the async method`,
        );
      }
      yield wait(this.#ctl, R_STATE, RELAY_STARTING, LIVENESS_POLL_MS);
    }
    if (Atomics.load(this.#ctl, R_STATE) !== RELAY_FAILED) return null;
    const why = decodeUtf8(this.#data.subarray(0, Atomics.load(this.#ctl, R_LEN)));
    return new ProcessError(`Cannot make a blocking call to the remote manager at ${where}: ${why}`);
  }

  /**
   * Makes one call: `send()` sends the request on the program's connection, or, when
   * `request` is given, the relay sends it. Returns the reply (`null` if the thread
   * ended meanwhile).
   */
  *call(request: Uint8Array | null, send: () => void): Steps<{ kind: number; bytes: Uint8Array } | null> {
    const ctl = this.#ctl;
    let seen = Atomics.load(ctl, R_REP);
    if (request === null) send();
    else {
      for (let at = 0;;) {
        at = handOver(ctl, this.#data, R_REQ, request, at);
        if (at >= request.length) break;
        if (!(yield* this.#changed(seen))) return null; // the relay took the chunk
        seen = Atomics.load(ctl, R_REP);
      }
    }
    const reply = new Assembly();
    for (;;) {
      if (!(yield* this.#changed(seen))) return null;
      seen = Atomics.load(ctl, R_REP);
      const bytes = reply.take(ctl, this.#data);
      if (bytes !== null) return { kind: reply.kind, bytes };
      bump(ctl, R_ACK);
    }
  }

  /** Waits until the relay hands something over (`R_REP` is no longer `seen`); false if its thread ended. */
  *#changed(seen: number): Steps<boolean> {
    for (;;) {
      if (Atomics.load(this.#ctl, R_REP) !== seen) return true;
      if (this.#ended()) return false;
      yield wait(this.#ctl, R_REP, seen, LIVENESS_POLL_MS);
    }
  }

  /** Ends its thread. */
  close(): void {
    this.#child.end(0);
  }
}

/** Whether `t` is a remote manager's transport. */
export function isRemote(t: unknown): t is RemoteTransport {
  return t instanceof RemoteTransport;
}

/** The remote transport of `handle` as a `Transport` for the proxies (they use only what both have). */
export function asTransport(t: RemoteTransport): Transport {
  return t as unknown as Transport;
}

setRemoteTransports((handle) => asTransport(new RemoteTransport(handle as RemoteHandle)));

registerProxyKind(RemoteKind.Queue, (t, desc) => new RemoteQueueProxy(t, desc));
registerProxyKind(RemoteKind.Acquirer, (t, desc) => new RemoteAcquirerProxy(t, desc));
registerProxyKind(RemoteKind.Event, (t, desc) => new RemoteEventProxy(t, desc));
registerProxyKind(RemoteKind.Condition, (t, desc) => new RemoteConditionProxy(t, desc));
registerProxyKind(RemoteKind.Barrier, (t, desc) => new RemoteBarrierProxy(t, desc));
registerProxyKind(RemoteKind.Value, (t, desc) => new RemoteValueProxy(t, desc));
registerProxyKind(RemoteKind.Array, (t, desc) => new RemoteArrayProxy(t, desc));
