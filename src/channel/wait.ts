/**
 * `wait()`: which of several connections and queues have something to receive, like
 * Python's `multiprocessing.connection.wait()`.
 *
 * @module
 */
import { LIVENESS_POLL_MS, remaining } from "../internal/_atomics.ts";
import { deadline } from "./_items.ts";
import { type Readable, readableOf } from "../internal/_readable.ts";

/**
 * Waits until at least one of `objects` (readable {@linkcode Connection}s, network
 * connections of `mp.connection`, queues) has
 * something to receive, or at most `timeout` ms (`undefined`: as long as it takes),
 * and returns those that are ready (an empty array on timeout). A connection whose
 * other end is closed counts as ready: its `recv` ends at once with `EOFError`.
 *
 * @example Serve whichever pipe has a message
 * ```ts
 * import { Pipe, wait } from "@mp/multiprocessing";
 * const [a, aOther] = Pipe<string>();
 * const [b, bOther] = Pipe<string>();
 * await bOther.send("from b");
 * const ready = await wait([a, b], 1000);
 * console.log(ready.length, ready[0] === b); // 1 true
 * console.log(await b.recv()); // "from b"
 * for (const c of [a, aOther, b, bOther]) c.close();
 * ```
 *
 * @param objects The objects to watch: readable Connections, network connections,
 *   queues, Process sentinels.
 * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it
 *   takes, `0` or less does not wait.
 * @returns A promise that resolves to the objects that are ready, in their order in
 *   `objects` (empty on timeout).
 * @throws {TypeError} If an object cannot be waited on, or `timeout` is neither
 *   `undefined` nor a number.
 * @throws {ProcessError} If an object was closed (or a Connection cannot receive).
 */
export async function wait<T extends object>(objects: Iterable<T>, timeout?: number): Promise<T[]> {
  const list = [...objects];
  const watched = list.map((o, i) => {
    const r = readableOf(o);
    if (r === undefined) {
      throw new TypeError(
        `wait(): item ${i} (${
          describe(o)
        }) cannot be waited on: pass readable Connections, queues and Process sentinels`,
      );
    }
    r.check();
    return r;
  });
  const { deadline: end } = deadline(timeout, "wait()");
  for (;;) {
    const tails = watched.map((r) => r.channel?.tail() ?? 0);
    const ready = list.filter((_, i) => isReady(watched[i]));
    const left = remaining(end);
    if (ready.length > 0 || left <= 0) return ready;
    const slice = Math.min(left, LIVENESS_POLL_MS);
    await Promise.race(watched.map((r, i) => r.watch?.(slice) ?? r.channel!.watchTail(tails[i], slice)));
  }
}

function isReady(r: Readable): boolean {
  if (r.ready) return r.ready();
  return r.channel!.size() > 0 || (r.peerGone?.() ?? false);
}

function describe(o: unknown): string {
  return typeof o === "object" && o !== null ? o.constructor?.name ?? "object" : typeof o;
}
