// Blocking (`*Sync`) calls of remote managers' proxies: they go through a relay thread
// of the program (its own connection, in the program's session), while the caller
// blocks with Atomics.wait.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as mp from "../mod.ts";
import { isDeno } from "./helpers.ts";
import { Program, runtimes, within } from "./net_helpers.ts";
import { countRemote, echoSync } from "./fixtures/remote_manager_tasks.ts";

const AUTHKEY = "remote sync test key";
const PEER = "tests/fixtures/remote_manager_peer.ts";
const other = isDeno ? "bun" : "deno";

/** A manager whose server runs in a child of this program (start() with an address). */
async function started(): Promise<mp.SyncManager> {
  const m = new mp.SyncManager({ address: ["127.0.0.1", 0], authkey: AUTHKEY });
  await within(m.start(), 30_000, "start()");
  return m;
}

test("remote *Sync: dict, list, queue and manager calls block for their reply; errors keep their class", async () => {
  await using m = await started();
  const d = m.dictSync<string, unknown>([["a", 1]]);
  d.setSync("b", 2);
  assert.equal(d.getSync("a"), 1);
  assert.deepEqual([...d.keysSync()].sort(), ["a", "b"]);
  assert.equal(await d.get("b"), 2); // the async path sees what the blocking one did
  const l = m.listSync([3, 1, 2]);
  l.sortSync();
  assert.deepEqual(l.toArraySync(), [1, 2, 3]);
  assert.throws(() => l.getSync(99), (e: unknown) => {
    assert.ok(e instanceof RangeError, String(e));
    assert.ok(e.cause instanceof mp.RemoteError);
    return true;
  });
  assert.throws(() => d.popSync("nope"), (e: unknown) => e instanceof Error && e.name === "KeyError");
  const q = m.QueueSync<number>() as unknown as mp.RemoteQueueProxy<number>;
  assert.ok(q instanceof mp.RemoteQueueProxy);
  q.putSync(7);
  assert.equal(q.qsize(), 1);
  assert.equal(q.getSync(), 7);
  assert.equal(q.empty(), true);
  assert.throws(() => q.getNowait(), mp.Empty);
  q.putNowait(8);
  assert.equal(q.getNowait(), 8);
  const t0 = performance.now();
  assert.throws(() => q.getSync(100), mp.Empty);
  assert.ok(performance.now() - t0 >= 90, "getSync(100) waited in the server");
  assert.throws(() => q.getSync(Number.NaN), TypeError);
  // A value that cannot be sent is the caller's error; the connection goes on.
  assert.throws(
    () => d.setSync("f", () => 1),
    (e: unknown) => e instanceof mp.ProcessError && /function/.test(e.message),
  );
  assert.equal(d.getSync("a"), 1);
  assert.equal(m.debugInfoSync().objects, 3);
});

test("remote *Sync: a value larger than the relay's buffer goes and comes back whole", async () => {
  await using m = await started();
  const d = m.dictSync<string, Uint8Array | string>();
  const bytes = new Uint8Array(3 * 1024 * 1024 + 17);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 255;
  d.setSync("bytes", bytes);
  assert.deepEqual(d.getSync("bytes"), bytes);
  const text = "é".repeat(700_000);
  d.setSync("text", text);
  assert.equal(d.getSync("text"), text);
});

test("remote *Sync: what the program sent before a blocking call reaches the server first; one session holds both paths", async () => {
  await using m = await started();
  const q = await m.Queue<number>() as unknown as mp.RemoteQueueProxy<number>;
  for (let i = 0; i < 5; i++) {
    const put = q.put(i); // not awaited
    assert.equal(q.getSync(5_000), i);
    await put;
  }
  // An RLock taken by an async call is this program's: a blocking call may release it.
  const r = await m.RLock();
  assert.equal(await r.acquire(), true);
  assert.equal(r.acquireSync(0), true); // recursive, same owner
  r.release();
  r.release();
  assert.equal(await r.acquire(0), true);
  r.release();
  // The two connections are one holder.
  const info = await m.debugInfo();
  assert.equal(info.holders, 1);
});

test("remote *Sync: a child process (daemonic too) makes blocking calls on proxies it was given", async () => {
  await using m = await started();
  const q = await m.Queue<number>() as unknown as mp.RemoteQueueProxy<number>;
  const out = await m.Queue<number>() as unknown as mp.RemoteQueueProxy<number>;
  const p = new mp.Process({ target: echoSync, args: [q, out], daemon: true });
  await p.start();
  await q.put(21);
  assert.equal(await out.get(20_000), 42);
  await within(p.join(), 20_000, "join()");
  assert.equal(p.exitCode, 0);
});

test(`remote *Sync: a ${other} server killed during a blocking call: it throws a clear error, no hang`, async () => {
  const program = new Program(
    runtimes[other],
    other === "deno"
      ? ["run", "-A", PEER, "server", "127.0.0.1", "0", AUTHKEY]
      : [PEER, "server", "127.0.0.1", "0", AUTHKEY],
  );
  try {
    const port = Number(await program.line("serving on ", 30_000));
    const m = new mp.SyncManager({ address: ["127.0.0.1", port], authkey: AUTHKEY });
    await within(m.connect(), 10_000, "connect()");
    const q = await m.Queue() as unknown as mp.RemoteQueueProxy;
    assert.equal(q.qsize(), 0); // the relay is up
    // This thread blocks below: a separate process kills the server meanwhile.
    spawn("sh", ["-c", `sleep 0.5; kill -9 ${program.child.pid}`], { stdio: "ignore" });
    const t0 = performance.now();
    assert.throws(
      () => q.getSync(20_000),
      (e: unknown) =>
        e instanceof mp.ProcessError && /remote manager at 127\.0\.0\.1:\d+ failed/.test(e.message),
    );
    assert.ok(performance.now() - t0 < 15_000, "the blocked call ended when the server died");
    assert.throws(() => q.qsize(), /remote manager at .* failed/);
    await assert.rejects(q.get(0), /remote manager at .* failed/);
    await m.shutdown();
  } finally {
    program.child.kill("SIGKILL");
    await program.exit(10_000);
  }
});

test("remote *Sync: after shutdown() a blocking call throws at once", async () => {
  const m = await started();
  const d = m.dictSync<string, number>();
  d.setSync("a", 1);
  await m.shutdown();
  assert.throws(
    () => d.getSync("a"),
    (e: unknown) => e instanceof mp.ProcessError && /was closed/.test(e.message),
  );
});

test("remote: a joinable queue's join(timeout) waits in the server; close() ends this proxy's use of it", async () => {
  await using m = await started();
  const q = await m.JoinableQueue<number>() as unknown as mp.RemoteQueueProxy<number>;
  await q.put(1);
  assert.equal(await within(q.join(20), 10_000, "join(20)"), false);
  assert.equal(q.joinSync(0), false);
  const joined = q.join(10_000);
  assert.equal(await q.get(), 1);
  q.taskDone();
  assert.equal(await within(joined, 10_000, "join()"), true);
  assert.throws(() => q.taskDone(), RangeError);
  await assert.rejects(q.join(Number.NaN), /RemoteQueueProxy\.join\(\): timeout must be a number/);
  q.close();
  await assert.rejects(q.put(2), /closed in this process/);
  assert.throws(() => q.getNowait(), /closed in this process/);
  assert.equal(q.joinSync(), true);
});

test("remote: a Value's lock guards a read-modify-write across processes, as a local Value's does", async () => {
  await using m = await started();
  const v = await m.Value("i", 0);
  const N = 100;
  const p = new mp.Process({ target: countRemote, args: [v, N] });
  await p.start();
  for (let i = 0; i < N; i++) {
    await using _ = await v.lock(10_000);
    v.value += 1;
  }
  await within(p.join(), 30_000, "join()");
  assert.equal(p.exitCode, 0);
  assert.equal(v.value, 2 * N);
  assert.equal(v.getLock().locked(), false);
});
