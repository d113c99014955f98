/**
 * How proxies reach a manager's server from any process of the tree, without any
 * thread's event loop in between: one request {@linkcode Channel} that every caller
 * writes to and the server reads, and a fixed set of reply mailboxes ("slots"). A call
 * claims a free slot with a robust lock word (the caller's pid; a slot whose caller
 * ended is taken over), writes `[seq, slot, pid, id, method, args]`, waits until the
 * slot's `SEQ` word holds its sequence number, reads its reply from the slot, and frees
 * the slot. While it waits for the reply, a caller spins only if it holds one of the
 * spin tokens (as many as the cores the server leaves); the others sleep until the
 * server wakes them.
 *
 * A mailbox rather than a channel per slot: a slot has one call in flight, so its reply
 * needs no ring, mutexes or counts, only the bytes and then the sequence number
 * published over them (one store, one cache line the caller watches). The server
 * writes no reply for a caller that has ended, and it answers requests in order, so
 * the reply of a caller that died mid-call is written (if at all) before the slot's
 * next user asks, never over a reply being read. A reply larger than a mailbox
 * travels in a block of the tree-wide arena instead.
 *
 * Everything here is SharedArrayBuffers and numbers: the transport's handle travels in
 * `Process` args inside any proxy of the manager.
 *
 * @module
 */
import { LIVENESS_POLL_MS, type SharedInt32 } from "../internal/_atomics.ts";
import { ownPid, pidAlive } from "../process/_liveness.ts";
import { cpuCount } from "../internal/runtime.ts";
import { blockBytes, type BlockRef, closeBlock, createBlock, unlinkBlock } from "../shared/_arena.ts";
import { Channel, EMPTY, EOF, SLOW } from "../channel/_channel.ts";
import { ProcessError } from "../internal/errors.ts";
import { type ErrorData, errorFromData, errorToData } from "../internal/_error_wire.ts";
import { decodeMessage, decodeRequest, encodeMessage, encodeRequest } from "./_codec.ts";
import type { Payload } from "../internal/_serializer.ts";
import { runAsync, runSync, type Steps, wait } from "../sync/_steps.ts";

/** Number of reply slots: calls in flight at once across the tree (more wait for a slot). */
export const SLOTS = 32;
/** Bytes of a reply mailbox (larger replies travel in an arena block). */
const REPLY_CAPACITY = 8 * 1024;

// A reply mailbox: the words the caller watches on a cache line of their own, then the
// reply's words and bytes, written by the server before it publishes `R_SEQ`.
/** The sequence number of the last reply written. */
const R_SEQ = 0;
/** 1 while the caller sleeps until its reply comes (then the server wakes it on `R_SEQ`). */
const R_ASLEEP = 1;
/** Reply status (`REPLY_OK`, `REPLY_ERROR`). */
const R_STATUS = 16;
/** The payload's tag. */
const R_TAG = 17;
/** The payload's length in bytes. */
const R_LEN = 18;
/** 1 if the payload is the `BlockRef` of an arena block holding the reply's payload. */
const R_BIG = 19;
/** The tag of the payload in the arena block. */
const R_BIG_TAG = 20;
/** Where the payload's bytes start. */
const R_BYTES = 24 * 4;
const REQUEST_CAPACITY = 256 * 1024;

// Control words.
/** 1 once the manager is shut down. */
const CLOSED = 0;
/** The server's pid (0 until it runs). */
const SERVER = 1;
/** Bumped when a slot is freed while callers wait for one. */
const FREED = 2;
/** Callers sleeping until a slot is freed. */
const SLOT_WAITERS = 3;
/** Callers may spin for their replies on as many cores as the server leaves, at most this many. */
const MAX_SPIN_TOKENS = 8;
/** Spin tokens: the pid of the caller spinning with it, or 0. */
const SPINNERS = 16;
/**
 * Bumped by each caller after it wrote a request: the word a server waiting for the next
 * request spins on, alone on its cache line. Spinning on the request channel's header
 * instead would pull that line away from the caller at each of the dozen atomic steps of
 * its write (the server sleeps on the channel itself once its spin runs out).
 */
const BELL = 32;
/**
 * Per slot, on a cache line of its own (callers on other slots write theirs at the same
 * time): the lock word (the pid of the caller using the slot, or 0), then the sequence
 * number of its last call.
 */
const SLOT_WORDS = 48;
/** Words per slot in `SLOT_WORDS`: one cache line. */
const SLOT_STRIDE = 16;
const CONTROL_WORDS = SLOT_WORDS + SLOTS * SLOT_STRIDE;

/** The lock word of `slot`. */
function lockOf(slot: number): number {
  return SLOT_WORDS + slot * SLOT_STRIDE;
}

/** Reply status: a value. */
export const REPLY_OK = 0;
/** Reply status: an error (`ErrorData`). */
export const REPLY_ERROR = 1;

/** A request as the server reads it (`slot` -1: no reply is wanted). */
export type Request = [
  seq: number,
  slot: number,
  pid: number,
  id: number,
  method: string,
  args: unknown[],
  flags: number,
];

/** Request flag: the arguments hold proxy markers. */
export const HOLDS_PROXIES = 1;
/** The slot of a request that wants no reply. */
export const NO_REPLY = -1;

/** What a transport travels as: shared buffers and numbers. */
export interface TransportHandle {
  /** Tells this manager from any other (random). */
  token: number;
  control: SharedInt32;
  requests: SharedArrayBuffer;
  /** One reply mailbox per slot. */
  replies: SharedArrayBuffer[];
}

/** Makes the shared parts of a new manager's transport. */
export function createTransport(): TransportHandle {
  const random = new Uint32Array(2);
  crypto.getRandomValues(random);
  return {
    token: random[0] * 2 ** 21 + (random[1] >>> 11), // 53 random bits: a safe integer
    control: new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4)),
    requests: Channel.create({ capacity: REQUEST_CAPACITY }).buffer,
    replies: Array.from({ length: SLOTS }, () => new SharedArrayBuffer(R_BYTES + REPLY_CAPACITY)),
  };
}

/** One slot's reply mailbox, as words and as bytes. */
class Mailbox {
  readonly words: SharedInt32;
  readonly bytes: Uint8Array<SharedArrayBuffer>;
  constructor(buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
    this.bytes = new Uint8Array(buffer);
  }

  /** Reads the reply published (arena replies are copied out and their block freed). */
  read(): unknown {
    const w = this.words;
    const len = w[R_LEN];
    const value = decodeMessage(w[R_TAG], this.bytes.subarray(R_BYTES, R_BYTES + len));
    if (w[R_BIG] === 0) return value;
    const ref = value as BlockRef;
    try {
      return decodeMessage(w[R_BIG_TAG], blockBytes(ref).slice());
    } finally {
      unlinkBlock(ref);
    }
  }
}

/** `decodeRequest` for `Channel.read`. */
const decodeWhole = (tag: number, bytes: Uint8Array): unknown[] => decodeRequest(tag, bytes, 0, bytes.length);

/** One process's end of a manager's transport. */
export class Transport {
  /** The handle this transport was opened from (sent along with proxies). */
  readonly handle: TransportHandle;
  readonly #control: SharedInt32;
  readonly #requests: Channel;
  readonly #replies: Mailbox[];
  #next = 0;
  /** Spins for replies that ran out in a row (up to `MAX_MISSES`). */
  #misses = 0;
  /** Calls left that sleep at once, without spinning (after spins that ran out). */
  #skipSpins = 0;

  /** Opens the transport described by `handle`. */
  constructor(handle: TransportHandle) {
    this.handle = handle;
    this.#control = handle.control;
    this.#requests = new Channel(handle.requests);
    this.#replies = handle.replies.map((b) => new Mailbox(b));
    this.#next = ownPid() % SLOTS;
  }

  /** The manager's random token. */
  get token(): number {
    return this.handle.token;
  }

  /** True once the manager was shut down. */
  closed(): boolean {
    return Atomics.load(this.#control, CLOSED) !== 0;
  }

  /** True once the manager was shut down or its server process ended. */
  gone = (): boolean => {
    if (Atomics.load(this.#control, CLOSED) !== 0) return true;
    const server = Atomics.load(this.#control, SERVER);
    return server !== 0 && !pidAlive(server);
  };

  /** Throws the error for a proxy used after shutdown, naming `what` ("this dict proxy"). */
  check(what: string): void {
    if (this.gone()) throw this.goneError(what);
  }

  /** Why `what` cannot reach the server any more. */
  goneError(what: string): ProcessError {
    return this.closed()
      ? new ProcessError(
        `Cannot use ${what}: its manager was shut down (shutdown() was called, or the manager ` +
          "was disposed): use proxies only while their manager runs",
      )
      : new ProcessError(
        `Cannot use ${what}: its manager's server process has ended (it was terminated, or its ` +
          "parent ended), so the objects it held are gone",
      );
  }

  /**
   * Calls `method` of object `id` (made as `typeid`, for errors) on the server with
   * `args` (already encoded for the manager) and returns the reply's value; a server-side
   * error throws as it does from a pool: rebuilt with its own class (`RangeError` for a
   * list index out of range, an error named `KeyError` for a missing key, an exported
   * class as itself) and message, its `cause` a `RemoteError` holding the
   * server's stack.
   */
  *call(id: number, method: string, args: unknown[], typeid: string, flags = 0): Steps<unknown> {
    if (this.gone()) throw this.goneError(`this ${typeid} proxy`);
    const slot = yield* this.#claim(typeid);
    try {
      const seq = this.#number(slot);
      const payload = encodeRequest([seq, slot, ownPid(), id, method, args, flags], "the manager");
      // The fast path first (no generator, no copy), then the general one.
      // No liveness check on the fast path: a gone server is noticed while waiting for the reply.
      const written = this.#requests.tryWrite(payload) === "ok" ||
        (yield* this.#requests.write(payload, { deadline: Infinity, peerGone: this.gone })) === "ok";
      if (!written) throw this.goneError(`this ${typeid} proxy`);
      Atomics.add(this.#control, BELL, 1);
      const m = this.#replies[slot].words;
      if (!this.#spinForReply(m, seq) && !(yield* this.#sleepForReply(m, seq))) {
        throw this.goneError(`this ${typeid} proxy`);
      }
      return this.#answer(slot);
    } finally {
      this.#free(slot);
    }
  }

  /**
   * {@linkcode Transport.call}, blocking, with no generator made when nothing has to
   * wait (a free slot, room for the request, a reply within the spin): the common case,
   * and the one that a newly started child runs many times before its code is compiled,
   * while each generator step is interpreted.
   */
  callSync(id: number, method: string, args: unknown[], typeid: string, flags = 0): unknown {
    if (this.gone()) throw this.goneError(`this ${typeid} proxy`);
    const slot = this.#tryClaim();
    if (slot < 0) return runSync(this.call(id, method, args, typeid, flags));
    try {
      const seq = this.#number(slot);
      const payload = encodeRequest([seq, slot, ownPid(), id, method, args, flags], "the manager");
      const written = this.#requests.tryWrite(payload) === "ok" ||
        runSync(this.#requests.write(payload, { deadline: Infinity, peerGone: this.gone })) === "ok";
      if (!written) throw this.goneError(`this ${typeid} proxy`);
      Atomics.add(this.#control, BELL, 1);
      const m = this.#replies[slot].words;
      if (!this.#spinForReply(m, seq) && !runSync(this.#sleepForReply(m, seq))) {
        throw this.goneError(`this ${typeid} proxy`);
      }
      return this.#answer(slot);
    } finally {
      this.#free(slot);
    }
  }

  /** The next sequence number of `slot`'s calls (never 0, which means no reply yet). */
  #number(slot: number): number {
    const c = this.#control;
    const seqWord = lockOf(slot) + 1;
    const seq = (Atomics.add(c, seqWord, 1) + 1) | 0;
    return seq !== 0 ? seq : (Atomics.add(c, seqWord, 1) + 1) | 0;
  }

  /** The reply in `slot`'s mailbox: its value, or its error thrown. */
  #answer(slot: number): unknown {
    const reply = this.#replies[slot];
    const value = reply.read();
    if (reply.words[R_STATUS] === REPLY_ERROR) throw errorFromData(value as ErrorData);
    return value;
  }

  /** Frees `slot`, waking a caller that waits for one. */
  #free(slot: number): void {
    const c = this.#control;
    Atomics.store(c, lockOf(slot), 0);
    if (Atomics.load(c, SLOT_WAITERS) > 0) {
      Atomics.add(c, FREED, 1);
      Atomics.notify(c, FREED);
    }
  }

  /**
   * Sends `method(...args)` to the manager itself (reference counting: `share`,
   * `decref`, `adopt`) without waiting for a reply; nothing happens once the manager is
   * gone. The server reads requests in order, so a later call of this process sees its
   * effect. `sync`: block until written (else write without blocking the event loop).
   */
  post(method: string, args: unknown[], sync: boolean): void {
    if (this.gone()) return;
    const request: Request = [0, NO_REPLY, ownPid(), 0, method, args, 0];
    const steps = this.#requests.write(encodeRequest(request, "the manager"), {
      deadline: Infinity,
      peerGone: this.gone,
    });
    if (sync) {
      runSync(steps);
      Atomics.add(this.#control, BELL, 1);
    } else runAsync(steps).then(() => Atomics.add(this.#control, BELL, 1), () => {});
  }

  /**
   * True once the mailbox `m` holds the reply numbered `seq`, spinning for it a while.
   * A caller spins only with a spin token: callers spinning on more cores than the
   * server leaves would take the cores the server and the other callers need (with two
   * callers and the server on two cores, the server would answer only once their spins
   * run out). A caller without one, or whose spin ran out, then sleeps
   * (`#sleepForReply`).
   *
   * Spins that run out in a row make the next calls sleep at once (1, 3, 7... up to
   * 31 calls): when the cores are busy with other work, the server rarely answers
   * within a spin, and the spins only take the core it needs. One spin that runs out
   * (a slow method) costs nothing; the first one that succeeds starts over, and so does
   * a sleep whose reply came within a spin's time (see `#sleepForReply`).
   */
  #spinForReply(m: SharedInt32, seq: number): boolean {
    if (Atomics.load(m, R_SEQ) === seq) return true;
    const c = this.#control;
    const token = this.#skipSpins > 0 ? (this.#skipSpins--, -1) : takeSpinToken(c);
    if (token < 0) return false;
    const replied = spinUntil(m, R_SEQ, seq);
    Atomics.compareExchange(c, SPINNERS + token, ownPid(), 0);
    if (replied) {
      this.#misses = 0;
      return true;
    }
    this.#misses = Math.min(this.#misses + 1, MAX_MISSES);
    this.#skipSpins = (1 << (this.#misses - 1)) - 1;
    return false;
  }

  /**
   * Sleeps until the mailbox `m` holds the reply numbered `seq`; false if the server is
   * gone first. It sets the mailbox's `R_ASLEEP` and sleeps on `R_SEQ`, where the server
   * wakes it.
   *
   * A caller that sleeps because its spins ran out, and whose reply comes within a
   * spin's time all the same, spins again from its next call: the server has its core
   * back. Without this, a moment of busy cores (a child's code being compiled, a
   * collection) left a caller sleeping for most of its calls: while it sleeps, the
   * server sleeps too between its requests, so the spin it tries every 32 calls misses,
   * and every call pays for waking both (5 to 20 times a spinning call's time).
   */
  *#sleepForReply(m: SharedInt32, seq: number): Steps<boolean> {
    const since = this.#misses > 0 ? performance.now() : 0;
    try {
      for (;;) {
        Atomics.store(m, R_ASLEEP, 1);
        const now = Atomics.load(m, R_SEQ); // after ASLEEP: else the server may not have seen it
        if (now === seq) {
          if (since !== 0 && performance.now() - since < SPIN_MS) this.#misses = this.#skipSpins = 0;
          return true;
        }
        if (this.gone()) return false;
        yield wait(m, R_SEQ, now, LIVENESS_POLL_MS);
      }
    } finally {
      Atomics.store(m, R_ASLEEP, 0);
    }
  }

  /**
   * Claims a free reply slot, waiting for one if all are busy. A waiter counts itself
   * in `SLOT_WAITERS` before it reads `FREED` and looks again, and a caller freeing a
   * slot bumps `FREED` only if it sees a waiter: so either the waiter finds the slot
   * free, or it is woken (and calls with no waiter pay no bump).
   */
  *#claim(typeid: string): Steps<number> {
    const c = this.#control;
    for (;;) {
      const slot = this.#tryClaim();
      if (slot >= 0) return slot;
      this.check(`this ${typeid} proxy`);
      Atomics.add(c, SLOT_WAITERS, 1);
      try {
        const freed = Atomics.load(c, FREED);
        const again = this.#tryClaim();
        if (again >= 0) return again;
        yield wait(c, FREED, freed, LIVENESS_POLL_MS);
      } finally {
        Atomics.sub(c, SLOT_WAITERS, 1);
      }
    }
  }

  /** Claims a free slot (or one whose caller ended), starting from the last one used; -1 if none. */
  #tryClaim(): number {
    const c = this.#control;
    const pid = ownPid();
    for (let k = 0; k < SLOTS; k++) {
      const slot = (this.#next + k) % SLOTS;
      const lock = lockOf(slot);
      const seen = Atomics.compareExchange(c, lock, 0, pid);
      if (seen === 0 || (!pidAlive(seen) && Atomics.compareExchange(c, lock, seen, pid) === seen)) {
        this.#next = slot; // this slot's lines stay in this core's cache for the next call
        return slot;
      }
    }
    return -1;
  }
}

/** Spins in a row that ran out beyond which the calls skipping spins grow no more. */
const MAX_MISSES = 6;

/** Spin tokens in use: one per core beyond the server's. */
const SPIN_TOKENS = Math.min(MAX_SPIN_TOKENS, Math.max(0, cpuCount() - 1));

/**
 * Takes a free spin token (one whose caller ended counts as free: a process
 * terminated while spinning must not keep it); its index, or -1 if all are taken.
 */
function takeSpinToken(c: SharedInt32): number {
  const pid = ownPid();
  for (let k = 0; k < SPIN_TOKENS; k++) {
    const seen = Atomics.compareExchange(c, SPINNERS + k, 0, pid);
    if (seen === 0 || (!pidAlive(seen) && Atomics.compareExchange(c, SPINNERS + k, seen, pid) === seen)) {
      return k;
    }
  }
  return -1;
}

/** Spins this long (ms) for a quick answer before sleeping. */
const SPIN_MS = 0.05;

/** Spins up to `SPIN_MS` until `a[i] === value`; true if it came. */
function spinUntil(a: SharedInt32, i: number, value: number): boolean {
  if (Atomics.load(a, i) === value) return true;
  const end = performance.now() + SPIN_MS;
  do {
    for (let n = 0; n < 64; n++) if (Atomics.load(a, i) === value) return true;
  } while (performance.now() < end);
  return false;
}

/**
 * Spins up to `SPIN_MS` while `a[i] === value`: the next request of a busy caller
 * usually comes within microseconds, sooner than a sleeping thread would be woken.
 */
function spinWhile(a: SharedInt32, i: number, value: number): void {
  const end = performance.now() + SPIN_MS;
  do {
    for (let n = 0; n < 64; n++) if (Atomics.load(a, i) !== value) return;
  } while (performance.now() < end);
}

/** The server's end of a transport. */
export class ServerEnd {
  readonly #control: SharedInt32;
  readonly #requests: Channel;
  readonly #replies: Mailbox[];
  readonly #token: number;
  #bigReplies = 0;

  /** Opens the server's end and records the server's pid. */
  constructor(handle: TransportHandle) {
    this.#control = handle.control;
    this.#requests = new Channel(handle.requests);
    this.#replies = handle.replies.map((b) => new Mailbox(b));
    this.#token = handle.token;
    Atomics.store(this.#control, SERVER, ownPid());
  }

  #closed = (): boolean => Atomics.load(this.#control, CLOSED) !== 0;

  /** The next request if one is there (the fast path: no generator), else `undefined`. */
  tryNext(): Request | undefined {
    const ready = this.#requests.tryRead(decodeRequest);
    return ready === SLOW ? undefined : ready as Request;
  }

  /**
   * The next request if one is there or comes within a short spin (no generator: the
   * path of a busy server), else `undefined`: then wait with {@linkcode ServerEnd.next}.
   */
  poll(): Request | undefined {
    const bell = Atomics.load(this.#control, BELL); // before the read: a request written after it rings
    const ready = this.tryNext();
    if (ready !== undefined) return ready;
    spinWhile(this.#control, BELL, bell);
    return this.tryNext();
  }

  /**
   * Waits for the next request until `deadline`: `undefined` if none came, `null` once
   * the manager is shut down.
   */
  *next(deadline: number): Steps<Request | null | undefined> {
    const r = yield* this.#requests.read({ deadline, peerGone: this.#closed }, decodeWhole);
    return r === EOF ? null : r === EMPTY ? (this.#closed() ? null : undefined) : r as Request;
  }

  /**
   * Sends a reply to the caller of `request` (given up if that caller ended). A value
   * that cannot be sent becomes an error reply.
   */
  reply(request: Request, status: number, value: unknown): void {
    const [seq, slot, pid] = request;
    // A caller that ended has no reply coming: its slot may be someone else's by now.
    if (slot === NO_REPLY || !pidAlive(pid)) return;
    let payload: Payload;
    try {
      payload = encodeMessage(value, "the caller of the manager");
    } catch (e) {
      status = REPLY_ERROR;
      payload = encodeMessage(errorToData(e), "the caller of the manager");
    }
    const m = this.#replies[slot];
    const w = m.words;
    let big = 0;
    if (payload.bytes.length > REPLY_CAPACITY) {
      const ref = createBlock(`mp-manager-${this.#token}-reply-${++this.#bigReplies}`, payload.bytes.length);
      blockBytes(ref).set(payload.bytes);
      closeBlock(ref); // the caller unlinks it, which frees it
      w[R_BIG_TAG] = payload.tag;
      payload = encodeMessage(ref, "the caller");
      big = 1;
    }
    w[R_TAG] = payload.tag;
    w[R_STATUS] = status;
    w[R_LEN] = payload.bytes.length;
    w[R_BIG] = big;
    m.bytes.set(payload.bytes, R_BYTES);
    Atomics.store(w, R_SEQ, seq); // publishes the words and bytes above
    if (Atomics.load(w, R_ASLEEP) !== 0) Atomics.notify(w, R_SEQ);
  }
}

/** Marks the manager of `handle` shut down and wakes every process waiting on it. */
export function closeTransport(handle: TransportHandle): void {
  Atomics.store(handle.control, CLOSED, 1);
  Atomics.notify(handle.control, FREED);
  new Channel(handle.requests).wakeAll();
  for (const b of handle.replies) Atomics.notify(new Int32Array(b), R_SEQ);
}
