/**
 * The lazy map behind `Pool.imap`, `Pool.imapUnordered` and
 * `ProcessPoolExecutor.map`: reads its input only as far as a bound on chunks not yet
 * handed to the consumer, so an endless input works.
 *
 * @module
 */
import type { PoolEngine, PoolFunction, TaskSink } from "./pool_engine.ts";

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
}

/**
 * An async iterator over the results of a function mapped over an input, computed by
 * a pool ahead of the consumer within a bound.
 */
export class MapIterator<R> implements AsyncIterableIterator<R>, TaskSink {
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
  #chain: Promise<unknown> = Promise.resolve();

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
    void this.#fill();
  }

  /** Receives a chunk's results from the pool (internal). */
  settle(index: number, ok: boolean, value: unknown): void {
    if (this.#stopped) return;
    const chunk = { ok, value };
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
        while (!this.#exhausted && !this.#stopped && this.#submitted - this.#consumed < this.#limit) {
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
          if (items.length > 0 && !this.#stopped) {
            this.#engine.chunk(this.#f, items, this.#opts.star, this, this.#submitted++);
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

  async #next(): Promise<IteratorResult<R>> {
    for (;;) {
      if (this.#current !== null && this.#pos < this.#current.length) {
        return { value: this.#current[this.#pos++] as R, done: false };
      }
      this.#current = null;
      if (this.#stopped) return { value: undefined, done: true };
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
        if (this.#inputError) throw this.#inputError.error;
        return { value: undefined, done: true };
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /**
   * The next result. A task's error is thrown at its place; iterating again goes on
   * with the next results.
   */
  next(): Promise<IteratorResult<R>> {
    const p = this.#chain.then(() => this.#next());
    this.#chain = p.catch(() => {});
    return p;
  }

  /** Stops reading the input (the tasks already sent finish and are dropped). */
  return(): Promise<IteratorResult<R>> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#done.clear();
      this.#arrivals = [];
      this.#current = null;
      try {
        void this.#source.return?.();
      } catch { /* the input's own cleanup failed: nothing left to read anyway */ }
      this.#notify();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  /** The iterator itself, for `for await`. */
  [Symbol.asyncIterator](): AsyncIterableIterator<R> {
    return this;
  }
}
