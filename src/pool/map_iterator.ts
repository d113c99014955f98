/**
 * The lazy map behind `Pool.imap`, `Pool.imapUnordered` and
 * `ProcessPoolExecutor.map`: reads its input only as far as a bound on chunks not yet
 * handed to the consumer, so an endless input works.
 *
 * @module
 */
import { chunkValues, type PoolEngine, type PoolFunction, type Task, type TaskSink } from "./_engine.ts";
import { watchCancel } from "./task_options.ts";
import { TimeoutError } from "../internal/errors.ts";
import { checkTimeout } from "../internal/_timeouts.ts";

/** Items handed out or waiting, at most, per lazy map (in chunks of `chunksize`). */
const ITEMS_AHEAD = 4096;

interface Chunk {
  ok: boolean;
  value: unknown;
}

/** How a lazy map runs. */
export interface MapIteratorOptions {
  chunksize: number;
  /** Call `fn(...item)` instead of `fn(item)`. */
  star: boolean;
  /** Yield in input order (imap) or as results come (imapUnordered). */
  ordered: boolean;
  /** Aborting it cancels the chunks in flight; the iterator then throws its reason. */
  signal?: AbortSignal;
  /** Ms from the call after which the map is cancelled as by `signal` (`TimeoutError`). */
  timeout?: number;
  /** Names the map in a timeout's message. */
  what?: string;
}

/**
 * What `imap` and `imapUnordered` return: an async iterator whose `next()` takes
 * Python's `timeout` (ms), rejecting with `TimeoutError` and keeping the pending
 * result when it passes.
 *
 * `next(timeout?)` resolves to the next `IteratorResult` (`done` once the input is
 * exhausted and every result was yielded). It rejects with a task's error at its
 * place (iterating again goes on with the next results), with `BrokenProcessPool` if
 * the worker running it died, with `TimeoutError` when `timeout` ms pass first (the
 * result stays pending) or when the map's own `timeout` passes, with `signal.reason`
 * once the map's `signal` aborts, with the input's own error if reading it throws, and
 * with a `TypeError` if `timeout` is `NaN` or not a number.
 *
 * @example Give up waiting, then wait again
 * ```ts ignore
 * const it = pool.imap(slow, [1, 2]);
 * try {
 *   await it.next(10);
 * } catch (e) {
 *   if (e instanceof mp.TimeoutError) console.log(await it.next()); // the same first result
 * }
 * ```
 */
export interface IMapIterator<R> extends AsyncIterableIterator<R> {
  /**
   * The next result, waiting at most `timeout` ms when given.
   *
   * @param timeout How long to wait, in milliseconds (default: as long as it takes).
   * @returns A promise that resolves to the next `IteratorResult` (`done` once every
   * result was given).
   * @throws {TimeoutError} If no result came within `timeout` ms; the pending result is
   * kept for the next call (a rejection).
   * @throws {Error} The task's own error (its class, with a `RemoteError` cause), or the
   * cancellation reason, once that result is reached (a rejection).
   */
  next(timeout?: number): Promise<IteratorResult<R>>;
}

/**
 * An async iterator over the results of a function mapped over an input, computed by
 * a pool ahead of the consumer within a bound.
 */
export class MapIterator<R> implements IMapIterator<R>, TaskSink {
  readonly #engine: PoolEngine;
  readonly #f: PoolFunction;
  readonly #source: Iterator<unknown> | AsyncIterator<unknown>;
  readonly #opts: MapIteratorOptions;
  readonly #limit: number;
  /** Ordered: chunks by index. Unordered: chunks in completion order. */
  readonly #done = new Map<number, Chunk>();
  #arrivals: Chunk[] = [];
  #submitted = 0;
  #consumed = 0;
  #current: unknown[] | null = null;
  #pos = 0;
  #exhausted = false;
  #stopped = false;
  #inputError: { error: unknown } | null = null;
  #filling = false;
  #fillAgain = false;
  #wake: (() => void) | null = null;
  /** The timeout of the `next()` call being served, for its message. */
  #timeoutMs: number | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  /** Chunks sent and not settled, by index (to cancel them). */
  readonly #tasks = new Map<number, Task>();
  #aborted: { reason: unknown } | null = null;
  #unwatch: () => void = () => {};

  constructor(
    engine: PoolEngine,
    f: PoolFunction,
    iterable: Iterable<unknown> | AsyncIterable<unknown>,
    options: MapIteratorOptions,
  ) {
    this.#engine = engine;
    this.#f = f;
    const asyncIt = (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator];
    this.#source = typeof asyncIt === "function"
      ? asyncIt.call(iterable)
      : (iterable as Iterable<unknown>)[Symbol.iterator]();
    this.#opts = options;
    this.#limit = Math.max(4 * engine.processes, Math.ceil(ITEMS_AHEAD / options.chunksize));
    this.#unwatch = watchCancel(
      options,
      () => options.what ?? "the lazy map",
      (reason) => this.#abort(reason),
    );
    if (!this.#aborted) void this.#fill();
  }

  /** Cancels the chunks in flight and stops reading; the next `next()` throws `reason`. */
  #abort(reason: unknown): void {
    if (this.#stopped || this.#aborted) return;
    this.#aborted = { reason };
    this.#cancelAll(reason);
    try {
      void this.#source.return?.();
    } catch { /* nothing left to read anyway */ }
    this.#notify();
  }

  #cancelAll(reason: unknown): void {
    const tasks = [...this.#tasks.values()];
    this.#tasks.clear();
    for (const t of tasks) this.#engine.cancel(t, reason);
  }

  /** Receives a chunk's results from the pool (internal). */
  settle(index: number, ok: boolean, value: unknown): void {
    this.#tasks.delete(index);
    if (this.#stopped || this.#aborted) return;
    const chunk = { ok, value: ok ? chunkValues(value) : value };
    if (this.#opts.ordered) this.#done.set(index, chunk);
    else this.#arrivals.push(chunk);
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async #fill(): Promise<void> {
    if (this.#filling) {
      this.#fillAgain = true;
      return;
    }
    this.#filling = true;
    try {
      do {
        this.#fillAgain = false;
        while (
          !this.#exhausted && !this.#stopped && !this.#aborted &&
          this.#submitted - this.#consumed < this.#limit
        ) {
          const items: unknown[] = [];
          while (items.length < this.#opts.chunksize) {
            let r: IteratorResult<unknown>;
            try {
              const next = this.#source.next();
              r = next instanceof Promise ? await next : next as IteratorResult<unknown>;
            } catch (error) {
              this.#inputError = { error };
              this.#exhausted = true;
              break;
            }
            if (r.done) {
              this.#exhausted = true;
              break;
            }
            items.push(r.value);
          }
          if (items.length > 0 && !this.#stopped && !this.#aborted) {
            const index = this.#submitted++;
            this.#tasks.set(
              index,
              this.#engine.chunk(this.#f, items, 0, items.length, this.#opts.star, this, index),
            );
          }
        }
      } while (this.#fillAgain);
    } finally {
      this.#filling = false;
      this.#notify();
    }
  }

  #take(): Chunk | undefined {
    if (!this.#opts.ordered) return this.#arrivals.shift();
    const c = this.#done.get(this.#consumed);
    if (c) this.#done.delete(this.#consumed);
    return c;
  }

  async #next(deadline: number): Promise<IteratorResult<R>> {
    for (;;) {
      if (this.#current !== null && this.#pos < this.#current.length) {
        return { value: this.#current[this.#pos++] as R, done: false };
      }
      this.#current = null;
      if (this.#stopped) return { value: undefined, done: true };
      if (this.#aborted) {
        this.#stop();
        throw this.#aborted.reason;
      }
      const chunk = this.#take();
      if (chunk) {
        this.#consumed++;
        void this.#fill();
        if (!chunk.ok) throw chunk.value;
        this.#current = chunk.value as unknown[];
        this.#pos = 0;
        continue;
      }
      if (this.#exhausted && !this.#filling && this.#consumed === this.#submitted) {
        this.#stopped = true;
        this.#unwatch();
        if (this.#inputError) throw this.#inputError.error;
        return { value: undefined, done: true };
      }
      if (deadline === Infinity) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        continue;
      }
      const left = deadline - performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const woke = await new Promise<boolean>((resolve) => {
        this.#wake = () => resolve(true);
        timer = setTimeout(() => resolve(false), Math.max(0, left));
      });
      clearTimeout(timer);
      if (!woke) {
        this.#wake = null;
        throw new TimeoutError(
          `IMapIterator.next(): the next result did not come within ${this.#timeoutMs} ms (it is still pending: ` +
            "call next() again to keep waiting)",
        );
      }
    }
  }

  /**
   * The next result. A task's error is thrown at its place; iterating again goes on
   * with the next results. With `timeout` (ms), rejects with {@linkcode TimeoutError}
   * when the next result has not come in time, like Python's `next(timeout)`; the
   * result stays pending for the next call.
   *
   * @param timeout How long to wait, in milliseconds; `undefined`, `null` or `Infinity`
   * waits as long as it takes, `0` or less does not wait.
   * @returns A promise that resolves to the next result (`done` at the end).
   * @throws {TimeoutError} If the next result has not come within `timeout` ms, or the
   * map's `timeout` passed (a rejection).
   * @throws {BrokenProcessPool} If the worker running the next chunk died (a rejection).
   * @throws {TypeError} If `timeout` is `NaN` or not a number (a rejection).
   */
  next(timeout?: number): Promise<IteratorResult<R>> {
    let ms: number | undefined;
    try {
      ms = checkTimeout(timeout, "imap next()");
    } catch (e) {
      return Promise.reject(e);
    }
    const deadline = ms === undefined ? Infinity : performance.now() + ms;
    const p = this.#chain.then(() => {
      this.#timeoutMs = ms;
      return this.#next(deadline);
    });
    this.#chain = p.catch(() => {});
    return p;
  }

  #stop(): void {
    this.#stopped = true;
    this.#unwatch();
    this.#tasks.clear();
    this.#done.clear();
    this.#arrivals = [];
    this.#current = null;
  }

  /** Stops reading the input (the tasks already sent finish and are dropped). */
  return(): Promise<IteratorResult<R>> {
    if (!this.#stopped) {
      this.#stop();
      if (!this.#aborted) {
        try {
          void this.#source.return?.();
        } catch { /* the input's own cleanup failed: nothing left to read anyway */ }
      }
      this.#notify();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  /** The iterator itself, for `for await`. */
  [Symbol.asyncIterator](): AsyncIterableIterator<R> {
    return this;
  }
}
