/**
 * How proxies reach a manager's server from any process of the tree, without any
 * thread's event loop in between: one request {@linkcode Channel} that every caller
 * writes to and the server reads, and a fixed set of reply channels ("slots"). A call
 * claims a free slot with a robust lock word (the caller's pid; a slot whose caller
 * ended is taken over), writes `[seq, slot, pid, id, method, args]`, reads its reply
 * from the slot's channel, and frees the slot. While it waits for the reply, a caller
 * spins only if it holds one of the spin tokens (as many as the cores the server
 * leaves); the others sleep until the server wakes them. Replies carry the call's sequence
 * number, so that a reply meant for a caller that died mid-call is skipped by the
 * slot's next user. A reply too large for half a slot's ring travels in a block of the
 * tree-wide arena instead, so that the server never waits for a slow reader.
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
import { Channel, type Decode, EMPTY, EOF, SLOW } from "../channel/_channel.ts";
import { ProcessError } from "../internal/errors.ts";
import { type ErrorData, errorFromData, errorToData } from "../internal/_error_wire.ts";
import { decodeMessage, encodeMessage } from "./_codec.ts";
import type { Payload } from "../internal/_serializer.ts";
import { runAsync, runSync, type Steps, wait } from "../sync/_steps.ts";

/** Number of reply slots: calls in flight at once across the tree (more wait for a slot). */
export const SLOTS = 32;
/** Ring size of each reply slot. */
const REPLY_CAPACITY = 16 * 1024;
/** Larger replies travel in an arena block. */
const INLINE_REPLY_MAX = REPLY_CAPACITY / 2 - 64;
const REQUEST_CAPACITY = 256 * 1024;

// Control words.
/** 1 once the manager is shut down. */
const CLOSED = 0;
/** The server's pid (0 until it runs). */
const SERVER = 1;
/** Bumped whenever a slot is freed. */
const FREED = 2;
/** Callers sleeping until a slot is freed. */
const SLOT_WAITERS = 3;
const LOCKS = 4;
const SEQS = LOCKS + SLOTS;
/** Per slot: 1 while its caller sleeps until its reply comes (the server clears it and wakes it). */
const ASLEEP = SEQS + SLOTS;
/** Callers may spin for their replies on as many cores as the server leaves, at most this many. */
const MAX_SPIN_TOKENS = 8;
/** Spin tokens: the pid of the caller spinning with it, or 0. */
const SPINNERS = ASLEEP + SLOTS;
const CONTROL_WORDS = SPINNERS + MAX_SPIN_TOKENS;

/** Reply status: a value. */
export const REPLY_OK = 0;
/** Reply status: an error (`ErrorData`). */
export const REPLY_ERROR = 1;
/** Reply status: the reply is in an arena block (`BigReply`). */
const REPLY_BIG = 2;

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

interface BigReply {
  ref: BlockRef;
  tag: number;
}

/** What a transport travels as: shared buffers and numbers. */
export interface TransportHandle {
  /** Tells this manager from any other (random). */
  token: number;
  control: SharedInt32;
  requests: SharedArrayBuffer;
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
    replies: Array.from({ length: SLOTS }, () => Channel.create({ capacity: REPLY_CAPACITY }).buffer),
  };
}

/** Reads a reply's bytes (arena replies are copied out and their block freed). */
function readReply(tag: number, bytes: Uint8Array): [number, number, unknown] {
  const r = decodeMessage(tag, bytes) as [number, number, unknown];
  if (r[1] !== REPLY_BIG) return r;
  const big = r[2] as BigReply;
  try {
    return decodeMessage(big.tag, blockBytes(big.ref).slice()) as [number, number, unknown];
  } finally {
    unlinkBlock(big.ref);
  }
}

/** {@linkcode readReply} for `Channel.tryRead`. */
const readReplyAt: Decode<[number, number, unknown]> = (tag, bytes, at, len) =>
  readReply(tag, bytes.subarray(at, at + len));

/** `decodeMessage` for `Channel.tryRead`. */
const decodeAt: Decode<unknown> = (tag, bytes, at, len) => decodeMessage(tag, bytes.subarray(at, at + len));

/** One process's end of a manager's transport. */
export class Transport {
  /** The handle this transport was opened from (sent along with proxies). */
  readonly handle: TransportHandle;
  readonly #control: SharedInt32;
  readonly #requests: Channel;
  readonly #replies: Channel[];
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
    this.#replies = handle.replies.map((b) => new Channel(b));
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
    const c = this.#control;
    try {
      const seq = (Atomics.add(c, SEQS + slot, 1) + 1) | 0;
      const request: Request = [seq, slot, ownPid(), id, method, args, flags];
      const payload = encodeMessage(request, "the manager");
      const reply = this.#replies[slot];
      // The fast paths first (no generator, no copy), then the general ones.
      const written = this.#requests.tryWrite(payload, this.gone) === "ok" ||
        (yield* this.#requests.write(payload, { deadline: Infinity, peerGone: this.gone })) === "ok";
      if (!written) throw this.goneError(`this ${typeid} proxy`);
      yield* this.#awaitReply(slot, reply);
      for (;;) {
        const fast = reply.tryRead(readReplyAt);
        const r = fast !== SLOW
          ? fast
          : yield* reply.read({ deadline: Infinity, peerGone: this.gone }, readReply);
        if (r === EOF || r === EMPTY) throw this.goneError(`this ${typeid} proxy`);
        if (r[0] !== seq) continue; // meant for a caller of this slot that died mid-call
        if (r[1] === REPLY_ERROR) throw errorFromData(r[2] as ErrorData);
        return r[2];
      }
    } finally {
      Atomics.store(c, LOCKS + slot, 0);
      Atomics.add(c, FREED, 1);
      if (Atomics.load(c, SLOT_WAITERS) > 0) Atomics.notify(c, FREED);
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
    const steps = this.#requests.write(encodeMessage(request, "the manager"), {
      deadline: Infinity,
      peerGone: this.gone,
    });
    if (sync) runSync(steps);
    else runAsync(steps).catch(() => {});
  }

  /**
   * Waits until the reply channel of `slot` holds something, or the server is gone.
   * A caller spins for it only with a spin token: callers spinning on more cores than
   * the server leaves would take the cores the server and the other callers need (with
   * two callers and the server on two cores, the server would answer only once their
   * spins run out). A caller without one, or whose spin ran out, sleeps on the slot's
   * `ASLEEP` word, which the server clears when it replies, waking it.
   *
   * Spins that run out in a row make the next calls sleep at once (1, 3, 7... up to
   * 31 calls): when the cores are busy with other work, the server rarely answers
   * within a spin, and the spins only take the core it needs. One spin that runs out
   * (a slow method) costs nothing; the first one that succeeds starts over.
   */
  *#awaitReply(slot: number, reply: Channel): Steps<void> {
    if (reply.size() > 0) return;
    const c = this.#control;
    const token = this.#skipSpins > 0 ? (this.#skipSpins--, -1) : takeSpinToken(c);
    if (token >= 0) {
      spinWhileEmpty(reply);
      Atomics.compareExchange(c, SPINNERS + token, ownPid(), 0);
      if (reply.size() > 0) this.#misses = 0;
      else {
        this.#misses = Math.min(this.#misses + 1, MAX_MISSES);
        this.#skipSpins = (1 << (this.#misses - 1)) - 1;
      }
    }
    while (reply.size() === 0 && !this.gone()) {
      Atomics.store(c, ASLEEP + slot, 1);
      if (reply.size() > 0) break; // replied before the server could see ASLEEP
      yield wait(c, ASLEEP + slot, 1, LIVENESS_POLL_MS);
    }
    Atomics.store(c, ASLEEP + slot, 0);
  }

  /** Claims a free reply slot, waiting for one if all are busy. */
  *#claim(typeid: string): Steps<number> {
    const c = this.#control;
    const pid = ownPid();
    for (;;) {
      const freed = Atomics.load(c, FREED);
      for (let k = 0; k < SLOTS; k++) {
        const slot = (this.#next + k) % SLOTS;
        const seen = Atomics.compareExchange(c, LOCKS + slot, 0, pid);
        if (seen === 0 || (!pidAlive(seen) && Atomics.compareExchange(c, LOCKS + slot, seen, pid) === seen)) {
          this.#next = (slot + 1) % SLOTS;
          return slot;
        }
      }
      this.check(`this ${typeid} proxy`);
      Atomics.add(c, SLOT_WAITERS, 1);
      try {
        yield wait(c, FREED, freed, LIVENESS_POLL_MS);
      } finally {
        Atomics.sub(c, SLOT_WAITERS, 1);
      }
    }
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

/** Spins this long (ms) for a quick answer before sleeping on a channel. */
const SPIN_MS = 0.05;

/**
 * Waits briefly by spinning while `channel` holds nothing: a reply (or the next request
 * of a busy caller) usually comes within microseconds, sooner than a sleeping thread
 * would be woken.
 */
function spinWhileEmpty(channel: Channel): void {
  if (channel.size() > 0) return;
  const end = performance.now() + SPIN_MS;
  while (channel.size() === 0 && performance.now() < end);
}

/** The server's end of a transport. */
export class ServerEnd {
  readonly #control: SharedInt32;
  readonly #requests: Channel;
  readonly #replies: Channel[];
  readonly #token: number;
  #bigReplies = 0;

  /** Opens the server's end and records the server's pid. */
  constructor(handle: TransportHandle) {
    this.#control = handle.control;
    this.#requests = new Channel(handle.requests);
    this.#replies = handle.replies.map((b) => new Channel(b));
    this.#token = handle.token;
    Atomics.store(this.#control, SERVER, ownPid());
  }

  #closed = (): boolean => Atomics.load(this.#control, CLOSED) !== 0;

  /**
   * Waits for the next request until `deadline`: `undefined` if none came, `null` once
   * the manager is shut down.
   */
  *next(deadline: number): Steps<Request | null | undefined> {
    const ready = this.#requests.tryRead(decodeAt);
    if (ready !== SLOW) return ready as Request;
    spinWhileEmpty(this.#requests);
    const r = yield* this.#requests.read({ deadline, peerGone: this.#closed }, decodeMessage);
    return r === EOF ? null : r === EMPTY ? (this.#closed() ? null : undefined) : r as Request;
  }

  /**
   * Sends a reply to the caller of `request` (given up if that caller ended). A value
   * that cannot be sent becomes an error reply.
   */
  reply(request: Request, status: number, value: unknown): void {
    const [seq, slot, pid] = request;
    if (slot === NO_REPLY) return;
    let payload: Payload;
    try {
      payload = encodeMessage([seq, status, value], "the caller of the manager");
    } catch (e) {
      payload = encodeMessage([seq, REPLY_ERROR, errorToData(e)], "the caller of the manager");
    }
    if (payload.bytes.length > INLINE_REPLY_MAX) {
      const ref = createBlock(`mp-manager-${this.#token}-reply-${++this.#bigReplies}`, payload.bytes.length);
      blockBytes(ref).set(payload.bytes);
      closeBlock(ref); // the caller unlinks it, which frees it
      payload = encodeMessage([seq, REPLY_BIG, { ref, tag: payload.tag } satisfies BigReply], "the caller");
    }
    const channel = this.#replies[slot];
    if (channel.tryWrite(payload) !== "ok") {
      runSync(channel.write(payload, { deadline: Infinity, peerGone: () => !pidAlive(pid) }));
    }
    const c = this.#control;
    if (Atomics.load(c, ASLEEP + slot) !== 0) {
      Atomics.store(c, ASLEEP + slot, 0);
      Atomics.notify(c, ASLEEP + slot);
    }
  }
}

/** Marks the manager of `handle` shut down and wakes every process waiting on it. */
export function closeTransport(handle: TransportHandle): void {
  Atomics.store(handle.control, CLOSED, 1);
  Atomics.notify(handle.control, FREED);
  new Channel(handle.requests).wakeAll();
  for (const b of handle.replies) new Channel(b).wakeAll();
  for (let slot = 0; slot < SLOTS; slot++) Atomics.notify(handle.control, ASLEEP + slot);
}
