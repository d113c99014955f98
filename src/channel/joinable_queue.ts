/**
 * `JoinableQueue`: a {@linkcode Queue} that counts unfinished tasks, like Python's
 * `multiprocessing.JoinableQueue`.
 *
 * @module
 */
import { runAsync, runSync } from "../sync/_steps.ts";
import { deadline } from "./_items.ts";
import { registerShared, SHARE, type SharedHandle } from "../internal/_codec.ts";
import { ProcessError } from "../internal/errors.ts";
import { adoptQueue, JOINABLE, Queue, queueChannel, type QueueOptions } from "./queue.ts";

/**
 * A {@linkcode Queue} whose items count as tasks: each `put` adds one, each
 * {@linkcode JoinableQueue.taskDone} marks one done, and {@linkcode JoinableQueue.join}
 * waits until all are done.
 *
 * @example Wait until every task is processed
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export async function worker(q: mp.JoinableQueue<number>) {
 *   for (;;) {
 *     const n = await q.get();
 *     console.log("processed", n);
 *     q.taskDone();
 *   }
 * }
 *
 * if (import.meta.main) {
 *   const q = new mp.JoinableQueue<number>();
 *   const p = new mp.Process({ target: worker, args: [q], daemon: true });
 *   await p.start();
 *   for (let i = 0; i < 3; i++) await q.put(i);
 *   await q.join(); // every item taken and marked done
 *   p.terminate();
 * }
 * ```
 */
export class JoinableQueue<T = unknown> extends Queue<T> {
  /**
   * Creates the queue (see {@linkcode Queue}).
   *
   * @param maxsize The most items the queue holds, an integer; 0 or less for no limit.
   * @param options `capacity`: bytes of the shared ring (default 1 MiB).
   * @throws {TypeError} If `maxsize` is not an integer.
   */
  constructor(maxsize: number = 0, options: QueueOptions = {}) {
    super(maxsize, { ...options, [JOINABLE]: true } as QueueOptions);
  }

  /**
   * Marks one task taken with `get` as done. Throws a `ProcessError` if called more
   * times than items were put.
   *
   * @throws {ProcessError} If no task is unfinished.
   */
  taskDone(): void {
    if (!queueChannel(this).taskDone()) {
      throw new ProcessError(
        "JoinableQueue.taskDone(): called too many times: every call must match one item taken from the queue",
      );
    }
  }

  /**
   * Waits until every item put has been marked done, at most `timeout` ms; true if so.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes,
   *   `0` or less does not wait.
   * @returns A promise that resolves to `true` once every task is done, `false` on timeout.
   * @throws {TypeError} If `timeout` is neither `undefined` nor a number.
   */
  join(timeout?: number): Promise<boolean> {
    try {
      return runAsync(queueChannel(this).allDone(deadline(timeout, "JoinableQueue.join()").deadline));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Blocking {@linkcode JoinableQueue.join}.
   *
   * @param timeout How long to wait, in milliseconds; `undefined` waits as long as it takes,
   *   `0` or less does not wait.
   * @returns `true` once every task is done, `false` on timeout.
   * @throws {TypeError} If `timeout` is neither `undefined` nor a number.
   */
  joinSync(timeout?: number): boolean {
    return runSync(queueChannel(this).allDone(deadline(timeout, "JoinableQueue.joinSync()").deadline));
  }

  /**
   * The handle this queue travels as (codec).
   * @ignore
   */
  override [SHARE](): SharedHandle {
    return { ...super[SHARE](), type: "JoinableQueue", module: import.meta.url };
  }
}

registerShared(
  "JoinableQueue",
  (buffer) => adoptQueue(JoinableQueue, () => new JoinableQueue(), buffer as SharedArrayBuffer),
);
