/**
 * The shared channel that every Queue and Connection is a thin layer over: a ring of
 * bytes in one SharedArrayBuffer, written by one writer at a time and read by one
 * reader at a time (each side has a robust mutex), with Atomics wait/notify between
 * them. Items travel as frames; an item larger than the ring travels in several
 * frames while the reader drains them, so any size fits through a small ring.
 *
 * Layout: a header of Int32 words (below), then the ring. A frame is a 16-byte header
 * `[length | MORE | ABORT, total length, tag, 0]` and its payload, padded to 16 bytes.
 * `HEAD` and `TAIL` count bytes read and written (wrapping at 2^32); only the reader
 * holding the read mutex moves `HEAD`, only the writer holding the write mutex moves
 * `TAIL`, and 16 bytes are always kept free for an ABORT frame.
 *
 * Robustness: a writer that dies while it holds the write mutex is taken over by the
 * next writer, which reads `WSTATE` to undo its reservation or to end its half-written
 * item with an ABORT frame; a reader that dies mid-item leaves `RSTATE` set, and the
 * next reader reads that item again if the dead one had not gone past its first
 * frame, or skips the rest of it.
 *
 * All waiting logic is written once as steps (`Steps`), run blocking by the `*Sync`
 * methods and async by the others.
 *
 * @module
 */
import { LIVENESS_POLL_MS, remaining, type SharedInt32 } from "../internal/_atomics.ts";
import { checkNotTerminated, ownPid, pidAlive } from "../process/_liveness.ts";
import { mutexSteps } from "../sync/_mutex.ts";
import { runAsync, type Steps, wait } from "../sync/_steps.ts";
import { ownPayload, type Payload } from "../internal/_serializer.ts";

const HEAD = 0;
const TAIL = 1;
/** Items put and not yet taken by a reader (Python's `qsize()`). */
const SIZE = 2;
/** Items put and not yet marked done (JoinableQueue). */
const UNFINISHED = 3;
/** 0 idle; 1 an item is counted but none of its frames is out; 2 some frames are out. */
const WSTATE = 4;
/** 0 idle; 1 the reader is claiming the item at `CLAIM`; 2 it has counted it out of `SIZE`. */
const RSTATE = 5;
/** Number of sleepers waiting for data (on `TAIL`). */
const RWAIT = 6;
/** Number of sleepers waiting for room (on `HEAD` or `SIZE`). */
const WWAIT = 7;
/** Number of sleepers waiting for `UNFINISHED` to reach 0. */
const TWAIT = 8;
const CAPACITY = 9;
const MAXSIZE = 10;
/** 1 if every put counts an unfinished task. */
const JOINABLE = 11;
/** Write mutex (2 words, see `mutex.ts`). */
const WLOCK = 12;
/** Read mutex (2 words). */
const RLOCK = 14;
/** `HEAD` when the reader claimed its current item (see `RSTATE`). */
const CLAIM = 16;
/** First word free for a layer above (a Connection's holder tables). */
export const EXTRA_WORDS_AT = 17;
const HEADER_BYTES = 256;

const FRAME = 16;
const MORE = 0x80000000 | 0;
const ABORT = 0x40000000;
/** Marks an item's first frame. */
const FIRST = 0x20000000;
const LEN_MASK = 0x1fffffff;

/** Default ring size: 1 MiB. */
export const DEFAULT_CAPACITY = 1 << 20;
const MIN_CAPACITY = 1 << 12;
const MAX_CAPACITY = 1 << 28;

/** What a write came to. */
export type WriteResult = "ok" | "full" | "broken";
/** A read found no item in time. */
export const EMPTY: unique symbol = Symbol("empty");
/** A read found no item, and the writing side is gone (pipes). */
export const EOF: unique symbol = Symbol("eof");
/** Why a read has no item (symbols, so that no item can be mistaken for one). */
export type Shortfall = typeof EMPTY | typeof EOF;

/** What a read makes of an item: its tag and its `len` bytes from `at` in `bytes`. */
export type Decode<R> = (tag: number, bytes: Uint8Array, at: number, len: number) => R;

/** A fast path (`tryRead`, `tryWrite`) could not do it at once: take the steps. */
export const SLOW: unique symbol = Symbol("slow");

/**
 * A write past its deadline waits for the write mutex in slices of this many ms, checking
 * between them whether its holder waits for room (see `Channel.write`).
 */
const WRITER_WAIT_SLICE_MS = 5;

/** `#recoverReader`: the item at `HEAD` is to be read again, and was counted out already. */
const COUNTED = 1;
/** `#recoverReader`: the frames up to the next item's first are to be skipped. */
const SKIPPING = 2;

/** Options of one read or write. */
export interface IoOptions {
  /** Absolute deadline (`performance.now()` time), `Infinity` for none. */
  deadline: number;
  /**
   * For pipes: true once the other side is gone (closed, or its processes ended). The
   * channel re-checks it every `LIVENESS_POLL_MS` while it waits.
   */
  peerGone?: () => boolean;
}

/** Creation options of a channel. */
export interface ChannelOptions {
  /** Ring size in bytes (rounded up to a power of two, 4 KiB to 256 MiB). */
  capacity?: number;
  /** Largest number of items in the channel; 0 for no limit. */
  maxsize?: number;
  /** Count each item as an unfinished task (JoinableQueue). */
  joinable?: boolean;
}

/**
 * How long a waiter spins before it sleeps (ms). Sleeping and waking through the OS
 * costs tens of microseconds each way; the other side of a conversation usually
 * answers sooner, and a spinning waiter also spares it the wake-up call.
 */
const SPIN_MS = 0.05;

/** Spins up to `SPIN_MS` while `a[i] === value`; true if it changed meanwhile. */
function spinWhile(a: SharedInt32, i: number, value: number): boolean {
  const end = performance.now() + SPIN_MS;
  do {
    for (let n = 0; n < 64; n++) if (Atomics.load(a, i) !== value) return true;
  } while (performance.now() < end);
  return false;
}

function frameSize(len: number): number {
  return FRAME + ((len + 15) & ~15);
}

/** A ring of frames in shared memory; see the module documentation. */
export class Channel {
  /** The header words (shared). */
  readonly header: SharedInt32;
  readonly #ring: Uint8Array<SharedArrayBuffer>;
  readonly #ring32: Int32Array<SharedArrayBuffer>;
  readonly #cap: number;
  readonly #mask: number;

  /** Opens the channel held in `buffer` (made by {@linkcode Channel.create}). */
  constructor(buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.#cap = this.header[CAPACITY];
    this.#mask = this.#cap - 1;
    this.#ring = new Uint8Array(buffer, HEADER_BYTES, this.#cap);
    this.#ring32 = new Int32Array(buffer, HEADER_BYTES, this.#cap / 4);
  }

  /** Creates a channel in a new SharedArrayBuffer. */
  static create(options: ChannelOptions = {}): Channel {
    const want = Math.min(Math.max(options.capacity ?? DEFAULT_CAPACITY, MIN_CAPACITY), MAX_CAPACITY);
    const cap = 2 ** Math.ceil(Math.log2(want));
    const buffer = new SharedArrayBuffer(HEADER_BYTES + cap);
    const h = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    h[CAPACITY] = cap;
    h[MAXSIZE] = options.maxsize ?? 0;
    h[JOINABLE] = options.joinable ? 1 : 0;
    return new Channel(buffer);
  }

  /** The shared buffer, to rebuild the channel in another process. */
  get buffer(): SharedArrayBuffer {
    return this.header.buffer;
  }

  /** Ring size in bytes. */
  get capacity(): number {
    return this.#cap;
  }

  /** The item limit (0: none). */
  get maxsize(): number {
    return this.header[MAXSIZE];
  }

  /** Items put and not yet taken. */
  size(): number {
    return Math.max(0, Atomics.load(this.header, SIZE));
  }

  /** Items put and not yet marked done (JoinableQueue). */
  unfinished(): number {
    return Atomics.load(this.header, UNFINISHED);
  }

  /**
   * Writes one item at once if nothing stands in the way (the write mutex is free, no
   * dead writer to clean up after, room under `maxsize` and in the ring for the whole
   * item in one frame, the peer there); otherwise does nothing and returns `SLOW`: then
   * {@linkcode Channel.write} does it, waiting as need be. No generator, no allocation:
   * the path of every small item of a steady stream.
   */
  tryWrite(item: Payload, peerGone?: () => boolean): "ok" | typeof SLOW {
    const h = this.header;
    const want = frameSize(item.bytes.length);
    const tail = h[TAIL];
    if (
      want > this.#cap - FRAME - ((tail - Atomics.load(h, HEAD)) >>> 0) || !this.#belowMaxsize() ||
      !this.#tryLock(WLOCK)
    ) return SLOW;
    try {
      if (Atomics.load(h, WSTATE) !== 0 || peerGone?.()) return SLOW;
      // Checked again under the mutex: another writer may have filled the ring meanwhile.
      if (!this.#belowMaxsize() || want > this.#cap - FRAME - ((h[TAIL] - Atomics.load(h, HEAD)) >>> 0)) {
        return SLOW;
      }
      this.#countItem();
      this.#frame(h[TAIL], item.bytes.length | FIRST, item.bytes.length, item.tag, item.bytes);
      Atomics.store(h, WSTATE, 0);
      return "ok";
    } finally {
      this.#unlock(WLOCK);
    }
  }

  /**
   * Writes one item, waiting for the write mutex and for room until `deadline`. A write
   * whose deadline passes while another writer holds the mutex still waits for it as
   * long as that writer is writing, and fails only once it waits for room (then there
   * is none for this item either): `putNowait` fails only for want of room, not because
   * another process was writing at that instant (as Python's `put_nowait`, which waits
   * for its lock).
   */
  *write(item: Payload, options: IoOptions): Steps<WriteResult> {
    item = ownPayload(item); // the scratch bytes may be reused while we wait
    for (;;) {
      const mutexDeadline = Math.max(options.deadline, performance.now() + WRITER_WAIT_SLICE_MS);
      if (yield* this.#acquireWriter(mutexDeadline)) break;
      // Not taken: full if the holder waits for room (or if no deadline could have passed).
      if (options.deadline === Infinity || Atomics.load(this.header, WWAIT) > 0) return "full";
    }
    try {
      if (options.peerGone?.()) return "broken";
      const full = yield* this.#awaitBelowMaxsize(options);
      if (full !== null) return full;
      this.#countItem();
      return yield* this.#writeFrames(item, options);
    } finally {
      this.#unlock(WLOCK);
    }
  }

  /** Takes the write mutex, and cleans up after a writer that died holding it. */
  *#acquireWriter(deadline: number): Steps<boolean> {
    if (!this.#tryLock(WLOCK) && !(yield* this.#lock(WLOCK, deadline))) return false;
    const state = Atomics.load(this.header, WSTATE);
    if (state !== 0) yield* this.#recoverWriter(state);
    return true;
  }

  #belowMaxsize(): boolean {
    const max = this.header[MAXSIZE];
    return max <= 0 || Atomics.load(this.header, SIZE) < max;
  }

  /** Waits (write mutex held) until fewer than `maxsize` items are in; `null` once they are. */
  *#awaitBelowMaxsize({ deadline, peerGone }: IoOptions): Steps<"full" | "broken" | null> {
    const h = this.header;
    const max = h[MAXSIZE];
    for (let size = Atomics.load(h, SIZE); max > 0 && size >= max; size = Atomics.load(h, SIZE)) {
      const left = remaining(deadline);
      if (left <= 0) return "full";
      if (peerGone?.()) return "broken";
      yield* this.#sleep(SIZE, size, peerGone ? Math.min(left, LIVENESS_POLL_MS) : left, WWAIT);
    }
    return null;
  }

  /** Counts the item about to be written in (`SIZE`, `UNFINISHED`), and says so in `WSTATE`. */
  #countItem(): void {
    const h = this.header;
    Atomics.add(h, SIZE, 1);
    if (h[JOINABLE]) Atomics.add(h, UNFINISHED, 1);
    Atomics.store(h, WSTATE, 1);
  }

  /**
   * Writes the (counted) item as frames: one if it fits in the ring, else pieces of a
   * quarter of it, each as room comes.
   */
  *#writeFrames(item: Payload, options: IoOptions): Steps<WriteResult> {
    const h = this.header;
    const { tag, bytes } = item;
    const total = bytes.length;
    const whole = frameSize(total) <= this.#cap - FRAME;
    let done = 0;
    do {
      const rest = total - done;
      const want = whole ? frameSize(rest) : frameSize(Math.min(rest, this.#cap >> 2));
      const free = yield* this.#awaitRoom(want, options);
      if (typeof free === "string") {
        this.#abandon(done > 0);
        return free;
      }
      const len = Math.min(rest, free - FRAME);
      const more = done + len < total;
      if (done > 0) checkNotTerminated();
      const piece = len === total ? bytes : bytes.subarray(done, done + len);
      this.#frame(h[TAIL], len | (more ? MORE : 0) | (done === 0 ? FIRST : 0), total, tag, piece);
      done += len;
      if (more) Atomics.store(h, WSTATE, 2);
    } while (done < total);
    Atomics.store(h, WSTATE, 0);
    return "ok";
  }

  /** Waits until `want` bytes are free in the ring; the bytes free, or why not. */
  *#awaitRoom(want: number, { deadline, peerGone }: IoOptions): Steps<number | "full" | "broken"> {
    const h = this.header;
    for (;;) {
      const head = Atomics.load(h, HEAD);
      const free = this.#cap - FRAME - ((h[TAIL] - head) >>> 0);
      if (free >= want) return free;
      const gone = peerGone?.() ?? false;
      const left = remaining(deadline);
      if (gone || left <= 0) return gone ? "broken" : "full";
      yield* this.#sleep(HEAD, head, peerGone ? Math.min(left, LIVENESS_POLL_MS) : left, WWAIT);
    }
  }

  /**
   * Reads one item at once if nothing stands in the way (the read mutex is free, no
   * dead reader to recover from, a whole item in one frame in one piece of the ring);
   * otherwise does nothing and returns `SLOW`: then {@linkcode Channel.read} does it.
   */
  tryRead<R>(decode: Decode<R>): R | typeof SLOW {
    const h = this.header;
    const head = h[HEAD];
    if (head === Atomics.load(h, TAIL) || !this.#tryLock(RLOCK)) return SLOW;
    try {
      if (Atomics.load(h, RSTATE) !== 0 || h[HEAD] !== head) return SLOW;
      const pos = head & this.#mask;
      const w = this.#ring32[pos >> 2];
      const len = w & LEN_MASK;
      const at = (pos + FRAME) & this.#mask;
      if ((w & (ABORT | MORE | FIRST)) !== FIRST || at + len > this.#cap) return SLOW;
      return this.#readInPlace(head, pos, at, len, false, decode);
    } finally {
      this.#unlock(RLOCK);
    }
  }

  /**
   * Reads one item, waiting for the read mutex and for data until `deadline`, and
   * returns `decode(tag, bytes)`. `bytes` may be a view of the ring, valid only during
   * the call: `decode` must copy what it keeps.
   */
  read<R>(options: IoOptions, decode: (tag: number, bytes: Uint8Array) => R): Steps<R | Shortfall> {
    return this.readAt(
      options,
      (tag, bytes, at, len) =>
        decode(tag, at === 0 && len === bytes.length ? bytes : bytes.subarray(at, at + len)),
    );
  }

  /**
   * {@linkcode Channel.read}, with the item handed to `decode` as `(tag, bytes, at,
   * length)`: `bytes` may be the ring itself, so small items need no view of their own.
   */
  *readAt<R>(options: IoOptions, decode: Decode<R>): Steps<R | Shortfall> {
    const h = this.header;
    if (!(yield* this.#lock(RLOCK, options.deadline))) return EMPTY;
    try {
      const dead = this.#recoverReader();
      let counted = dead === COUNTED;
      let skipping = dead === SKIPPING;
      let out: Uint8Array | null = null;
      let got = 0;
      let tag = 0;
      for (;;) {
        // A terminated reader still running (Deno) must stop before each frame: a new
        // reader may have taken the read mutex over, and two readers moving HEAD would
        // tear the ring apart. (Writers check before each frame too.)
        checkNotTerminated();
        const head = h[HEAD];
        const tail = Atomics.load(h, TAIL);
        if (head === tail) {
          if (out === null) {
            const short = yield* this.#awaitData(tail, options);
            if (short !== null) return short;
          } else if (yield* this.#awaitNextFrame(tail)) out = null; // its writer died
          continue;
        }
        const pos = head & this.#mask;
        const w = this.#ring32[pos >> 2];
        const len = w & LEN_MASK;
        const more = (w & MORE) !== 0;
        if ((w & ABORT) !== 0 || (skipping && (w & FIRST) === 0)) {
          // An ABORT ends the item being read (its writer gave up); skipped frames end at
          // an item's last frame.
          if ((w & ABORT) !== 0 || !more) skipping = false;
          if (out !== null) {
            out = null;
            Atomics.store(h, RSTATE, 0);
          }
          this.#advance(head, len);
          continue;
        }
        skipping = false;
        const at = (pos + FRAME) & this.#mask;
        if (out === null) {
          if (!more && at + len <= this.#cap) return this.#readInPlace(head, pos, at, len, counted, decode);
          tag = this.#claim(head, pos, counted);
          counted = false;
          out = new Uint8Array(this.#ring32[(pos >> 2) + 1] >>> 0);
          got = 0;
        }
        this.#copyOut(at, out, got, len);
        got += len;
        this.#advance(head, len);
        if (!more) {
          Atomics.store(h, RSTATE, 0);
          return decode(tag, out, 0, out.length);
        }
      }
    } finally {
      this.#unlock(RLOCK);
    }
  }

  /**
   * A reader that died inside an item left `RSTATE` set. If it had not gone past the
   * item's first frame, the item is to be read again (`COUNTED` out already if
   * `RSTATE` was 2); otherwise the rest of it is `SKIPPING`: it went with the dead reader.
   */
  #recoverReader(): number {
    const h = this.header;
    const dead = Atomics.load(h, RSTATE);
    if (dead === 0) return 0;
    Atomics.store(h, RSTATE, 0);
    return h[HEAD] !== h[CLAIM] ? SKIPPING : dead === 2 ? COUNTED : 0;
  }

  /** Waits for an item while the ring is empty at `tail`; `null` when something came. */
  *#awaitData(tail: number, { deadline, peerGone }: IoOptions): Steps<Shortfall | null> {
    if (peerGone?.() && Atomics.load(this.header, TAIL) === tail) return EOF;
    const left = remaining(deadline);
    if (left <= 0) return EMPTY;
    yield* this.#sleep(TAIL, tail, peerGone ? Math.min(left, LIVENESS_POLL_MS) : left, RWAIT);
    return null;
  }

  /**
   * Inside an item, the ring empty at `tail`: its writer owes the next frame. Waits for
   * it, unless the writer has died: then drops the item (true).
   */
  *#awaitNextFrame(tail: number): Steps<boolean> {
    const h = this.header;
    const writer = Atomics.load(h, WLOCK);
    if (writer !== 0 && !pidAlive(writer)) {
      Atomics.store(h, RSTATE, 0);
      return true;
    }
    yield* this.#sleep(TAIL, tail, LIVENESS_POLL_MS, RWAIT);
    return false;
  }

  /**
   * Claims the item whose first frame is at `head` and returns its tag: `RSTATE` tells
   * a reader that takes over from us how far we got.
   */
  #claim(head: number, pos: number, counted: boolean): number {
    const h = this.header;
    const tag = this.#ring32[(pos >> 2) + 2];
    checkNotTerminated();
    Atomics.store(h, CLAIM, head);
    Atomics.store(h, RSTATE, 1);
    if (!counted) Atomics.sub(h, SIZE, 1);
    Atomics.store(h, RSTATE, 2);
    return tag;
  }

  /** Claims and decodes a whole item lying in one piece of the ring, then frees its frame. */
  #readInPlace<R>(
    head: number,
    pos: number,
    at: number,
    len: number,
    counted: boolean,
    decode: Decode<R>,
  ): R {
    const tag = this.#claim(head, pos, counted);
    try {
      return decode(tag, this.#ring, at, len);
    } finally {
      this.#advance(head, len);
      Atomics.store(this.header, RSTATE, 0);
    }
  }

  /**
   * Waits until an item is ready to read (or the peer is gone), at most until
   * `deadline`; takes no mutex. True if ready.
   */
  *ready({ deadline, peerGone }: IoOptions): Steps<boolean> {
    const h = this.header;
    for (;;) {
      const tail = Atomics.load(h, TAIL);
      if (Atomics.load(h, SIZE) > 0 || peerGone?.()) return true;
      const left = remaining(deadline);
      if (left <= 0) return false;
      yield* this.#sleep(TAIL, tail, Math.min(left, LIVENESS_POLL_MS), RWAIT);
    }
  }

  /** Waits until every item put has been marked done, at most until `deadline`. */
  *allDone(deadline: number): Steps<boolean> {
    const h = this.header;
    for (;;) {
      const n = Atomics.load(h, UNFINISHED);
      if (n <= 0) return true;
      const left = remaining(deadline);
      if (left <= 0) return false;
      yield* this.#sleep(UNFINISHED, n, left, TWAIT);
    }
  }

  /** Marks one item done; false (and nothing changes) if none is unfinished. */
  taskDone(): boolean {
    const h = this.header;
    for (;;) {
      const n = Atomics.load(h, UNFINISHED);
      if (n <= 0) return false;
      if (Atomics.compareExchange(h, UNFINISHED, n, n - 1) !== n) continue;
      if (n === 1 && Atomics.load(h, TWAIT) > 0) Atomics.notify(h, UNFINISHED);
      return true;
    }
  }

  /** The write position, for {@linkcode Channel.watchTail}. */
  tail(): number {
    return Atomics.load(this.header, TAIL);
  }

  /** Resolves once something was written after `tail` was read, or after `timeout` ms. */
  watchTail(tail: number, timeout: number): Promise<void> {
    return runAsync(this.#sleep(TAIL, tail, timeout, RWAIT));
  }

  /** Wakes every sleeper of the channel (a peer closed: they re-check). */
  wakeAll(): void {
    const h = this.header;
    Atomics.notify(h, TAIL);
    Atomics.notify(h, HEAD);
    Atomics.notify(h, SIZE);
  }

  #tryLock(i: number): boolean {
    return Atomics.compareExchange(this.header, i, 0, ownPid()) === 0;
  }

  *#lock(i: number, deadline: number): Steps<boolean> {
    if (this.#tryLock(i)) return true;
    return yield* mutexSteps(this.header, i, ownPid(), deadline); // the runner checks we still live
  }

  /**
   * Frees a mutex if this process still holds it: one that was taken over (this
   * process was terminated and runs on as a zombie) is left to its new holder.
   */
  #unlock(i: number): void {
    const h = this.header;
    if (Atomics.compareExchange(h, i, ownPid(), 0) !== ownPid()) return;
    if (Atomics.load(h, i + 1) > 0) Atomics.notify(h, i, 1);
  }

  *#sleep(word: number, value: number, timeout: number, counter: number): Steps<void> {
    const h = this.header;
    if (spinWhile(h, word, value)) return;
    Atomics.add(h, counter, 1);
    try {
      yield wait(h, word, value, timeout); // the runner checks we still live
    } finally {
      Atomics.sub(h, counter, 1);
    }
  }

  /** Publishes a frame at `tail`. */
  #frame(tail: number, word: number, total: number, tag: number, payload: Uint8Array): void {
    const pos = tail & this.#mask;
    const i = pos >> 2;
    this.#ring32[i] = word;
    this.#ring32[i + 1] = total | 0;
    this.#ring32[i + 2] = tag;
    if (payload.length > 0) this.#copyIn((pos + FRAME) & this.#mask, payload);
    const h = this.header;
    Atomics.store(h, TAIL, (tail + frameSize(payload.length)) | 0);
    if (Atomics.load(h, RWAIT) > 0) Atomics.notify(h, TAIL);
  }

  #advance(head: number, len: number): void {
    // Right before the store: a terminated reader still running (Deno) may have spent
    // long copying or decoding since its last check, and HEAD may be a new reader's now.
    checkNotTerminated();
    const h = this.header;
    Atomics.store(h, HEAD, (head + frameSize(len)) | 0);
    if (Atomics.load(h, WWAIT) > 0) {
      Atomics.notify(h, HEAD);
      Atomics.notify(h, SIZE);
    }
  }

  #copyIn(pos: number, src: Uint8Array): void {
    const first = this.#cap - pos;
    if (src.length <= first) this.#ring.set(src, pos);
    else {
      this.#ring.set(src.subarray(0, first), pos);
      this.#ring.set(src.subarray(first), 0);
    }
  }

  #copyOut(pos: number, dst: Uint8Array, at: number, len: number): void {
    const first = this.#cap - pos;
    if (len <= first) dst.set(this.#ring.subarray(pos, pos + len), at);
    else {
      dst.set(this.#ring.subarray(pos, this.#cap), at);
      dst.set(this.#ring.subarray(0, len - first), at + first);
    }
  }

  /** Gives up the item being written (write mutex held): uncounts it, or ends it with ABORT. */
  #abandon(framesOut: boolean): void {
    const h = this.header;
    if (framesOut) this.#frame(h[TAIL], ABORT, 0, 0, new Uint8Array(0));
    else Atomics.sub(h, SIZE, 1);
    if (h[JOINABLE] && Atomics.sub(h, UNFINISHED, 1) === 1 && Atomics.load(h, TWAIT) > 0) {
      Atomics.notify(h, UNFINISHED);
    }
    Atomics.store(h, WSTATE, 0);
  }

  /** The previous writer died holding the write mutex in `state`: clean up after it. */
  *#recoverWriter(state: number): Steps<void> {
    const h = this.header;
    if (state === 2) {
      // Room for the ABORT frame is normally kept free; wait if an earlier ABORT used it.
      for (let head = Atomics.load(h, HEAD); this.#cap - ((h[TAIL] - head) >>> 0) < FRAME;) {
        yield* this.#sleep(HEAD, head, LIVENESS_POLL_MS, WWAIT);
        head = Atomics.load(h, HEAD);
      }
    }
    this.#abandon(state === 2);
  }
}
