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
}

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
    const w = new (workerThreads().Worker)(url, { name: NODE_WORKER_MARK + name });
    w.on("message", (m: unknown) => on.message(m));
    w.on("error", (e: unknown) => on.error(e));
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
  // deno-lint-ignore no-explicit-any
  const bw = w as any;
  if (unref) bw.unref?.();
  return {
    post: (m) => w.postMessage(m),
    terminate: () => w.terminate(),
    ref: (r) => (r ? bw.ref?.() : bw.unref?.()),
  };
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

/** Reads a local module's source text, or `undefined` when it cannot. */
export async function readModuleSource(url: string): Promise<string | undefined> {
  if (!url.startsWith("file:")) return undefined;
  try {
    return isDeno ? await g.Deno.readTextFile(new URL(url)) : await g.Bun.file(new URL(url).pathname).text();
  } catch {
    return undefined;
  }
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
  const urls: string[] = [];
  for (const line of stack.split("\n")) {
    const m = FRAME.exec(line);
    if (!m) continue;
    const url = toUrl(m[1]);
    if (!urls.includes(url)) urls.push(url);
  }
  return urls;
}
