import { test as nodeTest, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mp from "../mod.ts";
import { AUTHKEY, describe, VALUES } from "./fixtures/net_peer.ts";
import { echoServer, sendFromChild } from "./fixtures/net_targets.ts";
import { noop } from "./fixtures/process_targets.ts";
import { joinWithin, killAll } from "./helpers.ts";
import { connectedPair, hasPython, Program, root, runtimes, within } from "./net_helpers.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Every test here is bounded as a whole, on both runners (Deno's has no default timeout). */
function test(name: string, fn: (t: TestContext) => Promise<void>, ms = 120_000): void {
  nodeTest(name, (t) => within(fn(t), ms, `the test "${name}"`));
}
const bytes = (s: string) => new TextEncoder().encode(s);

test("connection: objects round trip over TCP, in order, both ways", async () => {
  await using p = await connectedPair();
  const values: unknown[] = [
    { hello: ["world", 1, 2.5, null, true] },
    "héllo ☃",
    "lone \ud800 surrogate",
    ["in an array: \udc00"],
    0,
    -0,
    NaN,
    Infinity,
    123456789012345678901234567890n,
    -5n,
    undefined,
    null,
    [1, [2, [3, [4]]]],
    new Map<unknown, unknown>([[1, "one"], ["1", { two: 2 }]]),
    new Set(["a", 1]),
    new Date(1_700_000_000_000),
    /a+b/gi,
    new Uint8Array([1, 2, 3]),
    new Int16Array([-1, 2, 300]),
    new BigInt64Array([-(1n << 62n)]),
    new Uint8Array([9, 8]).buffer,
    { deep: { nested: new Map([["m", new Set([1n])]]) } },
  ];
  for (const v of values) await p.client.send(v);
  for (const v of values) assert.deepEqual(await p.server.recv(), v);
  const err = new RangeError("out of range");
  await p.server.send(err);
  const back = (await p.client.recv()) as Error;
  assert.ok(back instanceof RangeError);
  assert.equal(back.message, "out of range");
  assert.equal(back.stack, err.stack);
  class Point {
    constructor(public x: number, public y: number) {}
  }
  await p.server.send(new Point(1, 2) as unknown);
  assert.deepEqual(await p.client.recv(), { x: 1, y: 2 }); // as structured clone: a plain object
  assert.equal(`${p.server}`.startsWith("<SocketConnection 127.0.0.1:"), true);
  assert.equal(p.server.readable && p.server.writable && !p.server.closed, true);
});

test("connection: what cannot be sent is refused at send, naming the part; a network connection stays in its program", async () => {
  await using p = await connectedPair();
  await assert.rejects(
    p.client.send({ a: [1, () => 1] }),
    (e: Error) => e instanceof mp.ProcessError && /obj\.a\[1\] is a function/.test(e.message),
  );
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic.self = cyclic;
  await assert.rejects(p.client.send(cyclic), /obj\.self is a reference back .* \(a cycle\)/);
  await assert.rejects(p.client.send({ c: p.server }), /obj\.c is a SocketConnection of this package/);
  await assert.rejects(p.client.send(Symbol("s")), /obj is a symbol/);
  await assert.rejects(
    p.client.send(new mp.Lock()),
    /obj is a Lock of this package, which works only inside one program/,
  );
  const child = new mp.Process({ target: noop, args: [p.server] as unknown as [] });
  await assert.rejects(child.start(), /Cannot pass .* to another process.*Client\(\) in the child/);
  // Nothing was lost: the connection still works.
  await p.client.send("still here");
  assert.equal(await p.server.recv(), "still here");
});

test("connection: bytes with offset and size, maxLength, recvBytesInto and BufferTooShort", async () => {
  await using p = await connectedPair();
  const { client, server } = p;
  await client.sendBytes(new Uint8Array([0, 1, 2, 3, 4, 5]), 2, 3);
  assert.deepEqual(await server.recvBytes(), new Uint8Array([2, 3, 4]));
  await client.sendBytes(new Uint16Array([1, 2]).buffer);
  assert.equal((await server.recvBytes()).length, 4);
  await client.sendBytes(new Uint8Array(0));
  assert.deepEqual(await server.recvBytes(), new Uint8Array(0));
  await client.sendBytes(new Uint8Array(10));
  await assert.rejects(
    server.recvBytes(5),
    /bad message length: the message has 10 bytes, more than maxLength 5/,
  );
  await client.sendBytes(new Uint8Array([9, 8, 7]));
  const into = new Uint8Array(8);
  assert.equal(await server.recvBytesInto(into, 4), 3);
  assert.deepEqual([...into], [0, 0, 0, 0, 9, 8, 7, 0]);
  await client.sendBytes(new Uint8Array([1, 2, 3, 4]));
  await assert.rejects(server.recvBytesInto(new Uint8Array(2)), (e: Error) => {
    assert.ok(e instanceof mp.BufferTooShort);
    assert.deepEqual([...e.received], [1, 2, 3, 4]);
    return true;
  });
  await assert.rejects(client.sendBytes(new Uint8Array(4), 5), RangeError);
  await assert.rejects(client.sendBytes(new Uint8Array(4), 1, 4), RangeError);
  await assert.rejects(client.sendBytes("text" as unknown as Uint8Array), TypeError);
});

test("connection: *Sync twins never wait: they send at once and receive what has arrived, or say to await", async () => {
  await using p = await connectedPair<unknown>();
  const { client, server } = p;
  assert.equal(server.pollSync(), false);
  assert.throws(
    () => server.recvSync(),
    (e: Error) =>
      e instanceof mp.ProcessError && /no message has arrived yet/.test(e.message) &&
      /await conn\.recv\(\)/.test(e.message),
  );
  assert.throws(() => server.pollSync(10), /cannot wait synchronously.*await conn\.poll\(10\)/);
  assert.throws(() => server.recvBytesSync(), /await conn\.recvBytes\(\)/);
  client.sendSync({ n: 1 });
  client.sendBytesSync(new Uint8Array([5, 6]));
  client.sendSync("three");
  assert.equal(await server.poll(5000), true);
  await within(mp.wait([server], 5000), 6000, "wait");
  assert.deepEqual(server.recvSync(), { n: 1 });
  // The other two may still be on their way: wait for each before the sync read.
  assert.equal(await server.poll(5000), true);
  assert.deepEqual(server.recvBytesSync(), new Uint8Array([5, 6]));
  assert.equal(await server.poll(5000), true);
  const buf = new Uint8Array(16);
  assert.equal(server.recvBytesIntoSync(buf), 11); // "three" in this package's format: 11 bytes
});

test("connection: poll waits as told; EOFError once the peer closed; a pending recv wakes with it", async () => {
  await using p = await connectedPair<string>();
  const { client, server } = p;
  const t0 = performance.now();
  assert.equal(await server.poll(60), false);
  assert.ok(performance.now() - t0 >= 50);
  const pending = client.recv();
  await server.send("last words");
  assert.equal(await pending, "last words");
  const waiting = server.recv();
  await client.send("first");
  assert.equal(await waiting, "first");
  await client.send("bye");
  client.close();
  assert.equal(client.closed, true);
  assert.equal(await server.recv(), "bye");
  assert.equal(await server.poll(5000), true); // recv would not wait
  await assert.rejects(within(server.recv(), 5000, "recv"), mp.EOFError);
  await assert.rejects(server.recvBytes(), mp.EOFError);
  assert.throws(() => server.recvSync(), mp.EOFError);
  await assert.rejects(server.send("anyone?"), /broken pipe/i);
  await assert.rejects(client.send("x"), /is closed/);
  await assert.rejects(client.recv(), /is closed/);
});

test("connection: a recv blocked on the peer wakes with EOFError when the peer closes", async () => {
  await using p = await connectedPair();
  const pending = p.server.recv();
  setTimeout(() => p.client.close(), 50);
  await assert.rejects(within(pending, 5000, "recv"), mp.EOFError);
});

test("connection: close() while recv waits rejects it; an unsent peer's recv sees EOF", async () => {
  await using p = await connectedPair();
  const pending = p.server.recv();
  p.server.close();
  await assert.rejects(within(pending, 5000, "recv"), /is closed/);
  await assert.rejects(within(p.client.recv(), 5000, "recv"), mp.EOFError);
});

test("connection: mp.wait() with network connections, pipes and queues together", async () => {
  await using p = await connectedPair<string>();
  await using q = await connectedPair<string>();
  const [a, b] = mp.Pipe<string>();
  const queue = new mp.Queue<string>();
  assert.deepEqual(await mp.wait([p.server, q.server, a, queue], 30), []);
  setTimeout(() => void q.client.send("over tcp"), 30);
  const ready = await within(mp.wait([p.server, q.server, a, queue], 5000), 6000, "wait");
  assert.deepEqual(ready, [q.server]);
  assert.equal(await q.server.recv(), "over tcp");
  await b.send("over a pipe");
  await p.client.send("also tcp");
  await within(
    (async () => {
      while ((await mp.wait([p.server, a], 5000)).length < 2) await new Promise((r) => setTimeout(r, 5));
    })(),
    6000,
    "both ready",
  );
  assert.deepEqual(await mp.wait([p.server, q.server, a], 0), [p.server, a]);
  assert.equal(await mp.connection.wait([p.server], 0).then((r) => r.length), 1);
  p.client.close(); // a closed peer counts as ready
  await p.server.recv();
  assert.deepEqual(await within(mp.wait([p.server], 5000), 6000, "wait"), [p.server]);
  p.server.close();
  await assert.rejects(mp.wait([p.server]), /closed/);
  a.close();
  b.close();
  queue.close();
});

test("connection: a 64 MiB message passes (bytes and object); above maxMessageSize the connection is dropped", async () => {
  await using p = await connectedPair();
  const big = new Uint8Array(64 << 20);
  for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
  big[big.length - 1] = 42;
  const received = p.server.recvBytes();
  await within(p.client.sendBytes(big), 60_000, "sendBytes 64 MiB");
  const got = await within(received, 60_000, "recvBytes 64 MiB");
  assert.equal(got.length, big.length);
  assert.equal(got[got.length - 1], 42);
  assert.equal(got[4096 * 3], (4096 * 3) & 0xff);
  const obj = p.client.recv();
  await within(p.server.send({ payload: big }), 60_000, "send 64 MiB");
  const back = (await within(obj, 60_000, "recv 64 MiB")) as { payload: Uint8Array };
  assert.equal(back.payload.length, big.length);
  assert.equal(back.payload[big.length - 1], 42);

  await using small = await connectedPair({ maxMessageSize: 1024 }, { maxMessageSize: 1024 });
  await small.client.sendBytes(new Uint8Array(1024)); // at the limit: fine
  assert.equal((await small.server.recvBytes()).length, 1024);
  await small.client.sendBytes(new Uint8Array(1025));
  await assert.rejects(
    within(small.server.recvBytes(), 5000, "recvBytes"),
    (e: Error) =>
      e instanceof mp.ProcessError && /1025 bytes, more than the maxMessageSize of 1024/.test(e.message),
  );
  await assert.rejects(small.server.recv(), /maxMessageSize/); // dropped for good
  await assert.rejects(within(small.client.recv(), 5000, "recv"), mp.EOFError); // the sender sees it closed
});

test("connection: a frame announcing more than maxMessageSize is refused before any allocation", async () => {
  await using listener = new mp.connection.Listener({ address: ["127.0.0.1", 0] });
  const [, port] = (await listener.ready) as [string, number];
  const raw = net.connect({ host: "127.0.0.1", port });
  const accepted = listener.accept();
  await new Promise((r) => raw.once("connect", r));
  const head = new DataView(new ArrayBuffer(12));
  head.setInt32(0, -1);
  head.setBigUint64(4, 1n << 60n); // an exabyte: allocating it would crash the process
  raw.write(new Uint8Array(head.buffer));
  using conn = await within(accepted, 5000, "accept");
  await assert.rejects(within(conn.recvBytes(), 5000, "recvBytes"), /bad message length/);
  raw.destroy();
});

test("connection: Unix socket path; lastAccepted; the socket file is removed on close", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mp-net-"));
  const path = join(dir, "listener.sock");
  const listener = new mp.connection.Listener({ address: path, authkey: "unix key" });
  assert.equal(await listener.ready, path);
  assert.equal(listener.address, path);
  assert.equal(listener.lastAccepted, null);
  const [server, client] = await within(
    Promise.all([listener.accept<string>(), mp.connection.Client<string>(path, { authkey: "unix key" })]),
    5000,
    "accept",
  );
  assert.equal(listener.lastAccepted, "");
  await client.send("over unix");
  assert.equal(await server.recv(), "over unix");
  server.close();
  client.close();
  await listener[Symbol.asyncDispose]();
  assert.equal(existsSync(path), false);
  await assert.rejects(mp.connection.Client(path), (e: Error & { code?: string }) => e.code === "ENOENT");
});

test("Listener: address checks, authkey beyond loopback, port in use, refused connect, closed listener", async () => {
  assert.throws(
    () => new mp.connection.Listener({ address: ["0.0.0.0", 0] }),
    (e: Error) =>
      e instanceof mp.ProcessError && /0\.0\.0\.0:0, beyond loopback, needs an authkey/.test(e.message),
  );
  assert.throws(
    () => new mp.connection.Listener({ address: ["127.0.0.1", 70000] }),
    /\["127\.0\.0\.1",70000\]/,
  );
  assert.throws(() => new mp.connection.Listener({ address: 5 as unknown as string }), TypeError);
  assert.throws(
    () => new mp.connection.Listener({ address: ["127.0.0.1", 0], authkey: 5 as unknown as string }),
    /authkey must be a Uint8Array or a string, got number/,
  );
  assert.throws(
    () => new mp.connection.Listener({ address: ["127.0.0.1", 0], maxMessageSize: -1 }),
    RangeError,
  );
  await using anyHost = new mp.connection.Listener({
    address: ["0.0.0.0", 0],
    authkey: new Uint8Array([1, 2]),
  });
  const [host, port] = (await anyHost.ready) as [string, number];
  assert.equal(host, "0.0.0.0");
  assert.ok(port > 0);
  // Bound in the constructor, as in Python: the real port is known at once.
  const early = new mp.connection.Listener({ address: ["127.0.0.1", 0] });
  assert.equal((early.address as [string, number])[1] > 0, true);
  assert.deepEqual(await early.ready, early.address);
  await early[Symbol.asyncDispose]();
  await assert.rejects(early.accept(), /closed/);

  const clash = new mp.connection.Listener({ address: ["127.0.0.1", port], authkey: "k" });
  await assert.rejects(clash.ready, (e: Error & { code?: string }) => e.code === "EADDRINUSE");
  await assert.rejects(clash.accept(), /address is in use/);
  await clash[Symbol.asyncDispose]();
  await assert.rejects(
    mp.connection.Client(["127.0.0.1", port === 1 ? 2 : 1]),
    (e: Error & { code?: string }) => e.code === "ECONNREFUSED" && /nothing listens there/.test(e.message),
  );
  const waiting = anyHost.accept();
  anyHost.close();
  await assert.rejects(within(waiting, 5000, "accept"), /closed while accept\(\) waited/);
});

test("connection: authentication in both directions; a wrong key fails on both sides, the listener serves on", async () => {
  await using p = await connectedPair({ authkey: "right" }, { authkey: "right" });
  await p.client.send("authenticated");
  assert.equal(await p.server.recv(), "authenticated");

  const client = mp.connection.Client(await p.listener.ready, { authkey: "wrong" });
  const [server, c] = await within(
    Promise.allSettled([p.listener.accept(), client]),
    10_000,
    "handshake",
  );
  assert.equal(server.status, "rejected");
  assert.ok((server as PromiseRejectedResult).reason instanceof mp.AuthenticationError);
  assert.match((server as PromiseRejectedResult).reason.message, /digest received was wrong/);
  assert.equal(c.status, "rejected");
  assert.ok((c as PromiseRejectedResult).reason instanceof mp.AuthenticationError);
  assert.match((c as PromiseRejectedResult).reason.message, /digest sent was rejected/);

  // A client without a key: the listener's accept fails (its answer is no answer).
  const keyless = await mp.connection.Client(await p.listener.ready);
  const acceptKeyless = p.listener.accept();
  await keyless.sendBytes(bytes("hello?"));
  await assert.rejects(within(acceptKeyless, 5000, "accept"), mp.AuthenticationError);
  keyless.close();

  // The listener still serves a good client.
  const [s2, c2] = await within(
    Promise.all([
      p.listener.accept<string>(),
      mp.connection.Client<string>(await p.listener.ready, { authkey: "right" }),
    ]),
    10_000,
    "good client",
  );
  await c2.send("still serving");
  assert.equal(await s2.recv(), "still serving");
  s2.close();
  c2.close();
});

test("connection: a peer that stalls the handshake is dropped after handshakeTimeout, on both sides", async () => {
  await using listener = new mp.connection.Listener({
    address: ["127.0.0.1", 0],
    authkey: "k",
    handshakeTimeout: 200,
  });
  const [, port] = (await listener.ready) as [string, number];
  const raw = net.connect({ host: "127.0.0.1", port }); // connects, then says nothing
  const t0 = performance.now();
  await assert.rejects(
    within(listener.accept(), 5000, "accept"),
    (e: Error) => e instanceof mp.AuthenticationError && /within 200 ms/.test(e.message),
  );
  assert.ok(performance.now() - t0 < 2000);
  raw.destroy();
  // A keyless listener never challenges: a client with a key gives up after its own bound.
  await using open = new mp.connection.Listener({ address: ["127.0.0.1", 0] });
  const accepted = open.accept();
  await assert.rejects(
    within(mp.connection.Client(await open.ready, { authkey: "k", handshakeTimeout: 200 }), 5000, "Client"),
    (e: Error) => e instanceof mp.AuthenticationError && /did not finish .* within/.test(e.message),
  );
  (await accepted).close();
});

test("connection fuzz: 2000 garbage handshakes and frames; the listener keeps serving", async () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => rand(256));
  const frameOf = (body: Uint8Array, announced = body.length) => {
    const out = new Uint8Array(4 + body.length);
    new DataView(out.buffer).setInt32(0, announced);
    out.set(body, 4);
    return out;
  };
  const garbage = (): Uint8Array => {
    switch (rand(8)) {
      case 0:
        return randomBytes(rand(600));
      case 1:
        return frameOf(randomBytes(rand(300)));
      case 2:
        return frameOf(randomBytes(rand(40)), 1 + rand(0x7fffffff)); // lies about its length
      case 3: {
        const h = new DataView(new ArrayBuffer(12));
        h.setInt32(0, -1);
        h.setBigUint64(4, BigInt(rand(0x7fffffff)) * 4096n);
        return new Uint8Array(h.buffer);
      }
      case 4:
        return frameOf(new Uint8Array([...bytes("{sha256}"), ...randomBytes(32)])); // a forged answer
      case 5:
        return frameOf(randomBytes(16)); // a forged legacy answer
      case 6:
        return frameOf(randomBytes(rand(300))).subarray(0, rand(20)); // truncated
      default:
        return new Uint8Array(0); // connect and hang up
    }
  };
  const send = (port: number, data: Uint8Array) =>
    new Promise<void>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => s.end(data));
      s.on("error", () => {});
      s.on("data", () => {});
      s.on("close", () => resolve());
      s.setTimeout(5000, () => s.destroy());
    });

  // With an authkey: every garbage client fails its accept(), nothing else.
  await using guarded = new mp.connection.Listener({
    address: ["127.0.0.1", 0],
    authkey: "fuzz",
    handshakeTimeout: 3000,
  });
  const [, gport] = (await guarded.ready) as [string, number];
  const HANDSHAKES = 1500;
  let failures = 0;
  const accepting = (async () => {
    for (let i = 0; i < HANDSHAKES; i++) {
      await guarded.accept().then(
        (c) => (c.close(), assert.fail("a garbage client was accepted")),
        (e) => {
          assert.ok(e instanceof mp.AuthenticationError, String(e));
          failures++;
        },
      );
    }
  })();
  for (let i = 0; i < HANDSHAKES; i += 25) {
    await Promise.all(Array.from({ length: 25 }, () => send(gport, garbage())));
  }
  await within(accepting, 60_000, "the fuzzed accepts");
  assert.equal(failures, HANDSHAKES);

  // Without one: garbage frames reach recv()/recvBytes(), which fail cleanly or yield bytes.
  await using open = new mp.connection.Listener({ address: ["127.0.0.1", 0], maxMessageSize: 1 << 20 });
  const [, oport] = (await open.ready) as [string, number];
  const FRAMES = 500;
  const outcomes = new Map<string, number>();
  const serving = (async () => {
    for (let i = 0; i < FRAMES; i++) {
      using conn = await open.accept();
      for (let k = 0; k < 10; k++) {
        try {
          if (k % 2) await within(conn.recv(), 5000, "recv");
          else await within(conn.recvBytes(), 5000, "recvBytes");
          outcomes.set("message", (outcomes.get("message") ?? 0) + 1);
        } catch (e) {
          assert.ok(e instanceof mp.ProcessError, String(e)); // EOFError is one
          outcomes.set((e as Error).name, (outcomes.get((e as Error).name) ?? 0) + 1);
          if (e instanceof mp.EOFError || /bad message length|failed/.test((e as Error).message)) break;
        }
      }
    }
  })();
  for (let i = 0; i < FRAMES; i += 25) {
    await Promise.all(Array.from({ length: 25 }, () => {
      const parts = Array.from({ length: 1 + rand(4) }, garbage);
      const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) (all.set(p, at), at += p.length);
      return send(oport, all);
    }));
  }
  await within(serving, 60_000, "the fuzzed frames");
  assert.ok((outcomes.get("EOFError") ?? 0) > 0);

  // Both listeners still serve a good client.
  for (const [l, key] of [[guarded, "fuzz"], [open, undefined]] as const) {
    const [s, c] = await within(
      Promise.all([l.accept<string>(), mp.connection.Client<string>(await l.ready, { authkey: key })]),
      10_000,
      "good client after the fuzz",
    );
    await c.send("alive");
    assert.equal(await s.recv(), "alive");
    s.close();
    c.close();
  }
});

test("connection: a Deno server with a Bun client, and a Bun server with a Deno client (separate OS processes)", async () => {
  const expected = { back: VALUES.map(describe), bytes: [[3, 2, 1], [255], []] };
  for (const [server, client] of [["deno", "bun"], ["bun", "deno"]] as const) {
    const args = (rt: string, rest: string[]) =>
      rt === "deno"
        ? ["run", "-A", "tests/fixtures/net_peer.ts", ...rest]
        : ["tests/fixtures/net_peer.ts", ...rest];
    const s = new Program(runtimes[server], args(server, ["server"]));
    try {
      const [, port] = JSON.parse(await s.line("address ")) as [string, number];
      const c = new Program(runtimes[client], args(client, ["client", String(port)]));
      try {
        const result = JSON.parse(await c.line("result "));
        assert.deepEqual(result, expected, `${server} server, ${client} client`);
        assert.equal(await c.exit(), 0, c.stderr);
      } finally {
        c.child.kill("SIGKILL");
      }
      assert.equal(await s.line("server done"), "");
      assert.equal(await s.exit(), 0, s.stderr);
    } finally {
      s.child.kill("SIGKILL");
    }
  }
  assert.equal(AUTHKEY.length > 0, true);
});

test("connection: Python 3.11's multiprocessing.connection with an authkey: send_bytes/recv_bytes both ways, legacy and 3.12 handshakes", async (t) => {
  if (!(await hasPython())) {
    t.skip("python3 is not installed: the interop test with Python's multiprocessing.connection is skipped");
    return;
  }
  const peer = "tests/fixtures/net_python_peer.py";
  for (const protocol of ["legacy", "modern"]) {
    // Python listens, we connect.
    const py = new Program("python3", [peer, "listen", "py key", protocol]);
    try {
      const port = Number(await py.line("port "));
      using conn = await within(
        mp.connection.Client(["127.0.0.1", port], { authkey: "py key" }),
        10_000,
        "Client",
      );
      await py.line("accepted");
      for (const msg of ["hello", "", "ünïcode", "x".repeat(100_000)]) {
        await conn.sendBytes(bytes(msg));
        assert.deepEqual(await within(conn.recvBytes(), 10_000, "recvBytes"), bytes(msg).reverse());
      }
      await conn.sendBytes(bytes("bye"));
      assert.equal(text(await conn.recvBytes()), "bye");
      assert.equal(await py.exit(), 0, py.stderr);
    } finally {
      py.child.kill("SIGKILL");
    }
    // We listen, Python connects.
    await using listener = new mp.connection.Listener({ address: ["127.0.0.1", 0], authkey: "py key" });
    const [, port] = (await listener.ready) as [string, number];
    const pc = new Program("python3", [peer, "connect", "py key", String(port), protocol]);
    try {
      using conn = await within(listener.accept(), 10_000, "accept");
      await pc.line("connected");
      await conn.sendBytes(bytes("from typescript"));
      assert.equal(text(await within(conn.recvBytes(), 10_000, "recvBytes")), "tpircsepyt morf");
      await conn.sendBytes(bytes("bye"));
      assert.equal(text(await conn.recvBytes()), "bye");
      await assert.rejects(within(conn.recvBytes(), 10_000, "recvBytes"), mp.EOFError); // Python closed
      assert.equal(await pc.exit(), 0, pc.stderr);
    } finally {
      pc.child.kill("SIGKILL");
    }
    // A wrong key fails on both sides.
    const wrong = new Program("python3", [peer, "listen", "py key", protocol]);
    try {
      const wport = Number(await wrong.line("port "));
      await assert.rejects(
        within(mp.connection.Client(["127.0.0.1", wport], { authkey: "not it" }), 10_000, "Client"),
        mp.AuthenticationError,
      );
      assert.match(await wrong.line("error "), /^AuthenticationError digest received was wrong/);
      assert.equal(await wrong.exit(), 0, wrong.stderr);
    } finally {
      wrong.child.kill("SIGKILL");
    }
    const wc = new Program("python3", [peer, "connect", "other key", String(port), protocol]);
    try {
      await assert.rejects(within(listener.accept(), 10_000, "accept"), mp.AuthenticationError);
      assert.match(await wc.line("error "), /^AuthenticationError digest sent was rejected/);
    } finally {
      wc.child.kill("SIGKILL");
    }
  }
});

test("connection: recv() of a Python pickle says to use recvBytes", async () => {
  await using p = await connectedPair();
  await p.client.sendBytes(new Uint8Array([0x80, 0x04, 0x95, 0x05, 0, 0, 0, 0, 0, 0, 0, 0x4b, 0x2a, 0x2e]));
  await assert.rejects(p.server.recv(), /starts like a Python pickle.*sendBytes\(\)\/recvBytes\(\)/);
});

test("connection: a Listener in a child process, and a Client in a child process", async () => {
  const where = new mp.Queue<mp.connection.Address>();
  const server = new mp.Process({ target: echoServer, args: [where, "child key"] });
  await server.start();
  try {
    using conn = await mp.connection.Client(await where.get(20_000), { authkey: "child key" });
    await conn.send({ from: "the parent", n: 1n });
    assert.deepEqual(await within(conn.recv(), 10_000, "recv"), { from: "the parent", n: 1n });
    await conn.send(null);
    await joinWithin(server, 20_000);
    assert.equal(server.exitCode, 0);

    await using listener = new mp.connection.Listener({ address: ["127.0.0.1", 0], authkey: "child key" });
    const client = new mp.Process({
      target: sendFromChild,
      args: [await listener.ready, "child key", "hello"],
    });
    await client.start();
    using fromChild = await within(listener.accept(), 20_000, "accept");
    await fromChild.send(`${await fromChild.recv()}!`);
    assert.equal(await within(fromChild.recv(), 10_000, "recv"), "hello! (seen by the child)");
    await joinWithin(client, 20_000);
    assert.equal(client.exitCode, 0);
  } finally {
    killAll();
    where.close();
  }
});

test("connection: a program whose listener, connections and remote proxies are idle exits by itself (Deno and Bun)", async () => {
  for (const [name, exe] of Object.entries(runtimes)) {
    const file = `${root}tests/fixtures/net_idle.ts`;
    const p = new Program(exe, name === "deno" ? ["run", "-A", file] : [file]);
    assert.equal(await p.line("echo"), "ping");
    assert.equal(await p.line("manager"), "1 2");
    await p.line("done");
    assert.equal(await p.exit(20_000), 0, `${name}: ${p.stderr}`);
  }
});

test('connection: Python\'s "" host listens on every interface (authkey required) and connects to this machine', async () => {
  assert.throws(() => new mp.connection.Listener({ address: ["", 0] }), /needs an authkey/);
  await using listener = new mp.connection.Listener({ address: ["", 0], authkey: "any host" });
  const [host, port] = (await listener.ready) as [string, number];
  assert.equal(host, "0.0.0.0");
  for (const to of ["", "127.0.0.1"]) {
    const [server, client] = await within(
      Promise.all([
        listener.accept<string>(),
        mp.connection.Client<string>([to, port], { authkey: "any host" }),
      ]),
      10_000,
      `accept + Client to "${to}"`,
    );
    await client.send(`via "${to}"`);
    assert.equal(await within(server.recv(), 5000, "recv"), `via "${to}"`);
    assert.equal((listener.lastAccepted as [string, number])[0], "127.0.0.1");
    server.close();
    client.close();
  }
});
