// Remote managers (Python's BaseManager(address, authkey)): servers and clients in
// separate OS processes over 127.0.0.1, on both runtimes and across them.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { spawnSync } from "node:child_process";
import process from "node:process";
import * as mp from "../mod.ts";
import { isDeno } from "./helpers.ts";
import { IteratorProxy, type Range, registerRange, setInRemote } from "./fixtures/remote_manager_tasks.ts";
import { hasPython, Program, runtimes, within } from "./net_helpers.ts";

const AUTHKEY = "remote test key";
const PEER = "tests/fixtures/remote_manager_peer.ts";
const here = isDeno ? "deno" : "bun";
const other = isDeno ? "bun" : "deno";
type Runtime = "deno" | "bun";

function peer(runtime: Runtime, ...rest: (string | number)[]): Program {
  const a = rest.map(String);
  return new Program(runtimes[runtime], runtime === "deno" ? ["run", "-A", PEER, ...a] : [PEER, ...a]);
}

class RemoteTestManager extends mp.SyncManager {
  declare get_dict: () => Promise<mp.DictProxy<string, unknown>>;
}
RemoteTestManager.register("get_dict");

/** Starts a server program on `runtime`; returns it with its port. */
async function server(runtime: Runtime, authkey = AUTHKEY): Promise<{ program: Program; port: number }> {
  const program = peer(runtime, "server", "127.0.0.1", 0, authkey);
  const port = Number(await program.line("serving on ", 30_000));
  return { program, port };
}

async function client(port: number, authkey = AUTHKEY): Promise<RemoteTestManager> {
  const m = new RemoteTestManager({ address: ["127.0.0.1", port], authkey });
  await within(m.connect(), 10_000, "connect()");
  return m;
}

async function stop(program: Program): Promise<void> {
  program.child.kill("SIGKILL");
  await program.exit(10_000);
}

test(`remote: a ${other} server, a wrong key is refused, the server carries on; dict, list, Namespace, Event, errors`, async () => {
  const { program, port } = await server(other);
  try {
    const bad = new RemoteTestManager({ address: ["127.0.0.1", port], authkey: "wrong" });
    await assert.rejects(within(bad.connect(), 10_000, "connect"), mp.AuthenticationError);
    await using m = await client(port);
    const d = await m.dict<string, unknown>([["a", 1]]);
    await d.set("__proto__", { polluted: true }); // plain data, as any other key
    assert.deepEqual(await d.get("__proto__"), { polluted: true });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual([...(await d.keys())].sort(), ["__proto__", "a"]);
    const l = await m.list([3, 1, 2]);
    await l.sort();
    assert.deepEqual(await l.toArray(), [1, 2, 3]);
    // Server errors keep their class, with the server's stack as the cause (as locally).
    await assert.rejects(l.get(99), (e: unknown) => {
      assert.ok(e instanceof RangeError, String(e));
      assert.match(e.message, /index 99 is out of range/);
      assert.ok(e.cause instanceof mp.RemoteError);
      return true;
    });
    await assert.rejects(d.pop("nope"), (e: unknown) => e instanceof Error && e.name === "KeyError");
    // A namespace is read and written as locally (each access a blocking round trip).
    const ns = await m.Namespace({ x: 1 });
    ns.y = 2;
    assert.equal(ns.x + ns.y, 3);
    assert.ok("y" in ns && !("z" in ns));
    const ev = await m.Event();
    assert.ok(ev instanceof mp.RemoteEventProxy);
    assert.equal(await ev.wait(10), false);
    assert.equal(ev.isSet(), false);
    ev.set();
    assert.equal(ev.isSet(), true);
    assert.equal(await ev.wait(), true);
    assert.equal(ev.waitSync(0), true);
    ev.clear();
    assert.equal(ev.waitSync(0), false);
    // Only registered typeids and exposed methods.
    await assert.rejects(m.create("Function"), /no type "Function"/);
    await assert.rejects(m.create("constructor"), /no type "constructor"/);
    await assert.rejects(d.callMethod("constructor", []), /has no method "constructor"/);
    assert.throws(() => m.Value("?" as "i", 1), /bad typecode/);
    assert.equal(d.getSync("a"), 1); // through the program's relay thread (tests/remote_sync_test.ts)
    const dbg = await m.debugInfo();
    assert.equal(dbg.objects, 4);
    d.release();
    l.release();
    mp.releaseProxy(ns);
    mp.releaseProxy(ev);
    assert.equal((await m.debugInfo()).objects, 0);
  } finally {
    await stop(program);
  }
});

test(`remote: 20 client programs (deno and bun) × 1000 queue items into a ${other} server, nothing lost or duplicated`, async () => {
  const { program, port } = await server(other);
  const producers: Program[] = [];
  try {
    await using m = await client(port);
    const d = await m.get_dict();
    const q = await m.Queue<string>();
    await d.set("q", q);
    const CLIENTS = 20, ITEMS = 1000;
    for (let i = 0; i < CLIENTS; i++) {
      producers.push(peer(i % 2 ? "deno" : "bun", "produce", "127.0.0.1", port, AUTHKEY, ITEMS, `c${i}`));
    }
    const seen = new Set<string>();
    for (let n = 0; n < CLIENTS * ITEMS; n++) {
      const item = await q.get(30_000);
      assert.ok(!seen.has(item), `duplicate ${item}`);
      seen.add(item);
    }
    await assert.rejects(q.get(50), mp.Empty);
    // The one timeout rule: 0 or less does not wait, NaN is refused before anything is sent.
    await assert.rejects(within(q.get(-5), 5_000, "get(-5)"), mp.Empty);
    await assert.rejects(q.get(NaN), /RemoteQueueProxy\.get\(\): timeout must be a number/);
    for (const p of producers) assert.equal(await p.exit(30_000), 0, p.stderr);
    assert.equal(seen.size, CLIENTS * ITEMS);
    for (let i = 0; i < CLIENTS; i++) assert.ok(seen.has(`c${i}:${ITEMS - 1}`));
  } finally {
    for (const p of producers) p.child.kill("SIGKILL");
    await stop(program);
  }
});

test("remote: a client killed while holding a lock: the lock is recovered, its references let go", async () => {
  const { program, port } = await server(other);
  let holder: Program | null = null;
  try {
    await using m = await client(port);
    const d = await m.get_dict();
    const lock = await m.Lock();
    await d.set("lock", lock);
    holder = peer(here, "hold-lock", "127.0.0.1", port, AUTHKEY);
    assert.equal(await holder.line("acquired "), "true");
    assert.equal(await lock.acquire(0), false);
    const before = await m.debugInfo();
    assert.equal(before.holders, 2);
    holder.child.kill("SIGKILL");
    assert.equal(await lock.acquire(10_000), true);
    await lock.release();
    assert.equal((await m.debugInfo()).holders, 1);
  } finally {
    holder?.child.kill("SIGKILL");
    await stop(program);
  }
});

test(`remote: a proxy passed from one client program to another (${here} → ${other})`, async () => {
  const { program, port } = await server(here);
  try {
    const a = peer(here, "pass-proxy", "127.0.0.1", port, AUTHKEY);
    assert.equal(await a.line("passed"), "");
    assert.equal(await a.exit(20_000), 0, a.stderr);
    const b = peer(other, "take-proxy", "127.0.0.1", port, AUTHKEY);
    assert.equal(await b.line("received "), "DictProxy 42");
    assert.equal(await b.exit(20_000), 0, b.stderr);
    await using m = await client(port);
    const passed = await (await m.get_dict()).get("passed") as mp.DictProxy<string, number>;
    assert.equal(await passed.get("seen by"), 2);
  } finally {
    await stop(program);
  }
});

test("remote: the server killed mid-call: the pending call rejects with a clear error", async () => {
  const { program, port } = await server(other);
  try {
    const m = await client(port);
    const q = await m.Queue();
    const pending = q.get(); // waits in the server for ever
    pending.catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    program.child.kill("SIGKILL");
    await assert.rejects(
      within(pending, 10_000, "the pending get"),
      (e: Error) =>
        e instanceof mp.ProcessError && /remote manager at 127\.0\.0\.1:\d+ failed/.test(e.message),
    );
    await assert.rejects(q.get(0), /remote manager at .* failed/);
    await m.shutdown();
  } finally {
    await stop(program);
  }
});

test("remote: a fuzz of random and truncated frames: each client dropped, the server keeps serving", async () => {
  const { program, port } = await server(other);
  try {
    await using m = await client(port);
    const d = await m.dict<string, number>([["kept", 1]]);
    // 10 000 rounds, 8 at a time; each round's bytes come from its own seed.
    const ROUNDS = 10_000, LANES = 8;
    const round = async (i: number) => {
      let seed = 12345 + i * 7919;
      const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
      const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
      if (i % 3 === 0) {
        // Raw bytes before (or instead of) the handshake, some of them truncated frames.
        await new Promise<void>((resolve) => {
          const s = net.connect(port, "127.0.0.1", () => {
            s.write(bytes(1 + Math.floor(random() * 40)));
            s.end();
          });
          s.on("error", () => resolve());
          s.on("close", () => resolve());
          s.resume();
        });
        return;
      }
      // Authenticated, then garbage: a random body, a truncated length, or a valid
      // message that is not a request.
      const c = await within(
        mp.connection.Client(["127.0.0.1", port], { authkey: AUTHKEY }),
        10_000,
        "Client",
      );
      const kind = i % 3;
      if (kind === 1) await c.sendBytes(bytes(1 + Math.floor(random() * 64)));
      else {
        const junk = [[1], ["x", 0, "get", []], [1, 2, 3, 4], { 0: 1 }, [1, 0, "create", "dict"]];
        await c.send(junk[i % junk.length]);
      }
      await assert.rejects(within(c.recv(), 10_000, "the server dropping a bad client"));
      c.close();
    };
    await Promise.all(Array.from({ length: LANES }, async (_, lane) => {
      for (let i = lane; i < ROUNDS; i += LANES) await round(i);
    }));
    // After the handshake: a frame cut short, and a length above the limit (Python's
    // client does the handshake, then writes raw bytes).
    if (await hasPython()) {
      const script = [
        "import struct, sys",
        "from multiprocessing.connection import Client",
        "for i in range(20):",
        `    c = Client(('127.0.0.1', ${port}), authkey=${JSON.stringify(AUTHKEY)}.encode())`,
        "    c._send(struct.pack('!i', 1000) + b'Tabc' if i % 2 else struct.pack('!i', 0x7fffffff) + b'J')",
        "    c.close()",
        "print('sent')",
      ].join("\n");
      const py = new Program("python3", ["-c", script]);
      assert.equal(await py.exit(30_000), 0, py.stderr);
    }
    assert.equal(await d.get("kept"), 1);
    const info = await m.debugInfo();
    assert.equal(info.holders, 1);
    assert.equal(info.objects, 1);
  } finally {
    await stop(program);
  }
});

test("remote: a client that sends without reading its replies is throttled; the others go on", async () => {
  const { program, port } = await server(other);
  try {
    await using m = await client(port);
    const d = await m.dict<string, number>([["x", 1]]);
    const flood = await mp.connection.Client(["127.0.0.1", port], { authkey: AUTHKEY });
    const big = "y".repeat(1000);
    const sends: Promise<void>[] = [];
    for (let i = 1; i <= 20_000; i++) sends.push(flood.send([i, 0, "ping", [big]]).catch(() => {}));
    for (let i = 0; i < 20; i++) assert.equal(await within(d.get("x"), 10_000, "a call beside the flood"), 1);
    flood.close();
    await within(Promise.all(sends), 10_000, "the flood's sends settling");
    assert.equal(await d.get("x"), 1);
    for (let i = 0; i < 50 && (await m.debugInfo()).holders !== 1; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await m.debugInfo()).holders, 1);
  } finally {
    await stop(program);
  }
});

test("methodToTypeid and proxytype: a method's result comes back as a proxy of another typeid, of the class registered, locally and remotely", async () => {
  const drain = async (r: mp.AutoProxy<Range>) => {
    const it = await r.iter() as unknown as IteratorProxy;
    assert.ok(it instanceof IteratorProxy); // the registered proxytype
    const seen: number[] = [];
    for await (const x of it) seen.push(x as number);
    return seen;
  };
  class LocalManager extends mp.BaseManager {}
  registerRange(LocalManager);
  await using local = new LocalManager();
  await local.start();
  assert.deepEqual(await drain(await local.create<Range>("Range", 3)), [0, 1, 2]);
  await assert.rejects(local.create("Iterator"), /without a callable/);
  const { program, port } = await server(other);
  try {
    await using m = await client(port);
    assert.deepEqual(await drain(await m.create<Range>("Range", 4)), [0, 1, 2, 3]);
    await assert.rejects(m.create("Iterator"), /without a callable/);
  } finally {
    await stop(program);
  }
});

test("remote: a 64 MiB value goes and comes back", async () => {
  const { program, port } = await server(other);
  try {
    await using m = await client(port);
    const d = await m.dict<string, Uint8Array>();
    const big = new Uint8Array(64 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 255;
    await within(d.set("big", big), 60_000, "set 64 MiB");
    const back = await within(d.get("big"), 60_000, "get 64 MiB");
    assert.equal(back!.length, big.length);
    for (let i = 0; i < big.length; i += 4096) assert.equal(back![i], i & 255);
  } finally {
    await stop(program);
  }
});

test("remote: start() runs the server in a child listening on the address; a second program connects", async () => {
  class TestManager extends mp.SyncManager {}
  const m = new TestManager({ address: ["127.0.0.1", 0], authkey: AUTHKEY });
  await within(m.start(), 30_000, "start()");
  try {
    const [, port] = m.address as [string, number];
    assert.ok(port > 0);
    const q = await m.Queue<number>();
    const d = await m.dict<string, unknown>();
    await d.set("q", q);
    const p = peer(other, "produce", "127.0.0.1", port, AUTHKEY, 5, "x");
    // the peer asks for get_dict, which this manager does not have: it fails clearly
    assert.notEqual(await p.exit(30_000), 0);
    assert.match(p.stderr, /no type "get_dict"/);
    await q.put(1);
    assert.equal(await q.get(1000), 1);
    // A proxy in a child's args reconnects to the manager's address with its authkey.
    await d.set("from parent", "hi");
    const child = new mp.Process({ target: setInRemote, args: [d] });
    await child.start();
    await within(child.join(), 30_000, "child.join()");
    assert.equal(child.exitCode, 0);
    assert.equal(await d.get("from child"), "hi");
    // The child's connection closed with it: what it held is let go.
    for (let i = 0; i < 50 && (await m.debugInfo()).holders !== 1; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await m.debugInfo()).holders, 1);
  } finally {
    await m.shutdown();
  }
  assert.equal(m.process?.exitCode !== null, true);
});

test(`remote: Value, Array, Barrier and Condition of a ${other} server`, async () => {
  const { program, port } = await server(other);
  try {
    await using m = await client(port);
    // A Value: value read and written as locally, stored as its typecode stores it.
    const v = await m.Value("i", 1);
    assert.ok(v instanceof mp.RemoteValueProxy);
    assert.equal(v.typecode, "i");
    assert.equal(v.value, 1);
    v.value = 5;
    {
      using _ = v.lockSync(); // the Value's own lock, in the server
      v.value += 1;
    }
    assert.equal(await v.get(), 6);
    await v.set(7);
    assert.equal(v.value, 7);
    assert.throws(
      () => (v.value = "7" as never),
      (e: unknown) => e instanceof TypeError && /holds numbers/.test(e.message),
    );
    assert.throws(() => v.getObj(), /lives in its server.*read and write \.value/);
    const big = await m.Value("q", 2n ** 40n);
    assert.equal(big.value, 2n ** 40n);
    // An Array: a[i], length, iteration and slices as locally.
    const a = await m.Array("d", [1, 2, 3]);
    assert.ok(a instanceof mp.RemoteArrayProxy);
    assert.equal(a.length, 3);
    a[-1] = 9;
    assert.equal(a[2], 9);
    a.set(0, 0.5);
    assert.deepEqual([...a], [0.5, 2, 9]);
    assert.deepEqual(a.slice(1), [2, 9]);
    assert.deepEqual(await a.toArray(), [0.5, 2, 9]);
    assert.throws(() => a.getObj(), /RemoteArrayProxy\.getObj\(\): .* lives in its server/);
    assert.throws(() => a.get(5), (e: unknown) => e instanceof RangeError && /out of range/.test(e.message));
    assert.throws(() => a.set(0, "x" as never), TypeError);
    {
      await using _ = await a.lock(1000);
      assert.equal(a.getLock().locked(), true);
    }
    assert.equal(a.getLock().locked(), false);
    const raw = await m.Array("i", 2, { lock: false });
    assert.throws(() => raw.acquireSync(), /created with \{ lock: false \}/);
    // Stored in a dict and read back, the array is a proxy of the same array.
    const dict = await m.dict<string, unknown>();
    await dict.set("a", a);
    assert.equal((await dict.get("a") as mp.RemoteArrayProxy<"d">)[2], 9);
    // A Value's lock stored and read back is a lock proxy holding a reference of its own.
    const before = (await m.debugInfo()).references;
    await dict.set("vlock", v.getLock());
    const vlock = await dict.get("vlock") as mp.RemoteAcquirerProxy;
    assert.equal((await m.debugInfo()).references, before + 1);
    assert.equal(await vlock.acquire(0), true);
    assert.equal(v.getLock().locked(), true, "the same lock as the Value's");
    vlock.release();
    mp.releaseProxy(vlock);
    assert.equal((await m.debugInfo()).references, before);
    // A barrier of 2 releases both waits, with arrival indices 1 and 0.
    const b = await m.Barrier(2);
    assert.ok(b instanceof mp.RemoteBarrierProxy);
    assert.equal(b.parties, 2);
    const both = await within(Promise.all([b.wait(), b.wait()]), 10_000, "barrier");
    assert.deepEqual([...both].sort(), [0, 1]);
    // A wait that times out breaks it for everyone, until reset().
    const b2 = await m.Barrier(2, { timeout: 50 });
    await assert.rejects(within(b2.wait(), 10_000, "barrier timeout"), mp.BrokenBarrierError);
    assert.equal(b2.broken, true);
    await assert.rejects(b2.wait(), mp.BrokenBarrierError);
    b2.reset();
    assert.equal(b2.broken, false);
    assert.equal(b2.nWaiting, 0);
    // A condition: wait gives the lock up and takes it back; notify needs the lock.
    const c = await m.Condition();
    assert.ok(c instanceof mp.RemoteConditionProxy);
    assert.throws(() => c.notify(), /un-acquired lock/);
    await assert.rejects(c.wait(10), /un-acquired lock/);
    assert.equal(await c.acquire(), true);
    assert.equal(await c.wait(20), false, "no notify: false after the timeout");
    const woken = c.wait(10_000);
    assert.equal(await c.acquire(), true, "the waiter gave the lock up");
    c.notify();
    c.release();
    assert.equal(await within(woken, 10_000, "condition wait"), true);
    // The lock is held per program (as an RLock per process here): both holds were one.
    assert.equal(await c.acquire(0), true);
    assert.equal(await c.waitFor(() => "ready", 0), "ready");
    c.release();
    // Over a given lock: the condition takes that lock.
    const given = await m.Lock();
    const c2 = await m.Condition(given);
    {
      using _ = c2.lockSync();
      assert.equal(given.locked(), true);
    }
    assert.equal(given.locked(), false);
    // A timeout that is not a number of ms is a TypeError naming the call, as locally
    // (it used to mean "wait for ever"), and the call has no effect.
    const lock = await m.Lock();
    assert.ok(lock instanceof mp.RemoteAcquirerProxy);
    const ev = await m.Event();
    const badTimeout = (where: string) => (e: unknown) =>
      e instanceof TypeError && e.message.startsWith(`${where}: timeout must be a number of milliseconds`);
    await assert.rejects(
      within(lock.acquire("soon" as never), 10_000, "acquire"),
      badTimeout("Lock.acquire()"),
    );
    await assert.rejects(within(ev.wait(Number.NaN), 10_000, "wait"), badTimeout("Event.wait()"));
    await assert.rejects(within(b.wait({} as never), 10_000, "barrier wait"), badTimeout("Barrier.wait()"));
    await assert.rejects(m.Barrier(2, { timeout: "1s" as never }), badTimeout("Barrier(options)"));
    await c.acquire();
    await assert.rejects(
      within(c.wait("1s" as never), 10_000, "condition wait"),
      badTimeout("Condition.wait()"),
    );
    c.release();
    assert.equal(await lock.acquire(0), true, "the bad acquire took nothing");
    assert.equal(lock.locked(), true);
    await assert.rejects(
      lock.lock(0),
      (e: unknown) => e instanceof mp.TimeoutError && /within 0 ms/.test(e.message),
    );
    assert.throws(() => lock.lockSync(0), mp.TimeoutError);
    lock.release();
    {
      await using _ = await lock.lock();
      assert.equal(lock.locked(), true);
    }
    assert.equal(lock.locked(), false);
    assert.equal(b.broken, false, "the bad wait did not arrive at the barrier");
    // A semaphore counts its permits as locally.
    const sem = await m.BoundedSemaphore(2);
    assert.equal(await sem.acquire(), true);
    assert.equal(sem.getValue(), 1);
    sem.release();
    assert.throws(() => sem.release(), RangeError);
  } finally {
    await stop(program);
  }
});

test("remote: listening beyond loopback needs an authkey, and a refused getServer() leaves the manager unstarted", async () => {
  class TestManager extends mp.BaseManager {}
  const m = new TestManager({ address: ["0.0.0.0", 0] });
  assert.throws(() => m.getServer(), /authkey/);
  assert.equal(m.running, false);
  await m.shutdown(); // nothing to stop: no TypeError
});

test("examples/queue_manager_server.ts + examples/queue_manager_client.ts", async () => {
  const args = (f: string, rest: string[]) => (isDeno ? ["run", "-A", f, ...rest] : [f, ...rest]);
  const s = new Program(runtimes[here], args("examples/queue_manager_server.ts", ["0", "127.0.0.1"]));
  try {
    const port = await s.line("queue manager serving on port ", 30_000);
    const cArgs = other === "deno" ? ["run", "-A", "examples/queue_manager_client.ts", port] : [
      "examples/queue_manager_client.ts",
      port,
    ];
    const client = new Program(runtimes[other], cArgs);
    assert.equal(await client.exit(30_000), 0, client.stderr);
    assert.equal(await client.line("got: "), "hello");
    assert.equal(await client.line("queue size: "), "0");
    assert.equal(await client.line("with a wrong key: "), "AuthenticationError");
  } finally {
    await stop(s);
  }
});

test("remote: idle connections ping each other after keepAlive ms; manager clients drop the pings and go on", async () => {
  for (const bad of [0, -1, Number.NaN, "500", 2 ** 31]) {
    assert.throws(
      () => new mp.SyncManager({ address: ["127.0.0.1", 0], keepAlive: bad as number }),
      (e: unknown) => e instanceof RangeError && /keepAlive must be a number of milliseconds/.test(e.message),
    );
  }
  // The server's side: a raw connection that sends nothing receives its pings.
  const server = new RemoteTestManager({ address: ["127.0.0.1", 0], authkey: AUTHKEY, keepAlive: 50 })
    .getServer();
  const serving = server.serveForever();
  try {
    const address = await server.ready;
    using raw = await mp.connection.Client(address, { authkey: AUTHKEY });
    assert.deepEqual(await within(raw.recv(), 5_000, "the server's ping"), [0, 0, null]);
    // A manager client, idle for many pings both ways, still gets its replies.
    await using m = new RemoteTestManager({ address, authkey: AUTHKEY, keepAlive: 50 });
    await within(m.connect(), 10_000, "connect()");
    const d = await m.dict<string, number>([["a", 1]]);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await within(d.get("a"), 5_000, "get after idling"), 1);
    await d.set("b", 2);
    assert.deepEqual([...(await d.keys())].sort(), ["a", "b"]);
  } finally {
    server.shutdown();
    await within(serving, 10_000, "serveForever() after stop()");
  }
  // The client's side: a stand-in server sees the client's pings once it is idle.
  await using listener = new mp.connection.Listener({ address: ["127.0.0.1", 0], authkey: AUTHKEY });
  const address = await listener.ready;
  const m = new RemoteTestManager({ address, authkey: AUTHKEY, keepAlive: 50 });
  const connecting = m.connect();
  using probe = await within(listener.accept(), 10_000, "the probe connection");
  // Every client connection first says which session (program) it belongs to.
  const hello = await within(probe.recv(), 5_000, "the probe's hello") as unknown[];
  assert.deepEqual(hello.slice(0, 3), [0, 0, "hello"]);
  assert.match((hello[3] as string[])[0], /^[0-9a-f]{32}$/);
  const [seq] = await within(probe.recv(), 5_000, "the probe's request") as [number];
  await probe.send([seq, 0, 12345]); // the manager's token
  using conn = await within(listener.accept(), 10_000, "the client's connection");
  await within(connecting, 10_000, "connect()");
  assert.deepEqual((await within(conn.recv(), 5_000, "the client's hello") as unknown[])[2], "hello");
  assert.deepEqual(await within(conn.recv(), 5_000, "the client's ping"), [0, 0, "ping", []]);
  await m.shutdown().catch(() => {}); // the stand-in does not answer it
});

/** Why the network-namespace test cannot run here, or false if it can. */
function netnsUnavailable(): string | false {
  const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    return `\`ip netns\` is unavailable here (${r.error?.message ?? r.stderr.trim()})`;
  }
  const probe = `mp-probe-${process.pid}`;
  const add = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
  if (add.status !== 0) return `cannot create a network namespace (${add.stderr.trim()}): needs root`;
  spawnSync("ip", ["netns", "del", probe]);
  return false;
}

/**
 * Two network namespaces joined by a veth pair, `a` at `ipA` and `b` at `ipB` (`tag`
 * and `subnet` keep concurrent tests apart): `inNs` runs a peer program in one of them,
 * `ip` runs `ip` with these arguments (throwing on failure), `remove` deletes both (the
 * veth pair goes with them).
 */
function vethPair(tag: string, subnet: number) {
  const n = process.pid % 200 + 20;
  const [a, b] = [`mp-${tag}s-${process.pid}`, `mp-${tag}c-${process.pid}`];
  const [va, vb] = [`mp${tag}a${process.pid % 100000}`, `mp${tag}b${process.pid % 100000}`];
  const [ipA, ipB] = [`10.${subnet}.${n}.1`, `10.${subnet}.${n}.2`];
  const ip = (...args: string[]) => {
    const r = spawnSync("ip", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
  };
  const inNs = (ns: string, runtime: Runtime, ...rest: (string | number)[]) => {
    const cmd = runtime === "deno" ? [runtimes.deno, "run", "-A", PEER] : [runtimes.bun, PEER];
    return new Program("ip", ["netns", "exec", ns, ...cmd, ...rest.map(String)]);
  };
  const remove = () => {
    spawnSync("ip", ["netns", "del", a]);
    spawnSync("ip", ["netns", "del", b]);
  };
  try {
    ip("netns", "add", a);
    ip("netns", "add", b);
    ip("link", "add", va, "type", "veth", "peer", "name", vb);
    ip("link", "set", va, "netns", a);
    ip("link", "set", vb, "netns", b);
    ip("-n", a, "addr", "add", `${ipA}/24`, "dev", va);
    ip("-n", b, "addr", "add", `${ipB}/24`, "dev", vb);
    for (const [ns, dev] of [[a, va], [b, vb]]) {
      ip("-n", ns, "link", "set", dev, "up");
      ip("-n", ns, "link", "set", "lo", "up");
    }
  } catch (e) {
    remove();
    throw e;
  }
  return { a, b, vb, ipA, ip, inNs, remove };
}

test(
  "remote: across two network namespaces joined by a veth pair (a server on 10.x, clients in the other namespace)",
  { skip: netnsUnavailable() },
  async () => {
    const { a, b, ipA, inNs, remove } = vethPair("p", 231);
    let srv: Program | null = null;
    try {
      srv = inNs(a, other, "server", ipA, 0, AUTHKEY);
      const port = Number(await srv.line("serving on ", 30_000));
      const giver = inNs(b, here, "pass-proxy", ipA, port, AUTHKEY);
      assert.equal(await giver.exit(30_000), 0, giver.stderr);
      const taker = inNs(b, other, "take-proxy", ipA, port, AUTHKEY);
      assert.equal(await taker.line("received "), "DictProxy 42");
      assert.equal(await taker.exit(30_000), 0, taker.stderr);
      const bad = inNs(b, here, "take-proxy", ipA, port, "wrong key");
      assert.notEqual(await bad.exit(30_000), 0);
      assert.match(bad.stderr, /AuthenticationError/);
    } finally {
      if (srv !== null) await stop(srv);
      remove();
    }
  },
);

test(
  "remote: a client whose network vanishes while it holds a lock is dropped (keepAlive ping, then the OS's retransmission timeout); the lock is recovered",
  { skip: netnsUnavailable() },
  async () => {
    const { a, b, vb, ipA, ip, inNs, remove } = vethPair("v", 232);
    const programs: Program[] = [];
    try {
      // The server's namespace gives up on unacknowledged bytes after 2 retransmissions
      // (about 1.5 s) instead of Linux's default 15 (about 15 minutes).
      const r = spawnSync("ip", ["netns", "exec", a, "sh", "-c", "echo 2 > /proc/sys/net/ipv4/tcp_retries2"]);
      assert.equal(r.status, 0, String(r.stderr));
      const srv = inNs(a, here, "server", ipA, 0, AUTHKEY, 200);
      programs.push(srv);
      const port = Number(await srv.line("serving on ", 30_000));
      const guard = inNs(a, other, "guard-lock", ipA, port, AUTHKEY);
      programs.push(guard);
      assert.equal(await guard.line("stored"), "");
      const holder = inNs(b, other, "hold-lock", ipA, port, AUTHKEY);
      programs.push(holder);
      assert.equal(await holder.line("acquired "), "true");
      assert.equal(await guard.line("taken"), "");
      // The holder's machine leaves the network: no FIN, no RST ever reaches the server.
      ip("-n", b, "link", "set", vb, "down");
      holder.child.kill("SIGKILL");
      assert.equal(await guard.line("recovered", 20_000), "");
      assert.equal(await guard.exit(20_000), 0, guard.stderr);
    } finally {
      for (const p of programs) await stop(p);
      remove();
    }
  },
);
