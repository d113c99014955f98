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
} from "./src/internal/errors.ts";
export {
  activeChildren,
  cpuCount,
  currentProcess,
  exit,
  parentProcess,
  Process,
  type ProcessOptions,
} from "./src/process/process.ts";
export { AsyncResult, type GetOptions, type ResultCallbacks } from "./src/pool/async_result.ts";
export type { IMapIterator } from "./src/pool/map_iterator.ts";
export {
  type ApplyOptions,
  type CloseOptions,
  type MapOptions,
  Pool,
  type PoolOptions,
} from "./src/pool/pool.ts";
export type { PoolStats } from "./src/pool/_engine.ts";
export type { TaskOptions } from "./src/pool/task_options.ts";
export { type ExecutorOptions, ProcessPoolExecutor, type ShutdownOptions } from "./src/pool/executor.ts";
export { Barrier, type BarrierOptions } from "./src/sync/barrier.ts";
export { Condition } from "./src/sync/condition.ts";
export { Event } from "./src/sync/event.ts";
export { Lock } from "./src/sync/lock.ts";
export { RLock } from "./src/sync/rlock.ts";
export { BoundedSemaphore, Semaphore } from "./src/sync/semaphore.ts";
export { type ShareableItem, ShareableList, type ShareableListOptions } from "./src/shared/shareable_list.ts";
export { RawArray, SharedArray, SharedArray as Array, type SizeOrInit } from "./src/shared/array.ts";
export { SharedMemory, type SharedMemoryOptions } from "./src/shared/shared_memory.ts";
export { SharedMemoryManager } from "./src/shared/shared_memory_manager.ts";
export { Synchronized, type SynchronizedOptions } from "./src/shared/synchronized.ts";
export type { InitOf, Typecode, TypedArrayOf, ValueOf } from "./src/shared/typecodes.ts";
export { RawValue, Value } from "./src/shared/value.ts";
export { Queue, type QueueOptions } from "./src/channel/queue.ts";
export { JoinableQueue } from "./src/channel/joinable_queue.ts";
export { SimpleQueue } from "./src/channel/simple_queue.ts";
export { type BytesLike, Connection, Pipe } from "./src/channel/connection.ts";
export { wait } from "./src/channel/wait.ts";
/**
 * Python's `multiprocessing.connection` across machines: `Listener`, `Client`
 * (TCP `[host, port]` or a Unix socket path) and their connections, with Python's
 * framing and HMAC handshake, so that `sendBytes` / `recvBytes` interoperate with
 * Python's `send_bytes` / `recv_bytes`.
 *
 * @example An echo over loopback
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * await using listener = new mp.connection.Listener({ address: ["127.0.0.1", 0], authkey: "secret" });
 * const client = mp.connection.Client(await listener.ready, { authkey: "secret" });
 * using server = await listener.accept();
 * using conn = await client;
 * await conn.send({ hello: "world" });
 * await server.send(await server.recv());
 * console.log(await conn.recv()); // { hello: "world" }
 * ```
 */
export * as connection from "./src/net/mod.ts";
export {
  getLogger,
  type Level,
  Logger,
  type LogHandler,
  LogLevel,
  type LogRecord,
  logToStderr,
} from "./src/process/logger.ts";
/**
 * Python's `concurrent.futures` module functions: `asCompleted(futures, timeout?)`,
 * `wait(futures, { timeout, returnWhen })` and the `FIRST_COMPLETED`,
 * `FIRST_EXCEPTION`, `ALL_COMPLETED` constants.
 */
export * as futures from "./src/pool/futures.ts";
export {
  BaseManager,
  Manager,
  type ManagerCallable,
  type ManagerDebugInfo,
  type RegisterOptions,
  SyncManager,
} from "./src/manager/manager.ts";
export { type ManagerOptions, ManagerServer } from "./src/manager/manager.ts";
export { RemoteQueueProxy } from "./src/manager/proxy/remote_queue.ts";
export {
  RemoteAcquirerProxy,
  RemoteArrayProxy,
  RemoteBarrierProxy,
  RemoteConditionProxy,
  RemoteEventProxy,
  type RemoteLockGuard,
  RemoteSynchronizedProxy,
  RemoteValueProxy,
} from "./src/manager/proxy/remote_sync.ts";
/** A remote manager's address and key (also `mp.connection.Address` / `mp.connection.Authkey`). */
export type { Address } from "./src/net/address.ts";
export type { Authkey } from "./src/net/auth.ts";
export { BaseProxy, type ProxyDesc, releaseProxy } from "./src/manager/proxy/base.ts";
export { type DictKey, DictProxy, type DictSource } from "./src/manager/proxy/dict.ts";
export { ListProxy, type SortOptions } from "./src/manager/proxy/list.ts";
export type { NamespaceProxy } from "./src/manager/proxy/namespace.ts";
export { JoinableQueueProxy, QueueProxy } from "./src/manager/proxy/queue.ts";
export type { AutoProxy, Awaiting, Promised } from "./src/manager/proxy/auto.ts";
export { Context, getAllStartMethods, getContext, getStartMethod, setStartMethod } from "./src/context.ts";
export type { StartMethod } from "./src/process/_state.ts";
/**
 * Python's `multiprocessing.dummy`: the same API on the calling thread with async
 * concurrency, for I/O-bound work and tests. Switch with one import:
 * `import { dummy as mp } from "@mp/multiprocessing"`. Functions need not be exported.
 *
 * @example A pool of async tasks, with a lambda
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * await using pool = new mp.Pool(2);
 * console.log(await pool.map((x: number) => x * 2, [1, 2, 3])); // [2, 4, 6]
 * ```
 */
export * as dummy from "./src/dummy/mod.ts";
