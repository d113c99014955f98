/**
 * The manager role of the bootstrap: the server process that holds a manager's
 * objects and answers their proxies. It reads requests from the manager's request
 * channel and answers each in its caller's reply slot (`manager_transport.ts`),
 * blocking on the channel between requests, so that no event loop (its own or any
 * other process's) stands between a proxy and its object. While a method of a
 * registered type returns a promise, it waits for requests without blocking instead,
 * so that the promise can settle.
 *
 * @module
 */
import { ProcessError } from "../internal/errors.ts";
import { errorToData } from "../internal/_error_wire.ts";
import { Barrier } from "../sync/barrier.ts";
import { Condition } from "../sync/condition.ts";
import { Event } from "../sync/event.ts";
import { Lock } from "../sync/lock.ts";
import { RLock } from "../sync/rlock.ts";
import { BoundedSemaphore, Semaphore } from "../sync/semaphore.ts";
import { SharedArray } from "../shared/array.ts";
import { Value } from "../shared/value.ts";
import type { InitMessage, Role } from "../process/_messages.ts";
import { ArenaChunks, revive, wordAt } from "./_arena.ts";
import { type QueueState, type Referent, referentMakers } from "./_referents.ts";
import {
  HOLDS_PROXIES,
  REPLY_ERROR,
  REPLY_OK,
  type Request,
  ServerEnd,
  type TransportHandle,
} from "./_transport.ts";
import { Kind, markerDesc, markerOf, type ProxyDesc, type QueueExtra } from "./_protocol.ts";
import { loadFunction } from "../process/_load.ts";
import type { FunctionRef } from "../process/_resolve.ts";
import { pidAlive } from "../process/_liveness.ts";
import { thisProcess } from "../process/_state.ts";
import { runAsync, runSync } from "../sync/_steps.ts";
import type { Shareable } from "../internal/_codec.ts";
import { type AnyFunction, isThenable } from "../internal/_types.ts";
import type { Address } from "../net/address.ts";
import type { Authkey } from "../net/auth.ts";
import { RemoteServer } from "./_remote_server.ts";
import { postToParent } from "../internal/runtime.ts";

/** A type registered with `BaseManager.register()`, as the server receives it. */
export interface RegisteredType {
  /** The callable (none for a type only returned by methods, see `methodToTypeid`). */
  ref?: FunctionRef;
  /** The methods proxies may call; by default every public method of the object. */
  exposed?: string[];
  /** Methods whose result is held as an object of another typeid and returned as its proxy. */
  methodToTypeid?: Record<string, string>;
}

/** A registered type as the server holds it. */
interface LoadedType {
  fn?: AnyFunction;
  exposed?: string[];
  methodToTypeid?: Record<string, string>;
}

/** The manager role's settings (the init message's `extra`). */
export interface ServerConfig {
  transport: TransportHandle;
  types: Record<string, RegisteredType>;
  /** A remote manager: its server listens there (and answers over sockets only). */
  remote?: { address: Address; authkey?: Authkey; maxMessageSize?: number; keepAlive?: number };
}

/** The shared types the server makes in the arena, by type name. */
const SHARED: Record<string, (args: unknown[], resolve: (v: unknown) => unknown) => Shareable> = {
  Lock: () => new Lock(),
  RLock: () => new RLock(),
  Semaphore: (a) => new Semaphore(a[0] as number),
  BoundedSemaphore: (a) => new BoundedSemaphore(a[0] as number),
  Condition: (a, resolve) => new Condition(resolve(a[0]) as Lock | undefined),
  Event: () => new Event(),
  Barrier: (a) => new Barrier(a[0] as number, a[1] as { timeout?: number }),
  Value: (a, resolve) => new Value(a[0] as "i", a[1] as number, lockOption(a[2], resolve)),
  Array: (a, resolve) => new SharedArray(a[0] as "i", a[1] as number, lockOption(a[2], resolve)),
};

function lockOption(
  o: unknown,
  resolve: (v: unknown) => unknown,
): { lock?: boolean | Lock | RLock } | undefined {
  if (typeof o !== "object" || o === null) return o as undefined;
  return { ...o, lock: resolve((o as { lock?: unknown }).lock) as boolean | Lock | RLock };
}

function isClass(fn: AnyFunction): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

/** The public methods of `obj` (own and inherited, not starting with `_`). */
function publicMethods(obj: unknown): string[] {
  const names = new Set<string>();
  for (let o = obj; o !== null && o !== Object.prototype && o !== undefined; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name === "constructor" || name.startsWith("_")) continue;
      const d = Object.getOwnPropertyDescriptor(o, name);
      if (typeof d?.value === "function") names.add(name);
    }
  }
  return [...names];
}

/** How often the server looks for holders that ended and frees what they held (ms). */
const HOUSEKEEPING_MS = 100;
/** Longest wait between two sweeps for unreachable objects (ms). */
const MAX_SWEEP_MS = 5000;

/** An object the server holds, with its references. */
interface Entry {
  ref: Referent;
  /** References by holder pid (each proxy of a process holds one). */
  holders: Map<number, number>;
  /** Total of `holders`. */
  count: number;
  /** True once proxy markers were stored in it: its contents keep other objects alive. */
  holds: boolean;
  /** Given to a registered type's method as an object: kept until shutdown. */
  pinned: boolean;
  /** The arena word of a queue, freed with it. */
  word?: number;
}

/** What `debugInfo()` tells about a manager's server. */
export interface ManagerDebugInfo {
  /** Objects the server holds (dicts, lists, namespaces, queues, registered types). */
  objects: number;
  /** References proxies hold on them, over all processes. */
  references: number;
  /** Processes holding references. */
  holders: number;
}

/** Calls `f` with each proxy description marked inside `v` (plain data as stored). */
function eachMarker(v: unknown, f: (desc: ProxyDesc) => void, depth = 0): void {
  if (typeof v !== "object" || v === null || ArrayBuffer.isView(v) || depth > 256) return;
  const desc = markerDesc(v);
  if (desc !== undefined) return f(desc);
  if (Array.isArray(v)) { for (const x of v) eachMarker(x, f, depth + 1); }
  else if (v instanceof Map) { for (const x of v.values()) eachMarker(x, f, depth + 1); }
  else if (v instanceof Set) { for (const x of v) eachMarker(x, f, depth + 1); }
  else {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return;
    for (const k in v) eachMarker((v as Record<string, unknown>)[k], f, depth + 1);
  }
}

class Server {
  readonly #end: ServerEnd;
  readonly #token: number;
  readonly #types: Map<string, LoadedType>;
  readonly #objects = new Map<number, Entry>();
  /** Ids each holder pid holds references on. */
  readonly #byHolder = new Map<number, Set<number>>();
  /** References taken by senders of proxies for their receivers, until adopted ("pid:n"). */
  readonly #tickets = new Map<string, { id: number; pid: number }>();
  readonly #chunks: ArenaChunks;
  readonly #makers = referentMakers((v) => this.#resolve(v));
  #nextId = 1;
  #pending = 0;
  /** Entries whose contents hold markers. */
  #holding = 0;
  /** Entries with no reference, kept because an object holding markers may refer to them. */
  #unrooted = 0;
  /** Some object may have become unreachable: sweep at the next housekeeping. */
  #dirty = false;
  #housekeeping = performance.now() + HOUSEKEEPING_MS;
  #sweepEvery = HOUSEKEEPING_MS;
  #nextSweep = 0;

  constructor(end: ServerEnd, token: number, types: Map<string, LoadedType>) {
    this.#end = end;
    this.#token = token;
    this.#types = types;
    this.#chunks = new ArenaChunks(token);
  }

  async serve(): Promise<void> {
    for (let n = 0;; n++) {
      let req: Request | null | undefined = this.#end.poll();
      if (req === undefined) {
        const next = this.#end.next(this.#housekeeping);
        req = this.#pending === 0 ? runSync(next) : await runAsync(next);
      }
      if (req === null) return;
      if (req !== undefined) this.#handle(req);
      // A busy server looks at the clock every 64 requests only (it costs a call into Deno).
      if (req === undefined || ((n & 63) === 0 && performance.now() >= this.#housekeeping)) this.#housekeep();
    }
  }

  /**
   * Frees the references of holders that ended, and what nothing refers to any more
   * (`force`: sweep now even if one was done lately).
   */
  #housekeep(force = false): void {
    for (const [key, ticket] of this.#tickets) {
      if (!pidAlive(ticket.pid)) this.#tickets.delete(key); // its reference goes below
    }
    for (const [pid, ids] of this.#byHolder) {
      if (pidAlive(pid)) continue;
      this.#byHolder.delete(pid);
      for (const id of ids) {
        const e = this.#objects.get(id);
        const n = e?.holders.get(pid);
        if (e === undefined || n === undefined) continue;
        e.holders.delete(pid);
        e.count -= n;
        if (e.count === 0) this.#unroot(id, e);
      }
    }
    const now = performance.now();
    if (this.#dirty && (force || now >= this.#nextSweep)) {
      // A sweep that frees nothing makes the next one wait twice as long (up to
      // MAX_SWEEP_MS): a busy dict of proxies is not walked ten times a second for nothing.
      const freed = this.#sweep();
      this.#sweepEvery = freed > 0 ? HOUSEKEEPING_MS : Math.min(this.#sweepEvery * 2, MAX_SWEEP_MS);
      this.#nextSweep = now + this.#sweepEvery;
    }
    this.#housekeeping = now + HOUSEKEEPING_MS;
  }

  #handle(req: Request): void {
    let result: unknown;
    try {
      result = this.#dispatch(req);
    } catch (e) {
      this.#end.reply(req, REPLY_ERROR, errorToData(e));
      return;
    }
    if (!isThenable(result)) {
      this.#end.reply(req, REPLY_OK, result);
      return;
    }
    this.#pending++;
    Promise.resolve(result).then(
      (v) => {
        this.#increfIn(v, req[2]);
        this.#end.reply(req, REPLY_OK, v);
      },
      (e) => this.#end.reply(req, REPLY_ERROR, errorToData(e)),
    ).finally(() => this.#pending--);
  }

  #dispatch(req: Request): unknown {
    const [, , pid, id, method, args, flags] = req;
    if (id === 0) return this.#manage(pid, method, args, flags);
    const e = this.#objects.get(id);
    if (e === undefined) {
      throw new ReferenceError(
        `The object of this proxy (id ${id}) was freed by its manager: every proxy to it had been ` +
          "released, garbage collected or held by processes that ended, so keep a proxy (or the " +
          "object inside a dict or list proxy) for as long as the object is needed",
      );
    }
    const ref = e.ref;
    const fn = ref.methods[method] as AnyFunction | undefined;
    if (fn === undefined) {
      throw new TypeError(
        `A ${ref.typeid} proxy has no method "${method}": the methods it exposes are ${
          Object.keys(ref.methods).join(", ")
        }`,
      );
    }
    if ((flags & HOLDS_PROXIES) !== 0) this.#markHolds(e);
    const result = fn(ref.obj, ...args);
    if (e.holds) {
      if (this.#unrooted > 0) this.#dirty = true;
      if (!isThenable(result)) this.#increfIn(result, pid);
    } else if (ref.wraps === true && !isThenable(result)) this.#increfIn(result, pid);
    return result;
  }

  /** The manager's own methods (id 0). */
  #manage(pid: number, method: string, args: unknown[], flags: number): unknown {
    switch (method) {
      case "create": {
        const made = this.#create(args[0] as string, args[1] as unknown[], (flags & HOLDS_PROXIES) !== 0);
        if (isThenable(made)) return Promise.resolve(made).then(markerOf);
        const marker = markerOf(made);
        this.#increfIn(marker, pid);
        return marker;
      }
      case "share": {
        // A reference for the receiver of a proxy, held by the sender until adopted.
        const [id, [from, n]] = args as [number, [number, number]];
        this.#incref(id, pid);
        this.#tickets.set(`${from}:${n}`, { id, pid });
        return undefined;
      }
      case "decref":
        for (const id of args as number[]) this.#decref(id, pid);
        return undefined;
      case "adopt": {
        // The receiver takes a reference; the sender's for it goes, the first time only.
        const [id, [from, n]] = args as [number, [number, number]];
        this.#incref(id, pid);
        const key = `${from}:${n}`;
        const ticket = this.#tickets.get(key);
        if (ticket !== undefined) {
          this.#tickets.delete(key);
          this.#decref(ticket.id, ticket.pid);
        }
        return undefined;
      }
      case "debugInfo": {
        this.#housekeep(true);
        let references = 0;
        for (const e of this.#objects.values()) references += e.count;
        return {
          objects: this.#objects.size,
          references,
          holders: this.#byHolder.size,
        } satisfies ManagerDebugInfo;
      }
    }
    throw new TypeError(`A manager has no method "${method}"`);
  }

  #markHolds(e: Entry): void {
    if (e.holds) return;
    e.holds = true;
    this.#holding++;
  }

  /** Takes a reference for `pid` on each object marked in `v` (a reply to `pid`). */
  #increfIn(v: unknown, pid: number): void {
    eachMarker(v, (d) => {
      if (d.token === this.#token && d.id > 0) this.#incref(d.id, pid);
    });
  }

  #incref(id: number, pid: number): void {
    const e = this.#objects.get(id);
    if (e === undefined) return;
    if (e.count === 0) this.#unrooted--;
    e.holders.set(pid, (e.holders.get(pid) ?? 0) + 1);
    e.count++;
    let ids = this.#byHolder.get(pid);
    if (ids === undefined) this.#byHolder.set(pid, ids = new Set());
    ids.add(id);
  }

  #decref(id: number, pid: number): void {
    const e = this.#objects.get(id);
    const n = e?.holders.get(pid);
    if (e === undefined || n === undefined) return;
    if (n > 1) e.holders.set(pid, n - 1);
    else {
      e.holders.delete(pid);
      const ids = this.#byHolder.get(pid);
      ids?.delete(id);
      if (ids?.size === 0) this.#byHolder.delete(pid);
    }
    if (--e.count === 0) this.#unroot(id, e);
  }

  /** `e` lost its last reference: free it now, or sweep later if a marker may still refer to it. */
  #unroot(id: number, e: Entry): void {
    if (!e.pinned && this.#holding === 0) this.#free(id, e);
    else {
      this.#unrooted++;
      if (!e.pinned) this.#dirty = true;
    }
  }

  #free(id: number, e: Entry): void {
    this.#objects.delete(id);
    if (e.holds) {
      this.#holding--;
      this.#dirty = true; // what it held may be unreachable now
    }
    if (e.word !== undefined) this.#chunks.free(e.word, 4);
  }

  /** Frees every object that no reference reaches, directly or through stored markers; returns how many. */
  #sweep(): number {
    this.#dirty = false;
    const live = new Set<number>();
    const stack: Entry[] = [];
    const reach = (id: number, e: Entry) => {
      live.add(id);
      if (e.holds) stack.push(e);
    };
    for (const [id, e] of this.#objects) if (e.count > 0 || e.pinned) reach(id, e);
    while (stack.length > 0) {
      eachMarker(stack.pop()!.ref.obj, (d) => {
        if (d.token !== this.#token || live.has(d.id)) return;
        const e = this.#objects.get(d.id);
        if (e !== undefined) reach(d.id, e);
      });
    }
    this.#unrooted = 0;
    let freed = 0;
    for (const [id, e] of this.#objects) {
      if (!live.has(id)) {
        this.#free(id, e);
        freed++;
      } else if (e.count === 0) this.#unrooted++;
    }
    this.#dirty = false;
    return freed;
  }

  /** The object a marker inside an argument stands for (itself for anything else). */
  #resolve(v: unknown): unknown {
    const desc = markerDesc(v);
    if (desc === undefined) return v;
    if (desc.kind === Kind.Shared) return revive(desc.extra as string);
    if (desc.token !== this.#token) {
      throw new TypeError(`A ${desc.typeid} proxy of another manager cannot be read by this manager`);
    }
    return this.#objects.get(desc.id)?.ref.obj;
  }

  /** {@linkcode Server.#resolve} for a registered type's method, which may keep the object. */
  #resolveKept(v: unknown): unknown {
    const desc = markerDesc(v);
    if (desc !== undefined && desc.kind !== Kind.Shared && desc.token === this.#token) {
      const e = this.#objects.get(desc.id);
      if (e !== undefined) e.pinned = true;
    }
    return this.#resolve(v);
  }

  #hold(ref: Referent, kind: string, holds: boolean, extra?: unknown, word?: number): ProxyDesc {
    const id = this.#nextId++;
    const e: Entry = { ref, holders: new Map(), count: 0, holds: false, pinned: false, word };
    this.#objects.set(id, e);
    this.#unrooted++; // until the reply's incref
    if (holds) this.#markHolds(e);
    return { token: this.#token, kind, typeid: ref.typeid, id, extra };
  }

  #create(typeid: string, args: unknown[], holds: boolean): ProxyDesc | Promise<ProxyDesc> {
    switch (typeid) {
      case "dict":
        return this.#hold(this.#makers.dict(args[0]), Kind.Dict, holds);
      case "list":
        return this.#hold(this.#makers.list(args[0]), Kind.List, holds);
      case "Namespace":
        return this.#hold(this.#makers.namespace(args[0]), Kind.Namespace, holds);
      case "Queue":
      case "JoinableQueue":
        return this.#queue(typeid, args[0]);
    }
    const shared = SHARED[typeid];
    if (shared !== undefined) {
      const extra = this.#chunks.relocate(shared(args, (v) => this.#resolve(v)));
      return { token: this.#token, kind: Kind.Shared, typeid, id: 0, extra } satisfies ProxyDesc;
    }
    const type = this.#types.get(typeid);
    if (type === undefined) {
      throw new TypeError(
        `This manager has no type "${typeid}": register it with YourManager.register("${typeid}", callable) ` +
          "before start()",
      );
    }
    const fn = type.fn;
    if (fn === undefined) {
      throw new TypeError(`The type "${typeid}" was registered without a callable: only methods return it`);
    }
    const resolved = args.map((a) => this.#resolveKept(a));
    const made = isClass(fn) ? Reflect.construct(fn, resolved) : fn(...resolved);
    const hold = (obj: unknown) => this.#custom(typeid, obj, type.exposed);
    return isThenable(made) ? Promise.resolve(made).then(hold) : hold(made);
  }

  #queue(typeid: string, maxsize: unknown): ProxyDesc {
    const m = maxsize ?? 0;
    if (typeof m !== "number" || !Number.isInteger(m)) {
      throw new TypeError(
        `${typeid}(maxsize): maxsize must be an integer (0 for no limit), got ${String(m)}`,
      );
    }
    const word = this.#chunks.alloc(4);
    const state: QueueState = {
      items: [],
      head: 0,
      maxsize: Math.max(0, m),
      joinable: typeid === "JoinableQueue",
      unfinished: 0,
      word: wordAt(word),
    };
    const extra: QueueExtra = { word, maxsize: state.maxsize };
    return this.#hold(
      this.#makers.queue(state, typeid),
      typeid === "Queue" ? Kind.Queue : Kind.JoinableQueue,
      false,
      extra,
      word,
    );
  }

  #custom(typeid: string, obj: unknown, exposed: string[] | undefined): ProxyDesc {
    const names = exposed ?? publicMethods(obj);
    const wraps = this.#types.get(typeid)?.methodToTypeid;
    const methods: Record<string, AnyFunction> = {};
    for (const name of names) {
      const to = wraps !== undefined && Object.hasOwn(wraps, name) ? wraps[name] : undefined;
      const wrap = (r: unknown) => markerOf(this.#custom(to!, r, this.#types.get(to!)?.exposed));
      methods[name] = (o: Record<string, AnyFunction>, ...args: unknown[]) => {
        if (typeof o[name] !== "function") {
          throw new TypeError(`${typeid}.${name}(): ${name} is not a method`);
        }
        const r = o[name](...args.map((a) => this.#resolveKept(a)));
        if (to === undefined) return r;
        return isThenable(r) ? Promise.resolve(r).then(wrap) : wrap(r);
      };
    }
    return this.#hold({ typeid, obj, methods, wraps: wraps !== undefined }, Kind.Auto, false, names);
  }
}

/** The manager role: gets ready by loading the registered types, then serves until shutdown. */
export const role: Role = { prepare };

async function prepare(init: InitMessage): Promise<() => Promise<number>> {
  const config = init.extra as ServerConfig;
  const types = new Map<string, LoadedType>();
  for (const [typeid, t] of Object.entries(config.types)) {
    thisProcess.importing = t.ref !== undefined && "module" in t.ref ? t.ref.module : null;
    const fn = t.ref === undefined ? undefined : await loadFunction(t.ref, `manager type "${typeid}"`);
    types.set(typeid, { fn, exposed: t.exposed, methodToTypeid: t.methodToTypeid });
  }
  if (config.remote !== undefined) return await prepareRemote(config.remote, types);
  const end = new ServerEnd(config.transport);
  return async () => {
    try {
      await new Server(end, config.transport.token, types).serve();
    } catch (e) {
      throw new ProcessError("The manager's server failed", { cause: e });
    }
    return 0;
  };
}

/**
 * The manager role of a remote manager: its server listens (the bound address goes to
 * the parent before `started`), then answers over sockets until shutdown.
 */
async function prepareRemote(
  remote: NonNullable<ServerConfig["remote"]>,
  types: Map<string, LoadedType>,
): Promise<() => Promise<number>> {
  const server = new RemoteServer({ ...remote, types });
  const address = await server.ready;
  postToParent({ t: "address", address });
  return async () => {
    await server.serveForever();
    return 0;
  };
}
