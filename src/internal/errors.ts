/**
 * The error classes of this package, and how errors cross between processes.
 *
 * @module
 */

/**
 * Base class of this package's errors (Python's `multiprocessing.ProcessError`).
 *
 * @example Catching a misuse
 * ```ts
 * import { Process, ProcessError } from "@mp/multiprocessing";
 * const p = new Process();
 * try {
 *   await p.join();
 * } catch (e) {
 *   console.log(e instanceof ProcessError); // true: p was never started
 * }
 * ```
 */
export class ProcessError extends Error {
  /**
   * Creates the error with `message` (and an optional `cause`).
   *
   * @param message What went wrong, and how to fix it.
   * @param options `cause`: the error that led to this one.
   */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A wait ran out of time (`AsyncResult.get`, `join` of a manager, ...).
 *
 * @example Waiting at most 10 ms
 * ```ts
 * import { TimeoutError } from "@mp/multiprocessing";
 * const err = new TimeoutError("result not ready after 10 ms");
 * console.log(err.name); // "TimeoutError"
 * ```
 */
export class TimeoutError extends ProcessError {}

/**
 * A buffer given to `recvBytesInto` is too short; `received` holds the whole message.
 *
 * @example Reading the message anyway
 * ```ts
 * import { BufferTooShort } from "@mp/multiprocessing";
 * const err = new BufferTooShort(new Uint8Array([1, 2, 3]));
 * console.log(err.received.length); // 3
 * ```
 */
export class BufferTooShort extends ProcessError {
  /** The complete message that did not fit. */
  readonly received: Uint8Array;
  /**
   * Creates the error carrying the message that did not fit.
   *
   * @param received The whole message that did not fit.
   * @param message The message (default: one that gives the message's length).
   */
  constructor(received: Uint8Array, message?: string) {
    super(
      message ??
        `The buffer is too short for a message of ${received.length} bytes: the whole message is in error.received`,
    );
    this.received = received;
  }
}

/**
 * Authentication between processes failed.
 *
 * @example
 * ```ts
 * import { AuthenticationError } from "@mp/multiprocessing";
 * console.log(new AuthenticationError("digest mismatch").name); // "AuthenticationError"
 * ```
 */
export class AuthenticationError extends ProcessError {}

/**
 * A queue had no item in time (`get` with a timeout, `getNowait`).
 *
 * @example
 * ```ts
 * import { Empty } from "@mp/multiprocessing";
 * console.log(new Empty("queue is empty") instanceof Error); // true
 * ```
 */
export class Empty extends ProcessError {}

/**
 * A bounded queue had no room in time (`put` with a timeout, `putNowait`).
 *
 * @example
 * ```ts
 * import { Full } from "@mp/multiprocessing";
 * console.log(new Full("queue is full").name); // "Full"
 * ```
 */
export class Full extends ProcessError {}

/**
 * The other end of a connection was closed and nothing is left to read.
 *
 * @example
 * ```ts
 * import { EOFError } from "@mp/multiprocessing";
 * console.log(new EOFError("peer closed").name); // "EOFError"
 * ```
 */
export class EOFError extends ProcessError {}

/**
 * A Barrier was aborted, reset or timed out while a party waited.
 *
 * @example
 * ```ts
 * import { BrokenBarrierError } from "@mp/multiprocessing";
 * console.log(new BrokenBarrierError("barrier aborted").name); // "BrokenBarrierError"
 * ```
 */
export class BrokenBarrierError extends ProcessError {}

/**
 * A pool worker died while it ran a task; the pool replaced it.
 *
 * @example
 * ```ts
 * import { BrokenProcessPool } from "@mp/multiprocessing";
 * console.log(new BrokenProcessPool("worker died").name); // "BrokenProcessPool"
 * ```
 */
export class BrokenProcessPool extends ProcessError {}

/**
 * An error raised in another process: `remoteStack` is that process's stack.
 *
 * @example
 * ```ts
 * import { RemoteError } from "@mp/multiprocessing";
 * const err = new RemoteError("TypeError: bad", "TypeError: bad\n    at task (file:///tasks.ts:3:9)");
 * console.log(err.remoteStack.includes("tasks.ts")); // true
 * ```
 */
export class RemoteError extends ProcessError {
  /** The stack of the error, as the remote process printed it. */
  readonly remoteStack: string;
  /**
   * Creates the error with the remote stack.
   *
   * @param message The remote error's name and message.
   * @param remoteStack The remote error's stack, as the remote process printed it.
   */
  constructor(message: string, remoteStack: string) {
    super(message);
    this.remoteStack = remoteStack;
  }
}
