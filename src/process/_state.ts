/**
 * What this thread knows about itself as a process of the tree: its name, pid,
 * parent, children and start method. One instance per Worker (or main thread).
 *
 * @module
 */
import { inWorker, mainModuleUrl, osPid } from "../internal/runtime.ts";
import { createTree, type TreeTable } from "./_tree.ts";
import { ProcessError } from "../internal/errors.ts";

/**
 * A start method: `"spawn"` (native: a fresh Worker), `"fork"` (the fallback that
 * ships source) or `"forkserver"` (spawn from a Worker prepared in advance).
 */
export type StartMethod = "spawn" | "fork" | "forkserver";
/** The start methods, the default first. */
export const START_METHODS: readonly StartMethod[] = ["spawn", "fork", "forkserver"];

/** A child as its parent tracks it, so that the parent can wait for it or end it. */
export interface ChildRecord {
  readonly name: string;
  readonly daemon: boolean;
  isAlive(): boolean;
  join(): Promise<void>;
  terminate(): void;
}

/** How a child learns who it is (part of the bootstrap's init message). */
export interface SelfInfo {
  name: string;
  pid: number;
  daemon: boolean;
  identity: number[];
  parentName: string;
  parentPid: number;
  startMethod: StartMethod;
  startMethodFixed: boolean;
  tree: TreeTable;
  /** The module the child imports for its target: the child's "main module". */
  mainModule?: string;
  /** The parent's logging settings (`logToStderr`), which the child takes over. */
  log?: { level: number; stderr: boolean };
}

/** This thread's view of itself. */
export interface ProcessState {
  name: string;
  pid: number;
  daemon: boolean;
  identity: number[];
  parent: { name: string; pid: number } | null;
  /** Number of the next child (names `Process-<identity>:<n>`). */
  nextChild: number;
  children: Set<ChildRecord>;
  startMethod: StartMethod;
  startMethodFixed: boolean;
  mainModule: string | undefined;
  /** Set while a child imports its target's module: starting processes is refused. */
  importing: string | null;
  tree: TreeTable | null;
  /** The logging settings a child took over from its parent (applied when `logger.ts` loads). */
  log: { level: number; stderr: boolean } | undefined;
}

/** The state of this thread. */
export const thisProcess: ProcessState = {
  name: "MainProcess",
  pid: osPid(),
  daemon: false,
  identity: [],
  parent: null,
  nextChild: 1,
  children: new Set(),
  startMethod: "spawn",
  startMethodFixed: false,
  mainModule: inWorker ? undefined : mainModuleUrl(),
  importing: null,
  tree: null,
  log: undefined,
};

/** Sets this thread up as the child described by `info` (bootstrap only). */
export function becomeChild(info: SelfInfo): void {
  thisProcess.name = info.name;
  thisProcess.pid = info.pid;
  thisProcess.daemon = info.daemon;
  thisProcess.identity = info.identity;
  thisProcess.parent = { name: info.parentName, pid: info.parentPid };
  thisProcess.startMethod = info.startMethod;
  thisProcess.startMethodFixed = info.startMethodFixed;
  thisProcess.tree = info.tree;
  thisProcess.mainModule = info.mainModule;
  thisProcess.log = info.log;
  inheritLog?.(info.log);
}

let inheritLog: ((settings: SelfInfo["log"]) => void) | null = null;
let infoSink: ((message: string) => void) | null = null;

/**
 * Connects the logger (`logger.ts` calls it when it loads): `inherit` takes over a
 * parent's settings, `info` logs the bootstrap's lifecycle messages. A child loads the
 * logger only when it logs, so that a child that does not starts faster.
 */
export function connectLogger(
  inherit: (settings: SelfInfo["log"]) => void,
  info: (message: string) => void,
): void {
  inheritLog = inherit;
  infoSink = info;
  inherit(thisProcess.log);
}

/**
 * Logs a lifecycle message at INFO through the package's logger, if it is loaded: no
 * handler can exist before it is (the bootstrap loads it when the parent logs to stderr).
 */
export function logInfo(message: string): void {
  infoSink?.(message);
}

/** The tree table, created by the main process on first use. */
export function tree(): TreeTable {
  return thisProcess.tree ??= createTree(thisProcess.pid);
}

/**
 * Throws the guard error when a child is still importing its modules: a main
 * module without `if (import.meta.main)` would otherwise start processes forever.
 */
export function assertNotImporting(what: string): void {
  if (thisProcess.importing === null) return;
  throw new ProcessError(
    `Cannot start ${what} while ${thisProcess.name} is still importing ${thisProcess.importing}: ` +
      "that module starts processes when it is imported: guard the entry point with " +
      '`if (import.meta.main) { ... }` (Python\'s `if __name__ == "__main__":`) so that ' +
      "child processes can import it without starting processes again",
  );
}

/** Hands out the next child identity (`[...thisProcess.identity, n]`). */
export function nextIdentity(): number[] {
  return [...thisProcess.identity, thisProcess.nextChild++];
}
