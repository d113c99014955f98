/**
 * Whether a process of the tree still lives, as the robust locks (`mutex.ts`) and
 * every wait check it: a holder that ended is taken over, and a process that was
 * terminated but still runs unwinds at its next wait.
 *
 * @module
 */
import { thisProcess, tree } from "./_state.ts";
import { isPidAlive } from "./_tree.ts";
import { ExitSignal } from "../internal/_error_wire.ts";

/** The pid that identifies this process as the holder of a lock. */
export function ownPid(): number {
  return thisProcess.pid;
}

/** True while the process `pid` of this tree runs. */
export function pidAlive(pid: number): boolean {
  return isPidAlive(tree(), pid);
}

/**
 * Stops a process that was terminated but still runs. Deno stops a terminated Worker
 * only when it returns to its event loop (or 2 s later): one woken from
 * `Atomics.wait` would otherwise go on, e.g. into a critical section whose lock was
 * already taken over. Its pid is marked dead at once, which this checks after every
 * wait; it then unwinds like `exit()`, touching nothing more.
 */
export function checkNotTerminated(): void {
  const signal = terminatedSignal();
  if (signal) throw signal;
}

/** The ExitSignal that unwinds this process if it was terminated, else `null`. */
export function terminatedSignal(): ExitSignal | null {
  return pidAlive(ownPid()) ? null : new ExitSignal(-15); // unwinds quietly, as terminate() meant
}
