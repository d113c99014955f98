/**
 * The messages between a parent and the bootstrap of its child Worker, and the
 * child's control block (a small SharedArrayBuffer both sides read).
 *
 * @module
 */
import type { ErrorData } from "../internal/_error_wire.ts";
import type { FunctionRef } from "./_resolve.ts";
import type { SelfInfo } from "./_state.ts";

/** Control block index: the child's state (one of the `STATE_*` values). */
export const CTL_STATE = 0;
/** Control block index: the exit code, valid once the state is `STATE_EXITED`. */
export const CTL_CODE = 1;
/** The child is loading its target. */
export const STATE_LOADING = 0;
/** The child runs its target. */
export const STATE_RUNNING = 1;
/** The child has finished; its exit code is set. */
export const STATE_EXITED = 2;

/** Creates a child's control block. */
export function createControl(): Int32Array<SharedArrayBuffer> {
  return new Int32Array(new SharedArrayBuffer(8));
}

/** Parent to child: who the child is and what it runs. */
export interface InitMessage {
  t: "init";
  /** "process" runs a target once; other roles (a pool worker) load their own module. */
  role: string;
  self: SelfInfo;
  control: Int32Array<SharedArrayBuffer>;
  /** The function to run, or `null` for a process with no target. */
  target: FunctionRef | null;
  /** A Process subclass to rebuild (its `run()` is the target), with its own properties. */
  cls: FunctionRef | null;
  props: unknown;
  args: unknown;
  /** Role-specific settings. */
  extra?: unknown;
}

/** Child to parent. */
export type ChildMessage =
  | { t: "started" }
  | { t: "failed"; error: ErrorData }
  | { t: "exit"; code: number };

/**
 * What a child does besides the bootstrap's own work: get ready (load its code, under
 * the `import.meta.main` guard), then run. The bootstrap alone reports the outcome to
 * the parent (`started`, or `failed` with the error) and turns errors into exit codes.
 * A pool worker and a manager's server are roles; running a target is the default one.
 */
export interface Role {
  /** Gets ready; resolves to the body, whose result is the exit code. Throws if it cannot start. */
  prepare(init: InitMessage): Promise<() => Promise<number>>;
}
