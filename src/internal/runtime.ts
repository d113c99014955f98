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

/**
 * `node:net` (sockets for `mp.connection`), loaded on first use: both runtimes provide
 * it, and loading it at import time would slow every Worker start.
 */
// deno-lint-ignore no-explicit-any
export function nodeNet(): any {
  return g.process.getBuiltinModule("node:net");
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
  throw new Error("unreachable");
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
  if (!url.startsWith("file:")) throw new TypeError(`not a local module: ${url}`);
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
