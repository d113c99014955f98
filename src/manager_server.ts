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
import { errorToData, ProcessError } from "./errors.ts";
import { Barrier } from "./barrier.ts";
import { Condition } from "./condition.ts";
import { Event } from "./event.ts";
import { Lock } from "./lock.ts";
import { RLock } from "./rlock.ts";
import { BoundedSemaphore, Semaphore } from "./semaphore.ts";
import { SharedArray } from "./shared_array.ts";
import { Value } from "./value.ts";
import { CTL_STATE, type InitMessage, STATE_RUNNING } from "./messages.ts";
import { ArenaChunks, revive, wordAt } from "./manager_arena.ts";
import { type QueueState, type Referent, referentMakers } from "./manager_referents.ts";
import { REPLY_ERROR, REPLY_OK, type Request, ServerEnd, type TransportHandle } from "./manager_transport.ts";
import { Kind, markerDesc, markerOf, type ProxyDesc } from "./proxy.ts";
import type { QueueExtra } from "./proxy_queue.ts";
import { loadFunction } from "./load.ts";
import type { FunctionRef } from "./resolve.ts";
import { postToParent } from "./runtime.ts";
import { self } from "./state.ts";
import { runAsync, runSync } from "./steps.ts";
import { exitCodeFor } from "./exit_codes.ts";
import type { Shareable } from "./codec.ts";

// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => any;

/** A type registered with `BaseManager.register()`, as the server receives it. */
export interface RegisteredType {
  ref: FunctionRef;
  /** The methods proxies may call; by default every public method of the object. */
  exposed?: string[];
}

/** The manager role's settings (the init message's `extra`). */
export interface ServerConfig {
  transport: TransportHandle;
  types: Record<string, RegisteredType>;
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

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null && typeof (v as PromiseLike<unknown>).then === "function";
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

class Server {
  readonly #end: ServerEnd;
  readonly #token: number;
  readonly #types: Map<string, { fn: AnyFunction; exposed?: string[] }>;
  readonly #objects = new Map<number, Referent>();
  readonly #chunks: ArenaChunks;
  readonly #makers = referentMakers((v) => this.#resolve(v));
  #nextId = 1;
  #pending = 0;

  constructor(end: ServerEnd, token: number, types: Map<string, { fn: AnyFunction; exposed?: string[] }>) {
    this.#end = end;
    this.#token = token;
    this.#types = types;
    this.#chunks = new ArenaChunks(token);
  }

  async serve(): Promise<void> {
    for (;;) {
      const req = this.#pending === 0 ? runSync(this.#end.next()) : await runAsync(this.#end.next());
      if (req === null) return;
      this.#handle(req);
    }
  }

  #handle(req: Request): void {
    let result: unknown;
    try {
      result = this.#dispatch(req[3], req[4], req[5]);
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
      (v) => this.#end.reply(req, REPLY_OK, v),
      (e) => this.#end.reply(req, REPLY_ERROR, errorToData(e)),
    ).finally(() => this.#pending--);
  }

  #dispatch(id: number, method: string, args: unknown[]): unknown {
    if (id === 0) {
      if (method !== "create") throw new TypeError(`a manager has no method "${method}"`);
      const made = this.#create(args[0] as string, args[1] as unknown[]);
      return isThenable(made) ? Promise.resolve(made).then(markerOf) : markerOf(made);
    }
    const ref = this.#objects.get(id);
    if (ref === undefined) throw new ReferenceError(`object ${id} is not held by this manager`);
    const fn = ref.methods[method] as AnyFunction | undefined;
    if (fn === undefined) {
      throw new TypeError(
        `a ${ref.typeid} proxy has no method "${method}": the methods it exposes are ${
          Object.keys(ref.methods).join(", ")
        }`,
      );
    }
    return fn(ref.obj, ...args);
  }

  /** The object a marker inside an argument stands for (itself for anything else). */
  #resolve(v: unknown): unknown {
    const desc = markerDesc(v);
    if (desc === undefined) return v;
    if (desc.kind === Kind.Shared) return revive(desc.extra as string);
    if (desc.token !== this.#token) {
      throw new TypeError(`a ${desc.typeid} proxy of another manager cannot be read by this manager`);
    }
    return this.#objects.get(desc.id)?.obj;
  }

  #hold(ref: Referent, kind: string, extra?: unknown): ProxyDesc {
    const id = this.#nextId++;
    this.#objects.set(id, ref);
    return { token: this.#token, kind, typeid: ref.typeid, id, extra };
  }

  #create(typeid: string, args: unknown[]): ProxyDesc | Promise<ProxyDesc> {
    switch (typeid) {
      case "dict":
        return this.#hold(this.#makers.dict(args[0]), Kind.Dict);
      case "list":
        return this.#hold(this.#makers.list(args[0]), Kind.List);
      case "Namespace":
        return this.#hold(this.#makers.namespace(args[0]), Kind.Namespace);
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
        `this manager has no type "${typeid}": register it with YourManager.register("${typeid}", callable) ` +
          "before start()",
      );
    }
    const resolved = args.map((a) => this.#resolve(a));
    const made = isClass(type.fn) ? Reflect.construct(type.fn, resolved) : type.fn(...resolved);
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
      extra,
    );
  }

  #custom(typeid: string, obj: unknown, exposed: string[] | undefined): ProxyDesc {
    const names = exposed ?? publicMethods(obj);
    const methods: Record<string, AnyFunction> = {};
    for (const name of names) {
      methods[name] = (o: Record<string, AnyFunction>, ...args: unknown[]) => {
        if (typeof o[name] !== "function") throw new TypeError(`${typeid}.${name} is not a method`);
        return o[name](...args.map((a) => this.#resolve(a)));
      };
    }
    return this.#hold({ typeid, obj, methods }, Kind.Auto, names);
  }
}

/** Runs the server until its manager is shut down (the bootstrap's `manager` role). */
export async function runRole(init: InitMessage): Promise<number> {
  const config = init.extra as ServerConfig;
  const types = new Map<string, { fn: AnyFunction; exposed?: string[] }>();
  try {
    for (const [typeid, t] of Object.entries(config.types)) {
      self.importing = "module" in t.ref ? t.ref.module : null;
      types.set(typeid, { fn: await loadFunction(t.ref, `manager type "${typeid}"`), exposed: t.exposed });
    }
  } catch (e) {
    postToParent({ t: "failed", error: errorToData(e) });
    return exitCodeFor(e);
  } finally {
    self.importing = null;
  }
  const end = new ServerEnd(config.transport);
  Atomics.store(init.control, CTL_STATE, STATE_RUNNING);
  postToParent({ t: "started" });
  try {
    await new Server(end, config.transport.token, types).serve();
  } catch (e) {
    return exitCodeFor(new ProcessError("the manager's server failed", { cause: e }));
  }
  return 0;
}
