/**
 * What every manager proxy shares: its description (which manager, which object), the
 * call to the server (async, and blocking for the `*Sync` twins), how proxies travel
 * (in `Process` args as a shared handle; inside values sent to the server as a small
 * marker), and the rebuilding of proxies found in the server's replies.
 *
 * Each kind of proxy (dict, list, ...) is a thin layer over this module; `_registry.ts`
 * gathers them and registers how a proxy is revived in another process. What the
 * server reads too (descriptions, kinds, markers) is in the neutral `../_protocol.ts`.
 *
 * @module
 */
import { SHARE, type SharedHandle } from "../../internal/_codec.ts";
import { ProcessError } from "../../internal/errors.ts";
import { packageModule } from "../../internal/_package_url.ts";
import { ownPid } from "../../process/_liveness.ts";
import { HOLDS_PROXIES, Transport, type TransportHandle } from "../_transport.ts";
import { runAsync, type Steps } from "../../sync/_steps.ts";
import { inspectable } from "../../internal/_inspect.ts";
import { Kind, markerDesc, markerOf, type ProxyDesc } from "../_protocol.ts";

/** `BaseProxy` subclasses are made with one (public: `mod.ts` exports it from here). */
export type { ProxyDesc };

/** The handle a proxy travels as in `Process` args. */
export interface ProxyState {
  transport: TransportHandle;
  desc: ProxyDesc;
  /**
   * The ticket of the reference the sending process took for the receiver (objects
   * with an id): `[sender pid, number]`. The first process that revives the handle
   * adopts that reference; any other (a handle posted to several workers) takes one
   * of its own.
   */
  ticket?: [number, number];
}

/** A proxy's hold on its object. */
interface Cell {
  t: Transport;
  desc: ProxyDesc;
}

/**
 * The module that registers how proxies are revived (it imports every kind), named in
 * each proxy's shared handle: a process that receives a proxy in its `Process` args may
 * have loaded nothing of the manager, and the handle is all it has, so the codec
 * imports this URL there (as it does `import.meta.url` for a Lock). It stays a URL, not
 * an import: `_registry.ts` imports every proxy kind, each of which imports this module,
 * so importing it here would be a cycle; and only processes that receive a proxy pay
 * for loading it. `packageModule` gives it in the form the package was loaded in
 * (`.ts` or `.js`); a unit test checks that it is the registry module.
 */
export const REVIVER_MODULE: string = packageModule("manager/proxy/_registry").href;

const transports = new Map<number, Transport>();
const proxies = new WeakMap<object, Cell>();
/** The descriptions of released proxies (each proxy has its own description object). */
const released = new WeakSet<ProxyDesc>();

/** A proxy garbage collected without being released gives its reference back. */
const finalizer = new FinalizationRegistry<Cell>((cell) => {
  if (!released.has(cell.desc)) cell.t.post("decref", [cell.desc.id], false);
});
const builders = new Map<string, (t: Transport, desc: ProxyDesc) => object>();
/** Tickets handed out by this process (see {@linkcode ProxyState.ticket}). */
let tickets = 0;

let remoteTransport: ((handle: unknown) => Transport) | null = null;

/** Sets how the transport of a remote manager's handle is made (by `_remote.ts`). */
export function setRemoteTransports(make: (handle: unknown) => Transport): void {
  remoteTransport = make;
}

/**
 * This process's end of the transport described by `handle` (one per manager): the
 * shared-memory transport, or a connection to a remote manager.
 */
export function transportFor(handle: TransportHandle): Transport {
  let t = transports.get(handle.token);
  if (t === undefined || t.gone()) {
    if ("remote" in handle) {
      if (remoteTransport === null) throw new ProcessError("Internal error: remote managers are not loaded");
      t = remoteTransport(handle);
    } else t = new Transport(handle);
    transports.set(handle.token, t);
  }
  return t;
}

/** Records `t` as this process's way to the manager of its token (a remote manager's connection). */
export function adoptTransport(t: Transport): void {
  transports.set(t.token, t);
}

/** Forgets `t` (a remote connection closed by its manager object). */
export function forgetTransport(t: Transport): void {
  if (transports.get(t.token) === t) transports.delete(t.token);
}

interface RemoteCalls {
  remote: true;
  callRemote(id: number, method: string, args: unknown[], typeid: string): Promise<unknown>;
}

/** Proxy classes given to `register(typeid, callable, { proxytype })`, by typeid. */
const proxyTypes = new Map<string, new (t: Transport, desc: ProxyDesc) => object>();

/** Makes the proxies of objects registered as `typeid` instances of `proxytype`. */
export function registerProxyType(
  typeid: string,
  proxytype: new (t: Transport, desc: ProxyDesc) => object,
): void {
  proxyTypes.set(typeid, proxytype);
}

/** Registers how proxies of `kind` are built. */
export function registerProxyKind(kind: string, build: (t: Transport, desc: ProxyDesc) => object): void {
  builders.set(kind, build);
}

/**
 * Builds the proxy for `desc` over `t`. The caller holds a reference on the object for
 * it (the server took one for this process when it sent the description).
 */
export function buildProxy(t: Transport, desc: ProxyDesc): object {
  const custom = desc.kind === Kind.Auto ? proxyTypes.get(desc.typeid) : undefined;
  if (custom !== undefined) return new custom(t, { ...desc });
  const build = builders.get(desc.kind);
  if (build === undefined) {
    throw new ProcessError(`Internal error: no proxy kind "${desc.kind}" is registered`);
  }
  return build(t, { ...desc });
}

/**
 * Records that `proxy` stands for `desc` of the manager of `t`, and that it holds a
 * reference on its object until it is released or garbage collected.
 */
export function remember(proxy: object, t: Transport, desc: ProxyDesc): void {
  const cell: Cell = { t, desc };
  proxies.set(proxy, cell);
  if (desc.id > 0 && desc.view !== true) finalizer.register(proxy, cell, cell);
}

/** How `proxy` (any manager proxy) reaches its object: its manager's transport and its description. */
export function wayOf(proxy: object): { t: Transport; desc: ProxyDesc } {
  const cell = proxies.get(proxy);
  if (cell === undefined) throw new ProcessError("Internal error: not a manager proxy");
  return cell;
}

/** `desc` as another holder's proxy gets it: a view's mark dropped, so that it holds a reference of its own. */
function counted(desc: ProxyDesc): ProxyDesc {
  return desc.view ? { ...desc, view: undefined } : desc;
}

/**
 * Makes `alias` (a Proxy wrapping `proxy`, as `a[i]` needs) known as the same manager
 * proxy: it can be stored, sent and released as `proxy` can.
 */
export function rememberAlias(alias: object, proxy: object): void {
  const cell = proxies.get(proxy);
  if (cell !== undefined) proxies.set(alias, cell);
}

/**
 * Gives back the reference `proxy` (any manager proxy) holds on its object (Python's
 * `del proxy`): the server frees the object once no proxy in any process refers to it.
 * Using the proxy afterwards throws a `ProcessError`; releasing it again does nothing.
 * Proxies with a method of their own for it: `proxy.release()`, `using`. Locks, Values
 * and the other shared objects of a local manager live in shared memory and are not
 * reference counted: for them this only makes the proxy refuse use. A remote manager's
 * locks, Values and Arrays are counted as its dicts are; their `release()` is the
 * lock's, so this is how their reference is given back.
 *
 * @param proxy A proxy that a manager returned (any kind).
 * @throws {TypeError} If `proxy` is not a manager proxy.
 *
 * @example A namespace released
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 * await using manager = await mp.Manager();
 * const ns = await manager.Namespace({ x: 1 });
 * mp.releaseProxy(ns);
 * console.log((await manager.debugInfo()).objects); // 0
 * ```
 */
export function releaseProxy(proxy: object): void {
  const cell = typeof proxy === "object" && proxy !== null ? proxies.get(proxy) : undefined;
  if (cell === undefined) {
    throw new TypeError(
      `releaseProxy(proxy): the value given (${
        proxy === null
          ? "null"
          : typeof proxy === "object"
          ? `an instance of ${(proxy as object).constructor?.name ?? "a null-prototype object"}`
          : `a ${typeof proxy}`
      }) is not a manager proxy: pass a proxy that a manager returned (await manager.dict(), ...)`,
    );
  }
  if (released.has(cell.desc)) return;
  released.add(cell.desc);
  finalizer.unregister(cell);
  if (cell.desc.id > 0 && cell.desc.view !== true) cell.t.post("decref", [cell.desc.id], true);
}

/** True once `proxy` was released. */
export function isReleased(proxy: object): boolean {
  const cell = proxies.get(proxy);
  return cell !== undefined && released.has(cell.desc);
}

/** Throws if the proxy of `desc` was released, naming it as `what` ("this dict proxy"). */
export function checkNotReleased(desc: ProxyDesc, what?: string): void {
  if (released.has(desc)) {
    throw new ProcessError(
      `Cannot use ${
        what ?? `this ${desc.typeid} proxy`
      } (id ${desc.id}): it was released (release() was called, or its using block ended) and no longer ` +
        "refers to its object: keep the proxy unreleased while you use it, or get another proxy to the " +
        "object (from a dict or list proxy that holds it)",
    );
  }
}

/** The description of a manager proxy, or `undefined` for any other value. */
export function descOf(v: unknown): ProxyDesc | undefined {
  return typeof v === "object" && v !== null ? proxies.get(v)?.desc : undefined;
}

/**
 * The shared handle of a proxy (what `[SHARE]()` returns). For an object with an id,
 * this process takes a reference for the receiver first, which the receiver adopts
 * (so that the object lives on even if this process releases its proxy meanwhile).
 */
export function proxyHandle(t: Transport, desc: ProxyDesc): SharedHandle {
  const what = `this ${desc.typeid} proxy`;
  checkNotReleased(desc, what);
  t.check(what);
  const state: ProxyState = { transport: t.handle, desc: counted(desc) };
  if (desc.id > 0) {
    state.ticket = [ownPid(), ++tickets];
    t.post("share", [desc.id, state.ticket], true);
  }
  return { type: "ManagerProxy", module: REVIVER_MODULE, state };
}

/** Revives a proxy that travelled in `Process` args (adopting the sender's reference). */
export function reviveProxy(state: unknown): object {
  const { transport, desc, ticket } = state as ProxyState;
  const t = transportFor(transport);
  if (ticket !== undefined) t.post("adopt", [desc.id, ticket], true);
  return buildProxy(t, desc);
}

/**
 * Prepares a value for the server: proxies become markers, plain data is kept (and
 * copied only along the paths that held a proxy). Other shared objects of this package
 * cannot be stored in a manager: that throws, naming where the object was.
 */
export function toServer(value: unknown, path: string): unknown {
  if (typeof value !== "object" || value === null) return value;
  const desc = descOf(value);
  if (desc !== undefined) {
    checkNotReleased(desc, `${path}, a ${desc.typeid} proxy,`);
    return markerOf(counted(desc));
  }
  if (SHARE in value) {
    throw new ProcessError(
      `Cannot store ${path} (${value.constructor?.name ?? "shared object"}) in a manager: only plain ` +
        "data and the manager's own proxies can be stored, so make the object with the manager instead " +
        "(await manager.Lock(), manager.Queue(), ...), or pass it to processes in their args",
    );
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const e = toServer(value[i], `${path}[${i}]`);
      if (e !== value[i]) (out ??= value.slice())[i] = e;
    }
    return out ?? value;
  }
  if (value instanceof Map) {
    let changed = false;
    const entries = [...value].map(([k, x]) => {
      const e = toServer(x, `${path}.get(${String(k)})`);
      changed ||= e !== x;
      return [k, e] as [unknown, unknown];
    });
    return changed ? new Map(entries) : value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let out: Record<string, unknown> | null = null;
  for (const [k, x] of Object.entries(value)) {
    const e = toServer(x, `${path}.${k}`);
    if (e !== x) (out ??= { ...value })[k] = e;
  }
  return out ?? value;
}

/** Rebuilds the proxies marked inside a value received from the server (in place). */
export function fromServer(t: Transport, value: unknown): unknown {
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value)) return value;
  const desc = markerDesc(value);
  if (desc !== undefined) return buildProxy(transportOf(t, desc), desc);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = fromServer(t, value[i]);
  } else if (value instanceof Map) {
    for (const [k, x] of value) value.set(k, fromServer(t, x));
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = fromServer(t, o[k]);
  }
  return value;
}

function transportOf(via: Transport, desc: ProxyDesc): Transport {
  if (desc.token === via.token) return via;
  const t = transports.get(desc.token);
  if (t !== undefined) return t;
  throw new ProcessError(
    `A value received from a manager holds a ${desc.typeid} proxy of another manager, which this process ` +
      "has never been given: pass a proxy of that manager to this process in its args first",
  );
}

/** One call to the server: arguments prepared, the reply's proxies rebuilt. */
export function* callSteps(
  t: Transport,
  desc: ProxyDesc,
  method: string,
  args: unknown[],
  proxy?: object,
): Steps<unknown> {
  checkNotReleased(desc);
  const sent = toServer(args, "argument") as unknown[];
  const reply = yield* t.call(desc.id, method, sent, desc.typeid, sent === args ? 0 : HOLDS_PROXIES);
  // Used after the reply, so that the proxy making an async call is not garbage collected
  // (and its reference given back) while the call is under way.
  if (proxy !== undefined) proxies.get(proxy);
  return fromServer(t, reply);
}

/**
 * Runs one call to the server without blocking; errors reject. `proxy` (the caller) is
 * kept alive until the reply.
 */
export function callAsync(
  t: Transport,
  desc: ProxyDesc,
  method: string,
  args: unknown[],
  proxy?: object,
): Promise<unknown> {
  try {
    if ((t as unknown as Partial<RemoteCalls>).remote === true) {
      checkNotReleased(desc);
      const sent = toServer(args, "argument") as unknown[];
      return (t as unknown as RemoteCalls).callRemote(desc.id, method, sent, desc.typeid).then((reply) => {
        if (proxy !== undefined) proxies.get(proxy);
        return fromServer(t, reply);
      });
    }
    return runAsync(callSteps(t, desc, method, args, proxy));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Runs one call to the server, blocking the thread until the reply. */
export function callSync(t: Transport, desc: ProxyDesc, method: string, args: unknown[]): unknown {
  // callSteps without its generator: the common path of every *Sync method.
  checkNotReleased(desc);
  const sent = toServer(args, "argument") as unknown[];
  const reply = t.callSync(desc.id, method, sent, desc.typeid, sent === args ? 0 : HOLDS_PROXIES);
  return fromServer(t, reply);
}

/**
 * The base of the manager's proxy classes (Python's `BaseProxy`): it knows its object
 * in the server and calls its methods.
 *
 * @example Calling a method by name
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 * await using manager = await mp.Manager();
 * const d = await manager.dict<string, number>();
 * await d.callMethod("set", ["a", 1]);
 * console.log(d.callMethodSync("get", ["a"])); // 1
 * ```
 */
export class BaseProxy {
  readonly #t: Transport;
  readonly #desc: ProxyDesc;

  /**
   * Made by the manager (or when a proxy arrives in another process). A `proxytype`
   * subclass given to {@linkcode BaseManager.register} takes and passes on both
   * arguments unchanged.
   *
   * @param t The way to the manager's server (internal).
   * @param desc Which manager and object the proxy stands for.
   */
  constructor(t: Transport, desc: ProxyDesc) {
    this.#t = t;
    this.#desc = desc;
    remember(this, t, desc);
  }

  /**
   * The type the object was made as (`"dict"`, `"list"`, a registered type...).
   *
   * @returns The typeid.
   */
  get typeid(): string {
    return this.#desc.typeid;
  }

  /**
   * Calls `method` of the object in the server with `args` (Python's `_callmethod`).
   * An error in the server rejects as from a pool: with its own class and message, and a
   * `RemoteError` holding the server's stack as its `cause`.
   *
   * @param method The name of a method of the object (one of its exposed methods).
   * @param args The arguments (default none); they are copied, proxies travel as
   * references.
   * @returns A promise that resolves to the method's result (awaited in the server),
   * with the proxies it holds rebuilt.
   * @throws {ProcessError} If the proxy was released, its manager was shut down or its
   * server ended, or `args` holds a shared object that is not a manager proxy (a
   * rejection).
   * @throws {TypeError} If `method` is not an exposed method of the object (a rejection).
   * @throws {Error} Whatever the method throws in the server, with its class and
   * message (a rejection).
   */
  callMethod(method: string, args: unknown[] = []): Promise<unknown> {
    return callAsync(this.#t, this.#desc, method, args, this);
  }

  /**
   * Blocking {@linkcode BaseProxy.callMethod}.
   *
   * @param method The name of a method of the object (one of its exposed methods).
   * @param args The arguments (default none); they are copied, proxies travel as
   * references.
   * @returns The method's result (awaited in the server).
   * @throws {ProcessError} If the proxy was released, its manager was shut down or its
   * server ended, or `args` holds a shared object that is not a manager proxy. (A remote
   * manager's proxy makes the call through a relay thread of this program, started at its
   * first blocking call, and throws if that thread cannot connect.)
   * @throws {TypeError} If `method` is not an exposed method of the object.
   * @throws {Error} Whatever the method throws in the server, with its class and message.
   */
  callMethodSync(method: string, args: unknown[] = []): unknown {
    return callSync(this.#t, this.#desc, method, args);
  }

  /**
   * Gives back this proxy's reference on its object (Python's `del proxy`); the
   * manager frees the object once no proxy in any process refers to it (nor any dict,
   * list or queue of the manager holding it). The proxy throws a `ProcessError` if used
   * afterwards; releasing it again does nothing. A proxy that is garbage collected, or
   * whose process ends, gives its reference back by itself.
   *
   * @example A dict per request
   * ```ts ignore
   * import * as mp from "@mp/multiprocessing";
   * await using manager = await mp.Manager();
   * for (let i = 0; i < 3; i++) {
   *   using d = manager.dictSync<string, number>(); // released at the end of each turn
   *   d.setSync("request", i);
   * }
   * console.log((await manager.debugInfo()).objects); // 0
   * ```
   */
  release(): void {
    releaseProxy(this);
  }

  /**
   * True once {@linkcode BaseProxy.release} was called.
   *
   * @returns `true` once released.
   */
  get released(): boolean {
    return isReleased(this);
  }

  /** Releases the proxy at the end of a `using` block. */
  [Symbol.dispose](): void {
    releaseProxy(this);
  }

  /**
   * Describes the proxy: `<DictProxy typeid=dict id=3>`.
   *
   * @returns The description.
   */
  toString(): string {
    return `<${this.constructor.name} typeid=${this.#desc.typeid} id=${this.#desc.id}>`;
  }

  /**
   * The handle this proxy travels as (codec).
   * @ignore
   */
  [SHARE](): SharedHandle {
    return proxyHandle(this.#t, this.#desc);
  }
}

inspectable(BaseProxy);
