/**
 * `mp.dummy`: Python's `multiprocessing.dummy`, the API of this package running on the
 * calling thread with async concurrency, for I/O-bound work and for tests. A program
 * switches between processes and async tasks by changing one import:
 *
 * ```ts ignore
 * import * as mp from "@mp/multiprocessing"; // processes (Workers)
 * import { dummy as mp } from "@mp/multiprocessing"; // async tasks on this thread
 * ```
 *
 * Nothing crosses a thread, so task functions need not be exported (lambdas and
 * closures work) and values are passed as they are, not copied. `*Sync` methods answer
 * at once where they can be honest (a free lock, an item already there, a set event)
 * and otherwise throw a `ProcessError` saying to use the async method: on one thread,
 * a blocking wait for another task could never end.
 *
 * @example Fetch pages concurrently, two at a time
 * ```ts
 * import { dummy as mp } from "@mp/multiprocessing";
 *
 * async function fetchPage(url: string): Promise<string> {
 *   await new Promise((r) => setTimeout(r, 20)); // stands for the network
 *   return `${url} ok`;
 * }
 *
 * await using pool = new mp.Pool(2);
 * console.log(await pool.map(fetchPage, ["/a", "/b", "/c"])); // ["/a ok", "/b ok", "/c ok"]
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
} from "../internal/errors.ts";
export { AsyncResult, type ResultCallbacks } from "../pool/async_result.ts";
export {
  activeChildren,
  currentProcess,
  DummyProcess,
  DummyProcess as Process,
  type DummyProcessOptions,
  freezeSupport,
} from "./process.ts";
export { DummyMapIterator, type DummyPoolOptions, Pool, Pool as ThreadPool } from "./pool.ts";
export {
  Barrier,
  type BarrierOptions,
  BoundedSemaphore,
  Condition,
  Event,
  Lock,
  RLock,
  Semaphore,
} from "./sync.ts";
// The manager's proxy classes are the plain dummy classes here (same methods).
export { JoinableQueue, JoinableQueue as JoinableQueueProxy, Queue, Queue as QueueProxy } from "./queue.ts";
export { type BytesLike, Connection, Pipe } from "./pipe.ts";
export {
  DummyArray,
  DummyArray as Array,
  DummyArray as SharedArray,
  type DummyRawValue,
  type DummySharedOptions,
  type DummySizeOrInit,
  DummySynchronized,
  Value,
} from "./shared.ts";
export {
  DummyDict,
  DummyDict as DictProxy,
  type DummyDictKey,
  type DummyDictKey as DictKey,
  type DummyDictSource,
  type DummyDictSource as DictSource,
  DummyList,
  DummyList as ListProxy,
  DummyManager,
  DummyManager as SyncManager,
  type DummySortOptions,
  Manager,
  Namespace,
  type NamespaceProxy,
} from "./manager.ts";
export type { InitOf, Typecode, TypedArrayOf, ValueOf } from "../shared/typecodes.ts";
