/**
 * Blocking algorithms written once, as generators that yield the waits they need;
 * `runSync` performs each wait with `Atomics.wait` (the `*Sync` methods), `runAsync`
 * with `Atomics.waitAsync` (the async ones). So a sync and an async waiter follow the
 * very same steps and can be mixed freely across processes.
 *
 * @module
 */
import { type SharedInt32, waitAsync, type WaitResult } from "../internal/_atomics.ts";
import { terminatedSignal } from "../process/_liveness.ts";

/** One wait: sleep while `a[i] === value`, at most `timeout` ms. */
export interface Wait {
  a: SharedInt32;
  i: number;
  value: number;
  timeout: number;
}

/** An algorithm that waits: yields {@linkcode Wait}s, gets their results, returns `T`. */
export type Steps<T> = Generator<Wait, T, WaitResult>;

/**
 * Runs `steps`, blocking the thread at each wait. After every wait a process that
 * was terminated meanwhile stops (see `checkNotTerminated`).
 */
export function runSync<T>(steps: Steps<T>): T {
  let r = steps.next();
  while (!r.done) {
    const w = r.value;
    const result = Atomics.wait(w.a, w.i, w.value, w.timeout);
    r = resume(steps, result);
  }
  return r.value;
}

/** Runs `steps`, awaiting each wait without blocking the event loop. */
export async function runAsync<T>(steps: Steps<T>): Promise<T> {
  let r = steps.next();
  while (!r.done) {
    const w = r.value;
    const result = await waitAsync(w.a, w.i, w.value, w.timeout);
    r = resume(steps, result);
  }
  return r.value;
}

/**
 * Hands a wait's result back to the algorithm, or, if this process was terminated
 * meanwhile, throws the ExitSignal into it: its `finally` blocks (waiter counts)
 * still run, and it stops there.
 */
function resume<T>(steps: Steps<T>, result: WaitResult): IteratorResult<Wait, T> {
  const signal = terminatedSignal();
  return signal ? steps.throw(signal) : steps.next(result);
}

/** A wait to yield. */
export function wait(a: SharedInt32, i: number, value: number, timeout: number): Wait {
  return { a, i, value, timeout };
}
