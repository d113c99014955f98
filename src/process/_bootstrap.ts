/**
 * The worker bootstrap, started by the entry module of every child Worker
 * (`src/worker.ts`). It learns who it is from the parent's init message, gets its role
 * ready (importing the target's module, refusing to start processes meanwhile: the
 * `import.meta.main` guard), runs it, waits for its own non-daemonic children, and
 * reports its exit code.
 *
 * @module
 */
import type { ErrorData } from "../internal/_error_wire.ts";
import {
  type ChildMessage,
  CTL_CODE,
  CTL_STATE,
  type InitMessage,
  type Role,
  STATE_EXITED,
  STATE_RUNNING,
} from "./_messages.ts";
import type { Process, ProcessOptions } from "./process.ts";
import { explainForkError, loadFunction } from "./_load.ts";
import { onParentMessage, onUncaught, postToParent, trapExit, writeStderr } from "../internal/runtime.ts";
import { becomeChild, logInfo, thisProcess } from "./_state.ts";
import { markPidDead } from "./_tree.ts";

// What a child needs only sometimes is imported when it does (the codec for arguments
// holding shared objects or functions, the error wire format for a failed start, the
// logger when the parent logs to stderr): every module of the bootstrap's graph costs
// each Worker time to load, before the target can run.

/** Loads the module of a role by name (given by the entry module, `src/worker.ts`). */
export type RoleLoaders = Record<string, () => Promise<{ role: Role }>>;

// How an error that ends a child becomes its exit code, as Python's bootstrap does it:
// `exit(n)` gives `n`, anything else is written to stderr as `Process <name>:` and its
// stack, and gives 1.
let forkedName: string | null = null;

/** Marks this child's target as a forked function named `name` (its errors are explained). */
function setForkedName(name: string): void {
  forkedName = name;
}

/** Writes `Process <name>:` and the error's stack to stderr, like Python. */
function reportError(error: unknown): void {
  if (forkedName !== null) error = explainForkError(error, forkedName);
  const stack = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  const withCause = error instanceof Error && error.cause instanceof Error && !stack.includes("Caused by")
    ? `${stack}\nCaused by: ${error.cause.stack ?? error.cause}`
    : stack;
  writeStderr(`Process ${thisProcess.name}:\n${withCause}\n`);
}

/** The brand of `ExitSignal` (`internal/_error_wire.ts`), checked without loading it. */
const EXIT_SIGNAL = Symbol.for("@mp/multiprocessing.exitSignal");

/** The exit code for an error that ended the target (printing it unless it is exit()). */
function exitCodeFor(error: unknown): number {
  if (error instanceof Error && (error as { [EXIT_SIGNAL]?: boolean })[EXIT_SIGNAL] === true) {
    return (error as Error & { code: number }).code;
  }
  reportError(error);
  return 1;
}

/** `error` as it travels to the parent, keeping its class (the codec finds it by reference). */
async function errorToData(error: unknown): Promise<ErrorData> {
  await import("../internal/_codec.ts"); // sets how an error's class is sent
  return (await import("../internal/_error_wire.ts")).errorToData(error);
}

/**
 * Rebuilds a value sent by the parent's codec: plain values as they are (a no-op
 * target's `[]`), the rest (shared objects, functions inside) by the codec.
 */
async function decode(value: unknown): Promise<unknown> {
  const flat = Array.isArray(value) && value.every((v) => v === null || typeof v !== "object");
  return flat ? value : (await import("../internal/_codec.ts")).decode(value);
}

let control: Int32Array<SharedArrayBuffer> | null = null;
/** Messages that came before the role listened (`null` once it does). */
let early: unknown[] | null = [];

/**
 * Listens for the parent's messages to the role, starting with those that came
 * before: a parent may hand work over as soon as it has posted the init.
 */
export function onRoleMessage(cb: (data: unknown) => void): void {
  const before = early ?? [];
  early = null;
  onParentMessage(cb);
  for (const m of before) cb(m);
}
let ending = false;

function send(m: ChildMessage): void {
  postToParent(m);
}

/**
 * Ends this child: terminates its daemonic children, waits for the others (as Python
 * does at exit), then publishes `code`. The parent terminates the Worker on reading it.
 */
export async function endProcess(code: number): Promise<void> {
  if (ending) return;
  ending = true;
  const children = [...thisProcess.children];
  for (const c of children) {
    if (!c.daemon) continue;
    logInfo(`calling terminate() for daemon ${c.name}`);
    c.terminate();
  }
  for (const c of children) {
    if (c.daemon) continue;
    logInfo(`calling join() for process ${c.name}`);
    await c.join();
  }
  logInfo(`process exiting with exitcode ${code}`);
  publishExit(code);
}

/** Tells the parent that this process has ended with `code` (once). */
function publishExit(code: number): void {
  if (control === null || Atomics.load(control, CTL_STATE) === STATE_EXITED) return;
  if (thisProcess.tree) markPidDead(thisProcess.tree, thisProcess.pid);
  Atomics.store(control, CTL_CODE, code);
  Atomics.store(control, CTL_STATE, STATE_EXITED);
  Atomics.notify(control, CTL_STATE);
  send({ t: "exit", code });
}

/** The default role: a Process's target (or a Process subclass's `run()`). */
const processRole: Role = {
  async prepare(init) {
    const args = (await decode(init.args)) as unknown[];
    if (init.cls) {
      const ctor = await loadFunction(init.cls, "Process subclass");
      const props = (await decode(init.props)) as Record<string, unknown>;
      const { adoptSelf } = await import("./process.ts");
      const obj = adoptSelf(ctor as unknown as new (o: ProcessOptions) => Process, props);
      return async () => (await obj.run(), 0);
    }
    if (init.target) {
      const fn = await loadFunction(init.target, "target");
      if ("source" in init.target) setForkedName(init.target.name);
      return async () => (await fn(...args), 0);
    }
    return () => Promise.resolve(0);
  },
};

/** Gets `role` ready, tells the parent how that went, and runs it: resolves to the exit code. */
async function play(init: InitMessage, role: Role): Promise<number> {
  const ref = init.cls ?? init.target;
  let body: () => Promise<number>;
  thisProcess.importing = ref && "module" in ref ? ref.module : (init.self.mainModule ?? "its modules");
  try {
    body = await role.prepare(init);
  } catch (e) {
    send({ t: "failed", error: await errorToData(e) });
    return exitCodeFor(e);
  } finally {
    thisProcess.importing = null;
  }
  Atomics.store(init.control, CTL_STATE, STATE_RUNNING);
  send({ t: "started" });
  logInfo("child process calling self.run()");
  try {
    return await body();
  } catch (e) {
    return exitCodeFor(e);
  }
}

/**
 * Starts listening for the parent's init message; `roles` loads the roles a child can
 * play besides running a target (`src/worker.ts` passes them).
 */
export function runBootstrap(roles: RoleLoaders): void {
  onParentMessage(async (data) => {
    const init = data as InitMessage;
    if (init?.t !== "init" || control !== null) {
      // A message for the role, sent before it listens (a pool's first task, say).
      early?.push(data);
      return;
    }
    control = init.control;
    becomeChild(init.self);
    onUncaught((e) => void endProcess(exitCodeFor(e)));
    trapExit((code) => publishExit(code));
    if (init.self.log?.stderr) await import("./logger.ts"); // takes the parent's settings
    let role = processRole;
    if (init.role !== "process") {
      const load = roles[init.role];
      if (!load) throw new Error(`Internal error: no role "${init.role}" in the worker entry`);
      role = (await load()).role;
    }
    await endProcess(await play(init, role));
  });
}
