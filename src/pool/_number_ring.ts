/**
 * `NumberRing`: numbers handed from one thread to another through shared memory, a
 * record (a map chunk's results) at a time, instead of in a fresh `ArrayBuffer` that a
 * structured clone copies into another fresh one. The ring's memory is touched once
 * and then reused: on a machine where each page touched for the first time costs
 * microseconds, a chunk's trip used to cost more in new memory (the packed buffer, the
 * clone's copy, the receiver's buffer) than in everything else.
 *
 * One thread writes, one reads, and the reader releases the records in the order they
 * were written (a worker's results are settled in the order it sent them). The writer
 * never waits: a record that does not fit travels as before. Neutral: the pool and its
 * workers both import it.
 *
 * Layout of the `SharedArrayBuffer`: an `Int32` count of the records released by the
 * reader, padding to 8 bytes, then `capacity` `Float64` slots.
 *
 * @module
 */

/**
 * Numbers in a ring (2 MiB, made at the first chunk of numbers that goes through it): a
 * record of up to half of it goes through it, so that one side can read a chunk while
 * the other writes the next (a map of a million numbers on two workers has chunks of
 * 125 000).
 */
export const RING_NUMBERS = 1 << 18;
/** Fewer numbers than this are cloned (cheap) rather than put in a ring. */
export const MIN_RING = 256;

/** Bytes before the numbers: the released-records count, padded to 8. */
const HEADER = 8;

/** A ring of numbers in shared memory, written by one thread and read in order by another. */
export class NumberRing {
  /** The shared memory, sent once to the reader. */
  readonly buffer: SharedArrayBuffer;
  /** The numbers. */
  readonly data: Float64Array<SharedArrayBuffer>;
  readonly #released: Int32Array<SharedArrayBuffer>;
  /** Writer: the absolute position after the last record written. */
  #tail = 0;
  /** Writer: the absolute position after the last record released. */
  #head = 0;
  /** Writer: the end of each record written and not known to be released yet, oldest first. */
  #ends: number[] = [];
  /** Writer: how many released records it has taken into `#head`. */
  #seen = 0;

  /** A new ring of `capacity` numbers (writer side), or the reader's side of `buffer`. */
  constructor(capacityOrBuffer: number | SharedArrayBuffer = RING_NUMBERS) {
    this.buffer = typeof capacityOrBuffer === "number"
      ? new SharedArrayBuffer(HEADER + capacityOrBuffer * 8)
      : capacityOrBuffer;
    this.#released = new Int32Array(this.buffer, 0, 1);
    this.data = new Float64Array(this.buffer, HEADER);
  }

  /**
   * Writer: room for a record of `n` numbers, contiguous. Returns its offset in `data`,
   * or -1 when there are fewer than `MIN_RING` or more than half the ring, or the ring
   * has no such room now (the reader has not released enough).
   */
  reserve(n: number): number {
    const capacity = this.data.length;
    if (n < MIN_RING || n > capacity / 2) return -1;
    const released = Atomics.load(this.#released, 0);
    while (((released - this.#seen) | 0) > 0) {
      this.#head = this.#ends.shift()!;
      this.#seen = (this.#seen + 1) | 0;
    }
    let start = this.#tail;
    const at = start % capacity;
    if (at + n > capacity) start += capacity - at; // the end of the ring is too short: skip it
    if (start + n - this.#head > capacity) return -1;
    this.#tail = start + n;
    this.#ends.push(this.#tail);
    return start % capacity;
  }

  /**
   * Writer: takes back the last `count` records reserved, which the reader will never
   * see (the message that named them could not be sent).
   */
  undo(count: number): void {
    for (let i = 0; i < count; i++) this.#ends.pop();
    this.#tail = this.#ends.length > 0 ? this.#ends[this.#ends.length - 1] : this.#head;
  }

  /**
   * Writer: `numbers` in a new record, at the offset returned, or -1 when there are too
   * few or too many of them for the ring, or it has no room now.
   */
  write(numbers: ArrayLike<number>): number {
    const at = this.reserve(numbers.length);
    if (at >= 0) this.data.set(numbers, at);
    return at;
  }

  /** Reader: the record of `n` numbers at `offset`, as a view valid until it is released. */
  view(offset: number, n: number): Float64Array<SharedArrayBuffer> {
    return this.data.subarray(offset, offset + n);
  }

  /** Reader: done with the oldest record not released yet; the writer may reuse its room. */
  release(): void {
    Atomics.add(this.#released, 0, 1);
  }
}

/**
 * `Float64Array`s kept for reuse by length, up to `MAX_SPARE_BYTES` in all: the pool
 * packs a map chunk of numbers into one (the task's own copy of its items, kept in case
 * it must be sent again), and gives it back once the task has settled, so that the
 * next map of the same size packs into memory touched already.
 */
export class NumberSpares {
  #byLength = new Map<number, Float64Array[]>();
  #bytes = 0;

  /** A `Float64Array` of `n` numbers, whose contents do not matter. */
  take = (n: number): Float64Array => {
    const list = this.#byLength.get(n);
    if (list === undefined) return new Float64Array(n);
    const spare = list.pop()!;
    if (list.length === 0) this.#byLength.delete(n); // no lengths kept for nothing
    this.#bytes -= spare.byteLength;
    return spare;
  };

  /** Keeps `a` (which nobody uses any more) for a later `take`, if there is room. */
  give(a: Float64Array): void {
    if (a.length < MIN_RING || this.#bytes + a.byteLength > MAX_SPARE_BYTES) return;
    const list = this.#byLength.get(a.length);
    if (list === undefined) this.#byLength.set(a.length, [a]);
    else list.push(a);
    this.#bytes += a.byteLength;
  }
}

/** The most memory {@linkcode NumberSpares} keeps (4 MiB: half a million numbers). */
const MAX_SPARE_BYTES = 4 << 20;
