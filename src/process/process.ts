/**
 * `Process`: a function run in a child Worker, with Python's lifecycle (start, join,
 * exit codes, daemons, terminate) and module functions about the process tree.
 *
 * @module
 */
import { cloneError, encode } from "../internal/_codec.ts";
import { ProcessError } from "../internal/errors.ts";
import { ExitSignal } from "../internal/_error_wire.ts";
import { CTL_STATE, type InitMessage } from "./_messages.ts";
import { callerModules, type FunctionRef, resolveFunction, resolveNow } from "./_resolve.ts";
import { cpuCount as runtimeCpuCount, exitProgram, inWorker } from "../internal/runtime.ts";
import { assertNotImporting, nextIdentity, type StartMethod, thisProcess, tree } from "./_state.ts";
import { isPidAlive } from "./_tree.ts";
import { checkTimeout, settlesWithin, sleep } from "../internal/_timeouts.ts";
import { inspectable } from "../internal/_inspect.ts";
import { getLogger } from "./logger.ts";
import { registerReadable } from "../internal/_readable.ts";
import { waitAsync } from "../internal/_atomics.ts";
import { CHILD, Child } from "./_child.ts";

/** Exit code of a process ended by `terminate()` (Python's `-SIGTERM`). */
export const SIGTERM_EXIT = -15;
/** Exit code of a process ended by `kill()` (Python's `-SIGKILL`). */
export const SIGKILL_EXIT = -9;

/** Symbol under which a context-bound Process class keeps its start method. */
export const START_METHOD: unique symbol = Symbol("startMethod");

/** Options of {@linkcode Process}. */
export interface ProcessOptions<A extends unknown[] = unknown[]> {
  /** The function to run in the child: an export of a module (see the README), async or not. */
  target?: (...args: A) => unknown;
  /** Arguments for `target`: structured-cloneable data and this package's shared objects. */
  args?: A;
  /** The process name; defaults to `Process-N` (`Process-1:2` when nested). */
  name?: string;
  /** Whether the child is daemonic; defaults to the creating process's flag. */
  daemon?: boolean;
}

type Role = "child" | "self" | "parent";
type Phase = "initial" | "started" | "ended";

/**
 * The key of `Process` options that makes the object stand for this process or its
 * parent (see {@linkcode currentProcess}) instead of a new child. Module-private.
 */
const STANDS_FOR: unique symbol = Symbol("standsFor");

/** `Process` options as this package may give them (see `CHILD`). */
interface InternalOptions<A extends unknown[]> extends ProcessOptions<A> {
  [CHILD]?: Child;
  [STANDS_FOR]?: "self" | "parent";
}

let selfObject: Process | null = null;
let parentObject: Process | null = null;

/**
 * A function run in a child process (a Worker), like Python's
 * `multiprocessing.Process`. Targets are found by reference: export them from a
 * module, and guard the program's entry point with `if (import.meta.main)`.
 *
 * @example Start a process and wait for it
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export function greet(name: string) {
 *   console.log(`hello ${name} from ${mp.currentProcess().name}`);
 * }
 *
 * if (import.meta.main) {
 *   const p = new mp.Process({ target: greet, args: ["bob"] });
 *   await p.start();
 *   await p.join();
 *   console.log(p.exitCode); // 0
 * }
 * ```
 *
 * @example Subclass with run()
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export class Counter extends mp.Process {
 *   limit = 3;
 *   override run() {
 *     for (let i = 0; i < this.limit; i++) console.log(this.name, i);
 *   }
 * }
 *
 * if (import.meta.main) {
 *   const c = new Counter();
 *   await c.start();
 *   await c.join();
 * }
 * ```
 */
// deno-lint-ignore no-explicit-any
export class Process<A extends unknown[] = any[]> {
  #target: ((...args: A) => unknown) | undefined;
  #args: A;
  #name: string;
  #identity: number[];
  #daemon: boolean;
  #role: Role;
  #closed = false;
  /** The child it stands for (`null` for {@linkcode currentProcess} and {@linkcode parentProcess}). */
  readonly #child: Child | null;
  #sentinel: object | null = null;
  /** Pending start()/join() calls that keep a daemonic child's Worker referenced. */
  #holds = 0;

  /**
   * Creates the process object; nothing runs until {@linkcode Process.start}.
   *
   * @param options `target` (an exported function), `args`, `name`, `daemon`.
   * @throws {TypeError} If `options` is not an object, `target` is not a function, or
   *   `args` is not an array.
   */
  constructor(options: ProcessOptions<A> = {}) {
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
    const standsFor = (options as InternalOptions<A>)[STANDS_FOR];
    this.#target = target;
    this.#args = (args ?? []) as A;
    this.#role = standsFor ?? "child";
    this.#child = standsFor ? null : (options as InternalOptions<A>)[CHILD] ?? new Child();
    this.#identity = standsFor ? [] : nextIdentity();
    this.#name = name ?? `${this.#child?.kind ?? "Process"}-${this.#identity.join(":")}`;
    this.#daemon = daemon ?? thisProcess.daemon;
  }

  /** Where its life is: `initial` before start, `ended` once its child has ended. */
  get #phase(): Phase {
    const c = this.#child;
    return c === null ? "started" : !c.launched ? "initial" : c.hasEnded ? "ended" : "started";
  }

  /**
   * The process body: calls `target(...args)`. Override it in a subclass.
   *
   * @returns What `target` returns (`undefined` without a target).
   */
  run(): unknown {
    return this.#target?.(...this.#args);
  }

  /**
   * The process name (`Process-N`).
   *
   * @returns The name (`Process-N`, `Process-1:2` when nested, or the one given).
   * @throws {TypeError} On assignment of a value that is not a string.
   */
  get name(): string {
    if (this.#role === "self") return thisProcess.name;
    if (this.#role === "parent") return thisProcess.parent!.name;
    return this.#name;
  }
  /**
   * Renames the process (for this object, or this process's own name for
   * {@linkcode currentProcess}).
   *
   * @param value The new name, a string.
   * @throws {TypeError} If `value` is not a string.
   */
  set name(value: string) {
    if (typeof value !== "string") throw new TypeError(`Process.name must be a string, got ${typeof value}`);
    if (this.#role === "self") thisProcess.name = value;
    else this.#name = value;
  }

  /**
   * Whether the process is daemonic: ended with its parent, never waited for.
   *
   * @returns `true` if daemonic.
   * @throws {ProcessError} On assignment once the process has started.
   */
  get daemon(): boolean {
    return this.#role === "self" ? thisProcess.daemon : this.#daemon;
  }
  /**
   * Makes the process daemonic or not, before `start()`.
   *
   * @param value Whether it is daemonic (any value, taken as a boolean).
   * @throws {ProcessError} If the process has already started.
   */
  set daemon(value: boolean) {
    if (this.#phase !== "initial") {
      throw new ProcessError(
        `Process.daemon: cannot set daemon of ${this.name}: the process has already started`,
      );
    }
    this.#daemon = Boolean(value);
  }

  /**
   * The process id, unique within the process tree (`null` before start).
   *
   * @returns The id, or `null` before `start()`.
   * @throws {ProcessError} If the process object was closed.
   */
  get pid(): number | null {
    this.#checkOpen();
    if (this.#role === "self") return thisProcess.pid;
    if (this.#role === "parent") return thisProcess.parent!.pid;
    return this.#child!.pid;
  }

  /**
   * Same as {@linkcode Process.pid}.
   *
   * @returns The id, or `null` before `start()`.
   * @throws {ProcessError} If the process object was closed.
   */
  get ident(): number | null {
    return this.pid;
  }

  /**
   * An object that `mp.wait()` reports as ready once the process has ended, like
   * Python's `Process.sentinel`. Throws before `start()`.
   *
   * @returns An object to pass to `mp.wait()` (the same one each time).
   * @throws {ProcessError} Before `start()`, for {@linkcode currentProcess} or
   *   {@linkcode parentProcess}, or once the process object is closed.
   *
   * @example Wait for a process or a message, whichever comes first
   * ```ts ignore
   * const ready = await mp.wait([p.sentinel, conn], 5000);
   * if (ready.includes(p.sentinel)) console.log("ended with", p.exitCode);
   * ```
   */
  get sentinel(): object {
    this.#checkOpen();
    if (this.#role !== "child" || this.#phase === "initial") {
      throw new ProcessError(
        `Process.sentinel: ${this.name} has no sentinel: only a started child process has one`,
      );
    }
    if (this.#sentinel === null) {
      const child = this.#child!;
      const control = child.control!;
      const sentinel = Object.freeze({ process: this.#name });
      registerReadable(sentinel, {
        check: () => {},
        ready: () => !this.isAlive(),
        watch: (ms) =>
          Promise.race([
            settlesWithin(child.ended, ms),
            waitAsync(control, CTL_STATE, Atomics.load(control, CTL_STATE), ms),
          ]).then(() => {}),
      });
      this.#sentinel = sentinel;
    }
    return this.#sentinel;
  }

  /**
   * `null` while running or before start; 0 after a normal return, 1 after an
   * uncaught error, `n` after `exit(n)`, -15 after `terminate()`, -9 after `kill()`.
   *
   * @returns The exit code, or `null` while running or before start.
   * @throws {ProcessError} If the process object was closed.
   */
  get exitCode(): number | null {
    this.#checkOpen();
    return this.#child?.exitCode ?? null;
  }

  /**
   * Launches the child at once. The returned promise resolves when the child has begun
   * its target, and rejects if it could not (target not found by reference, an argument
   * that cannot be cloned, an import error in the child).
   *
   * @returns A promise that resolves once the child runs its target.
   * @throws {ProcessError} At once (not as a rejection) if the process was already
   *   started, is {@linkcode currentProcess} or {@linkcode parentProcess}, was closed,
   *   if this process is daemonic, or if a module is still being imported.
   * @throws {ProcessError} As a rejection if the Worker could not start, the target
   *   cannot be found by reference, or an argument cannot be sent; an error the child
   *   threw while loading rejects as that error.
   */
  start(): Promise<void> {
    this.#checkOpen();
    if (this.#phase !== "initial" || this.#role !== "child") {
      throw new ProcessError("Process.start(): cannot start a process twice");
    }
    // message: python
    // message: python
    if (thisProcess.daemon) throw new ProcessError("daemonic processes are not allowed to have children");
    assertNotImporting(`process ${this.#name}`);
    const callers = callerModules();
    const method = startMethodOf(this.constructor);
    const child = this.#child!;
    thisProcess.children.add(this);
    let started: Promise<void>;
    try {
      started = child.launch(
        this.#name,
        this.#daemon && !inWorker,
        method,
        () => thisProcess.children.delete(this),
      );
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#holdWhile(
      this.#launch(callers, method).then(() => started, (e) => {
        child.end(1);
        throw e;
      }),
    );
  }

  /**
   * Keeps the program alive while `p` is pending, even for a daemonic child whose
   * Worker does not (an unref'd Worker): someone awaits it, as a blocked Python
   * `join()` would keep the interpreter running.
   */
  #holdWhile<T>(p: Promise<T>): Promise<T> {
    const child = this.#child!;
    if (!this.#daemon || !child.hasWorker) return p;
    if (this.#holds++ === 0) child.ref(true);
    const release = () => {
      if (--this.#holds === 0) child.ref(false);
    };
    return p.finally(release);
  }

  /**
   * Finds the target and posts the init message: at once when the function can be
   * found synchronously (the usual case), so that a blocking call right after
   * `start()` finds the child running; else after the asynchronous search.
   */
  #launch(callers: string[], method: StartMethod): Promise<void> {
    try {
      // Within start() itself, also when the search below must wait: a manager proxy
      // takes its reference for the child here (its process may release its own next).
      const args = encode(this.#args);
      const subclassed = this.run !== Process.prototype.run;
      const fn = subclassed ? this.constructor as () => unknown : this.#target;
      const props: Record<string, unknown> = subclassed
        ? Object.assign({} as Record<string, unknown>, this)
        : {};
      const encodedProps = encode(props); // a subclass's fields too (proxies among them)
      const post = (ref: FunctionRef | null) => {
        if (this.#phase !== "ended") {
          this.#post(method, subclassed ? null : ref, subclassed ? ref : null, { props, encodedProps, args });
        }
      };
      if (!fn) return Promise.resolve(post(null));
      const how = subclassed ? "spawn" : method;
      const role = subclassed ? "Process subclass" : "target";
      const now = resolveNow(fn, callers, how, role);
      if (now) return Promise.resolve(post(now));
      return resolveFunction(fn, callers, how, role).then(post);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #post(
    method: StartMethod,
    target: FunctionRef | null,
    cls: FunctionRef | null,
    data: { props: Record<string, unknown>; encodedProps: unknown; args: unknown },
  ): void {
    const { props, encodedProps, args } = data;
    const ref = cls ?? target;
    const child = this.#child!;
    const mainModule = ref && "module" in ref ? ref.module : thisProcess.mainModule;
    const init = initMessage(child, this.#name, this.#daemon, this.#identity, method, mainModule);
    Object.assign(init, { target, cls, props: encodedProps, args });
    try {
      child.post(init);
    } catch (e) {
      const values: Record<string, unknown> = { args: this.#args };
      for (const [k, v] of Object.entries(props)) values[`this.${k}`] = v;
      throw cloneError(values, `process ${this.#name}`, e);
    }
  }

  /**
   * Waits until the process ends, or at most `timeout` ms. Check
   * {@linkcode Process.exitCode} (still `null` on timeout) to know which.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it
   *   takes.
   * @returns A promise that resolves (to nothing) when the process ended or `timeout`
   *   passed.
   * @throws {ProcessError} At once if the process was never started, is
   *   {@linkcode currentProcess}, or was closed.
   * @throws {TypeError} If `timeout` is neither `undefined` nor a number.
   */
  join(timeout?: number): Promise<void> {
    this.#checkOpen();
    const ms = checkTimeout(timeout, `${this.name}.join()`);
    if (this.#role === "self") throw new ProcessError("Process.join(): a process cannot join itself");
    if (this.#role === "parent") return this.#joinParent(ms);
    if (this.#phase === "initial") {
      throw new ProcessError(
        `Process.join(): can only join a started process: call ${this.#name}.start() first`,
      );
    }
    if (this.#phase === "ended") return Promise.resolve();
    return this.#holdWhile(settlesWithin(this.#child!.ended, ms).then(() => {}));
  }

  async #joinParent(ms: number | undefined): Promise<void> {
    const deadline = ms === undefined ? Infinity : Date.now() + ms;
    while (this.isAlive() && Date.now() < deadline) await sleep(10);
  }

  /**
   * Whether the process is running (started and not yet ended).
   *
   * @returns `true` while it runs.
   * @throws {ProcessError} If the process object was closed.
   */
  isAlive(): boolean {
    this.#checkOpen();
    if (this.#role === "self") return true;
    if (this.#role === "parent") return isPidAlive(tree(), thisProcess.parent!.pid);
    return this.#child!.isAlive();
  }

  /**
   * Ends the process at once; its exit code becomes -15. Its own children end with it.
   *
   * @throws {ProcessError} If it was never started, is not a child of this process
   *   ({@linkcode currentProcess}, {@linkcode parentProcess}), or was closed.
   */
  terminate(): void {
    this.#stop(SIGTERM_EXIT, "terminate");
  }

  /**
   * Ends the process at once; its exit code becomes -9.
   *
   * @throws {ProcessError} If it was never started, is not a child of this process
   *   ({@linkcode currentProcess}, {@linkcode parentProcess}), or was closed.
   */
  kill(): void {
    this.#stop(SIGKILL_EXIT, "kill");
  }

  #stop(code: number, verb: string): void {
    this.#checkOpen();
    if (this.#role !== "child") {
      throw new ProcessError(`Process.${verb}(): ${verb}() is only for child processes, not ${this.name}`);
    }
    if (this.#phase === "initial") {
      throw new ProcessError(`Process.${verb}(): cannot ${verb} ${this.#name}: it was never started`);
    }
    this.#child!.end(code);
  }

  /**
   * Releases the process object. Throws if it is still running; every later use of
   * the object throws.
   *
   * @throws {ProcessError} If the process is still running.
   */
  close(): void {
    if (this.#closed) return;
    if (this.#role === "child" && this.#phase === "started" && this.isAlive()) {
      throw new ProcessError(
        `Process.close(): cannot close ${this.#name} while it is still running: call join() or terminate() first`,
      );
    }
    this.#closed = true;
  }

  #checkOpen(): void {
    if (this.#closed) throw new ProcessError(`Process object ${this.#name} is closed`);
  }

  /**
   * A one-line description, like Python's repr.
   *
   * @returns The description, e.g. `<Process name='Process-1' pid=2 parent=1 started>`.
   */
  toString(): string {
    if (this.#closed) return `<${this.constructor.name} name='${this.#name}' closed>`;
    const code = this.exitCode;
    const status = this.#role === "self"
      ? "started"
      : this.#phase === "initial"
      ? "initial"
      : code === null
      ? "started"
      : `stopped exitcode=${code}`;
    const pid = this.#role === "self" || this.#phase !== "initial" ? ` pid=${this.pid}` : "";
    const parent = this.#role === "self"
      ? thisProcess.parent?.pid
      : this.#role === "parent"
      ? null
      : thisProcess.pid;
    const parentPart = parent === undefined || parent === null ? "" : ` parent=${parent}`;
    return `<${this.constructor.name} name='${this.name}'${pid}${parentPart} ${status}${
      this.daemon ? " daemon" : ""
    }>`;
  }
}

/**
 * The `Process` that stands for `child` (made with its role and kind): a pool worker
 * or a manager's server, listed by {@linkcode activeChildren}, started, joined and
 * ended like any other. Internal to this package.
 */
export function processOf(child: Child, daemon: boolean): Process {
  return new Process({ daemon, [CHILD]: child } as InternalOptions<unknown[]>);
}

/**
 * Starts `child` (made with a role) as a helper thread of this process rather than a
 * child process of the program's: it is not listed by {@linkcode activeChildren}, a
 * daemonic process may have one, and it never keeps the program alive. Its init is
 * posted at once; it is ended with `child.end()`. Internal to this package.
 */
export function startHelper(child: Child, name: string): void {
  child.launch(name, true, "spawn", () => {}).catch(() => {});
  const init = initMessage(child, name, true, [...thisProcess.identity, 0], "spawn", thisProcess.mainModule);
  child.post(init);
}

/** The init message of `child`, with no target (the caller sets one). */
function initMessage(
  child: Child,
  name: string,
  daemon: boolean,
  identity: number[],
  method: StartMethod,
  mainModule: string | undefined,
): InitMessage {
  return {
    t: "init",
    role: child.role?.role ?? "process",
    self: {
      name,
      pid: child.pid!,
      daemon,
      identity,
      parentName: thisProcess.name,
      parentPid: thisProcess.pid,
      startMethod: method,
      startMethodFixed: thisProcess.startMethodFixed,
      tree: tree(),
      mainModule,
      log: getLogger().inherited,
    },
    control: child.control!,
    target: null,
    cls: null,
    props: undefined,
    args: undefined,
    extra: child.role?.extra(),
  };
}

/**
 * The start method of objects made by `ctor`: the one its context bound it to (see
 * `Context`), else the current default. Internal to this package.
 */
export function startMethodOf(ctor: unknown): StartMethod {
  return (ctor as { [START_METHOD]?: StartMethod })[START_METHOD] ?? thisProcess.startMethod;
}

function special(role: "self" | "parent", ctor: new (o: ProcessOptions) => Process = Process): Process {
  const options: InternalOptions<unknown[]> = { [STANDS_FOR]: role };
  return Reflect.construct(Process, [options], ctor) as Process;
}

/**
 * Makes the object that stands for this process in a child: an instance of `ctor`
 * (a Process subclass) carrying `props`. Bootstrap only.
 */
export function adoptSelf(ctor: new (o: ProcessOptions) => Process, props: Record<string, unknown>): Process {
  const p = special("self", ctor);
  Object.assign(p, props);
  selfObject = p;
  return p;
}

/**
 * The object of the running process (Python's `current_process()`): `name`, `pid`,
 * `daemon`.
 *
 * @example Who am I?
 * ```ts
 * import { currentProcess } from "@mp/multiprocessing";
 * console.log(currentProcess().name); // "MainProcess" in the main program
 * ```
 *
 * @returns The {@linkcode Process} object of this process (the same one each time).
 */
export function currentProcess(): Process {
  return selfObject ??= special("self");
}

/**
 * The parent of this process (`null` in the main process); `isAlive()` tells whether
 * it still runs.
 *
 * @example
 * ```ts
 * import { parentProcess } from "@mp/multiprocessing";
 * console.log(parentProcess()); // null in the main program
 * ```
 *
 * @returns The parent's {@linkcode Process} object, or `null` in the main process.
 */
export function parentProcess(): Process | null {
  if (thisProcess.parent === null) return null;
  return parentObject ??= special("parent");
}

/**
 * The live children of this process.
 *
 * @example
 * ```ts
 * import { activeChildren } from "@mp/multiprocessing";
 * console.log(activeChildren().length); // 0 before any start()
 * ```
 *
 * @returns The started children of this process that have not ended.
 */
export function activeChildren(): Process[] {
  return [...thisProcess.children].filter((c): c is Process => c instanceof Process && c.isAlive());
}

/**
 * The number of logical CPUs (Python's `cpu_count()`).
 *
 * @example
 * ```ts
 * import { cpuCount } from "@mp/multiprocessing";
 * console.log(cpuCount() >= 1); // true
 * ```
 *
 * @returns The number of logical CPUs.
 */
export function cpuCount(): number {
  return runtimeCpuCount();
}

/**
 * Ends the current process with `code` (default 0), like Python's `sys.exit()`. In a
 * child it unwinds the target (its parent sees `exitCode === code`); in the main
 * program it exits at once.
 *
 * @example
 * ```ts ignore
 * import { exit } from "@mp/multiprocessing";
 * export function worker() {
 *   exit(3); // the parent's p.exitCode becomes 3
 * }
 * ```
 *
 * @param code The exit code, an integer (default 0).
 * @returns Never: in a child it throws an internal signal that ends the target (do not
 *   catch it), in the main program it exits.
 * @throws {TypeError} If `code` is not an integer.
 */
export function exit(code: number = 0): never {
  if (!Number.isInteger(code)) {
    throw new TypeError(`exit(code): code must be an integer, got ${String(code)}`);
  }
  if (!inWorker) exitProgram(code);
  throw new ExitSignal(code);
}

inspectable(Process);
