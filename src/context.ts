/**
 * Start-method contexts: `getContext`, `setStartMethod`, `getStartMethod`,
 * `getAllStartMethods`.
 *
 * @module
 */
import { ProcessError } from "./internal/errors.ts";
import {
  activeChildren,
  cpuCount,
  currentProcess,
  exit,
  parentProcess,
  Process,
  type ProcessOptions,
  START_METHOD,
} from "./process/process.ts";
import { START_METHODS, type StartMethod, thisProcess } from "./process/_state.ts";
import { Barrier } from "./sync/barrier.ts";
import { ProcessPoolExecutor } from "./pool/executor.ts";
import { BaseManager, Manager, SyncManager } from "./manager/manager.ts";
import { Pipe } from "./channel/connection.ts";
import { JoinableQueue } from "./channel/joinable_queue.ts";
import { Queue } from "./channel/queue.ts";
import { wait } from "./channel/wait.ts";
import { SimpleQueue } from "./channel/simple_queue.ts";
import { Pool } from "./pool/pool.ts";
import { Condition } from "./sync/condition.ts";
import { Event } from "./sync/event.ts";
import { Lock } from "./sync/lock.ts";
import { RLock } from "./sync/rlock.ts";
import { BoundedSemaphore, Semaphore } from "./sync/semaphore.ts";
import { RawArray, SharedArray } from "./shared/array.ts";
import { RawValue, Value } from "./shared/value.ts";

/**
 * The API bound to one start method (Python's `multiprocessing.get_context()`).
 *
 * @example Run a lambda with the fork fallback
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing";
 * const ctx = mp.getContext("fork");
 * const p = new ctx.Process({ target: (n: number) => console.log(n * 2), args: [21] });
 * await p.start();
 * await p.join();
 * ```
 */
export class Context {
  /** The start method of this context. */
  readonly startMethod: StartMethod;
  /** `Process` bound to this context's start method. */
  readonly Process: typeof Process;
  /** `Pool` bound to this context's start method. */
  readonly Pool: typeof Pool;
  /** `ProcessPoolExecutor` bound to this context's start method. */
  readonly ProcessPoolExecutor: typeof ProcessPoolExecutor;
  /** See {@linkcode Queue}. */
  readonly Queue: typeof Queue = Queue;
  /** See {@linkcode JoinableQueue}. */
  readonly JoinableQueue: typeof JoinableQueue = JoinableQueue;
  /** See {@linkcode SimpleQueue}. */
  readonly SimpleQueue: typeof SimpleQueue = SimpleQueue;
  /** See {@linkcode Pipe}. */
  readonly Pipe: typeof Pipe = Pipe;
  /** See {@linkcode wait}. */
  readonly wait: typeof wait = wait;
  /** See {@linkcode Manager}. */
  readonly Manager: typeof Manager = Manager;
  /** See {@linkcode SyncManager}. */
  readonly SyncManager: typeof SyncManager = SyncManager;
  /** See {@linkcode BaseManager}. */
  readonly BaseManager: typeof BaseManager = BaseManager;
  /** See {@linkcode Lock}. */
  readonly Lock: typeof Lock = Lock;
  /** See {@linkcode RLock}. */
  readonly RLock: typeof RLock = RLock;
  /** See {@linkcode Semaphore}. */
  readonly Semaphore: typeof Semaphore = Semaphore;
  /** See {@linkcode BoundedSemaphore}. */
  readonly BoundedSemaphore: typeof BoundedSemaphore = BoundedSemaphore;
  /** See {@linkcode Condition}. */
  readonly Condition: typeof Condition = Condition;
  /** See {@linkcode Event}. */
  readonly Event: typeof Event = Event;
  /** See {@linkcode Barrier}. */
  readonly Barrier: typeof Barrier = Barrier;
  /** See {@linkcode Value}. */
  readonly Value: typeof Value = Value;
  /** See {@linkcode SharedArray} (Python's `Array`). */
  readonly Array: typeof SharedArray = SharedArray;
  /** See {@linkcode RawValue}. */
  readonly RawValue: typeof RawValue = RawValue;
  /** See {@linkcode RawArray}. */
  readonly RawArray: typeof RawArray = RawArray;

  /**
   * Creates the context of `method` (use {@linkcode getContext}).
   *
   * @param method `"spawn"`, `"fork"` or `"forkserver"` (not checked here; `getContext` checks it).
   */
  constructor(method: StartMethod) {
    this.startMethod = method;
    class BoundProcess<A extends unknown[]> extends Process<A> {
      static [START_METHOD]: StartMethod = method;
      constructor(options?: ProcessOptions<A>) {
        super(options);
      }
    }
    Object.defineProperty(BoundProcess, "name", { value: "Process" });
    this.Process = BoundProcess as typeof Process;
    class BoundPool extends Pool {
      static [START_METHOD]: StartMethod = method;
    }
    Object.defineProperty(BoundPool, "name", { value: "Pool" });
    this.Pool = BoundPool;
    class BoundExecutor extends ProcessPoolExecutor {
      static [START_METHOD]: StartMethod = method;
    }
    Object.defineProperty(BoundExecutor, "name", { value: "ProcessPoolExecutor" });
    this.ProcessPoolExecutor = BoundExecutor;
  }

  /**
   * This context's start method.
   *
   * @returns The start method this context is bound to.
   */
  getStartMethod(): StartMethod {
    return this.startMethod;
  }
  /**
   * See {@linkcode getAllStartMethods}.
   *
   * @returns `["spawn", "fork", "forkserver"]`.
   */
  getAllStartMethods(): StartMethod[] {
    return getAllStartMethods();
  }
  /**
   * See {@linkcode currentProcess}.
   *
   * @returns The {@linkcode Process} object of this process.
   */
  currentProcess(): Process {
    return currentProcess();
  }
  /**
   * See {@linkcode parentProcess}.
   *
   * @returns The parent's {@linkcode Process} object, or `null` in the main process.
   */
  parentProcess(): Process | null {
    return parentProcess();
  }
  /**
   * See {@linkcode activeChildren}.
   *
   * @returns The started children of this process that have not ended.
   */
  activeChildren(): Process[] {
    return activeChildren();
  }
  /**
   * See {@linkcode cpuCount}.
   *
   * @returns The number of logical CPUs.
   */
  cpuCount(): number {
    return cpuCount();
  }
  /**
   * See {@linkcode exit}.
   *
   * @param code The exit code, an integer (default 0).
   * @returns Never.
   * @throws {TypeError} If `code` is not an integer.
   */
  exit(code?: number): never {
    return exit(code);
  }
}

const contexts = new Map<StartMethod, Context>();

function checkMethod(method: unknown): StartMethod {
  if (!START_METHODS.includes(method as StartMethod)) {
    throw new RangeError(
      `Unknown start method ${JSON.stringify(method)}: the start methods are ${
        START_METHODS.map((m) => `"${m}"`).join(", ")
      }`,
    );
  }
  return method as StartMethod;
}

/**
 * The context of `method` (default: the current start method).
 *
 * @example
 * ```ts
 * import { getContext } from "@mp/multiprocessing";
 * console.log(getContext("fork").getStartMethod()); // "fork"
 * ```
 *
 * @param method `"spawn"`, `"fork"` or `"forkserver"`; the default start method if omitted.
 * @returns The context (the same object for the same method).
 * @throws {RangeError} If `method` is not a start method.
 */
export function getContext(method?: string): Context {
  const m = method === undefined ? thisProcess.startMethod : checkMethod(method);
  let ctx = contexts.get(m);
  if (!ctx) contexts.set(m, ctx = new Context(m));
  return ctx;
}

/**
 * Sets the default start method, once (Python's `set_start_method`). A second call
 * throws unless `force` is true.
 *
 * @example
 * ```ts ignore
 * import { setStartMethod } from "@mp/multiprocessing";
 * if (import.meta.main) setStartMethod("fork");
 * ```
 *
 * @param method `"spawn"`, `"fork"` or `"forkserver"`.
 * @param options `force`: change a start method that was already set.
 * @throws {RangeError} If `method` is not a start method.
 * @throws {ProcessError} If the start method was already set and `force` is not true.
 */
export function setStartMethod(method: string, options: { force?: boolean } = {}): void {
  const m = checkMethod(method);
  if (thisProcess.startMethodFixed && !options.force) {
    throw new ProcessError(
      `setStartMethod(): the start method has already been set to "${thisProcess.startMethod}": call setStartMethod("${m}", { force: true }) to change it`,
    );
  }
  thisProcess.startMethod = m;
  thisProcess.startMethodFixed = true;
}

/**
 * The default start method (`"spawn"` unless set).
 *
 * @example
 * ```ts
 * import { getStartMethod } from "@mp/multiprocessing";
 * console.log(getStartMethod()); // "spawn"
 * ```
 *
 * @returns The default start method.
 */
export function getStartMethod(): StartMethod {
  return thisProcess.startMethod;
}

/**
 * All start methods, the default first: `["spawn", "fork", "forkserver"]`.
 *
 * @example
 * ```ts
 * import { getAllStartMethods } from "@mp/multiprocessing";
 * console.log(getAllStartMethods()); // ["spawn", "fork", "forkserver"]
 * ```
 *
 * @returns A new array of every start method.
 */
export function getAllStartMethods(): StartMethod[] {
  return [...START_METHODS];
}
