/**
 * Managers: `BaseManager` (a server process holding objects for proxies, with
 * `register()` for user types), `SyncManager` (dicts, lists, namespaces, queues,
 * locks... out of the box) and `Manager()`, Python's `multiprocessing.Manager()`.
 *
 * @module
 */
import { ProcessError } from "../internal/errors.ts";
import type { Barrier, BarrierOptions } from "../sync/barrier.ts";
import type { Condition } from "../sync/condition.ts";
import type { Event } from "../sync/event.ts";
import type { Lock } from "../sync/lock.ts";
import type { RLock } from "../sync/rlock.ts";
import type { BoundedSemaphore, Semaphore } from "../sync/semaphore.ts";
import type { SharedArray, SizeOrInit } from "../shared/array.ts";
import type { SynchronizedOptions } from "../shared/synchronized.ts";
import { checkTypecode, type InitOf, type Typecode } from "../shared/typecodes.ts";
import type { Value } from "../shared/value.ts";
import { closeTransport, createTransport, type Transport } from "./_transport.ts";
import type { ManagerDebugInfo, RegisteredType, ServerConfig } from "./_server.ts";
import { type Process, processOf } from "../process/process.ts";
import { Child } from "../process/_child.ts";
import {
  adoptTransport,
  BaseProxy,
  callAsync,
  callSync,
  forgetTransport,
  registerProxyType,
  transportFor,
} from "./proxy/base.ts";
import type { ProxyDesc } from "./_protocol.ts";
import { asTransport, RemoteTransport } from "./_remote.ts";
import { RemoteServer, type RemoteType } from "./_remote_server.ts";
import { type Address, checkAddress } from "../net/address.ts";
import type { Authkey } from "../net/auth.ts";
import type { AutoProxy } from "./proxy/auto.ts";
import type { DictKey, DictProxy, DictSource } from "./proxy/dict.ts";
import type { ListProxy } from "./proxy/list.ts";
import type { NamespaceProxy } from "./proxy/namespace.ts";
import type { JoinableQueueProxy, QueueProxy } from "./proxy/queue.ts";
import { callerModules, resolveFunction } from "../process/_resolve.ts";
import { thisProcess } from "../process/_state.ts";
import "./proxy/_registry.ts";
import type { AnyFunction } from "../internal/_types.ts";

/** What `register()` accepts: a class or a factory function. */
// deno-lint-ignore no-explicit-any
export type ManagerCallable = ((...args: any[]) => unknown) | (new (...args: any[]) => unknown);

export type { ManagerDebugInfo };

/** Options of {@linkcode BaseManager.register}. */
export interface RegisterOptions {
  /** The methods proxies may call; by default every public method (not starting with `_`). */
  exposed?: string[];
  /**
   * Methods whose result is returned as a proxy of another registered typeid (Python's
   * `method_to_typeid`), e.g. `{ iter: "Iterator" }` with `register("Iterator", null,
   * { exposed: ["next"], createMethod: false })`.
   */
  methodToTypeid?: Record<string, string>;
  /**
   * The class of this type's proxies (Python's `proxytype`): a subclass of
   * {@linkcode BaseProxy} whose methods call `this.callMethod(name, args)`. By default
   * an {@linkcode AutoProxy}. It applies in every program that registers it (give it on
   * the client side of a remote manager too).
   */
  // deno-lint-ignore no-explicit-any
  proxytype?: new (...args: any[]) => BaseProxy;
  /**
   * Whether `manager[typeid](...args)` is defined as a shortcut of
   * `manager.create(typeid, ...args)` (Python's `create_method`). Default true.
   */
  createMethod?: boolean;
}

/** Options of a manager (`new BaseManager({ address, authkey })`): a remote manager. */
export interface ManagerOptions {
  /**
   * Where the server listens (`start()`, `getServer()`) or is reached (`connect()`):
   * `[host, port]` (port 0: any free port) or a Unix socket path. Without it, the
   * manager is local to this process tree (shared memory, no socket).
   */
  address?: Address;
  /**
   * The shared secret of the HMAC handshake (bytes, or a string taken as UTF-8).
   * Required to listen on anything but a loopback address.
   */
  authkey?: Authkey;
  /** Frames above this many bytes are refused before allocation (default 128 MiB). */
  maxMessageSize?: number;
  /**
   * How long (ms) a connection of a remote manager may go without sending before it
   * sends a small ping (default 15 000). A peer whose machine or network vanished never
   * acknowledges it, so the OS fails the connection after its retransmission timeout
   * (about 15 minutes on Linux, `net.ipv4.tcp_retries2`): the server then releases that
   * client's objects and locks, and a client's pending calls reject. Both sides ping;
   * TCP keep-alive probes start after the same idle time where the runtime can time
   * them (Bun).
   */
  keepAlive?: number;
}

interface Registration {
  fn?: AnyFunction;
  callers: string[];
  exposed?: string[];
  methodToTypeid?: Record<string, string>;
}

/** How long `shutdown()` lets the server end by itself before terminating it (ms). */
const SHUTDOWN_GRACE_MS = 1000;

const registries = new WeakMap<object, Map<string, Registration>>();

function registryOf(cls: object): Map<string, Registration> {
  let r = registries.get(cls);
  if (r === undefined) {
    const parent = Object.getPrototypeOf(cls);
    r = new Map(parent && registries.has(parent) ? registryOf(parent) : []);
    registries.set(cls, r);
  }
  return r;
}

function iterableArg(v: unknown): unknown {
  if (v === undefined || v === null || Array.isArray(v) || v instanceof Map) return v;
  if (typeof v === "object" && Symbol.iterator in v) return [...(v as Iterable<unknown>)];
  return v;
}

/**
 * A server process that holds objects and hands out proxies to them (Python's
 * `multiprocessing.managers.BaseManager`). Register your own types with
 * {@linkcode BaseManager.register} before `start()`; {@linkcode SyncManager} comes with
 * the usual ones.
 *
 * The server is a daemonic child process; proxies reach it through shared memory from
 * any process of the tree they are passed to (in `Process` args, or inside other
 * proxies), without going through any thread's event loop.
 *
 * With an `address` (`new BaseManager({ address, authkey })`) the manager is remote, as
 * Python's `BaseManager(address, authkey)`: `start()` runs the server in a child that
 * listens there, `getServer().serveForever()` serves from this program, `connect()`
 * uses a server another program started. Proxies then speak over an `mp.connection`
 * socket (async methods only); see the README's "Remote managers".
 *
 * @example A registered class
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export class Maths {
 *   add(a: number, b: number) {
 *     return a + b;
 *   }
 * }
 *
 * export class MathsManager extends mp.BaseManager {}
 * MathsManager.register("Maths", Maths);
 *
 * if (import.meta.main) {
 *   await using manager = new MathsManager();
 *   await manager.start();
 *   const maths = await manager.create<Maths>("Maths");
 *   console.log(await maths.add(4, 3), maths.addSync(1, 1)); // 7 2
 * }
 * ```
 *
 * @example A remote manager (server and client programs)
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 *
 * // server.ts: serves a queue to clients that know the key
 * const queue = new mp.dummy.Queue();
 * class QueueManager extends mp.BaseManager {}
 * QueueManager.register("get_queue", () => queue);
 * await new QueueManager({ address: ["", 50000], authkey: "abracadabra" }).getServer().serveForever();
 *
 * // client.ts: another program, on this machine or another
 * class QueueClient extends mp.BaseManager {
 *   declare get_queue: () => Promise<mp.AutoProxy<mp.dummy.Queue<string>>>;
 * }
 * QueueClient.register("get_queue");
 * const m = new QueueClient({ address: ["server.example", 50000], authkey: "abracadabra" });
 * await m.connect();
 * await (await m.get_queue()).put("hello");
 * ```
 */
export class BaseManager {
  #state: "initial" | "starting" | "started" | "shutdown" = "initial";
  #process: Process | null = null;
  #transport: Transport | null = null;
  readonly #options: ManagerOptions;
  #address: Address | null = null;
  #remote: RemoteTransport | null = null;
  #server: RemoteServer | null = null;

  /**
   * A manager; with `options.address`, a remote one (Python's
   * `BaseManager(address, authkey)`): `start()` runs its server in a child process
   * listening there, `getServer().serveForever()` serves from this program, and
   * `connect()` uses a server another program started.
   *
   * @param options `address` (`[host, port]` or a Unix socket path; default none: a
   * local manager), `authkey` (bytes or a UTF-8 string), `maxMessageSize` in bytes
   * (default 128 MiB) and `keepAlive` in ms (default 15 000), see
   * {@linkcode ManagerOptions}.
   * @throws {TypeError} If `options` is not an object, or `address` is neither
   * `[host, port]` (port an integer 0..65535) nor a non-empty path.
   * @throws {RangeError} If `keepAlive` is not a number of milliseconds from 1 to 2**31-1.
   */
  constructor(options: ManagerOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`${new.target.name}: expected an options object { address?, authkey? }`);
    }
    if (options.address !== undefined) checkAddress(options.address, new.target.name);
    const ka = options.keepAlive;
    if (ka !== undefined && !(typeof ka === "number" && ka >= 1 && ka <= 2 ** 31 - 1)) {
      throw new RangeError(
        `${new.target.name}: keepAlive must be a number of milliseconds from 1 to 2**31-1, got ${
          typeof ka === "string" ? JSON.stringify(ka) : String(ka)
        }`,
      );
    }
    this.#options = { ...options };
  }

  /**
   * The address of a remote manager (the bound one once started or served), else `null`.
   *
   * @returns The address, or `null` for a local manager.
   */
  get address(): Address | null {
    return this.#address ?? this.#options.address ?? null;
  }

  /** The registered types this program can make in its own server. */
  #remoteTypes(): Map<string, RemoteType> {
    const types = new Map<string, RemoteType>();
    for (const [typeid, r] of registryOf(this.constructor)) {
      types.set(typeid, { fn: r.fn, exposed: r.exposed, methodToTypeid: r.methodToTypeid });
    }
    return types;
  }

  #needAddress(what: string): Address {
    const a = this.#options.address;
    if (a === undefined) {
      throw new ProcessError(
        `${this.constructor.name}.${what}: this manager has no address: make it with ` +
          `new ${this.constructor.name}({ address: ["127.0.0.1", 50000], authkey })`,
      );
    }
    return a;
  }

  /**
   * The server of this remote manager, to run from this program (Python's
   * `get_server()`): `await manager.getServer().serveForever()` answers clients until
   * one of them (or this program) calls `shutdown()`. Registered types are called here.
   *
   * @returns The server; it listens at once (`ready` resolves to the bound address).
   * @throws {ProcessError} If the manager has no `address`, was already started,
   * connected or served, or the address is beyond loopback without an `authkey`.
   * @throws {TypeError} If `authkey` is neither bytes nor a string.
   * @throws {RangeError} If `maxMessageSize` is not a non-negative integer.
   */
  getServer(): ManagerServer {
    const address = this.#needAddress("getServer()");
    if (this.#state !== "initial") {
      throw new ProcessError(
        `${this.constructor.name}.getServer(): this ${this.constructor.name} was already started`,
      );
    }
    const server = new RemoteServer({
      address,
      authkey: this.#options.authkey,
      maxMessageSize: this.#options.maxMessageSize,
      keepAlive: this.#options.keepAlive,
      types: this.#remoteTypes(),
    });
    // Started only once the server exists: a refused address leaves the manager as it was.
    this.#state = "started";
    this.#server = server;
    server.ready.then((a) => this.#address = a, () => {});
    return new ManagerServer(server);
  }

  /**
   * Connects to the remote manager at this manager's address (Python's `connect()`):
   * a server started by another program, on this machine or another. Rejects with
   * `AuthenticationError` on a wrong authkey.
   *
   * @returns A promise that resolves once connected and authenticated.
   * @throws {AuthenticationError} If the keys differ, or the connect or handshake does
   * not finish within 5000 ms (a rejection).
   * @throws {ProcessError} If the manager has no `address`, was already started or
   * connected, or nothing listens there (a rejection, `code` e.g. `"ECONNREFUSED"`).
   */
  async connect(): Promise<void> {
    const address = this.#needAddress("connect()");
    if (this.#state !== "initial") {
      throw new ProcessError(
        `${this.constructor.name}.connect(): this ${this.constructor.name} was already started`,
      );
    }
    this.#state = "starting";
    try {
      await this.#connectTo(address);
      this.#state = "started";
    } catch (e) {
      this.#state = "shutdown";
      throw e;
    }
  }

  async #connectTo(address: Address): Promise<void> {
    const { authkey, maxMessageSize, keepAlive } = this.#options;
    const remote = { address, authkey, maxMessageSize, keepAlive };
    const probe = new RemoteTransport({ remote, token: 0 });
    await probe.ready();
    const token = await probe.callRemote(0, "ping", [], this.constructor.name) as number;
    probe.close();
    const t = new RemoteTransport({ remote, token });
    await t.ready();
    this.#remote = t;
    this.#transport = asTransport(t);
    adoptTransport(this.#transport);
  }

  /**
   * Registers `callable` (a class or a factory function, exported from a module so that
   * the server can import it) as the type `typeid` of this manager class and its
   * subclasses: `manager.create(typeid, ...args)` (also `manager[typeid](...args)`)
   * makes an object in the server and returns its {@linkcode AutoProxy}.
   *
   * @param typeid The type's name, a non-empty string (also the name of the shortcut
   * method).
   * @param callable The class or factory function that makes the objects, exported from
   * a module; `null` or omitted for a type only returned by other types' methods
   * (`methodToTypeid`), or, on the client side of a remote manager, made by the server.
   * @param options `exposed`, `methodToTypeid`, `proxytype` and `createMethod`
   * (default `true`), see {@linkcode RegisterOptions}.
   * @throws {TypeError} If `typeid` is not a non-empty string, `callable` is not a
   * function, `exposed` is not an array of names, `methodToTypeid` does not map names
   * to typeids, or `proxytype` is not a subclass of {@linkcode BaseProxy}.
   */
  static register(typeid: string, callable?: ManagerCallable | null, options: RegisterOptions = {}): void {
    if (typeof typeid !== "string" || typeid.length === 0) {
      throw new TypeError(`${this.name}.register(typeid, callable): typeid must be a non-empty string`);
    }
    if (callable !== undefined && callable !== null && typeof callable !== "function") {
      throw new TypeError(
        `${this.name}.register("${typeid}", callable): callable must be a class or a function, got ${typeof callable}`,
      );
    }
    if (options.exposed !== undefined && !options.exposed.every((m) => typeof m === "string")) {
      throw new TypeError(`${this.name}.register("${typeid}"): exposed must be an array of method names`);
    }
    const m2t = options.methodToTypeid;
    if (
      m2t !== undefined &&
      (typeof m2t !== "object" || m2t === null || !Object.values(m2t).every((t) => typeof t === "string"))
    ) {
      throw new TypeError(
        `${this.name}.register("${typeid}"): methodToTypeid must map method names to typeids`,
      );
    }
    if (options.proxytype !== undefined) {
      if (typeof options.proxytype !== "function" || !(options.proxytype.prototype instanceof BaseProxy)) {
        throw new TypeError(`${this.name}.register("${typeid}"): proxytype must be a subclass of BaseProxy`);
      }
      registerProxyType(typeid, options.proxytype as unknown as Parameters<typeof registerProxyType>[1]);
    }
    registryOf(this).set(typeid, {
      fn: (callable ?? undefined) as AnyFunction | undefined,
      callers: callable ? callerModules() : [],
      exposed: options.exposed,
      methodToTypeid: m2t === undefined ? undefined : { ...m2t },
    });
    if (options.createMethod !== false && !(typeid in this.prototype)) {
      Object.defineProperty(this.prototype, typeid, {
        value: function (this: BaseManager, ...args: unknown[]) {
          return this.create(typeid, ...args);
        },
        configurable: true,
        writable: true,
      });
    }
  }

  /**
   * Starts the server process; resolves once it answers. A manager starts once.
   *
   * @returns A promise that resolves once the server answers (for a remote manager,
   * once it listens and this program is connected to it).
   * @throws {ProcessError} If the manager was already started (or connected, or
   * served), a registered callable is not found in its module (not exported), or the
   * server process fails to start (a rejection).
   */
  async start(): Promise<void> {
    if (this.#state !== "initial") {
      throw new ProcessError(
        `${this.constructor.name}.start(): cannot start a ${this.constructor.name} twice`,
      );
    }
    this.#state = "starting";
    try {
      const transport = createTransport();
      const types: Record<string, RegisteredType> = {};
      for (const [typeid, r] of registryOf(this.constructor)) {
        const ref = r.fn === undefined
          ? undefined
          : await resolveFunction(r.fn, r.callers, thisProcess.startMethod, `manager type "${typeid}"`);
        types[typeid] = { ref, exposed: r.exposed, methodToTypeid: r.methodToTypeid };
      }
      const { address, authkey, maxMessageSize, keepAlive } = this.#options;
      const config: ServerConfig = {
        transport,
        types,
        remote: address === undefined ? undefined : { address, authkey, maxMessageSize, keepAlive },
      };
      let bound: Address | null = null;
      const p = processOf(
        new Child({
          role: {
            role: "manager",
            extra: () => config,
            message: (m) => {
              const a = (m as { t?: string; address?: Address }).address;
              if ((m as { t?: string }).t === "address" && a !== undefined) bound = a;
            },
          },
        }),
        true,
      );
      this.#process = p;
      await p.start();
      if (address !== undefined) {
        if (bound === null) throw new ProcessError("The manager's server did not tell its address");
        this.#address = bound;
        await this.#connectTo(bound);
      } else this.#transport = transportFor(transport);
      this.#state = "started";
    } catch (e) {
      this.#state = "shutdown";
      this.#process?.terminate();
      throw e;
    }
  }

  /**
   * Stops the server: every proxy of this manager, in any process, throws a clear
   * `ProcessError` from then on. Calling it again does nothing.
   *
   * @returns A promise that resolves once the server has ended (terminated if it did
   * not end within a second); at once for a connected remote manager, whose server
   * another program runs.
   */
  async shutdown(): Promise<void> {
    if (this.#state !== "started") {
      this.#state = "shutdown";
      return;
    }
    this.#state = "shutdown";
    if (this.#server !== null) {
      this.#server.stop();
      return;
    }
    if (this.#remote !== null) {
      const r = this.#remote;
      if (this.#process !== null) {
        await r.callRemote(0, "shutdown", [], this.constructor.name).catch(() => {});
      }
      r.close();
      forgetTransport(this.#transport!);
      if (this.#process === null) return;
    } else closeTransport(this.#transport!.handle);
    const p = this.#process!;
    await p.join(SHUTDOWN_GRACE_MS);
    if (p.exitCode === null) p.terminate();
  }

  /**
   * Whether the server runs (started and not shut down).
   *
   * @returns `true` while the server can be used.
   */
  get running(): boolean {
    if (this.#server !== null) return this.#state === "started";
    return this.#state === "started" && !this.#transport!.gone();
  }

  /**
   * The server process (`null` before `start()`).
   *
   * @returns The server's {@linkcode Process}, or `null` (also for `connect()` and
   * `getServer()`).
   */
  get process(): Process | null {
    return this.#process;
  }

  /**
   * Makes an object of the registered type `typeid` in the server with `args` and
   * returns its proxy: each method `m` of the object is `proxy.m(...)` (a Promise) and
   * `proxy.mSync(...)` (blocking).
   *
   * @param typeid A type registered with {@linkcode BaseManager.register}.
   * @param args The arguments of the type's callable; they are copied (proxies travel
   * as references).
   * @returns A promise that resolves to the object's proxy.
   * @throws {ProcessError} If the manager is not started, was shut down, serves from
   * this program (`getServer()`), or its server has ended (a rejection).
   * @throws {TypeError} If `typeid` is not registered, or was registered without a
   * callable (a rejection).
   * @throws {Error} Whatever the callable throws in the server, with its class and
   * message (a rejection; see {@linkcode BaseProxy.callMethod}).
   */
  create<T = unknown>(typeid: string, ...args: unknown[]): Promise<AutoProxy<T>> {
    return this.make(typeid, args) as Promise<AutoProxy<T>>;
  }

  /**
   * Blocking {@linkcode BaseManager.create}.
   *
   * @param typeid A type registered with {@linkcode BaseManager.register}.
   * @param args The arguments of the type's callable; they are copied.
   * @returns The object's proxy.
   * @throws {ProcessError} If the manager is not started, was shut down, serves from
   * this program, or its server has ended.
   * @throws {TypeError} If `typeid` is not registered, or was registered without a
   * callable.
   * @throws {Error} Whatever the callable throws in the server, with its class and
   * message.
   */
  createSync<T = unknown>(typeid: string, ...args: unknown[]): AutoProxy<T> {
    return this.makeSync(typeid, args) as AutoProxy<T>;
  }

  /**
   * What the server holds (Python's `_debug_info()` / `_number_of_objects()`): the
   * number of live objects, the references proxies hold on them and the processes
   * holding them. Holders that ended are let go first.
   *
   * @returns A promise that resolves to the counts (see {@linkcode ManagerDebugInfo}).
   * @throws {ProcessError} If the manager is not started, was shut down, serves from
   * this program, or its server has ended (a rejection).
   *
   * @example Objects freed on release
   * ```ts
   * import * as mp from "@mp/multiprocessing";
   * await using manager = await mp.Manager();
   * const d = await manager.dict();
   * console.log((await manager.debugInfo()).objects); // 1
   * d.release();
   * console.log((await manager.debugInfo()).objects); // 0
   * ```
   */
  debugInfo(): Promise<ManagerDebugInfo> {
    try {
      const t = this.#ready();
      return callAsync(t, this.#desc(t), "debugInfo", []) as Promise<ManagerDebugInfo>;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Blocking {@linkcode BaseManager.debugInfo}.
   *
   * @returns The counts (see {@linkcode ManagerDebugInfo}).
   * @throws {ProcessError} If the manager is not started, was shut down, serves from
   * this program, or its server has ended.
   */
  debugInfoSync(): ManagerDebugInfo {
    const t = this.#ready();
    return callSync(t, this.#desc(t), "debugInfo", []) as ManagerDebugInfo;
  }

  /**
   * Asks the server to make an object of `typeid` and returns its proxy (for subclasses).
   *
   * @param typeid A registered type.
   * @param args The arguments of the type's callable.
   * @returns A promise that resolves to the proxy; it rejects as
   * {@linkcode BaseManager.create} does.
   */
  protected make(typeid: string, args: unknown[]): Promise<unknown> {
    try {
      const t = this.#ready();
      return callAsync(t, this.#desc(t), "create", [typeid, args]);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Blocking {@linkcode BaseManager.make}.
   *
   * @param typeid A registered type.
   * @param args The arguments of the type's callable.
   * @returns The proxy; it throws as {@linkcode BaseManager.createSync} does.
   */
  protected makeSync(typeid: string, args: unknown[]): unknown {
    const t = this.#ready();
    return callSync(t, this.#desc(t), "create", [typeid, args]);
  }

  #desc(t: Transport): ProxyDesc {
    return { token: t.token, kind: "manager", typeid: this.constructor.name, id: 0 };
  }

  #ready(): Transport {
    if (this.#state === "started" && this.#transport !== null) return this.#transport;
    if (this.#server !== null) {
      throw new ProcessError(
        `This ${this.constructor.name} serves from this program (getServer()): make objects through a ` +
          "manager that connect()s to it",
      );
    }
    throw new ProcessError(
      this.#state === "shutdown"
        ? `this ${this.constructor.name} was shut down: start a new manager to make objects`
        : `this ${this.constructor.name} is not started: call await manager.start() first (or use await mp.Manager())`,
    );
  }

  /**
   * Shuts the manager down (`await using manager = await mp.Manager()`).
   *
   * @returns A promise that resolves once the server has ended.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }
}

/**
 * The server of a remote manager run from its own program (Python's
 * `manager.get_server()`): `serveForever()` answers clients until `shutdown()` (here,
 * or from a client).
 *
 * @example Python's remote queue manager, server side
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 * const queue = new mp.dummy.Queue();
 * class QueueManager extends mp.BaseManager {}
 * QueueManager.register("get_queue", () => queue);
 * const m = new QueueManager({ address: ["", 50000], authkey: "abracadabra" });
 * await m.getServer().serveForever();
 * ```
 */
export class ManagerServer {
  readonly #server: RemoteServer;
  /**
   * Made by {@linkcode BaseManager.getServer}.
   *
   * @param server The internal server (only `getServer()` has one).
   * @throws {TypeError} When called by user code.
   */
  constructor(server: RemoteServer) {
    if (!(server instanceof RemoteServer)) throw new TypeError("ManagerServer: use manager.getServer()");
    this.#server = server;
  }
  /**
   * Resolves with the bound address once listening.
   *
   * @returns A promise that resolves to the bound address (the real port of `[host, 0]`).
   * @throws {ProcessError} If the address cannot be bound (a rejection, `code` e.g.
   * `"EADDRINUSE"`).
   */
  get ready(): Promise<Address> {
    return this.#server.ready;
  }
  /**
   * Answers clients; resolves once the server is shut down.
   *
   * @returns A promise that resolves once `shutdown()` was called here or by a client.
   * @throws {ProcessError} If the address cannot be bound (a rejection).
   */
  serveForever(): Promise<void> {
    return this.#server.serveForever();
  }
  /** Stops serving: the listener closes and every client is disconnected. */
  shutdown(): void {
    this.#server.stop();
  }
}

/**
 * A manager with Python's `SyncManager` types: `dict`, `list`, `Namespace`, `Value`,
 * `Array`, `Queue`, `JoinableQueue`, `Lock`, `RLock`, `Semaphore`, `BoundedSemaphore`,
 * `Condition`, `Event` and `Barrier`. Each maker returns a Promise of the proxy and has a
 * blocking `*Sync` twin (`dictSync()`, ...).
 *
 * The synchronization objects, Values and Arrays it makes are this package's own
 * classes (with their full API), placed in the process tree's shared memory so that
 * they can also be stored in dict and list proxies; they refuse use once the manager
 * is shut down.
 *
 * @example Start, use, shut down
 * ```ts
 * import { SyncManager } from "@mp/multiprocessing";
 * const manager = new SyncManager();
 * await manager.start();
 * const l = await manager.list([3, 1, 2]);
 * await l.sort();
 * console.log(await l.toArray()); // [1, 2, 3]
 * await manager.shutdown();
 * ```
 */
export class SyncManager extends BaseManager {
  /**
   * A dict proxy, filled from `init` (a Map, `[key, value]` pairs, an object or a dict proxy).
   *
   * @param init The initial entries (default: none); they are copied.
   * @returns A promise that resolves to the dict's proxy.
   * @throws {ProcessError} If the manager is not started, was shut down, or its server
   * has ended, or `init` holds a shared object that is not a proxy of this manager (a
   * rejection).
   */
  dict<K extends DictKey = DictKey, V = unknown>(init?: DictSource<K, V>): Promise<DictProxy<K, V>> {
    return this.make("dict", [iterableArg(init)]) as Promise<DictProxy<K, V>>;
  }
  /**
   * Blocking {@linkcode SyncManager.dict}.
   *
   * @param init The initial entries (default: none); they are copied.
   * @returns The dict's proxy.
   * @throws {ProcessError} As {@linkcode SyncManager.dict} does.
   */
  dictSync<K extends DictKey = DictKey, V = unknown>(init?: DictSource<K, V>): DictProxy<K, V> {
    return this.makeSync("dict", [iterableArg(init)]) as DictProxy<K, V>;
  }

  /**
   * A list proxy, filled from `init` (an iterable or a list proxy).
   *
   * @param init The initial items (default: none); they are copied.
   * @returns A promise that resolves to the list's proxy.
   * @throws {ProcessError} If the manager is not started, was shut down, or its server
   * has ended, or `init` holds a shared object that is not a proxy of this manager (a
   * rejection).
   */
  list<T = unknown>(init?: Iterable<T> | ListProxy<T>): Promise<ListProxy<T>> {
    return this.make("list", [iterableArg(init)]) as Promise<ListProxy<T>>;
  }
  /**
   * Blocking {@linkcode SyncManager.list}.
   *
   * @param init The initial items (default: none); they are copied.
   * @returns The list's proxy.
   * @throws {ProcessError} As {@linkcode SyncManager.list} does.
   */
  listSync<T = unknown>(init?: Iterable<T> | ListProxy<T>): ListProxy<T> {
    return this.makeSync("list", [iterableArg(init)]) as ListProxy<T>;
  }

  /**
   * A namespace proxy with the attributes of `init`.
   *
   * @param init The initial attributes (default: none); they are copied.
   * @returns A promise that resolves to the namespace's proxy.
   * @throws {ProcessError} If the manager is not started, was shut down, or its server
   * has ended (a rejection).
   */
  Namespace(init?: Record<string, unknown>): Promise<NamespaceProxy> {
    return this.make("Namespace", [init]) as Promise<NamespaceProxy>;
  }
  /**
   * Blocking {@linkcode SyncManager.Namespace}.
   *
   * @param init The initial attributes (default: none); they are copied.
   * @returns The namespace's proxy.
   * @throws {ProcessError} As {@linkcode SyncManager.Namespace} does.
   */
  NamespaceSync(init?: Record<string, unknown>): NamespaceProxy {
    return this.makeSync("Namespace", [init]) as NamespaceProxy;
  }

  /**
   * A {@linkcode Value} (see its class) made by the manager.
   *
   * @param typecode The element type: a `struct` letter (`"i"`, `"d"`...) as Python's.
   * @param init The initial value (default zero).
   * @param options `lock` (see {@linkcode SynchronizedOptions}).
   * @returns A promise that resolves to the Value, in the process tree's shared memory
   * (for a remote manager, a {@linkcode RemoteValueProxy} with the same API).
   * @throws {TypeError} If `typecode` is unknown (thrown at once).
   * @throws {ProcessError} If the manager is not started, was shut down, its server
   * has ended (a rejection).
   */
  Value<T extends Typecode>(typecode: T, init?: InitOf<T>, options?: SynchronizedOptions): Promise<Value<T>> {
    checkTypecode(typecode, "manager.Value()");
    return this.make("Value", [typecode, init, options]) as Promise<Value<T>>;
  }
  /**
   * Blocking {@linkcode SyncManager.Value}.
   *
   * @param typecode The element type: a `struct` letter (`"i"`, `"d"`...) as Python's.
   * @param init The initial value (default zero).
   * @param options `lock` (see {@linkcode SynchronizedOptions}).
   * @returns The Value.
   * @throws {TypeError} If `typecode` is unknown.
   * @throws {ProcessError} If the manager is not started, was shut down, its server
   * has ended.
   */
  ValueSync<T extends Typecode>(typecode: T, init?: InitOf<T>, options?: SynchronizedOptions): Value<T> {
    checkTypecode(typecode, "manager.ValueSync()");
    return this.makeSync("Value", [typecode, init, options]) as Value<T>;
  }

  /**
   * A {@linkcode SharedArray} (Python's `Array`) made by the manager.
   *
   * @param typecode The element type: a `struct` letter (`"i"`, `"d"`...) as Python's.
   * @param sizeOrInit The length (elements, zeroed) or the initial elements.
   * @param options `lock` (see {@linkcode SynchronizedOptions}).
   * @returns A promise that resolves to the array, in the process tree's shared memory
   * (for a remote manager, a {@linkcode RemoteArrayProxy} with the same API).
   * @throws {TypeError} If `typecode` is unknown (thrown at once).
   * @throws {ProcessError} If the manager is not started, was shut down, its server
   * has ended (a rejection).
   */
  Array<T extends Typecode>(
    typecode: T,
    sizeOrInit: SizeOrInit<T>,
    options?: SynchronizedOptions,
  ): Promise<SharedArray<T>> {
    checkTypecode(typecode, "manager.Array()");
    return this.make("Array", [typecode, iterableArg(sizeOrInit), options]) as Promise<SharedArray<T>>;
  }
  /**
   * Blocking {@linkcode SyncManager.Array}.
   *
   * @param typecode The element type: a `struct` letter (`"i"`, `"d"`...) as Python's.
   * @param sizeOrInit The length (elements, zeroed) or the initial elements.
   * @param options `lock` (see {@linkcode SynchronizedOptions}).
   * @returns The array.
   * @throws {TypeError} If `typecode` is unknown.
   * @throws {ProcessError} If the manager is not started, was shut down, its server
   * has ended.
   */
  ArraySync<T extends Typecode>(
    typecode: T,
    sizeOrInit: SizeOrInit<T>,
    options?: SynchronizedOptions,
  ): SharedArray<T> {
    checkTypecode(typecode, "manager.ArraySync()");
    return this.makeSync("Array", [typecode, iterableArg(sizeOrInit), options]) as SharedArray<T>;
  }

  /**
   * A queue proxy holding at most `maxsize` items (0: no limit).
   *
   * @param maxsize The most items the queue holds, an integer; 0 or less (the default)
   * for no limit.
   * @returns A promise that resolves to the queue's proxy (for a remote manager, a
   * {@linkcode RemoteQueueProxy}).
   * @throws {TypeError} If `maxsize` is not an integer (a rejection).
   * @throws {ProcessError} If the manager is not started, was shut down, or its server
   * has ended (a rejection).
   */
  Queue<T = unknown>(maxsize: number = 0): Promise<QueueProxy<T>> {
    return this.make("Queue", [maxsize]) as Promise<QueueProxy<T>>;
  }
  /**
   * Blocking {@linkcode SyncManager.Queue}.
   *
   * @param maxsize The most items the queue holds, an integer; 0 or less (the default)
   * for no limit.
   * @returns The queue's proxy.
   * @throws {TypeError} If `maxsize` is not an integer.
   * @throws {ProcessError} As {@linkcode SyncManager.Queue} does.
   */
  QueueSync<T = unknown>(maxsize: number = 0): QueueProxy<T> {
    return this.makeSync("Queue", [maxsize]) as QueueProxy<T>;
  }

  /**
   * A joinable queue proxy holding at most `maxsize` items (0: no limit).
   *
   * @param maxsize The most items the queue holds, an integer; 0 or less (the default)
   * for no limit.
   * @returns A promise that resolves to the queue's proxy (for a remote manager, a
   * {@linkcode RemoteQueueProxy}).
   * @throws {TypeError} If `maxsize` is not an integer (a rejection).
   * @throws {ProcessError} If the manager is not started, was shut down, or its server
   * has ended (a rejection).
   */
  JoinableQueue<T = unknown>(maxsize: number = 0): Promise<JoinableQueueProxy<T>> {
    return this.make("JoinableQueue", [maxsize]) as Promise<JoinableQueueProxy<T>>;
  }
  /**
   * Blocking {@linkcode SyncManager.JoinableQueue}.
   *
   * @param maxsize The most items the queue holds, an integer; 0 or less (the default)
   * for no limit.
   * @returns The queue's proxy.
   * @throws {TypeError} If `maxsize` is not an integer.
   * @throws {ProcessError} As {@linkcode SyncManager.JoinableQueue} does.
   */
  JoinableQueueSync<T = unknown>(maxsize: number = 0): JoinableQueueProxy<T> {
    return this.makeSync("JoinableQueue", [maxsize]) as JoinableQueueProxy<T>;
  }

  /**
   * A {@linkcode Lock} made by the manager.
   *
   * @returns A promise that resolves to the lock (for a remote manager, a
   * {@linkcode RemoteAcquirerProxy} with the same API).
   * @throws {ProcessError} If the manager is not started, was shut down, or its server
   * has ended (a rejection).
   */
  Lock(): Promise<Lock> {
    return this.make("Lock", []) as Promise<Lock>;
  }
  /**
   * Blocking {@linkcode SyncManager.Lock}.
   *
   * @returns The lock.
   * @throws {ProcessError} As {@linkcode SyncManager.Lock} does.
   */
  LockSync(): Lock {
    return this.makeSync("Lock", []) as Lock;
  }

  /**
   * An {@linkcode RLock} made by the manager.
   *
   * @returns A promise that resolves to the lock (for a remote manager, a
   * {@linkcode RemoteAcquirerProxy} with the same API).
   * @throws {ProcessError} If the manager is not started, was shut down, or its server
   * has ended (a rejection).
   */
  RLock(): Promise<RLock> {
    return this.make("RLock", []) as Promise<RLock>;
  }
  /**
   * Blocking {@linkcode SyncManager.RLock}.
   *
   * @returns The lock.
   * @throws {ProcessError} As {@linkcode SyncManager.RLock} does.
   */
  RLockSync(): RLock {
    return this.makeSync("RLock", []) as RLock;
  }

  /**
   * A {@linkcode Semaphore} made by the manager.
   *
   * @param value The initial counter, a non-negative integer (default 1).
   * @returns A promise that resolves to the semaphore (for a remote manager, a
   * {@linkcode RemoteAcquirerProxy} with the same API).
   * @throws {RangeError} If `value` is not a non-negative integer (a rejection).
   * @throws {ProcessError} If the manager is not started, was shut down, or its server
   * has ended (a rejection).
   */
  Semaphore(value: number = 1): Promise<Semaphore> {
    return this.make("Semaphore", [value]) as Promise<Semaphore>;
  }
  /**
   * Blocking {@linkcode SyncManager.Semaphore}.
   *
   * @param value The initial counter, a non-negative integer (default 1).
   * @returns The semaphore.
   * @throws {RangeError} If `value` is not a non-negative integer.
   * @throws {ProcessError} As {@linkcode SyncManager.Semaphore} does.
   */
  SemaphoreSync(value: number = 1): Semaphore {
    return this.makeSync("Semaphore", [value]) as Semaphore;
  }

  /**
   * A {@linkcode BoundedSemaphore} made by the manager.
   *
   * @param value The initial and highest counter, a non-negative integer (default 1).
   * @returns A promise that resolves to the semaphore (for a remote manager, a
   * {@linkcode RemoteAcquirerProxy} with the same API).
   * @throws {RangeError} If `value` is not a non-negative integer (a rejection).
   * @throws {ProcessError} If the manager is not started, was shut down, or its server
   * has ended (a rejection).
   */
  BoundedSemaphore(value: number = 1): Promise<BoundedSemaphore> {
    return this.make("BoundedSemaphore", [value]) as Promise<BoundedSemaphore>;
  }
  /**
   * Blocking {@linkcode SyncManager.BoundedSemaphore}.
   *
   * @param value The initial and highest counter, a non-negative integer (default 1).
   * @returns The semaphore.
   * @throws {RangeError} If `value` is not a non-negative integer.
   * @throws {ProcessError} As {@linkcode SyncManager.BoundedSemaphore} does.
   */
  BoundedSemaphoreSync(value: number = 1): BoundedSemaphore {
    return this.makeSync("BoundedSemaphore", [value]) as BoundedSemaphore;
  }

  /**
   * A {@linkcode Condition} made by the manager, over `lock` (a manager Lock or RLock) or a new RLock.
   *
   * @param lock The lock it uses, made by this manager (default: a new RLock).
   * @returns A promise that resolves to the condition (for a remote manager, a
   * {@linkcode RemoteConditionProxy} with the same API).
   * @throws {ProcessError} If the manager is not started, was shut down, its server
   * has ended (a rejection).
   */
  Condition(lock?: Lock | RLock): Promise<Condition> {
    return this.make("Condition", [lock]) as Promise<Condition>;
  }
  /**
   * Blocking {@linkcode SyncManager.Condition}.
   *
   * @param lock The lock it uses, made by this manager (default: a new RLock).
   * @returns The condition.
   * @throws {ProcessError} As {@linkcode SyncManager.Condition} does.
   */
  ConditionSync(lock?: Lock | RLock): Condition {
    return this.makeSync("Condition", [lock]) as Condition;
  }

  /**
   * An {@linkcode Event} made by the manager.
   *
   * @returns A promise that resolves to the event (for a remote manager, a
   * {@linkcode RemoteEventProxy} with the same API).
   * @throws {ProcessError} If the manager is not started, was shut down, or its server
   * has ended (a rejection).
   */
  Event(): Promise<Event> {
    return this.make("Event", []) as Promise<Event>;
  }
  /**
   * Blocking {@linkcode SyncManager.Event}.
   *
   * @returns The event.
   * @throws {ProcessError} As {@linkcode SyncManager.Event} does.
   */
  EventSync(): Event {
    return this.makeSync("Event", []) as Event;
  }

  /**
   * A {@linkcode Barrier} for `parties` made by the manager.
   *
   * @param parties How many callers of `wait()` release each other, an integer `>= 1`.
   * @param options `timeout`: the default timeout of `wait`, in milliseconds (see {@linkcode BarrierOptions}).
   * @returns A promise that resolves to the barrier (for a remote manager, a
   * {@linkcode RemoteBarrierProxy} with the same API).
   * @throws {ProcessError} If the manager is not started, was shut down, its server
   * has ended (a rejection).
   * @throws {RangeError} If `parties` is not a positive integer (a rejection).
   */
  Barrier(parties: number, options?: BarrierOptions): Promise<Barrier> {
    return this.make("Barrier", [parties, options]) as Promise<Barrier>;
  }
  /**
   * Blocking {@linkcode SyncManager.Barrier}.
   *
   * @param parties How many callers of `wait()` release each other, an integer `>= 1`.
   * @param options `timeout`: the default timeout of `wait`, in milliseconds (see {@linkcode BarrierOptions}).
   * @returns The barrier.
   * @throws {ProcessError} As {@linkcode SyncManager.Barrier} does.
   * @throws {RangeError} If `parties` is not a positive integer.
   */
  BarrierSync(parties: number, options?: BarrierOptions): Barrier {
    return this.makeSync("Barrier", [parties, options]) as Barrier;
  }
}

/**
 * Starts a {@linkcode SyncManager} and resolves to it (Python's
 * `multiprocessing.Manager()`). Shut it down with `shutdown()`, or let `await using`
 * do it.
 *
 * @returns A promise that resolves to the started manager.
 * @throws {ProcessError} If the server process fails to start (a rejection).
 *
 * @example The seeds' Manager program
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export async function f(d: mp.DictProxy, l: mp.ListProxy<number>) {
 *   await d.set(1, "1");
 *   await d.set("2", 2);
 *   await d.set(0.25, null);
 *   await l.reverse();
 * }
 *
 * if (import.meta.main) {
 *   await using manager = await mp.Manager();
 *   const d = await manager.dict();
 *   const l = await manager.list(Array.from({ length: 10 }, (_, i) => i));
 *   const p = new mp.Process({ target: f, args: [d, l] });
 *   await p.start();
 *   await p.join();
 *   console.log(await d.copy()); // Map(3) { 1 => "1", "2" => 2, 0.25 => null }
 *   console.log(await l.toArray()); // [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
 * }
 * ```
 */
export async function Manager(): Promise<SyncManager> {
  const manager = new SyncManager();
  await manager.start();
  return manager;
}
