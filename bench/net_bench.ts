/**
 * mp.connection next to Python's multiprocessing.connection, in one run, each talking
 * over loopback TCP to an echo server of its own language in a separate OS process
 * (the server echoes raw frames; authkey set, so both run the HMAC handshake):
 * - round trip of a small object (`send` / `recv`; Python pickles),
 * - round trip of 64 raw bytes (`sendBytes` / `recvBytes`, Python's `send_bytes` / `recv_bytes`),
 * - 16 MiB sent and echoed back,
 * - connect + authenticate + close (`Client()`);
 * and the floor under all of these: 64 bytes echoed by a server of the same language
 * with no library code at all (the runtime's own sockets; Python's `socket`).
 *
 * Run: deno run -A bench/net_bench.ts   |   bun bench/net_bench.ts
 */
import * as mp from "../mod.ts";
import { runPython, runtimeLabel, startServerProcess } from "./python.ts";

const AUTHKEY = "bench key";
const ROUND_TRIPS = 5_000;
const ROUNDS = 3;
const BIG = 16 << 20;
const BIGS = 5;
const CONNECTS = 200;

interface Figures {
  /** µs per object round trip. */
  object: number;
  /** µs per 64-byte round trip. */
  bytes: number;
  /** ms per 16 MiB echoed. */
  big: number;
  /** µs per connect + handshake + close. */
  connect: number;
  /** µs per 64-byte round trip between bare sockets (no library code). */
  floor: number;
}

/**
 * µs per 64-byte round trip (best of ROUNDS) between this runtime's own sockets and
 * bench/fixtures/bare_echo.ts: what the runtime's event loop and the OS cost, with no
 * library code.
 */
async function bareFloor(): Promise<number> {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  const server = await startServerProcess("bare_echo.ts", [], "the bare echo server");
  const message = new Uint8Array(64);
  let roundTrip: () => Promise<void>;
  let close: () => void;
  if (g.Deno) {
    const conn = await g.Deno.connect({ hostname: "127.0.0.1", port: server.port });
    conn.setNoDelay(true);
    const buf = new Uint8Array(65536);
    roundTrip = async () => {
      await conn.write(message);
      let got = 0;
      while (got < message.length) got += (await conn.read(buf)) ?? Infinity;
    };
    close = () => conn.close();
  } else {
    let got = 0;
    let wake: (() => void) | null = null;
    const socket = await g.Bun.connect({
      hostname: "127.0.0.1",
      port: server.port,
      socket: {
        data: (_s: unknown, d: Uint8Array) => {
          got += d.length;
          if (got >= message.length && wake) (got -= message.length, wake(), wake = null);
        },
      },
    });
    socket.setNoDelay?.(true);
    roundTrip = () => new Promise<void>((r) => (wake = r, socket.write(message)));
    close = () => socket.end();
  }
  try {
    for (let i = 0; i < 200; i++) await roundTrip();
    let us = Infinity;
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      for (let i = 0; i < ROUND_TRIPS; i++) await roundTrip();
      us = Math.min(us, ((performance.now() - t0) / ROUND_TRIPS) * 1000);
    }
    return us;
  } finally {
    close();
    server.stop();
  }
}

/** Starts bench/fixtures/net_echo.ts on this runtime; resolves with its port and a stop function. */
function startEcho(): Promise<{ port: number; stop: () => void }> {
  return startServerProcess("net_echo.ts", [AUTHKEY], "the echo server");
}

async function ours(): Promise<Figures> {
  const echo = await startEcho();
  try {
    const address: mp.connection.Address = ["127.0.0.1", echo.port];
    using conn = await mp.connection.Client(address, { authkey: AUTHKEY });
    const best = async (once: (i: number) => Promise<unknown>) => {
      for (let i = 0; i < 200; i++) await once(i);
      let us = Infinity;
      for (let r = 0; r < ROUNDS; r++) {
        const t0 = performance.now();
        for (let i = 0; i < ROUND_TRIPS; i++) await once(i);
        us = Math.min(us, ((performance.now() - t0) / ROUND_TRIPS) * 1000);
      }
      return us;
    };
    const object = await best(async (i) => {
      await conn.send({ id: i, op: "add", args: [i, 2] });
      return await conn.recv();
    });
    const small = new Uint8Array(64);
    const bytes = await best(async () => {
      await conn.sendBytes(small);
      return await conn.recvBytes();
    });
    const big = new Uint8Array(BIG).fill(7);
    await conn.sendBytes(big);
    await conn.recvBytes();
    let t0 = performance.now();
    for (let i = 0; i < BIGS; i++) {
      await conn.sendBytes(big);
      await conn.recvBytes();
    }
    const bigMs = (performance.now() - t0) / BIGS;
    t0 = performance.now();
    for (let i = 0; i < CONNECTS; i++) (await mp.connection.Client(address, { authkey: AUTHKEY })).close();
    const connect = ((performance.now() - t0) / CONNECTS) * 1000;
    return { object, bytes, big: bigMs, connect, floor: await bareFloor() };
  } finally {
    echo.stop();
  }
}

const PYTHON = `
import json, sys, time
import multiprocessing as mp
from multiprocessing.connection import Client, Listener
RTS, ROUNDS, BIG, BIGS, CONNECTS = (int(a) for a in sys.argv[1:6])
KEY = b"${AUTHKEY}"
def serve_one(conn):
    try:
        while True: conn.send_bytes(conn.recv_bytes())
    except EOFError:
        conn.close()
def bare_echo(ready):
    import socket, threading
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
    ready.send(s.getsockname()[1])
    def serve(c):
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            d = c.recv(65536)
            if not d: return c.close()
            c.sendall(d)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
def echo(ready):
    import threading
    with Listener(("127.0.0.1", 0), authkey=KEY) as listener:
        ready.send(listener.address[1])
        while True:
            c = listener.accept()
            threading.Thread(target=serve_one, args=(c,), daemon=True).start()
if __name__ == "__main__":
    a, b = mp.Pipe()
    p = mp.Process(target=echo, args=(b,), daemon=True); p.start()
    address = ("127.0.0.1", a.recv())
    out = {}
    with Client(address, authkey=KEY) as conn:
        def best(once):
            for i in range(200): once(i)
            us = float("inf")
            for _ in range(ROUNDS):
                t = time.perf_counter()
                for i in range(RTS): once(i)
                us = min(us, (time.perf_counter() - t) / RTS * 1e6)
            return us
        def obj(i):
            conn.send({"id": i, "op": "add", "args": [i, 2]}); return conn.recv()
        small = bytes(64)
        def raw(i):
            conn.send_bytes(small); return conn.recv_bytes()
        out["object"] = best(obj)
        out["bytes"] = best(raw)
        big = bytes([7]) * BIG
        conn.send_bytes(big); conn.recv_bytes()
        t = time.perf_counter()
        for _ in range(BIGS): conn.send_bytes(big); conn.recv_bytes()
        out["big"] = (time.perf_counter() - t) / BIGS * 1000
    t = time.perf_counter()
    for _ in range(CONNECTS): Client(address, authkey=KEY).close()
    out["connect"] = (time.perf_counter() - t) / CONNECTS * 1e6
    p.terminate()
    import socket
    a, b = mp.Pipe()
    p = mp.Process(target=bare_echo, args=(b,), daemon=True); p.start()
    s = socket.create_connection(("127.0.0.1", a.recv()))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    small = bytes(64)
    def bare(i):
        s.sendall(small); got = 0
        while got < 64: got += len(s.recv(65536))
    out["floor"] = best(bare)
    s.close(); p.terminate()
    print(json.dumps(out))
`;

function row(name: string, value: string, note = ""): void {
  console.log(`  ${name.padEnd(46)} ${value.padStart(12)}  ${note}`);
}

/** "2.1x faster than Python" / "Python 1.3x faster" for times (lower is better). */
function vs(ourTime: number, pyTime: number | undefined): string {
  if (pyTime === undefined) return "";
  const r = pyTime / ourTime;
  return r >= 1 ? `${r.toFixed(2)}x faster than Python` : `Python ${(1 / r).toFixed(2)}x faster`;
}

if (import.meta.main) {
  console.log(`mp.connection over loopback TCP, ${runtimeLabel()}`);
  const py = (await runPython(PYTHON, [ROUND_TRIPS, ROUNDS, BIG, BIGS, CONNECTS].map(String))) as
    | Figures
    | null;
  const me = await ours();
  const us = (n: number) => `${n.toFixed(1)} µs`;
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  console.log(
    `Round trip to an echo server in another OS process, best of ${ROUNDS} x ${ROUND_TRIPS} (lower is better)`,
  );
  if (py) row("Python conn.send(dict) / recv()", us(py.object));
  row("mp.connection send(object) / recv()", us(me.object), vs(me.object, py?.object));
  if (py) row("Python conn.send_bytes(64 B) / recv_bytes()", us(py.bytes));
  row("mp.connection sendBytes(64 B) / recvBytes()", us(me.bytes), vs(me.bytes, py?.bytes));
  console.log(`16 MiB sent and echoed back, ${BIGS} times (lower is better)`);
  if (py) row("Python send_bytes / recv_bytes", ms(py.big));
  row("mp.connection sendBytes / recvBytes", ms(me.big), vs(me.big, py?.big));
  console.log(`Client() connect + HMAC handshake both ways + close, ${CONNECTS} times (lower is better)`);
  if (py) row("Python Client(address, authkey=...)", us(py.connect));
  row("mp.connection.Client(address, { authkey })", us(me.connect), vs(me.connect, py?.connect));
  console.log("The floor: 64 bytes echoed between bare sockets, no library code (lower is better)");
  if (py) row("Python socket sendall / recv", us(py.floor));
  row(`${runtimeLabel().split(" ")[0]}'s own sockets`, us(me.floor), vs(me.floor, py?.floor));
  row(
    "mp.connection sendBytes / recvBytes over it",
    `${(me.bytes / me.floor).toFixed(2)}x`,
    "the floor's time",
  );
}
