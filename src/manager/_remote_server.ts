/**
 * The server of a remote manager (`new BaseManager({ address, authkey })`): it listens
 * with an `mp.connection` {@linkcode Listener} (Python's framing and HMAC handshake)
 * and answers the requests of each client connection on this thread's event loop.
 *
 * Wire protocol, over `send` / `recv` of a {@linkcode SocketConnection} (this package's
 * message format, which never runs code):
 *
 * - request `[seq, id, method, args]`: `id` 0 is the manager itself (`create`,
 *   `decref`, `debugInfo`, `shutdown`, and `hello(token, role?)` first on a connection);
 *   `seq` 0 wants no reply, `seq` -1 a reply on the session's relay connection.
 * - reply `[seq, 0, value]` or `[seq, 1, { name, message, stack }]`.
 *
 * A client program's connections that say `hello` with the same token are one session
 * (its proxies' connection and its relay thread's, which makes its blocking calls):
 * references, locks and waits belong to the session.
 *
 * Only the built-in types, the registered typeids and their exposed methods can be
 * called; anything else (a malformed request, a frame that does not decode) drops
 * that connection; a client's references, locks and waits are let go with its session's
 * last connection, while the others go on.
 *
 * @module
 */
import { Listener } from "../net/listener.ts";
import {
  hasNews,
  heartbeat,
  keepAlive,
  onMessages,
  sendWith,
  type SocketConnection,
} from "../net/socket_connection.ts";
import type { Address } from "../net/address.ts";
import type { Authkey } from "../net/auth.ts";
import { BrokenBarrierError, Empty, Full, ProcessError } from "../internal/errors.ts";
import { checkTimeout } from "../internal/_timeouts.ts";
import { type AnyTyped, checkTypecode, newTypedArray, toStored, type Typecode } from "../shared/typecodes.ts";
import { checkIndex } from "../shared/_indexed.ts";
import { type Referent, referentMakers } from "./_referents.ts";
import {
  KEEPALIVE_MS,
  Kind,
  markerDesc,
  markerOf,
  PING_TO_CLIENT,
  PING_TO_SERVER,
  type ProxyDesc,
  RemoteKind,
} from "./_protocol.ts";

// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => any;

/** A type the remote server makes: a callable (called in this program) and its exposed methods. */
export interface RemoteType {
  fn?: AnyFunction;
  exposed?: string[];
  /** Methods whose result is held as an object of another typeid and returned as its proxy. */
  methodToTypeid?: Record<string, string>;
}

/** Settings of a remote manager's server. */
export interface RemoteServerOptions {
  address: Address;
  authkey?: Authkey;
  maxMessageSize?: number;
  /** How long (ms) a connection may go without sending before it pings (default `KEEPALIVE_MS`). */
  keepAlive?: number;
  types: Map<string, RemoteType>;
}

/** What a method of a server-side object receives besides its arguments. */
interface Caller {
  /** Whose call it is: it holds references, locks and permits. */
  session: Session;
  /** The connection it came on (a parked call whose connection ended takes nothing). */
  link: Conn;
}

type Method = (obj: never, caller: Caller, ...args: unknown[]) => unknown;

interface Entry {
  typeid: string;
  obj: unknown;
  methods: Record<string, Method>;
  holders: Map<Session, number>;
  count: number;
  /** Called when a holder's session ends (locks release, waits end). */
  gone?: (session: Session) => void;
  desc: ProxyDesc;
  /**
   * Returned by a registered function (not a class): the program may hand it out again
   * (`() => queue`), so it is kept, with what it holds, until shutdown.
   */
  pinned?: boolean;
}

/**
 * One client program's session: the connections it made with the same session token
 * (its proxies' connection, and its relay thread's for blocking calls; see `hello`). It
 * holds references, locks and permits, and waits, as one client: they are let go when
 * its last connection ends. A connection that sends no `hello` is a session of its own.
 */
class Session {
  /** The token its connections gave (`null`: a connection that gave none). */
  token: string | null = null;
  readonly conns = new Set<Conn>();
  /** The connection of its relay thread, where replies to requests with seq -1 go. */
  relay: Conn | null = null;
  closed = false;
}

/** One client connection. */
class Conn {
  session = new Session();
  /** Requests handled so far (`hello` must come first). */
  handled = 0;
  readonly id: number;
  readonly c: SocketConnection;
  closed = false;
  /** Replies handed to the socket and not yet written. */
  unsent = 0;
  /** Serves the requests that wait, once replies drained (see MAX_UNSENT). */
  drained: (() => void) | null = null;
  /** Called as each reply is written (or fails to be). */
  readonly sent = (): void => {
    if (--this.unsent === MAX_UNSENT / 2) this.drained?.();
  };
  constructor(id: number, c: SocketConnection) {
    this.id = id;
    this.c = c;
  }
}

/**
 * Replies not yet written beyond which a connection's requests are not read: a client
 * that sends without reading its replies cannot make the server buffer without end.
 */
const MAX_UNSENT = 1024;

const MAX_DEPTH = 256;

/** Calls `f` with each proxy description marked inside `v`. */
function eachMarker(v: unknown, f: (desc: ProxyDesc) => void, depth = 0): void {
  if (typeof v !== "object" || v === null || ArrayBuffer.isView(v) || depth > MAX_DEPTH) return;
  const desc = markerDesc(v);
  if (desc !== undefined) return f(desc);
  if (Array.isArray(v)) { for (const x of v) eachMarker(x, f, depth + 1); }
  else if (v instanceof Map) { for (const x of v.values()) eachMarker(x, f, depth + 1); }
  else if (v instanceof Set) { for (const x of v) eachMarker(x, f, depth + 1); }
  else if (typeof (v as { items?: unknown }).items === "object" && v instanceof RemoteQueue) {
    eachMarker(v.items, f, depth + 1);
  } else {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return;
    for (const k of Object.keys(v)) eachMarker((v as Record<string, unknown>)[k], f, depth + 1);
  }
}

/**
 * A timeout from the wire, in ms (0 or less: do not wait; `undefined` or `null`: as
 * long as it takes); anything else is a `TypeError` naming `where`, as locally.
 */
function timeoutOf(v: unknown, where: string): number {
  const ms = checkTimeout(v, where);
  return ms === undefined ? Infinity : Math.max(0, ms);
}

/** The longest delay `setTimeout` takes (a longer one fires at once). */
const MAX_DELAY = 0x7fffffff;

/**
 * Calls `f` after `ms` unless the returned cancel is called first. A delay beyond
 * `setTimeout`'s limit runs in steps; one beyond 2^53 ms never ends.
 */
function timer(ms: number, f: () => void): () => void {
  if (!Number.isFinite(ms) || ms >= 2 ** 53) return () => {};
  let h: ReturnType<typeof setTimeout>;
  const arm = (left: number) => {
    h = setTimeout(() => left > MAX_DELAY ? arm(left - MAX_DELAY) : f(), Math.min(left, MAX_DELAY));
  };
  arm(ms);
  return () => clearTimeout(h);
}

interface Waiter {
  session: Session;
  /** Offers the wake-up to this call: false if it has settled, its client left, or it declines. */
  wake: () => boolean;
}

/** What `accept` returns to let a wake-up pass to the next waiter. */
const DECLINE: unique symbol = Symbol("decline");

/**
 * Parks the call of `caller` in `list` until it accepts a wake-up or `ms` pass. At each
 * wake-up, `accept()` gives the call's result, or {@linkcode DECLINE} to leave it to the
 * next waiter (the item went to another, the lock is taken); at the timeout,
 * `expire()` gives the result or throws the call's error. Every blocking method of the
 * server's objects waits this way.
 */
function park<T>(
  list: Waiter[],
  caller: Caller,
  ms: number,
  accept: () => T | typeof DECLINE,
  expire: () => T,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let done = false;
    const waiter: Waiter = {
      session: caller.session,
      wake: () => {
        if (done || caller.session.closed || caller.link.closed) return false;
        const result = accept();
        if (result === DECLINE) return false;
        done = true;
        cancel();
        resolve(result);
        return true;
      },
    };
    const cancel = timer(ms, () => {
      done = true;
      const at = list.indexOf(waiter); // a call that timed out leaves no entry behind
      if (at >= 0) list.splice(at, 1);
      try {
        resolve(expire());
      } catch (e) {
        reject(e);
      }
    });
    list.push(waiter);
  });
}

/** A queue in the server: gets and puts wait here, per session. */
class RemoteQueue {
  items: unknown[] = [];
  head = 0;
  unfinished = 0;
  getters: Waiter[] = [];
  putters: Waiter[] = [];
  joiners: Waiter[] = [];
  constructor(readonly maxsize: number, readonly joinable: boolean) {}

  size(): number {
    return this.items.length - this.head;
  }
  #take(): unknown {
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }
  #room(): boolean {
    return this.maxsize <= 0 || this.size() < this.maxsize;
  }
  #wakeOne(list: Waiter[]): void {
    while (list.length > 0) if (list.shift()!.wake()) return;
  }
  put(caller: Caller, item: unknown, timeout: unknown): void | Promise<void> {
    const ms = timeoutOf(timeout, "Queue.put()");
    if (this.#room()) return this.#push(item);
    if (ms === 0) throw new Full("The queue is full");
    return park(this.putters, caller, ms, () => this.#push(item), () => {
      throw new Full(`The queue stayed full for ${ms} ms`);
    });
  }
  #push(item: unknown): void {
    this.items.push(item);
    if (this.joinable) this.unfinished++;
    this.#wakeOne(this.getters);
  }
  get(caller: Caller, timeout: unknown): unknown {
    const ms = timeoutOf(timeout, "Queue.get()");
    if (this.size() > 0) return this.#pop();
    if (ms === 0) throw new Empty("The queue is empty");
    // A getter whose client went away takes nothing: the item goes to the next one.
    return park(this.getters, caller, ms, () => this.size() === 0 ? DECLINE : this.#pop(), () => {
      throw new Empty(`The queue stayed empty for ${ms} ms`);
    });
  }
  #pop(): unknown {
    const item = this.#take();
    this.#wakeOne(this.putters);
    return item;
  }
  taskDone(): void {
    if (this.unfinished <= 0) {
      throw new RangeError("JoinableQueue.taskDone(): called more times than there were items");
    }
    if (--this.unfinished === 0) { for (const w of this.joiners.splice(0)) w.wake(); }
  }
  join(caller: Caller, timeout: unknown): boolean | Promise<boolean> {
    const ms = timeoutOf(timeout, "JoinableQueue.join()");
    if (this.unfinished === 0) return true;
    if (ms === 0) return false;
    return park(this.joiners, caller, ms, () => true, () => false);
  }
  forget(session: Session): void {
    this.getters = this.getters.filter((w) => w.session !== session);
    this.putters = this.putters.filter((w) => w.session !== session);
    this.joiners = this.joiners.filter((w) => w.session !== session);
  }
}

const queueMethods: Record<string, Method> = {
  put: (q: RemoteQueue, c, item, timeout) => q.put(c, item, timeout),
  get: (q: RemoteQueue, c, timeout) => q.get(c, timeout),
  qsize: (q: RemoteQueue) => q.size(),
  taskDone: (q: RemoteQueue) => q.taskDone(),
  join: (q: RemoteQueue, c, timeout) => q.join(c, timeout),
};

/**
 * A lock, recursive lock or semaphore of the server. A lock held by a client whose
 * session ends (its last connection) is released (for a semaphore, the permits that client took are
 * given back), so that a client that dies while holding one blocks nobody.
 */
class RemoteAcquirer {
  value: number;
  owner: Session | null = null;
  depth = 0;
  waiters: Waiter[] = [];
  /** Permits held per session (semaphores). */
  held = new Map<Session, number>();
  constructor(readonly kind: "Lock" | "RLock" | "Semaphore" | "BoundedSemaphore", readonly initial: number) {
    this.value = initial;
  }
  #tryTake(session: Session): boolean {
    if (this.kind === "RLock" && this.owner === session) {
      this.depth++;
      return true;
    }
    if (this.value <= 0) return false;
    this.value--;
    if (this.kind === "Lock" || this.kind === "RLock") {
      this.owner = session;
      this.depth = 1;
    } else this.held.set(session, (this.held.get(session) ?? 0) + 1);
    return true;
  }
  acquire(caller: Caller, blocking: unknown, timeout: unknown): boolean | Promise<boolean> {
    const ms = blocking === false ? 0 : timeoutOf(timeout, "Lock.acquire()");
    if (this.#tryTake(caller.session)) return true;
    if (ms === 0) return false;
    return park(this.waiters, caller, ms, () => this.#tryTake(caller.session) || DECLINE, () => false);
  }
  release(caller: Caller): void {
    if (this.kind === "Lock" || this.kind === "RLock") {
      if (this.owner === null) {
        throw new ProcessError(`${this.kind}.release(): release of an unlocked ${this.kind}`);
      }
      if (this.kind === "RLock" && this.owner !== caller.session) {
        throw new ProcessError("RLock.release(): cannot release an RLock held by another client");
      }
      if (--this.depth > 0) return;
      this.owner = null;
    } else {
      if (this.kind === "BoundedSemaphore" && this.value >= this.initial) {
        throw new RangeError("BoundedSemaphore released too many times");
      }
      const n = this.held.get(caller.session) ?? 0;
      if (n > 1) this.held.set(caller.session, n - 1);
      else this.held.delete(caller.session);
    }
    this.value++;
    this.#wake();
  }
  #wake(): void {
    while (this.value > 0 && this.waiters.length > 0) this.waiters.shift()!.wake();
  }
  forget(session: Session): void {
    this.waiters = this.waiters.filter((w) => w.session !== session);
    if (this.owner === session) {
      this.owner = null;
      this.depth = 0;
      this.value++;
    }
    const n = this.held.get(session);
    if (n !== undefined) {
      this.held.delete(session);
      this.value += n;
    }
    this.#wake();
  }
}

/**
 * The lock methods of an object guarded by `lockOf(obj)`: a lock or semaphore itself,
 * and the lock of a condition, a Value or an Array (their `acquire()`, `getLock()`).
 */
function lockMethods<O>(lockOf: (obj: O) => RemoteAcquirer): Record<string, Method> {
  return {
    acquire: (o: O, c, timeout) => lockOf(o).acquire(c, true, timeout),
    release: (o: O, c) => lockOf(o).release(c),
    locked: (o: O) => lockOf(o).value <= 0,
    getValue: (o: O) => lockOf(o).value,
  };
}

const acquirerMethods = lockMethods((l: RemoteAcquirer) => l);

/** An event of the server. */
class RemoteEvent {
  flag = false;
  waiters: Waiter[] = [];
  set(): void {
    this.flag = true;
    for (const w of this.waiters.splice(0)) w.wake();
  }
  wait(caller: Caller, timeout: unknown): boolean | Promise<boolean> {
    const ms = timeoutOf(timeout, "Event.wait()");
    if (this.flag) return true;
    if (ms === 0) return false;
    return park(this.waiters, caller, ms, () => true, () => false);
  }
  forget(session: Session): void {
    this.waiters = this.waiters.filter((w) => w.session !== session);
  }
}

const eventMethods: Record<string, Method> = {
  set: (e: RemoteEvent) => e.set(),
  clear: (e: RemoteEvent) => void (e.flag = false),
  isSet: (e: RemoteEvent) => e.flag,
  wait: (e: RemoteEvent, c, timeout) => e.wait(c, timeout),
};

/**
 * A Value or Array of the server: numbers of one typecode, stored as a local `Value`
 * or `Array` stores them (a bigint for the 64-bit codes, each item checked), with the
 * lock of its `options.lock` (a new RLock by default; `false`: none, as locally).
 */
class RemoteNumbers {
  constructor(
    readonly typecode: Typecode,
    readonly data: AnyTyped,
    readonly guard: RemoteAcquirer | null,
    readonly what: "Value" | "Array",
  ) {}
  get lock(): RemoteAcquirer {
    if (this.guard === null) {
      throw new ProcessError(
        `${this.what}.getLock(): this ${this.what} was created with { lock: false } and has no lock: ` +
          "create it with lock: true (the default) or pass a Lock",
      );
    }
    return this.guard;
  }
  forget(session: Session): void {
    this.guard?.forget(session);
  }
}

const valueMethods: Record<string, Method> = {
  ...lockMethods((v: RemoteNumbers) => v.lock),
  get: (v: RemoteNumbers) => v.data[0],
  set: (v: RemoteNumbers, _c, value) =>
    void (v.data[0] = toStored(v.typecode, value, "Value.value") as never),
};

/** A Python-style index into a server's array (negative counts from the end). */
function arrayIndex(a: ArrayLike<unknown>, i: unknown, what: string): number {
  if (typeof i !== "number") {
    throw new TypeError(`Array.${what}(): the index must be a number, got ${String(i)}`);
  }
  return checkIndex(i, a.length, `Array.${what}()`); // as a local Array's a[i]
}

/** The items of a server's Array, as one type whatever the typecode. */
const items = (a: RemoteNumbers) => a.data as unknown as (number | bigint)[];

/** An array of the server (Python's manager `Array`: an `array.array` of one typecode). */
const arrayMethods: Record<string, Method> = {
  ...lockMethods((a: RemoteNumbers) => a.lock),
  length: (a: RemoteNumbers) => a.data.length,
  get: (a: RemoteNumbers, _c, i) => a.data[arrayIndex(a.data, i, "get")],
  set: (a: RemoteNumbers, _c, i, v) => {
    const at = arrayIndex(a.data, i, "set");
    a.data[at] = toStored(a.typecode, v, "Array.set()") as never;
  },
  slice: (a: RemoteNumbers, _c, start, end) => {
    for (const [k, v] of [["start", start], ["end", end]]) {
      if (v !== undefined && v !== null && typeof v !== "number") {
        throw new TypeError(`Array.slice(): ${k} must be a number, got ${String(v)}`);
      }
    }
    return Array.from(items(a).slice((start ?? undefined) as number, (end ?? undefined) as number));
  },
  toArray: (a: RemoteNumbers) => Array.from(items(a)),
};

/**
 * A barrier of the server: `parties` calls of `wait` release each other, each with its
 * own arrival index (0 for the last to come, as Python's). A wait that times out, an
 * `abort()`, or a waiting client that leaves breaks it for everyone until `reset()`.
 */
class RemoteBarrier {
  broken = false;
  waiters: {
    session: Session;
    resolve: (i: number) => void;
    reject: (e: Error) => void;
    cancel: () => void;
  }[] = [];
  constructor(readonly parties: number, readonly timeout: number | undefined) {}
  wait(caller: Caller, timeout: unknown): number | Promise<number> {
    const given = timeoutOf(timeout, "Barrier.wait()");
    if (this.broken) throw brokenBarrier("it was broken before this wait");
    const index = this.parties - 1 - this.waiters.length;
    if (index === 0) {
      const all = this.waiters.splice(0);
      all.forEach((w, k) => {
        w.cancel();
        w.resolve(this.parties - 1 - k);
      });
      return 0;
    }
    const ms = timeout === undefined || timeout === null ? this.timeout ?? Infinity : given;
    return new Promise((resolve, reject) => {
      const cancel = timer(ms, () => this.abort(`a wait timed out after ${ms} ms`));
      this.waiters.push({ session: caller.session, resolve, reject, cancel });
    });
  }
  abort(why = "abort() was called"): void {
    this.broken = true;
    for (const w of this.waiters.splice(0)) {
      w.cancel();
      w.reject(brokenBarrier(why));
    }
  }
  reset(): void {
    this.abort("reset() was called while it waited");
    this.broken = false;
  }
  forget(session: Session): void {
    if (this.waiters.some((w) => w.session === session)) {
      this.waiters = this.waiters.filter((w) => w.session !== session);
      this.abort("a waiting client left");
    }
  }
}

function brokenBarrier(why: string): BrokenBarrierError {
  return new BrokenBarrierError(`The barrier is broken: ${why}: call reset() to use it again`);
}

const barrierMethods: Record<string, Method> = {
  wait: (b: RemoteBarrier, c, timeout) => b.wait(c, timeout),
  abort: (b: RemoteBarrier) => b.abort(),
  reset: (b: RemoteBarrier) => b.reset(),
  parties: (b: RemoteBarrier) => b.parties,
  nWaiting: (b: RemoteBarrier) => b.waiters.length,
  broken: (b: RemoteBarrier) => b.broken,
};

/**
 * A condition of the server over one of its Lock or RLock objects (a new RLock by
 * default): `wait` gives the lock up, waits for a `notify` (or the timeout), and takes
 * it back before it answers, as Python's. The lock is held per client session.
 */
class RemoteCondition {
  waiters: Waiter[] = [];
  constructor(readonly lock: RemoteAcquirer) {}
  #checkOwner(caller: Caller, what: string): void {
    if (this.lock.owner !== caller.session) {
      throw new ProcessError(
        `Condition.${what}(): cannot ${what} on un-acquired lock: acquire the Condition first`,
      );
    }
  }
  async wait(caller: Caller, timeout: unknown): Promise<boolean> {
    const ms = timeoutOf(timeout, "Condition.wait()");
    this.#checkOwner(caller, "wait");
    const depth = this.lock.depth;
    this.lock.depth = 1;
    this.lock.release(caller);
    const notified = ms === 0 ? false : await park(this.waiters, caller, ms, () => true, () => false);
    await this.lock.acquire(caller, true, Infinity);
    this.lock.depth = depth;
    return notified;
  }
  notify(caller: Caller, n: unknown): void {
    this.#checkOwner(caller, "notify");
    const count = n === undefined ? 1 : n;
    if (typeof count !== "number" || Number.isNaN(count) || count < 0) {
      throw new RangeError(`Condition.notify(n): n must be a number >= 0, got ${String(n)}`);
    }
    // Only the waiters that take the wake-up count (one whose client left declines).
    for (let woken = 0; woken < count && this.waiters.length > 0;) if (this.waiters.shift()!.wake()) woken++;
  }
  forget(session: Session): void {
    this.waiters = this.waiters.filter((w) => w.session !== session);
    this.lock.forget(session);
  }
}

const conditionMethods: Record<string, Method> = {
  ...lockMethods((c: RemoteCondition) => c.lock),
  wait: (c: RemoteCondition, caller, timeout) => c.wait(caller, timeout),
  notify: (c: RemoteCondition, caller, n) => c.notify(caller, n),
  notifyAll: (c: RemoteCondition, caller) => c.notify(caller, Infinity),
};

/** The names of the methods an object of a registered type exposes. */
function publicMethods(obj: unknown): string[] {
  const names = new Set<string>();
  for (let o = obj; o !== null && o !== Object.prototype && o !== undefined; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name === "constructor" || name.startsWith("_") || name.startsWith("#")) continue;
      const d = Object.getOwnPropertyDescriptor(o, name);
      if (typeof d?.value === "function") names.add(name);
    }
  }
  return [...names];
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null && typeof (v as PromiseLike<unknown>).then === "function";
}

function isClass(fn: AnyFunction): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

function errorReply(e: unknown): { name: string; message: string; stack: string } {
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message, stack: String(err.stack ?? "") };
}

/** How many accepts run at once (a slow handshake does not hold the others up). */
const ACCEPTORS = 8;
/** How often unreachable objects are looked for once something was let go (ms). */
const SWEEP_MS = 100;

/**
 * A remote manager's server (Python's `managers.Server`): `serveForever()` answers
 * clients until `shutdown()` (or a client's shutdown request).
 */
export class RemoteServer {
  readonly listener: Listener;
  readonly token: number;
  readonly #types: Map<string, RemoteType>;
  readonly #objects = new Map<number, Entry>();
  /** The ids of objects returned by registered callables, to give the same object the same id. */
  readonly #ids = new WeakMap<object, number>();
  readonly #conns = new Set<Conn>();
  readonly #tickets = new Map<string, { id: number; session: Session }>();
  /** Sessions by the token their connections gave. */
  readonly #sessions = new Map<string, Session>();
  readonly #makers = referentMakers((v) => this.#resolve(v));
  #nextId = 1;
  #nextConn = 1;
  #stopped = false;
  #done!: () => void;
  readonly #finished = new Promise<void>((r) => this.#done = r);
  #sweepTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #keepAlive: number;

  constructor(options: RemoteServerOptions) {
    this.listener = new Listener({
      address: options.address,
      authkey: options.authkey,
      maxMessageSize: options.maxMessageSize,
    });
    this.#types = options.types;
    this.#keepAlive = options.keepAlive ?? KEEPALIVE_MS;
    const random = new Uint32Array(2);
    crypto.getRandomValues(random);
    this.token = random[0] * 2 ** 21 + (random[1] >>> 11);
  }

  /** The bound address, once listening. */
  get ready(): Promise<Address> {
    return this.listener.ready;
  }

  /** Serves until stopped; resolves then. */
  async serveForever(): Promise<void> {
    await this.listener.ready;
    for (let i = 0; i < ACCEPTORS; i++) this.#acceptLoop();
    await this.#finished;
  }

  /** Stops: the listener closes, every client is disconnected. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.listener.close();
    for (const conn of [...this.#conns]) this.#drop(conn);
    if (this.#sweepTimer !== null) clearTimeout(this.#sweepTimer);
    this.#done();
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#stopped) {
      let c: SocketConnection;
      try {
        c = await this.listener.accept();
      } catch {
        if (this.#stopped || this.listener.closed) return;
        continue; // a client failed the handshake: the others go on
      }
      if (this.#stopped) {
        c.close();
        return;
      }
      // A client whose machine or network vanished is dropped in time: TCP keep-alive
      // probes where the runtime can time them (Bun), and on every runtime a ping after
      // `keepAlive` ms without a reply sent, which the OS gives up on when no one
      // acknowledges it (after its retransmission timeout).
      keepAlive(c, this.#keepAlive);
      heartbeat(c, this.#keepAlive, PING_TO_CLIENT, PING_TO_SERVER);
      const conn = new Conn(this.#nextConn++, c);
      conn.session.conns.add(conn);
      this.#conns.add(conn);
      this.#serveConn(conn);
    }
  }

  /**
   * Serves `conn`: each request is handled as soon as its bytes arrive, in the socket's
   * data callback (no promise per request), until the connection ends.
   */
  #serveConn(conn: Conn): void {
    const serve = () => this.#serveArrived(conn);
    conn.drained = serve;
    onMessages(conn.c, serve);
    serve(); // what arrived with the handshake
  }

  #serveArrived(conn: Conn): void {
    try {
      while (!conn.closed && conn.unsent < MAX_UNSENT && hasNews(conn.c)) {
        const req = conn.c.recvSync();
        if (
          !Array.isArray(req) || req.length !== 4 || !Number.isSafeInteger(req[0]) ||
          !Number.isSafeInteger(req[1]) || typeof req[2] !== "string" || !Array.isArray(req[3])
        ) {
          throw new ProcessError("A malformed request arrived");
        }
        this.#handle(conn, req as [number, number, string, unknown[]]);
      }
    } catch {
      // EOF, a frame too large, bytes that do not decode, a malformed request: drop it.
      this.#drop(conn);
    }
  }

  #drop(conn: Conn): void {
    if (conn.closed) return;
    conn.closed = true;
    onMessages(conn.c, null);
    this.#conns.delete(conn);
    try {
      conn.c.close();
    } catch { /* already closed */ }
    // What the client holds is let go with its session's last connection.
    const session = conn.session;
    session.conns.delete(conn);
    if (session.relay === conn) session.relay = null;
    if (session.conns.size > 0) return;
    session.closed = true;
    if (session.token !== null) this.#sessions.delete(session.token);
    for (const [k, t] of this.#tickets) if (t.session === session) this.#tickets.delete(k);
    for (const e of this.#objects.values()) {
      e.gone?.(session);
      const n = e.holders.get(session);
      if (n !== undefined) {
        e.holders.delete(session);
        e.count -= n;
      }
    }
    this.#scheduleSweep();
  }

  #handle(conn: Conn, [seq, id, method, args]: [number, number, string, unknown[]]): void {
    let result: unknown;
    conn.handled++;
    try {
      result = id === 0 ? this.#manage(conn, method, args) : this.#call(conn, id, method, args);
    } catch (e) {
      return this.#reply(conn, seq, 1, errorReply(e));
    }
    if (!isThenable(result)) return this.#reply(conn, seq, 0, result);
    Promise.resolve(result).then(
      (v) => this.#reply(conn, seq, 0, v),
      (e) => this.#reply(conn, seq, 1, errorReply(e)),
    );
  }

  #reply(from: Conn, seq: number, status: number, value: unknown): void {
    // A blocking call's reply (seq -1) goes to the session's relay connection.
    const conn = seq < 0 ? from.session.relay : from;
    if (seq === 0 || conn === null || conn.closed) return;
    if (status === 0) this.#increfIn(value, conn.session);
    try {
      conn.unsent++;
      sendWith(conn.c, [seq, status, value], conn.sent);
    } catch (e) {
      conn.unsent--;
      if (conn.closed) return;
      if (status !== 0 || !(e instanceof ProcessError) || conn.c.closed) return this.#drop(conn);
      // A value that cannot be sent (a function, a class instance with methods...) becomes an error.
      this.#reply(from, seq, 1, errorReply(e));
    }
  }

  #call(conn: Conn, id: number, method: string, args: unknown[]): unknown {
    const e = this.#objects.get(id);
    if (e === undefined) {
      throw new ReferenceError(`The object of this proxy (id ${id}) was freed by its manager`);
    }
    if (!Object.hasOwn(e.methods, method)) {
      throw new TypeError(
        `A ${e.typeid} proxy has no method "${method}": the methods it exposes are ${
          Object.keys(e.methods).join(", ")
        }`,
      );
    }
    return e.methods[method](e.obj as never, { session: conn.session, link: conn }, ...args);
  }

  #manage(conn: Conn, method: string, args: unknown[]): unknown {
    const session = conn.session;
    switch (method) {
      case "create": {
        if (typeof args[0] !== "string" || !Array.isArray(args[1])) {
          throw new TypeError("create(typeid, args): malformed arguments");
        }
        const made = this.#create(args[0], args[1]);
        return isThenable(made) ? Promise.resolve(made).then(markerOf) : markerOf(made);
      }
      case "decref":
        for (const id of args) if (typeof id === "number") this.#decref(id, session);
        return undefined;
      case "share": {
        // A reference for the receiver of a proxy, held by the sender's session until adopted.
        const [id, ticket] = args;
        if (typeof id !== "number" || !Array.isArray(ticket)) {
          throw new TypeError("share(id, ticket): malformed arguments");
        }
        this.#incref(id, session);
        this.#tickets.set(`${ticket[0]}:${ticket[1]}`, { id, session });
        return undefined;
      }
      case "adopt": {
        const [id, ticket] = args;
        if (typeof id !== "number" || !Array.isArray(ticket)) {
          throw new TypeError("adopt(id, ticket): malformed arguments");
        }
        this.#incref(id, session);
        const key = `${ticket[0]}:${ticket[1]}`;
        const t = this.#tickets.get(key);
        if (t !== undefined) {
          this.#tickets.delete(key);
          this.#decref(t.id, t.session);
        }
        return undefined;
      }
      case "debugInfo": {
        this.#sweep();
        let references = 0;
        const holders = new Set<Session>();
        for (const e of this.#objects.values()) {
          references += e.count;
          for (const c of e.holders.keys()) holders.add(c);
        }
        return { objects: this.#objects.size, references, holders: holders.size };
      }
      case "shutdown":
        setTimeout(() => this.stop(), 0);
        return undefined;
      case "ping":
        return this.token;
      case "hello":
        return this.#join(conn, args[0], args[1]);
    }
    throw new TypeError(`A manager has no method "${method}"`);
  }

  /**
   * `hello(token, role?)`, a connection's first request: it joins the session of the
   * other connections that gave `token` (one program's), or starts it; with role
   * `"relay"`, as the connection the session's blocking calls are answered on.
   */
  #join(conn: Conn, token: unknown, role: unknown): undefined {
    if (
      typeof token !== "string" || !/^[0-9a-f]{32}$/.test(token) || conn.handled !== 1 ||
      (role !== undefined && role !== "relay")
    ) {
      throw new TypeError(
        'hello(token, role?): a session token (32 hex digits), and optionally "relay", come first on a connection',
      );
    }
    const session = this.#sessions.get(token);
    if (session === undefined) {
      conn.session.token = token;
      this.#sessions.set(token, conn.session);
    } else {
      conn.session.conns.delete(conn);
      conn.session = session;
      session.conns.add(conn);
    }
    if (role === "relay") conn.session.relay = conn;
    return undefined;
  }

  #increfIn(v: unknown, session: Session): void {
    eachMarker(v, (d) => {
      if (d.token === this.token && d.id > 0) this.#incref(d.id, session);
    });
  }

  #incref(id: number, session: Session): void {
    const e = this.#objects.get(id);
    if (e === undefined || session.closed) return;
    e.holders.set(session, (e.holders.get(session) ?? 0) + 1);
    e.count++;
  }

  #decref(id: number, session: Session): void {
    const e = this.#objects.get(id);
    const n = e?.holders.get(session);
    if (e === undefined || n === undefined) return;
    if (n > 1) e.holders.set(session, n - 1);
    else e.holders.delete(session);
    if (--e.count === 0) this.#scheduleSweep();
  }

  #scheduleSweep(): void {
    if (this.#sweepTimer !== null || this.#stopped) return;
    this.#sweepTimer = setTimeout(() => {
      this.#sweepTimer = null;
      this.#sweep();
    }, SWEEP_MS);
  }

  /** Frees what no reference reaches, directly or through markers stored in objects. */
  #sweep(): void {
    const live = new Set<number>();
    const stack: unknown[] = [];
    for (const [id, e] of this.#objects) {
      if (e.count > 0 || e.pinned) {
        live.add(id);
        stack.push(e.obj);
      }
    }
    while (stack.length > 0) {
      eachMarker(stack.pop(), (d) => {
        if (d.token !== this.token || live.has(d.id)) return;
        const e = this.#objects.get(d.id);
        if (e === undefined) return;
        live.add(d.id);
        stack.push(e.obj);
      });
    }
    for (const [id, e] of this.#objects) {
      if (live.has(id)) continue;
      this.#objects.delete(id);
      if (typeof e.obj === "object" && e.obj !== null) this.#ids.delete(e.obj);
    }
  }

  #resolve(v: unknown): unknown {
    const desc = markerDesc(v);
    if (desc === undefined) return v;
    if (desc.token !== this.token) {
      throw new TypeError(`A ${desc.typeid} proxy of another manager cannot be read by this manager`);
    }
    return this.#objects.get(desc.id)?.obj;
  }

  #hold(
    typeid: string,
    kind: string,
    obj: unknown,
    methods: Record<string, Method>,
    extra?: unknown,
    gone?: (session: Session) => void,
  ): ProxyDesc {
    const id = this.#nextId++;
    const desc: ProxyDesc = { token: this.token, kind, typeid, id, extra };
    this.#objects.set(id, { typeid, obj, methods, holders: new Map(), count: 0, gone, desc });
    this.#scheduleSweep(); // freed if the reply never reaches its client
    return { ...desc };
  }

  #referent(r: Referent, kind: string): ProxyDesc {
    const methods: Record<string, Method> = {};
    for (const [name, fn] of Object.entries(r.methods)) {
      methods[name] = (obj, _c, ...args) => (fn as AnyFunction)(obj, ...args);
    }
    return this.#hold(r.typeid, kind, r.obj, methods);
  }

  #create(typeid: string, args: unknown[]): ProxyDesc | Promise<ProxyDesc> {
    switch (typeid) {
      case "dict":
        return this.#referent(this.#makers.dict(args[0]), Kind.Dict);
      case "list":
        return this.#referent(this.#makers.list(args[0]), Kind.List);
      case "Namespace":
        return this.#referent(this.#makers.namespace(args[0]), Kind.Namespace);
      case "Queue":
      case "JoinableQueue": {
        const m = args[0] ?? 0;
        if (typeof m !== "number" || !Number.isInteger(m)) {
          throw new TypeError(`${typeid}(maxsize): an integer`);
        }
        const q = new RemoteQueue(m, typeid === "JoinableQueue");
        return this.#hold(
          typeid,
          RemoteKind.Queue,
          q,
          queueMethods,
          { maxsize: Math.max(0, m) },
          (c) => q.forget(c),
        );
      }
      case "Lock":
      case "RLock":
      case "Semaphore":
      case "BoundedSemaphore": {
        const v = typeid === "Lock" || typeid === "RLock" ? 1 : args[0] ?? 1;
        if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
          throw new RangeError(`${typeid}(value): a non-negative integer`);
        }
        const l = new RemoteAcquirer(typeid, v);
        return this.#hold(typeid, RemoteKind.Acquirer, l, acquirerMethods, undefined, (c) => l.forget(c));
      }
      case "Event": {
        const ev = new RemoteEvent();
        return this.#hold(typeid, RemoteKind.Event, ev, eventMethods, undefined, (c) => ev.forget(c));
      }
      case "Value":
      case "Array": {
        const value = typeid === "Value";
        const where = value ? "Value(typecode, value, options)" : "Array(typecode, sizeOrInit, options)";
        const tc = checkTypecode(args[0], where);
        const data = newTypedArray(tc, value ? [args[1] ?? 0] : args[1] ?? 0, where);
        const n = new RemoteNumbers(tc, data, this.#lockOption(args[2], where), typeid);
        const [kind, methods, extra] = value
          ? [RemoteKind.Value, valueMethods, { typecode: tc }]
          : [RemoteKind.Array, arrayMethods, { typecode: tc, length: data.length }];
        return this.#hold(typeid, kind, n, methods, extra, (c) => n.forget(c));
      }
      case "Barrier": {
        const parties = args[0];
        if (typeof parties !== "number" || !Number.isInteger(parties) || parties < 1) {
          throw new RangeError(`Barrier(parties): parties must be an integer >= 1, got ${String(parties)}`);
        }
        const t = (args[1] as { timeout?: unknown } | undefined)?.timeout;
        const b = new RemoteBarrier(
          parties,
          t === undefined || t === null ? undefined : timeoutOf(t, "Barrier(options)"),
        );
        return this.#hold(typeid, RemoteKind.Barrier, b, barrierMethods, { parties }, (c) => b.forget(c));
      }
      case "Condition": {
        const given = args[0] === undefined || args[0] === null ? undefined : this.#givenLock(args[0]);
        if (given === null) {
          throw new TypeError("Condition(lock): lock must be a Lock or RLock of this manager, or left out");
        }
        const cond = new RemoteCondition(given ?? new RemoteAcquirer("RLock", 1));
        return this.#hold(
          typeid,
          RemoteKind.Condition,
          cond,
          conditionMethods,
          undefined,
          (c) => cond.forget(c),
        );
      }
    }
    const type = this.#types.get(typeid);
    if (type === undefined) {
      throw new TypeError(
        `This manager has no type "${typeid}": register it with YourManager.register("${typeid}", callable) ` +
          "in the server's program",
      );
    }
    if (type.fn === undefined) {
      throw new TypeError(`The type "${typeid}" was registered without a callable in the server's program`);
    }
    const resolved = args.map((a) => this.#resolve(a));
    const cls = isClass(type.fn);
    const made = cls ? Reflect.construct(type.fn, resolved) : type.fn(...resolved);
    const pin = (desc: ProxyDesc) => {
      const e = this.#objects.get(desc.id);
      if (e !== undefined && !cls) e.pinned = true;
      return desc;
    };
    const hold = (obj: unknown) => pin(this.#made(typeid, obj, type.exposed));
    return isThenable(made) ? Promise.resolve(made).then(hold) : hold(made);
  }

  /** The Lock or RLock of this manager a proxy marker stands for, or `null` if it is not one. */
  #givenLock(v: unknown): RemoteAcquirer | null {
    const given = this.#resolve(v);
    return given instanceof RemoteAcquirer && (given.kind === "Lock" || given.kind === "RLock")
      ? given
      : null;
  }

  /** The lock a Value or Array is made with (`options.lock`, as locally): a new RLock by default. */
  #lockOption(options: unknown, where: string): RemoteAcquirer | null {
    if (options !== undefined && options !== null && typeof options !== "object") {
      throw new TypeError(`${where}: options must be an object like { lock: false }, got ${typeof options}`);
    }
    const lock = (options as { lock?: unknown } | undefined | null)?.lock ?? true;
    if (lock === true) return new RemoteAcquirer("RLock", 1);
    if (lock === false) return null;
    const given = this.#givenLock(lock);
    if (given === null) {
      throw new TypeError(`${where}: lock must be true, false, or a Lock or RLock of this manager`);
    }
    return given;
  }

  #made(typeid: string, obj: unknown, exposed: string[] | undefined): ProxyDesc {
    const marked = markerDesc(obj);
    if (marked !== undefined) return marked; // a proxy of this manager (the callable made one)
    if (typeof obj === "object" && obj !== null) {
      const id = this.#ids.get(obj);
      const e = id === undefined ? undefined : this.#objects.get(id);
      if (e !== undefined) return { ...e.desc };
    }
    let desc: ProxyDesc;
    // A Map or an array is served as a dict or list proxy (Python's DictProxy / ListProxy).
    if (obj instanceof Map) {
      desc = this.#referent({ ...this.#makers.dict(undefined), obj, typeid }, Kind.Dict);
    } else if (Array.isArray(obj)) {
      desc = this.#referent({ ...this.#makers.list(undefined), obj, typeid }, Kind.List);
    } else return this.#auto(typeid, obj, exposed ?? publicMethods(obj));
    this.#ids.set(obj as object, desc.id);
    return desc;
  }

  /** Holds a registered type's object, callable through its exposed methods. */
  #auto(typeid: string, obj: unknown, names: string[], table?: Record<string, unknown>): ProxyDesc {
    const methods: Record<string, Method> = {};
    const wraps = this.#types.get(typeid)?.methodToTypeid;
    for (const name of names) {
      const to = table === undefined && wraps !== undefined && Object.hasOwn(wraps, name)
        ? wraps[name]
        : undefined;
      const wrap = (r: unknown) => markerOf(this.#made(to!, r, this.#types.get(to!)?.exposed));
      methods[name] = table !== undefined
        ? (o, _c, ...args) => (table[name] as AnyFunction)(o, ...args)
        : (o: Record<string, AnyFunction>, _c, ...args) => {
          if (typeof o[name] !== "function") {
            throw new TypeError(`${typeid}.${name}(): ${name} is not a method`);
          }
          const r = o[name](...args.map((a) => this.#resolve(a)));
          if (to === undefined) return r;
          return isThenable(r) ? Promise.resolve(r).then(wrap) : wrap(r);
        };
    }
    const desc = this.#hold(typeid, Kind.Auto, obj, methods, names);
    if (typeof obj === "object" && obj !== null && table === undefined) this.#ids.set(obj, desc.id);
    return desc;
  }
}
