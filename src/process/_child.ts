/**
 * `Child`: the parent's side of one child Worker, whatever it runs (a `Process`'s
 * target, a pool worker, a manager's server). It holds the Worker handle, the child's
 * pid and control block, posts to it, tells when it has started (the bootstrap's
 * `started` / `failed` handshake) and when it has ended, and ends it. `Process` is the
 * public face of a `Child`; the pool engine and managers make theirs with a role and a
 * name and give it to the `Process` that stands for the worker (see `CHILD`).
 *
 * @module
 */
import { ProcessError } from "../internal/errors.ts";
import { type ErrorData, errorFromData } from "../internal/_error_wire.ts";
import { decode } from "../internal/_codec.ts";
import { packageModule } from "../internal/_package_url.ts";
import { spawnWorker, type WorkerHandle } from "../internal/runtime.ts";
import { type ChildMessage, createControl, CTL_CODE, CTL_STATE, STATE_EXITED } from "./_messages.ts";
import { type StartMethod, thisProcess, tree } from "./_state.ts";
import { allocatePid, markPidDead } from "./_tree.ts";
import { takeWorker } from "./_forkserver.ts";

/** The worker bootstrap every child starts with. */
export const BOOTSTRAP: URL = packageModule("worker");

/**
 * The key of `Process` options under which this package gives a `Process` the
 * {@linkcode Child} it stands for (a pool worker, a manager's server). Not part of the
 * public options: only modules of this package hold this symbol.
 */
export const CHILD: unique symbol = Symbol("child");

/**
 * A child that runs another role of the bootstrap than "process" (a pool worker, a
 * manager): the bootstrap loads that role's module with `extra()`, and the child's
 * messages other than the lifecycle ones go to `message`.
 */
export interface ChildRole {
  /** A key of the bootstrap's `roles` map. */
  role: string;
  /** Role-specific settings, read when the init message is sent (structured-cloneable). */
  extra(): unknown;
  /** Receives the role's own messages from the child. */
  message(data: unknown): void;
}

/** What a {@linkcode Child} is made with. */
export interface ChildOptions {
  /** Its default name is `${kind}-N` (`Process-N` by default: `SpawnPoolWorker-N`...). */
  kind?: string;
  /** The role it plays instead of running a target. */
  role?: ChildRole;
}

/**
 * The error of a child whose Worker could not start or load its bootstrap (a module
 * the runtime refuses to load, a missing permission), naming the process.
 */
function workerStartError(name: string, cause: unknown): ProcessError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new ProcessError(
    `Could not start a Worker for process ${name}: ${why}: on Deno, run with -A (or grant ` +
      `--allow-read and --allow-import for the package's files): see the README's Troubleshooting`,
    { cause },
  );
}

/** The parent's side of one child Worker: launch, posting, the handshake and the end. */
export class Child {
  /** The default name's prefix. */
  readonly kind: string;
  /** The role it plays, or `null` for a process that runs a target. */
  readonly role: ChildRole | null;
  /** Resolves once the child has ended (never keeps the program alive by itself). */
  readonly ended: Promise<void>;
  #resolveEnded!: () => void;
  #state: "initial" | "running" | "ended" = "initial";
  #pid: number | null = null;
  #control: Int32Array<SharedArrayBuffer> | null = null;
  #worker: WorkerHandle | null = null;
  #exitCode: number | null = null;
  #started: { resolve(): void; reject(e: unknown): void } | null = null;
  #onEnd: (() => void) | null = null;

  constructor(options: ChildOptions = {}) {
    this.kind = options.kind ?? "Process";
    this.role = options.role ?? null;
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
  }

  /** Whether it was launched (it may have ended since). */
  get launched(): boolean {
    return this.#state !== "initial";
  }

  /** Whether it has ended (its exit code is known). */
  get hasEnded(): boolean {
    return this.#state === "ended";
  }

  /** Its pid in the process tree (`null` before launch). */
  get pid(): number | null {
    return this.#pid;
  }

  /** Its control block (`null` before launch). */
  get control(): Int32Array<SharedArrayBuffer> | null {
    return this.#control;
  }

  /** The exit code: the one it set in its control block, else the one it ended with; `null` while it runs. */
  get exitCode(): number | null {
    if (this.#exitCode !== null) return this.#exitCode;
    const c = this.#control;
    if (c !== null && Atomics.load(c, CTL_STATE) === STATE_EXITED) return Atomics.load(c, CTL_CODE);
    return null;
  }

  /** Whether it runs: launched, and neither ended nor finished by itself. */
  isAlive(): boolean {
    return this.#state === "running" && Atomics.load(this.#control!, CTL_STATE) !== STATE_EXITED;
  }

  /**
   * Gives it a pid and a control block and starts its Worker (the forkserver's spare
   * under `forkserver`). Returns the promise of its handshake: it resolves once the
   * child runs (or has ended), and rejects with the error it could not start with.
   * `onEnd` is called once, synchronously, when it ends. Throws (having ended it with
   * exit code 1) if no Worker could be made.
   */
  launch(name: string, unref: boolean, method: StartMethod, onEnd: () => void): Promise<void> {
    this.#state = "running";
    this.#onEnd = onEnd;
    this.#pid = allocatePid(tree(), thisProcess.pid);
    this.#control = createControl();
    const started = new Promise<void>((resolve, reject) => (this.#started = { resolve, reject }));
    // Consumed once the caller's launch succeeds; a Worker that fails to load before that
    // must not also surface as an unhandled rejection.
    started.catch(() => {});
    try {
      const spawn = method === "forkserver" ? takeWorker : spawnWorker;
      this.#worker = spawn(BOOTSTRAP, name, unref, {
        message: (m) => this.#onMessage(m as ChildMessage),
        error: (e) => {
          this.#rejectStart(this.#started ? workerStartError(name, e) : e);
          this.end(1);
        },
        exit: (code) => this.end(code),
      });
    } catch (e) {
      this.#started = null;
      this.end(1);
      throw workerStartError(name, e);
    }
    return started;
  }

  /**
   * Posts `message` to the running child; `false` if it is not running. Throws the
   * runtime's DataCloneError if `message` cannot be cloned.
   */
  post(message: unknown): boolean {
    if (this.#worker === null) return false;
    this.#worker.post(message);
    return true;
  }

  /** Keeps (or stops keeping) the program alive for its sake, while it runs. */
  ref(on: boolean): void {
    this.#worker?.ref(on);
  }

  /** Whether it has a Worker (launched and not ended). */
  get hasWorker(): boolean {
    return this.#worker !== null;
  }

  /**
   * Ends it with `code` unless it set one itself (or has already ended): stops its
   * Worker, marks its pid dead and settles its handshake and {@linkcode Child.ended}.
   */
  end(code: number): void {
    if (this.#state === "ended") return;
    const c = this.#control;
    this.#exitCode = c !== null && Atomics.load(c, CTL_STATE) === STATE_EXITED
      ? Atomics.load(c, CTL_CODE)
      : code;
    this.#state = "ended";
    this.#worker?.terminate();
    this.#worker = null;
    if (this.#pid !== null) markPidDead(tree(), this.#pid);
    this.#onEnd?.();
    this.#onEnd = null;
    this.#started?.resolve();
    this.#started = null;
    this.#resolveEnded();
  }

  #onMessage(m: ChildMessage): void {
    if (m.t === "started") {
      this.#started?.resolve();
      this.#started = null;
    } else if (m.t === "failed") {
      this.#failStart(m.error);
    } else if (m.t === "exit") {
      this.end(m.code);
    } else {
      this.role?.message(m);
    }
  }

  /**
   * Rejects start() with the child's error, in its own class when a module exports it.
   * The promise is taken at once: the `exit` message that follows must not resolve it
   * while the class is being imported.
   */
  #failStart(data: ErrorData): void {
    const started = this.#started;
    this.#started = null;
    if (started === null) return;
    if (data.cls === undefined) return started.reject(errorFromData(data));
    decode(data).then(
      (decoded) => started.reject(errorFromData(decoded as ErrorData)),
      () => started.reject(errorFromData({ ...data, cls: undefined })),
    );
  }

  #rejectStart(e: unknown): void {
    this.#started?.reject(e);
    this.#started = null;
  }
}
