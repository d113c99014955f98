/**
 * The `forkserver` start method, Python 3.14's default: a spare Worker with the
 * package's bootstrap already loaded (and nothing of the user's) waits for the next
 * `start()`, which then only imports the target's module and runs; the next spare is
 * prepared in the background. Module state is still fresh per child, as with spawn:
 * a spare serves one process only. A spare never keeps the program alive. Internal
 * to this package.
 *
 * @module
 */
import {
  spawnWorker,
  unrefTimer,
  workerCreationBlocks,
  type WorkerEvents,
  type WorkerHandle,
} from "../internal/runtime.ts";

interface Spare {
  handle: WorkerHandle;
  /** The spare's callbacks, replaced by its process's when it is taken. */
  on: WorkerEvents;
}

let spare: Spare | null = null;
let preparing = false;
/** How many processes were started on this method (a spare's or a fresh Worker). */
let starts = 0;
/**
 * Where creating a Worker holds the parent thread (Deno), how long the program must go
 * on after a child ended before a spare is made: a program about to end takes a few ms
 * to tear the child down, and a spare made then would hold its exit for ~60 ms.
 */
const SETTLE_MS = 10;

/**
 * Starts a spare on `bootstrap` in the background (once at a time), at the next turn
 * of the event loop (on Deno, `SETTLE_MS` later), unless the program has ended by then
 * (the timer is unref'd); not if another process was started meanwhile where creating a
 * Worker holds the parent thread (Deno), for starts come back to back then, and a
 * spare made between them would hold the parent longer than the fresh Web Worker the
 * next start makes without one (a spare is a `node:worker_threads` Worker there, the
 * only kind that does not keep the program alive, and it takes about twice as long to
 * create).
 */
function prepare(bootstrap: URL): void {
  if (spare !== null || preparing) return;
  preparing = true;
  const seen = starts;
  // Unref'd: a program with nothing else to do ends without making a spare it would not use.
  const timer = setTimeout(() => {
    preparing = false;
    if (spare !== null || (workerCreationBlocks && starts !== seen)) return;
    const on: WorkerEvents = {
      message: () => {},
      // A spare that fails or ends before it is taken is dropped; the next start spawns.
      error: () => drop(s),
      exit: () => drop(s),
    };
    let s: Spare;
    try {
      s = { handle: spawnWorker(bootstrap, "forkserver-spare", true, on), on };
    } catch {
      return; // the next start() spawns, and reports why it cannot
    }
    spare = s;
  }, workerCreationBlocks ? SETTLE_MS : 0);
  unrefTimer(timer);
}

function drop(s: Spare): void {
  if (spare === s) spare = null;
  s.handle.terminate();
}

/**
 * A Worker for a new process: the spare if one is ready, else a fresh one. The next
 * spare is prepared once this child has reported back (started, failed or ended), or,
 * where creating a Worker holds the parent thread for a while (Deno: 10–50 ms), once
 * this child has ended and the program has nothing else to do at once: made earlier,
 * it would delay the very child it makes room for (its messages wait for the parent
 * thread). Same contract as `spawnWorker`.
 */
export function takeWorker(bootstrap: URL, name: string, unref: boolean, on: WorkerEvents): WorkerHandle {
  let first = true;
  const next = () => {
    if (first) prepare(bootstrap);
    first = false;
  };
  const early = workerCreationBlocks ? () => {} : next;
  const events: WorkerEvents = {
    message: (m) => (early(), on.message(m)),
    error: (e) => (early(), on.error(e)),
    exit: (code) => (early(), on.exit(code)),
  };
  starts++;
  const s = spare;
  spare = null;
  let handle: WorkerHandle;
  if (s === null) handle = spawnWorker(bootstrap, name, unref, events);
  else {
    Object.assign(s.on, events);
    if (!unref) s.handle.ref(true);
    handle = s.handle;
  }
  // The parent terminates a child's Worker once its process has ended, however it ended.
  return { ...handle, terminate: () => (handle.terminate(), next()) };
}
