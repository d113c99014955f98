/**
 * How an error that ends a child becomes its exit code, as Python's bootstrap does it:
 * `exit(n)` gives `n`, anything else is written to stderr as `Process <name>:` and its
 * stack, and gives 1. Shared by the bootstrap and its roles (pool worker, manager
 * server), which import it rather than the bootstrap. Internal to this package.
 *
 * @module
 */
import { ExitSignal } from "../internal/_error_wire.ts";
import { explainForkError } from "./_load.ts";
import { writeStderr } from "../internal/runtime.ts";
import { thisProcess } from "./_state.ts";

let forkedName: string | null = null;

/** Marks this child's target as a forked function named `name` (its errors are explained). */
export function setForkedName(name: string): void {
  forkedName = name;
}

/** Writes `Process <name>:` and the error's stack to stderr, like Python. */
export function reportError(error: unknown): void {
  if (forkedName !== null) error = explainForkError(error, forkedName);
  const stack = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  const withCause = error instanceof Error && error.cause instanceof Error && !stack.includes("Caused by")
    ? `${stack}\nCaused by: ${error.cause.stack ?? error.cause}`
    : stack;
  writeStderr(`Process ${thisProcess.name}:\n${withCause}\n`);
}

/** The exit code for an error that ended the target (printing it unless it is exit()). */
export function exitCodeFor(error: unknown): number {
  if (error instanceof ExitSignal) return error.code;
  reportError(error);
  return 1;
}
