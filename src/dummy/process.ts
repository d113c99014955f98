/**
 * `mp.dummy` processes: Python's `multiprocessing.dummy.DummyProcess`, a Thread there,
 * an async task on the calling thread here. `currentProcess()` follows the task through
 * its awaits (an `AsyncLocalStorage`).
 *
 * @module
 */
import { ProcessError } from "../internal/errors.ts";
import { type AsyncLocalStorageLike, newAsyncLocalStorage, writeStderr } from "../internal/runtime.ts";
import { printable, settlesWithin, timeoutMs } from "./waiters.ts";

/** Options of {@linkcode DummyProcess}: those of the real `Process`. */
export interface DummyProcessOptions<A extends unknown[] = unknown[]> {
  /** The function to run: any function (a lambda, a closure), async or not. */
  target?: (...args: A) => unknown;
  /** Arguments for `target`, passed as they are (not copied). */
  args?: A;
  /** The name; defaults to `Thread-N`, as Python's dummy processes are threads. */
  name?: string;
  /** A flag kept for compatibility (default: the creator's); nothing here waits for or ends a task. */
  daemon?: boolean;
}

type Phase = "initial" | "started" | "ended";

/**
 * Which dummy process runs the current task. Loaded on first use, not at import: every
 * child process imports this package, and `node:async_hooks` costs milliseconds to load.
 */
let storage: AsyncLocalStorageLike<DummyProcess> | null = null;
function context(): AsyncLocalStorageLike<DummyProcess> {
  return storage ??= newAsyncLocalStorage<DummyProcess>();
}
let counter = 0;
let identCounter = 0;
let makingMain = false;
let mainObject: DummyProcess | null = null;
let childrenOf: (p: DummyProcess) => Set<DummyProcess>;
let endedOf: (p: DummyProcess) => Promise<void>;
let runningOf: (p: DummyProcess) => boolean;

/** Called as a dummy process starts, with its arguments (Pipe ends note their new holder). */
type StartHook = (p: DummyProcess, args: readonly unknown[]) => void;
const startHooks: StartHook[] = [];

/** Runs `hook` whenever a dummy process starts. Internal to `mp.dummy`. */
export function onProcessStart(hook: StartHook): void {
  startHooks.push(hook);
}

/** Resolves when the started dummy process `p` has ended. Internal to `mp.dummy`. */
export function whenEnded(p: DummyProcess): Promise<void> {
  return endedOf(p);
}

/**
 * Runs `fn` as a task of the dummy process `p`: `currentProcess()` is `p` inside it and
 * in everything it awaits. Internal to `mp.dummy`.
 */
export function runAs<T>(p: DummyProcess, fn: () => T): T {
  return context().run(p, fn);
}

/**
 * A process of `mp.dummy` (Python's `multiprocessing.dummy.DummyProcess`): the real
 * `Process` API, but the target runs on the calling thread as an async task, so any
 * function works (lambdas and closures too: nothing is sent anywhere) and the
 * arguments are passed as they are. Async targets run concurrently with each other
 * and with the caller; a synchronous target runs to its end once started.
 *
 * `exitCode` is `null` until the target ends, then 0, or 1 after an uncaught error
 * (written to stderr as `Process <name>:` and its stack). `pid` is `null` (they all run
 * in this one process); `ident` numbers them. `terminate()` and `kill()` throw: no code
 * on this thread can be stopped from outside.
 *
 * @example Two tasks interleave on one thread
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
 * const log: string[] = [];
 * const ps = ["a", "b"].map((name) =>
 *   new mp.Process({
 *     target: async () => {
 *       for (let i = 0; i < 2; i++) {
 *         log.push(`${name}${i}`);
 *         await sleep(10);
 *       }
 *     },
 *   })
 * );
 * for (const p of ps) await p.start();
 * for (const p of ps) await p.join(5000);
 * console.log(log.join(" ")); // a0 b0 a1 b1
 * console.log(ps[0].exitCode); // 0
 * ```
 */
// deno-lint-ignore no-explicit-any
export class DummyProcess<A extends unknown[] = any[]> {
  #target: ((...args: A) => unknown) | undefined;
  #args: A;
  #name: string;
  #daemon: boolean;
  #phase: Phase = "initial";
  #closed = false;
  #ident: number | null = null;
  #exitCode: number | null = null;
  #children = new Set<DummyProcess>();
  #ended: Promise<void>;
  #resolveEnded!: () => void;

  static {
    childrenOf = (p) => p.#children;
    endedOf = (p) => p.#ended;
    runningOf = (p) => p.#phase === "started" && !p.#closed;
  }

  /**
   * Creates the process object; nothing runs until {@linkcode DummyProcess.start}.
   *
   * @param options `target` (the function to run), `args`, `name` and `daemon`.
   * @throws {TypeError} If `options` is not an object, or `target`, `args` or `name` has the wrong type.
   */
  constructor(options: DummyProcessOptions<A> = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError("new Process(options): options must be an object like { target, args }");
    }
    const { target, args, name, daemon } = options;
    if (target !== undefined && typeof target !== "function") {
      throw new TypeError(`Process: target must be a function, got ${typeof target}`);
    }
    if (args !== undefined && !Array.isArray(args)) {
      throw new TypeError(`Process: args must be an array, got ${typeof args}`);
    }
    if (name !== undefined && typeof name !== "string") {
      throw new TypeError(`Process: name must be a string, got ${typeof name}`);
    }
    this.#target = target;
    this.#args = (args ?? []) as A;
    this.#ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    if (makingMain) {
      this.#name = "MainThread";
      this.#daemon = false;
      this.#phase = "started";
      this.#ident = identCounter++;
      return;
    }
    this.#name = name ?? `Thread-${++counter}`;
    this.#daemon = daemon ?? currentProcess().daemon;
  }

  /**
   * The process body: calls `target(...args)`. Override it in a subclass.
   *
   * @returns What `target` returns (a promise is awaited by `start()`'s task).
   */
  run(): unknown {
    return this.#target?.(...this.#args);
  }

  /** The name (`Thread-N`; `MainThread` for the caller's own). */
  get name(): string {
    return this.#name;
  }
  set name(value: string) {
    if (typeof value !== "string") throw new TypeError(`Process.name must be a string, got ${typeof value}`);
    this.#name = value;
  }

  /** The daemon flag (set before start); kept for compatibility, it changes nothing here. */
  get daemon(): boolean {
    return this.#daemon;
  }
  set daemon(value: boolean) {
    if (this.#phase !== "initial") {
      throw new ProcessError(
        `Process.daemon: cannot set daemon of ${this.#name}: the process has already started`,
      );
    }
    this.#daemon = Boolean(value);
  }

  /** Always `null`, as for Python's DummyProcess: every dummy process runs in this one process. */
  get pid(): number | null {
    this.#checkOpen();
    return null;
  }

  /** A number unique among the dummy processes, once started (`null` before). */
  get ident(): number | null {
    this.#checkOpen();
    return this.#ident;
  }

  /** `null` until the target ends; then 0, or 1 if it threw (or its promise rejected). */
  get exitCode(): number | null {
    this.#checkOpen();
    return this.#exitCode;
  }

  /**
   * Starts the target as an async task on this thread, right after the caller's current
   * synchronous code. The returned promise resolves once the target has begun (its
   * synchronous part has run); awaiting it is optional.
   *
   * @returns A promise that resolves once the target has started running.
   * @throws {ProcessError} If the process was already started, or closed.
   */
  start(): Promise<void> {
    this.#checkOpen();
    if (this.#phase !== "initial") throw new ProcessError("Process.start(): cannot start a process twice");
    this.#phase = "started";
    this.#ident = identCounter++;
    childrenOf(currentProcess()).add(this);
    for (const hook of startHooks) hook(this, this.#args);
    return new Promise<void>((resolve) => {
      queueMicrotask(() => {
        let outcome: unknown;
        try {
          outcome = runAs(this, () => this.run());
        } catch (e) {
          this.#finish(e, true);
          resolve();
          return;
        }
        resolve();
        Promise.resolve(outcome).then(() => this.#finish(undefined, false), (e) => this.#finish(e, true));
      });
    });
  }

  #finish(error: unknown, failed: boolean): void {
    if (failed) {
      const text = error instanceof Error
        ? (error.stack ?? `${error.name}: ${error.message}`)
        : String(error);
      writeStderr(`Process ${this.#name}:\n${text}\n`);
    }
    this.#exitCode = failed ? 1 : 0;
    this.#phase = "ended";
    this.#resolveEnded();
  }

  /**
   * Waits until the target has ended, at most `timeout` ms (undefined: no limit).
   * Check {@linkcode DummyProcess.exitCode} (still `null` on timeout) to know which.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves when the target has ended, or on timeout.
   * @throws {ProcessError} If the process was not started, is the caller itself, or was closed.
   */
  join(timeout?: number): Promise<void> {
    this.#checkOpen();
    const ms = timeoutMs(timeout, `${this.#name}.join()`);
    if (this === mainObject) throw new ProcessError("Process.join(): a process cannot join itself");
    if (this.#phase === "initial") {
      throw new ProcessError(
        `Process.join(): can only join a started process: call ${this.#name}.start() first`,
      );
    }
    if (currentProcess() === this) {
      throw new ProcessError(
        `Process.join(): ${this.#name} cannot join itself: join() is for another task to wait for this one to end`,
      );
    }
    return settlesWithin(this.#ended, ms).then(() => {});
  }

  /**
   * Whether the process has started and its target has not ended yet.
   *
   * @returns `true` while the target runs.
   * @throws {ProcessError} If the process object was closed.
   */
  isAlive(): boolean {
    this.#checkOpen();
    return this.#phase === "started";
  }

  /**
   * Throws a `ProcessError`: a task on this thread cannot be stopped from outside.
   *
   * @throws {ProcessError} Always: nothing can stop an async task from outside (make its target return instead).
   */
  terminate(): void {
    this.#cannotStop("terminate");
  }

  /**
   * Throws a `ProcessError`: a task on this thread cannot be stopped from outside.
   *
   * @throws {ProcessError} Always: nothing can stop an async task from outside (make its target return instead).
   */
  kill(): void {
    this.#cannotStop("kill");
  }

  #cannotStop(verb: string): never {
    this.#checkOpen();
    throw new ProcessError(
      `Process.${verb}(): cannot ${verb} ${this.#name}: a dummy process is an async task on this thread ` +
        `(Python's is a thread), and nothing can stop such code from outside: make its target return, e.g. ` +
        `once an Event is set, or use the real Process of @mp/multiprocessing, which ${verb}() stops at once`,
    );
  }

  /**
   * Releases the object; throws if it still runs. Every later use throws.
   *
   * @throws {ProcessError} If the process is still running.
   */
  close(): void {
    if (this.#closed) return;
    if (this.#phase === "started" && this !== mainObject) {
      throw new ProcessError(
        `Process.close(): cannot close ${this.#name} while it is still running: await join() first`,
      );
    }
    this.#closed = true;
  }

  #checkOpen(): void {
    if (this.#closed) throw new ProcessError(`Process object ${this.#name} is closed`);
  }

  /**
   * A one-line description, like Python's repr: `<DummyProcess name='Thread-1' started>`.
   *
   * @returns The description.
   */
  toString(): string {
    if (this.#closed) return `<DummyProcess name='${this.#name}' closed>`;
    const status = this.#phase === "ended" ? `stopped exitcode=${this.#exitCode}` : this.#phase;
    return `<DummyProcess name='${this.#name}' ${status}${this.#daemon ? " daemon" : ""}>`;
  }
}

printable(DummyProcess);

/**
 * The dummy process running the caller (Python's `current_thread()`, which is
 * `multiprocessing.dummy.current_process`): inside a dummy Process's target or a
 * dummy Pool's task, that process (or pool worker); elsewhere the `MainThread` object.
 *
 * @example Who runs this task?
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * console.log(mp.currentProcess().name); // MainThread
 * const p = new mp.Process({ target: () => console.log(mp.currentProcess().name), name: "fetcher" });
 * await p.start(); // prints "fetcher"
 * await p.join();
 * ```
 * @returns The dummy process running the caller.
 */
export function currentProcess(): DummyProcess {
  const p = storage?.getStore();
  if (p !== undefined) return p;
  if (mainObject === null) {
    makingMain = true;
    try {
      mainObject = new DummyProcess();
    } finally {
      makingMain = false;
    }
  }
  return mainObject;
}

/**
 * The dummy processes started by the calling one (the current task's process) that are
 * still running, pool workers included, like Python's `active_children()`.
 *
 * @example Children still running
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * const p = new mp.Process({ target: () => new Promise((r) => setTimeout(r, 50)) });
 * await p.start();
 * console.log(mp.activeChildren().length); // 1
 * await p.join();
 * console.log(mp.activeChildren().length); // 0
 * ```
 * @returns The running dummy processes the caller started.
 */
export function activeChildren(): DummyProcess[] {
  const children = childrenOf(currentProcess());
  for (const c of children) if (!runningOf(c)) children.delete(c);
  return [...children];
}

/**
 * Does nothing, like Python's `multiprocessing.dummy.freeze_support()`: kept so that a
 * program calls the same names with the real module and with `mp.dummy`.
 *
 * @example Called where Python programs call it
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 * mp.freezeSupport();
 * ```
 */
export function freezeSupport(): void {}
