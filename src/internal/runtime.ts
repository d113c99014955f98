/**
 * Everything that differs between Deno and Bun, in one place. No other module
 * branches on the runtime.
 *
 * @module
 */
// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** Loaded only where needed: it costs 10 ms or more to load, on every Worker start. */
// deno-lint-ignore no-explicit-any
function workerThreads(): any {
  return g.process.getBuiltinModule("node:worker_threads");
}

let pendingWaits = 0;
let ticker: ReturnType<typeof setInterval> | undefined;

/**
 * Keeps the program alive until `promise` (a pending `Atomics.waitAsync`) settles.
 * Deno does not count such a wait as work: it would end the program under it, and it
 * delivers a wait's timeout only when its event loop turns. One shared 10 ms ticker
 * (stopped once no wait is pending) does both, without a timer per wait.
 */
export function keepAlive<T>(promise: Promise<T>): Promise<T> {
  if (!isDeno) return promise;
  pendingWaits++;
  ticker ??= setInterval(() => {
    if (pendingWaits > 0) return;
    clearInterval(ticker);
    ticker = undefined;
  }, 10);
  return promise.then((v) => {
    pendingWaits--;
    return v;
  });
}

const utf8 = new TextDecoder();
const decodeScratch = new Uint8Array(64 * 1024);

/**
 * Decodes UTF-8 text, also from a view of shared memory. Deno's TextDecoder is slow on
 * shared memory (it copies through a slow path): small texts are copied to a local
 * buffer first there; Bun decodes shared views fast as they are.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  if (!isDeno || !(bytes.buffer instanceof SharedArrayBuffer)) return utf8.decode(bytes);
  if (bytes.length > decodeScratch.length) return utf8.decode(bytes.slice());
  decodeScratch.set(bytes);
  return utf8.decode(decodeScratch.subarray(0, bytes.length));
}

/** Makes a timer not keep the program alive. */
export function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  if (isDeno) g.Deno.unrefTimer(timer);
  else (timer as unknown as { unref?: () => void }).unref?.();
}

/**
 * A new `AsyncLocalStorage` (`node:async_hooks`, which both runtimes provide), loaded
 * on first use: it costs milliseconds to load, on every Worker start.
 */
export function newAsyncLocalStorage<T>(): AsyncLocalStorageLike<T> {
  return new (g.process.getBuiltinModule("node:async_hooks").AsyncLocalStorage)();
}

/** The part of `AsyncLocalStorage` this package uses. */
export interface AsyncLocalStorageLike<T> {
  /** Runs `fn` with `store` as the current store. */
  run<R>(store: T, fn: () => R): R;
  /** The current store, if any. */
  getStore(): T | undefined;
}

/** The engine's structured serializer (`node:v8`), loaded on first use. */
// deno-lint-ignore no-explicit-any
function v8(): any {
  return g.process.getBuiltinModule("node:v8");
}

/**
 * Serializes a structured-cloneable value to bytes in the engine's own format (what
 * `postMessage` would copy). Throws on what cannot be cloned (functions, symbols...).
 */
export function serializeStructured(value: unknown): Uint8Array {
  return v8().serialize(value);
}

/** Rebuilds a value serialized by {@linkcode serializeStructured} on the same runtime. */
export function deserializeStructured(bytes: Uint8Array): unknown {
  return v8().deserialize(bytes);
}

/** `node:crypto` (HMAC for `mp.connection`'s handshake), loaded on first use. */
// deno-lint-ignore no-explicit-any
export function nodeCrypto(): any {
  return g.process.getBuiltinModule("node:crypto");
}

/** Name prefix of the Deno children that run on `node:worker_threads` (they can be unref'd). */
const NODE_WORKER_MARK = "\u200bnode:";

/** The runtime this module runs on. */
export const runtimeName: "deno" | "bun" = g.Deno !== undefined ? "deno" : "bun";
const isDeno = runtimeName === "deno";

/** A child thread of this process, whatever kind of Worker backs it. */
export interface WorkerHandle {
  /** Sends a message to the child (structured clone; SharedArrayBuffers by reference). */
  post(message: unknown): void;
  /** Stops the child at once. */
  terminate(): void;
  /** Keeps or stops keeping this process alive for the child's sake. */
  ref(on: boolean): void;
}

/** Callbacks of a child thread. */
export interface WorkerEvents {
  message(data: unknown): void;
  /** An error the child did not catch (its bootstrap failed to load, say). */
  error(error: unknown): void;
  /** The child's thread ended by itself (`process.exit()` in it, say), with this code. */
  exit(code: number): void;
}

/**
 * Whether creating a Worker holds the calling thread until the new thread's engine is
 * up: Deno's `new Worker()` waits for it (10–50 ms, more for a `node:worker_threads`
 * one), Bun's returns at once.
 */
export const workerCreationBlocks: boolean = isDeno;

/**
 * Starts a Worker on `url`. A Web Worker everywhere, except a worker that must not
 * keep a Deno process alive (`unref`): Deno's Web Workers cannot be unref'd, its
 * `node:worker_threads` ones can.
 */
export function spawnWorker(
  url: URL,
  name: string,
  unref: boolean,
  on: WorkerEvents,
): WorkerHandle {
  if (isDeno && unref) {
    const w = new (workerThreads().Worker)(nodeWorkerUrl(url), { name: NODE_WORKER_MARK + name });
    w.on("message", (m: unknown) => on.message(m));
    w.on("error", (e: unknown) => on.error(e));
    w.on("exit", (code: number) => on.exit(code));
    w.unref();
    return {
      post: (m) => w.postMessage(m),
      terminate: () => void w.terminate(),
      ref: (r) => (r ? w.ref() : w.unref()),
    };
  }
  const w = new Worker(url.href, { type: "module", name });
  w.onmessage = (e: MessageEvent) => on.message(e.data);
  w.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    on.error(e.error ?? new Error(e.message));
  };
  // Bun tells when a Web Worker's thread ends by itself; Deno does not (see trapExit).
  w.addEventListener("close", (e) => on.exit((e as unknown as { code?: number }).code ?? 1));
  // deno-lint-ignore no-explicit-any
  const bw = w as any;
  if (unref) bw.unref?.();
  return {
    post: (m) => w.postMessage(m),
    terminate: () => w.terminate(),
    ref: (r) => (r ? bw.ref?.() : bw.unref?.()),
  };
}

/**
 * Deno's `node:worker_threads` starts only `file:` and `data:` modules: a bootstrap
 * loaded from `https:` (the package installed from `jsr:`) is imported by a one-line
 * `data:` module instead, so that the child still runs the package's own graph.
 */
function nodeWorkerUrl(url: URL): URL {
  if (url.protocol === "file:" || url.protocol === "data:") return url;
  return new URL(`data:text/javascript,${encodeURIComponent(`import ${JSON.stringify(url.href)};`)}`);
}

/** True inside a Worker (a child process of this package), false on the main thread. */
export const inWorker: boolean = isDeno
  ? (typeof g.WorkerGlobalScope !== "undefined" && g instanceof g.WorkerGlobalScope) ||
    String(g.name).startsWith(NODE_WORKER_MARK) // node:worker_threads children have no WorkerGlobalScope
  : g.Bun.isMainThread === false;

/** Listens for messages from the parent thread (inside a Worker). */
export function onParentMessage(cb: (data: unknown) => void): void {
  if (isDeno && String(g.name).startsWith(NODE_WORKER_MARK)) {
    workerThreads().parentPort.on("message", (m: unknown) => cb(m));
  } else g.addEventListener("message", (e: MessageEvent) => cb(e.data));
}

/** Sends a message to the parent thread (inside a Worker). */
export function postToParent(message: unknown): void {
  g.postMessage(message);
}

/**
 * Routes errors nobody caught (thrown in a callback, unhandled rejections) inside a
 * Worker to `handler`, instead of the runtime's default report.
 */
export function onUncaught(handler: (error: unknown) => void): void {
  g.addEventListener("error", (e: ErrorEvent) => {
    e.preventDefault();
    handler(e.error ?? new Error(e.message));
  });
  g.addEventListener("unhandledrejection", (e: PromiseRejectionEvent) => {
    e.preventDefault();
    handler(e.reason);
  });
}

/**
 * Calls `before(code)` when code in this Worker ends its thread directly
 * (`Deno.exit()`, `process.exit()`), so that the parent learns the exit code: a Deno
 * Web Worker that exits gives its parent no event at all.
 */
export function trapExit(before: (code: number) => void): void {
  const owner = isDeno ? g.Deno : g.process;
  const exit = owner.exit.bind(owner);
  owner.exit = (code?: number) => {
    const c = typeof code === "number" ? code : 0;
    before(c);
    return exit(c);
  };
}

/** The URL of the program's main module, if the runtime tells. */
export function mainModuleUrl(): string | undefined {
  if (isDeno) return g.Deno.mainModule;
  const main: string | undefined = g.Bun?.main;
  return main ? toUrl(main) : undefined;
}

/** The operating system's id of this process. */
export function osPid(): number {
  return isDeno ? g.Deno.pid : g.process.pid;
}

/** The number of logical CPUs. */
export function cpuCount(): number {
  return navigator.hardwareConcurrency || 1;
}

/** Ends the whole program now with `code`. */
export function exitProgram(code: number): never {
  if (isDeno) g.Deno.exit(code);
  g.process.exit(code);
  throw new Error("Unreachable: the process should have exited");
}

/** Writes text to standard error without a console prefix. */
export function writeStderr(text: string): void {
  if (isDeno) g.Deno.stderr.writeSync(new TextEncoder().encode(text));
  else g.process.stderr.write(text);
}

/**
 * Reads a local module's source text synchronously, or `undefined` when there is none
 * to read. Rethrows the runtime's refusal (Deno without `--allow-read`), so that the
 * caller can say which permission is missing.
 */
export function readModuleSource(url: string): string | undefined {
  if (!url.startsWith("file:")) return undefined;
  try {
    return isDeno ? g.Deno.readTextFileSync(new URL(url)) : nodeFs().readFileSync(new URL(url), "utf8");
  } catch (e) {
    if (isDeno && (e instanceof g.Deno.errors.NotCapable || e instanceof g.Deno.errors.PermissionDenied)) {
      throw e;
    }
    return undefined;
  }
}

// deno-lint-ignore no-explicit-any
function nodeFs(): any {
  return g.process.getBuiltinModule("node:fs");
}

/**
 * Resolves an import specifier as the module at `parentUrl` would (its import map,
 * `tsconfig.json` paths, `package.json` imports, `node_modules`), not as the package
 * would: the package may be installed elsewhere (`jsr:`, `node_modules`). Returns
 * `null` when the specifier does not resolve.
 */
export function resolveFrom(specifier: string, parentUrl: string): string | null {
  try {
    if (isDeno) return import.meta.resolve(specifier);
    const parent = new URL(parentUrl);
    if (parent.protocol !== "file:") return null;
    return toUrl(g.Bun.resolveSync(specifier, parent.pathname));
  } catch {
    return null;
  }
}

/**
 * Loads a local ES module synchronously (`require()` of an ES module, which Deno and
 * Bun both support) and returns its namespace: the same instance `import()` gives.
 * Throws for a module that is not a local file, or (Deno) whose graph uses top-level
 * await.
 */
export function requireModule(url: string): unknown {
  if (!url.startsWith("file:")) throw new TypeError(`Not a local module: ${url}`);
  const { createRequire } = g.process.getBuiltinModule("node:module");
  return createRequire(url)(decodeURIComponent(new URL(url).pathname));
}

function toUrl(pathOrUrl: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl)) return pathOrUrl;
  const u = new URL("file://");
  u.pathname = pathOrUrl;
  return u.href;
}

const FRAME = /(?:\(|\s|@)((?:file|https?|jsr|npm):\/\/?[^\s()]+?|\/[^\s()]+?):\d+(?::\d+)?\)?\s*$/;

/**
 * The module URLs on the current call stack, innermost first, without repeats. Deno
 * prints URLs in stacks, Bun prints paths: both come back as URLs.
 */
export function stackModuleUrls(): string[] {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  return moduleUrlsIn(stack);
}

/** The module URLs in a stack trace, innermost first, without repeats. */
export function moduleUrlsIn(stack: string): string[] {
  const urls: string[] = [];
  for (const line of stack.split("\n")) {
    const m = FRAME.exec(line);
    if (!m) continue;
    const url = toUrl(m[1]);
    if (!urls.includes(url)) urls.push(url);
  }
  return urls;
}

/** A TCP address `[host, port]` or a Unix socket path, as the socket functions take them. */
export type SocketAddress = readonly [host: string, port: number] | string;

/** What a {@linkcode NetSocket} reports. */
export interface NetSocketEvents {
  /** Bytes arrived. `chunk` is valid only during the call: copy what is kept. */
  data(chunk: Uint8Array): void;
  /** The peer closed its end (or reset the connection): no more data comes. */
  end(): void;
  /** The connection failed in another way. */
  error(error: Error & { code?: string }): void;
}

/**
 * A connected socket, on the runtime's own sockets (`Deno.connect`/`Deno.listen`,
 * `Bun.connect`/`Bun.listen`): no Nagle delay, writes in order, reads only once
 * `start()`ed. It does not keep the program alive unless `ref(true)`, except while
 * bytes it was given wait to be written.
 */
export interface NetSocket {
  /** Starts reading: `events` get the bytes, the end and failures from now on. */
  start(events: NetSocketEvents): void;
  /**
   * Writes `data` after what was written before; `done` is called once the OS took
   * all of it (or with the error). Writes made while one is under way go out together.
   */
  write(data: Uint8Array, done?: (error?: Error) => void): void;
  /**
   * Hands what was written so far to the OS now rather than after the current code (as
   * much as it takes without waiting): before this thread blocks.
   */
  flush(): void;
  /**
   * Whether an earlier write is still under way (or the OS takes no more for now), so
   * that what is written now leaves only once the event loop runs again, even after
   * `flush()`.
   */
  readonly busy: boolean;
  /** Closes once every write is done. */
  end(): void;
  /** Closes now; pending writes fail. */
  destroy(): void;
  /** Stops reading until `resume()`. */
  pause(): void;
  /** Reads again after `pause()`. */
  resume(): void;
  /** Whether the program is kept alive while this socket waits for data. */
  ref(on: boolean): void;
  /** Turns on TCP keep-alive probes after `ms` idle (where the runtime allows a delay). */
  keepAlive(ms: number): void;
  /** True once closed (here or by a failure). */
  readonly destroyed: boolean;
  /** The peer's `[host, port]`, or `null` (a Unix socket). */
  readonly remote: readonly [string, number] | null;
  /** This end's `[host, port]`, or `null` (a Unix socket). */
  readonly local: readonly [string, number] | null;
}

/** A listening socket made by {@linkcode listenSocket}. */
export interface NetServer {
  /** The bound address (the real port of `[host, 0]`, or the path). */
  readonly address: SocketAddress;
  /** Stops listening (a Unix socket's file is removed); accepted sockets stay open. */
  close(): void;
  /** Whether the program is kept alive while this server waits for connections. */
  ref(on: boolean): void;
}

const ALLOC_MIN = 64 * 1024;

/** Joins byte arrays into one (one write for many small frames). */
function joinBytes(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An error with the errno-like `code` of `e` (`ECONNREFUSED`, `EADDRINUSE`, ...). */
function socketError(e: unknown): Error & { code?: string } {
  const err = (e instanceof Error ? e : new Error(String(e))) as Error & { code?: string };
  if (err.code === undefined && isDeno) {
    const E = g.Deno.errors;
    const code = err instanceof E.ConnectionRefused
      ? "ECONNREFUSED"
      : err instanceof E.AddrInUse
      ? "EADDRINUSE"
      : err instanceof E.NotFound
      ? "ENOENT"
      : err instanceof E.ConnectionReset
      ? "ECONNRESET"
      : err instanceof E.BrokenPipe
      ? "EPIPE"
      : err instanceof E.AddrNotAvailable
      ? "EADDRNOTAVAIL"
      : err instanceof E.PermissionDenied
      ? "EACCES"
      : err instanceof E.ConnectionAborted
      ? "ECONNABORTED"
      : undefined;
    if (code !== undefined) {
      try {
        err.code = code;
      } catch { /* a frozen error */ }
    }
  }
  return err;
}

/** Whether `e` means the peer went away (the connection ends, it did not fail). */
function peerGone(e: Error & { code?: string }): boolean {
  return e.code === "ECONNRESET" || e.code === "EPIPE" || e.code === "ECONNABORTED" ||
    (isDeno && (e instanceof g.Deno.errors.BadResource || e instanceof g.Deno.errors.Interrupted));
}

/** Writes queued while one is under way, and the callbacks of each. */
class WriteQueue {
  parts: Uint8Array[] = [];
  bytes = 0;
  dones: ((error?: Error) => void)[] = [];
  push(data: Uint8Array, done?: (error?: Error) => void): void {
    this.parts.push(data);
    this.bytes += data.length;
    if (done) this.dones.push(done);
  }
  take(): [Uint8Array, ((error?: Error) => void)[]] {
    const out = joinBytes(this.parts, this.bytes);
    const dones = this.dones;
    this.parts = [];
    this.bytes = 0;
    this.dones = [];
    return [out, dones];
  }
  /** Drops what waits; its callbacks get `error` (made only if one waits: an Error's stack costs). */
  fail(error: Error | (() => Error)): void {
    const dones = this.dones;
    this.parts = [];
    this.bytes = 0;
    this.dones = [];
    if (dones.length === 0) return;
    const e = typeof error === "function" ? error() : error;
    for (const d of dones) d(e);
  }
  get empty(): boolean {
    return this.parts.length === 0;
  }
}

const CLOSED = () => new Error("The socket was closed");

/** A socket on `Deno.Conn`: one read loop while started and not paused, one write loop. */
class DenoSocket implements NetSocket {
  // deno-lint-ignore no-explicit-any
  readonly #conn: any;
  #events: NetSocketEvents | null = null;
  #paused = false;
  #wake: (() => void) | null = null;
  #writing = false;
  #ending = false;
  #destroyed = false;
  #refd = false;
  readonly #queue = new WriteQueue();
  readonly remote: readonly [string, number] | null;
  readonly local: readonly [string, number] | null;

  // deno-lint-ignore no-explicit-any
  constructor(conn: any) {
    this.#conn = conn;
    const r = conn.remoteAddr, l = conn.localAddr;
    this.remote = r?.transport === "tcp" ? [r.hostname, r.port] : null;
    this.local = l?.transport === "tcp" ? [l.hostname, l.port] : null;
    if (this.remote !== null) {
      try {
        conn.setNoDelay(true);
      } catch { /* closed already */ }
    }
    conn.unref();
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  start(events: NetSocketEvents): void {
    this.#events = events;
    void this.#readLoop();
  }

  async #readLoop(): Promise<void> {
    const events = this.#events!;
    let buf = new Uint8Array(ALLOC_MIN);
    try {
      for (;;) {
        if (this.#paused) {
          await new Promise<void>((r) => this.#wake = r);
          if (this.#destroyed) return;
        }
        const n: number | null = await this.#conn.read(buf);
        if (n === null) break;
        events.data(buf.subarray(0, n));
        // A full read: the peer sends a lot; read more at once.
        if (n === buf.length && buf.length < 16 * ALLOC_MIN) buf = new Uint8Array(buf.length * 2);
      }
    } catch (e) {
      if (this.#destroyed) return;
      const err = socketError(e);
      if (!peerGone(err)) {
        this.#destroyed = true;
        this.#closeConn();
        return events.error(err);
      }
    }
    if (!this.#destroyed) events.end();
  }

  write(data: Uint8Array, done?: (error?: Error) => void): void {
    if (this.#destroyed || this.#ending) return done?.(CLOSED());
    this.#queue.push(data, done);
    if (this.#writing) return;
    // Writes made in the same turn of the event loop (an answer and a challenge, replies
    // to requests that arrived together) leave in one write, right after the code that
    // made them.
    this.#writing = true;
    queueMicrotask(this.#startWriting);
  }

  readonly #startWriting = (): void => {
    if (!this.#looping) void this.#writeLoop();
  };

  /** Whether the write loop runs (a write may be under way). */
  #looping = false;

  get busy(): boolean {
    return this.#looping; // its write's result comes only through the event loop
  }

  flush(): void {
    // Deno's write op makes its system call at once: starting the loop now hands the
    // queued bytes to the OS before this call returns (unless a write is under way).
    if (this.#writing && !this.#looping) void this.#writeLoop();
  }

  async #writeLoop(): Promise<void> {
    this.#writing = true;
    this.#looping = true;
    while (!this.#queue.empty && !this.#destroyed) {
      const [out, dones] = this.#queue.take();
      try {
        let at = 0;
        while (at < out.length) at += await this.#conn.write(at === 0 ? out : out.subarray(at));
      } catch (e) {
        const err = socketError(e);
        for (const d of dones) d(err);
        this.#queue.fail(err);
        break;
      }
      for (const d of dones) d();
    }
    this.#writing = false;
    this.#looping = false;
    if (this.#destroyed) this.#queue.fail(CLOSED);
    else if (this.#ending) this.destroy();
  }

  end(): void {
    if (this.#destroyed || this.#ending) return;
    this.#ending = true;
    if (!this.#writing) this.destroy();
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#closeConn();
    this.#wake?.();
    this.#queue.fail(CLOSED);
  }

  #closeConn(): void {
    try {
      this.#conn.close();
    } catch { /* closed already */ }
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  ref(on: boolean): void {
    if (on === this.#refd || this.#destroyed) return;
    this.#refd = on;
    try {
      if (on) this.#conn.ref();
      else this.#conn.unref();
    } catch { /* closed already */ }
  }

  keepAlive(_ms: number): void {
    // Deno's own sockets set SO_KEEPALIVE without a delay: the OS's idle time applies
    // (2 hours by default on Linux), not `ms` as on Bun.
    try {
      this.#conn.setKeepAlive?.(true);
    } catch { /* not TCP, or closed */ }
  }
}

interface BunState {
  socket: BunSocket | null;
}

/** A socket on Bun's `Socket`: its `data` / `drain` / `end` / `close` handlers feed it. */
class BunSocket implements NetSocket {
  // deno-lint-ignore no-explicit-any
  readonly #s: any;
  #events: NetSocketEvents | null = null;
  /** Bytes that arrived before `start()` (copies). */
  #early: Uint8Array[] | null = [];
  #destroyed = false;
  #ended = false;
  #ending = false;
  #refd = false;
  /** The part of a write the OS did not take yet, then what was written after it. */
  readonly #queue = new WriteQueue();
  #blocked = false;
  readonly remote: readonly [string, number] | null;
  readonly local: readonly [string, number] | null;

  // deno-lint-ignore no-explicit-any
  constructor(s: any, unix: boolean) {
    this.#s = s;
    (s.data as BunState).socket = this;
    this.remote = unix ? null : [s.remoteAddress, s.remotePort];
    this.local = unix ? null : [s.localAddress, s.localPort];
    if (!unix) s.setNoDelay?.(true);
    s.unref();
    s.pause();
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  start(events: NetSocketEvents): void {
    this.#events = events;
    const early = this.#early ?? [];
    this.#early = null;
    for (const chunk of early) events.data(chunk);
    if (this.#ended) return events.end();
    if (!this.#destroyed) this.#s.resume();
  }

  /** Bun's handlers. */
  onData(chunk: Uint8Array): void {
    if (this.#early !== null) this.#early.push(chunk.slice());
    else this.#events?.data(chunk);
  }
  onEnd(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#early === null) this.#events?.end();
  }
  onError(e: Error & { code?: string }): void {
    if (this.#destroyed) return;
    if (peerGone(e)) return this.onEnd();
    this.#destroyed = true;
    this.#queue.fail(e);
    if (this.#early === null) this.#events?.error(e);
    else this.#ended = true;
  }
  onClose(): void {
    this.#destroyed = true;
    this.#queue.fail(CLOSED);
    this.onEnd();
  }
  onDrain(): void {
    if (!this.#blocked) return;
    this.#blocked = false;
    this.#flush();
    if (!this.#blocked && !this.#refd) this.#s.unref(); // as asked, now that nothing waits
  }

  write(data: Uint8Array, done?: (error?: Error) => void): void {
    if (this.#destroyed || this.#ending) return done?.(CLOSED());
    this.#queue.push(data, done);
    if (this.#blocked || this.#scheduled) return;
    // Writes made in the same turn of the event loop (replies to requests that arrived
    // together) leave in one system call, right after the code that made them.
    this.#scheduled = true;
    queueMicrotask(this.#flushSoon);
  }

  #scheduled = false;
  readonly #flushSoon = (): void => {
    this.#scheduled = false;
    if (!this.#blocked) this.#flush();
  };

  flush(): void {
    if (this.#scheduled) this.#flushSoon();
  }

  get busy(): boolean {
    return this.#blocked;
  }

  #flush(): void {
    while (!this.#queue.empty && !this.#destroyed) {
      const [out, dones] = this.#queue.take();
      const n: number = this.#s.write(out);
      if (n < 0) {
        for (const d of dones) d(CLOSED());
        return;
      }
      if (n < out.length) {
        // More than the OS takes now: keep the rest (nothing was queued meanwhile), wait for a drain.
        this.#queue.push(out.subarray(n));
        this.#queue.dones.push(...dones);
        return this.#block();
      }
      for (const d of dones) d();
    }
    if (this.#ending) this.#s.end();
  }

  #block(): void {
    this.#blocked = true;
    this.#s.ref(); // bytes waiting to be written keep the program alive
  }

  end(): void {
    if (this.#destroyed || this.#ending) return;
    this.#ending = true;
    if (!this.#blocked && this.#queue.empty) this.#s.end();
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#queue.fail(CLOSED);
    try {
      this.#s.terminate();
    } catch { /* closed already */ }
  }

  pause(): void {
    if (!this.#destroyed && this.#early === null) this.#s.pause();
  }

  resume(): void {
    if (!this.#destroyed && this.#early === null) this.#s.resume();
  }

  ref(on: boolean): void {
    if (on === this.#refd || this.#destroyed) return;
    this.#refd = on;
    if (on) this.#s.ref();
    else if (!this.#blocked) this.#s.unref();
  }

  keepAlive(ms: number): void {
    try {
      this.#s.setKeepAlive?.(true, ms);
    } catch { /* not TCP, or closed */ }
  }
}

/** Bun's socket handlers, shared by every socket (each finds its own in `socket.data`). */
const bunHandlers = {
  // deno-lint-ignore no-explicit-any
  data: (s: any, chunk: Uint8Array) => (s.data as BunState).socket?.onData(chunk),
  // deno-lint-ignore no-explicit-any
  drain: (s: any) => (s.data as BunState).socket?.onDrain(),
  // deno-lint-ignore no-explicit-any
  end: (s: any) => (s.data as BunState).socket?.onEnd(),
  // deno-lint-ignore no-explicit-any
  close: (s: any) => (s.data as BunState).socket?.onClose(),
  // deno-lint-ignore no-explicit-any
  error: (s: any, e: Error) => (s.data as BunState).socket?.onError(socketError(e)),
};

/** Python's `""` host: every IPv4 interface when listening (`INADDR_ANY`)... */
function listenHost(host: string): string {
  return host === "" ? "0.0.0.0" : host;
}

/** ...and this machine when connecting (Linux connects `INADDR_ANY` to loopback). */
function connectHost(host: string): string {
  return host === "" ? "127.0.0.1" : host;
}

/**
 * Connects to `address` with the runtime's own sockets. Rejects with an error whose
 * `code` says why (`ECONNREFUSED`, `ENOENT`, ...).
 */
export async function connectSocket(address: SocketAddress): Promise<NetSocket> {
  const unix = typeof address === "string";
  try {
    if (isDeno) {
      const conn = await (unix
        ? g.Deno.connect({ transport: "unix", path: address })
        : g.Deno.connect({ hostname: connectHost(address[0]), port: address[1] }));
      return new DenoSocket(conn);
    }
    const state: BunState = { socket: null };
    let early: Error | null = null;
    const s = await g.Bun.connect({
      ...(unix ? { unix: address } : { hostname: connectHost(address[0]), port: address[1] }),
      data: state,
      socket: {
        ...bunHandlers,
        connectError: (_s: unknown, e: Error) => void (early = e),
      },
    });
    if (early) throw early;
    return new BunSocket(s, unix);
  } catch (e) {
    throw socketError(e);
  }
}

/**
 * Listens on `address` with the runtime's own sockets and hands each connection to
 * `onSocket` (not reading yet, not keeping the program alive). Throws, with the
 * error's `code` (`EADDRINUSE`, ...), when the address cannot be bound.
 */
export function listenSocket(address: SocketAddress, onSocket: (socket: NetSocket) => void): NetServer {
  const unix = typeof address === "string";
  try {
    return isDeno ? denoListen(address, onSocket) : bunListen(address, onSocket);
  } catch (e) {
    throw socketError(e);
  }
  function denoListen(address: SocketAddress, onSocket: (socket: NetSocket) => void): NetServer {
    const l = unix
      ? g.Deno.listen({ transport: "unix", path: address })
      : g.Deno.listen({ hostname: listenHost(address[0]), port: address[1] });
    let closed = false;
    l.unref();
    (async () => {
      for (;;) {
        try {
          onSocket(new DenoSocket(await l.accept()));
        } catch (e) {
          if (closed || e instanceof g.Deno.errors.BadResource) return;
          await new Promise((r) => setTimeout(r, 10)); // out of descriptors, say: try again
        }
      }
    })();
    return {
      address: unix ? address : [listenHost(address[0]), l.addr.port],
      close() {
        if (closed) return;
        closed = true;
        try {
          l.close();
        } catch { /* closed already */ }
        if (unix) {
          try {
            g.Deno.removeSync(address);
          } catch { /* gone already */ }
        }
      },
      ref: (on) => (on ? l.ref() : l.unref()),
    };
  }
  function bunListen(address: SocketAddress, onSocket: (socket: NetSocket) => void): NetServer {
    let closed = false;
    const l = g.Bun.listen({
      ...(unix ? { unix: address } : { hostname: listenHost(address[0]), port: address[1] }),
      socket: {
        ...bunHandlers,
        // deno-lint-ignore no-explicit-any
        open: (s: any) => {
          s.data = { socket: null } satisfies BunState;
          if (closed) return s.terminate();
          onSocket(new BunSocket(s, unix));
        },
      },
    });
    l.unref();
    return {
      address: unix ? address : [listenHost(address[0]), l.port],
      close() {
        if (closed) return;
        closed = true;
        l.stop(false);
        l.unref();
        if (unix) {
          try {
            nodeFs().unlinkSync(address);
          } catch { /* gone already */ }
        }
      },
      ref: (on) => (on ? l.ref() : l.unref()),
    };
  }
}
