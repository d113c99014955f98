/**
 * Items over a {@linkcode Channel}: serialize, write, read, deserialize, with the
 * timeouts and errors the public classes share (queues and connections are thin
 * layers over these steps).
 *
 * @module
 */
import { deadlineOf } from "../internal/_atomics.ts";
import type { Steps } from "../sync/_steps.ts";
import { type Channel, EMPTY, EOF, type Shortfall, type WriteResult } from "./_channel.ts";
import { EOFError, ProcessError } from "../internal/errors.ts";
import { deserializeAt, type Payload } from "../internal/_serializer.ts";
import { checkTimeout } from "../internal/_timeouts.ts";

/** How an operation reports that it gave up, by what happened. */
export interface Failures {
  /** No room in time (the message names the timeout). */
  full?: (timeout: number | undefined) => Error;
  /** No item in time. */
  empty?: (timeout: number | undefined) => Error;
  /** Whether the other side of a pipe is gone. */
  peerGone?: () => boolean;
}

/** Checks a timeout argument and turns it into a deadline. */
export function deadline(timeout: unknown, where: string): { timeout: number | undefined; deadline: number } {
  const ms = checkTimeout(timeout, where);
  return { timeout: ms, deadline: deadlineOf(ms) };
}

/** Writes an already serialized payload. */
export function* putPayload(
  channel: Channel,
  payload: Payload,
  timeout: number | undefined,
  deadline: number,
  fail: Failures,
): Steps<void> {
  checkWrite(yield* channel.write(payload, { deadline, peerGone: fail.peerGone }), timeout, fail);
}

/** Reads one payload (bytes of its own), throwing the empty / EOF errors. */
export function* getPayload(
  channel: Channel,
  timeout: number | undefined,
  deadline: number,
  fail: Failures,
): Steps<Payload> {
  return checkRead(yield* channel.readAt({ deadline, peerGone: fail.peerGone }, ownBytes), timeout, fail);
}

/** Reads and rebuilds one item. */
export function* getItem(
  channel: Channel,
  timeout: number | undefined,
  deadline: number,
  fail: Failures,
): Steps<unknown> {
  return checkRead(
    yield* channel.readAt({ deadline, peerGone: fail.peerGone }, deserializeAt),
    timeout,
    fail,
  );
}

function ownBytes(tag: number, bytes: Uint8Array, at: number, len: number): Payload {
  return {
    tag,
    bytes: bytes.buffer instanceof ArrayBuffer && at === 0 && len === bytes.length
      ? bytes
      : bytes.slice(at, at + len),
  };
}

function checkWrite(r: WriteResult, timeout: number | undefined, fail: Failures): void {
  if (r === "full") throw fail.full!(timeout);
  if (r === "broken") {
    throw new ProcessError(
      "Broken pipe: the other end of the connection is closed (or its process ended), so nothing sent " +
        "can be received: check the other side, or catch this error to stop sending",
    );
  }
}

function checkRead<R>(r: R | Shortfall, timeout: number | undefined, fail: Failures): R {
  if (r === EMPTY) throw fail.empty!(timeout);
  if (r === EOF) {
    throw new EOFError(
      "The other end of the connection is closed (or its process ended) and nothing is left to receive",
    );
  }
  return r as R;
}

/**
 * A get that could not take an item at once (see `Channel.tryRead`): the steps that
 * wait for one.
 */
export class Later<T> {
  /** Wraps the steps. */
  constructor(readonly steps: Steps<T>) {}
}

/** "within 100 ms" / "at once", for messages. */
export function within(timeout: number | undefined): string {
  return timeout === undefined ? "" : timeout <= 0 ? " at once" : ` within ${timeout} ms`;
}
