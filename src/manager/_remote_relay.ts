/**
 * The relay role of the bootstrap: a helper thread that makes the blocking (`*Sync`)
 * calls of one program's remote proxies (see `_relay_protocol.ts`). It connects to the
 * manager's server with the manager's authkey, joins the program's session (so that its
 * calls hold references and locks as the program's own), then, for each call, sends the
 * request the caller put in the shared buffer and hands the reply back, while the
 * caller waits with `Atomics.wait`. Its event loop stays free between calls, so that the
 * connection answers the server's pings.
 *
 * @module
 */
import type { Role } from "../process/_messages.ts";
import { Client } from "../net/client.ts";
import { heartbeat, keepAlive, type SocketConnection } from "../net/socket_connection.ts";
import { encodeMessage } from "../net/codec.ts";
import type { Address } from "../net/address.ts";
import type { Authkey } from "../net/auth.ts";
import { waitAsync } from "../internal/_atomics.ts";
import { PING_TO_CLIENT, PING_TO_SERVER } from "./_protocol.ts";
import {
  askNext,
  Assembly,
  handOver,
  KIND_FAILURE,
  KIND_MESSAGE,
  R_LEN,
  R_STATE,
  R_TURN,
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

/** Waits until it is the relay's turn (`R_TURN` odd). */
async function ourTurn(ctl: Int32Array<SharedArrayBuffer>): Promise<void> {
  for (;;) {
    const turn = Atomics.load(ctl, R_TURN);
    if ((turn & 1) === 1) return;
    await waitAsync(ctl, R_TURN, turn);
  }
}

async function relay(x: RelayConfig): Promise<number> {
  const { ctl, data } = x;
  let c: SocketConnection;
  try {
    c = await Client(x.address as Address, {
      authkey: x.authkey as Authkey | undefined,
      maxMessageSize: x.maxMessageSize,
    });
    keepAlive(c, x.keepAlive);
    heartbeat(c, x.keepAlive, PING_TO_SERVER, PING_TO_CLIENT);
    await c.sendBytes(encodeMessage([0, 0, "hello", [x.session]]));
  } catch (e) {
    const why = reason(e).subarray(0, RELAY_CHUNK);
    data.set(why);
    Atomics.store(ctl, R_LEN, why.length);
    Atomics.store(ctl, R_STATE, RELAY_FAILED);
    Atomics.notify(ctl, R_STATE);
    return 0;
  }
  Atomics.store(ctl, R_STATE, RELAY_READY);
  Atomics.notify(ctl, R_STATE);
  const request = new Assembly();
  for (;;) {
    await ourTurn(ctl);
    const whole = request.take(ctl, data);
    if (whole === null) {
      askNext(ctl);
      continue;
    }
    let reply: Uint8Array;
    let kind = KIND_MESSAGE;
    try {
      await c.sendBytes(whole); // the request as the caller encoded it: the same frame as send()
      reply = await c.recvBytes();
    } catch (e) {
      reply = reason(e);
      kind = KIND_FAILURE;
    }
    for (let at = 0;;) {
      at = handOver(ctl, data, reply, at, kind);
      if (at >= reply.length) break;
      await ourTurn(ctl); // the caller took the chunk and asks for the next
    }
    if (kind === KIND_FAILURE) {
      c.close();
      return 0;
    }
  }
}
