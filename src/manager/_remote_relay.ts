/**
 * The relay role of the bootstrap: a helper thread that receives the replies of one
 * program's blocking (`*Sync`) remote calls (see `_relay_protocol.ts`). It connects to
 * the manager's server with the manager's authkey and joins the program's session as
 * its relay, so that the server answers there the requests the program sends with
 * sequence number -1; it hands each reply over while the caller waits with
 * `Atomics.wait`. It also sends the requests handed to it (before the program's own
 * connection is up). Its event loop stays free between calls, so that the connection
 * answers the server's pings.
 *
 * @module
 */
import type { Role } from "../process/_messages.ts";
import type { SocketConnection } from "../net/socket_connection.ts";
import { waitAsync } from "../internal/_atomics.ts";
import {
  Assembly,
  bump,
  connectToServer,
  handOver,
  KIND_FAILURE,
  KIND_MESSAGE,
  R_ACK,
  R_LEN,
  R_REP,
  R_REQ,
  R_STATE,
  RELAY_CHUNK,
  RELAY_FAILED,
  RELAY_READY,
  type RelayConfig,
} from "./_relay_protocol.ts";

/** The relay: connects, then relays calls until its connection fails or it is ended. */
export const role: Role = {
  prepare(init) {
    const config = init.extra as RelayConfig;
    return Promise.resolve(() => relay(config));
  },
};

const utf8 = new TextEncoder();

function reason(e: unknown): Uint8Array {
  return utf8.encode(e instanceof Error ? e.message : String(e));
}

/** Waits until control word `i` is no longer `seen`; returns its new value. */
async function changed(ctl: Int32Array<SharedArrayBuffer>, i: number, seen: number): Promise<number> {
  for (;;) {
    const now = Atomics.load(ctl, i);
    if (now !== seen) return now;
    await waitAsync(ctl, i, seen);
  }
}

async function relay(x: RelayConfig): Promise<number> {
  const { ctl, data } = x;
  let c: SocketConnection;
  try {
    c = await connectToServer(x);
    // Answered once the server counts this connection as the session's relay: only then
    // may the program send requests whose replies come here.
    await c.send([1, 0, "hello", [x.session, "relay"]]);
    const ack = await c.recv();
    if (!Array.isArray(ack) || ack[0] !== 1 || ack[1] !== 0) {
      const why = (ack as unknown[])?.[2] as { message?: string } | undefined;
      throw new Error(`The manager's server refused the relay connection (${why?.message ?? "no reason"})`);
    }
  } catch (e) {
    const why = reason(e).subarray(0, RELAY_CHUNK);
    data.set(why);
    Atomics.store(ctl, R_LEN, why.length);
    Atomics.store(ctl, R_STATE, RELAY_FAILED);
    Atomics.notify(ctl, R_STATE);
    return 0;
  }
  let ended = false;
  // Listening before saying ready: the caller may hand a request over the moment it is.
  sendHandedOver(c, x, () => ended);
  Atomics.store(ctl, R_STATE, RELAY_READY);
  Atomics.notify(ctl, R_STATE);
  for (;;) {
    let reply: Uint8Array;
    let kind = KIND_MESSAGE;
    try {
      reply = await c.recvBytes();
    } catch (e) {
      reply = reason(e);
      kind = KIND_FAILURE;
    }
    for (let at = 0;;) {
      const acked = Atomics.load(ctl, R_ACK);
      at = handOver(ctl, data, R_REP, reply, at, kind);
      if (at >= reply.length) break;
      await changed(ctl, R_ACK, acked); // the caller took the chunk and asks for the next
    }
    if (kind === KIND_FAILURE) {
      ended = true;
      c.close();
      return 0;
    }
  }
}

/** Sends the requests the caller hands over in the buffer (before its own connection is up). */
async function sendHandedOver(c: SocketConnection, x: RelayConfig, ended: () => boolean): Promise<void> {
  const { ctl, data } = x;
  const request = new Assembly();
  let seen = Atomics.load(ctl, R_REQ); // read before the relay says it is ready
  while (!ended()) {
    seen = await changed(ctl, R_REQ, seen);
    const whole = request.take(ctl, data);
    if (whole === null) {
      Atomics.store(ctl, R_LEN, 0);
      bump(ctl, R_REP); // send the next chunk
      continue;
    }
    // The request as the caller encoded it: the same frame as send(). A failure shows
    // as the reply loop's.
    c.sendBytes(whole).catch(() => {});
  }
}
