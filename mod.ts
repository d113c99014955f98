/**
 * Python's `multiprocessing`, for Deno and Bun: processes, pools, queues, pipes,
 * shared memory and locks on Web Workers, SharedArrayBuffer and Atomics.
 *
 * Functions run in a child are found by reference (export them from a module), and
 * the program's entry point is guarded with `import.meta.main`, as Python guards it
 * with `if __name__ == "__main__":`.
 *
 * @example Start a process and wait for it
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export function work(seconds: number) {
 *   console.log("doing stuff...");
 *   return new Promise((r) => setTimeout(r, seconds * 1000));
 * }
 *
 * if (import.meta.main) {
 *   const p = new mp.Process({ target: work, args: [0.1] });
 *   await p.start();
 *   await p.join();
 *   console.log("exit code", p.exitCode);
 * }
 * ```
 *
 * @module
 */
export {
  AuthenticationError,
  BrokenBarrierError,
  BrokenProcessPool,
  BufferTooShort,
  Empty,
  EOFError,
  Full,
  ProcessError,
  RemoteError,
  TimeoutError,
} from "./src/errors.ts";
export {
  activeChildren,
  cpuCount,
  currentProcess,
  exit,
  parentProcess,
  Process,
  type ProcessOptions,
} from "./src/process.ts";
export { AsyncResult, type ResultCallbacks } from "./src/async_result.ts";
export { Pool, type PoolOptions } from "./src/pool.ts";
export { type ExecutorOptions, ProcessPoolExecutor, type ShutdownOptions } from "./src/executor.ts";
export { Barrier, type BarrierOptions } from "./src/barrier.ts";
export { Condition } from "./src/condition.ts";
export { Event } from "./src/event.ts";
export { Lock } from "./src/lock.ts";
export { RLock } from "./src/rlock.ts";
export { BoundedSemaphore, Semaphore } from "./src/semaphore.ts";
export { type ShareableItem, ShareableList, type ShareableListOptions } from "./src/shareable_list.ts";
export { RawArray, SharedArray, SharedArray as Array, type SizeOrInit } from "./src/shared_array.ts";
export { SharedMemory, type SharedMemoryOptions } from "./src/shared_memory.ts";
export { Synchronized, type SynchronizedOptions } from "./src/synchronized.ts";
export type { InitOf, Typecode, TypedArrayOf, ValueOf } from "./src/typecodes.ts";
export { RawValue, Value } from "./src/value.ts";
export { Queue, type QueueOptions } from "./src/queue.ts";
export { JoinableQueue } from "./src/joinable_queue.ts";
export { SimpleQueue } from "./src/simple_queue.ts";
export { type BytesLike, Connection, Pipe } from "./src/connection.ts";
export { wait } from "./src/ready.ts";
export {
  BaseManager,
  Manager,
  type ManagerCallable,
  type ManagerDebugInfo,
  type RegisterOptions,
  SyncManager,
} from "./src/manager.ts";
export { BaseProxy, type ProxyDesc, releaseProxy } from "./src/proxy.ts";
export { type DictKey, DictProxy, type DictSource } from "./src/proxy_dict.ts";
export { ListProxy, type SortOptions } from "./src/proxy_list.ts";
export type { NamespaceProxy } from "./src/proxy_namespace.ts";
export { JoinableQueueProxy, QueueProxy } from "./src/proxy_queue.ts";
export type { AutoProxy, Awaiting, Promised } from "./src/proxy_auto.ts";
export { Context, getAllStartMethods, getContext, getStartMethod, setStartMethod } from "./src/context.ts";
export type { StartMethod } from "./src/state.ts";
