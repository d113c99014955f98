// start() hands the work to the child synchronously: a blocking *Sync call made right
// after an unawaited start() finds the child running, as in Python.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as mp from "../mod.ts";
import { Announcer, nap, say, setEvent } from "./fixtures/start_targets.ts";
import { init, initialValue } from "./fixtures/pool_tasks.ts";
import { whoami as whoamiA } from "./fixtures/same_name/a.ts";
import { whoami as whoamiB } from "./fixtures/same_name/b.ts";
import { joinWithin, killAll } from "./helpers.ts";

test("Queue.getSync right after an unawaited start() gets the child's item", async () => {
  const q = new mp.Queue<string>();
  const p = new mp.Process({ target: say, args: [q, "hello"] });
  p.start();
  try {
    assert.equal(q.getSync(10_000), "hello");
  } finally {
    await joinWithin(p).catch(killAll);
  }
  assert.equal(p.exitCode, 0);
});

test("Event.waitSync right after an unawaited start() returns true", async () => {
  const ev = new mp.Event();
  const p = new mp.Process({ target: setEvent, args: [ev] });
  p.start();
  try {
    assert.equal(ev.waitSync(10_000), true);
  } finally {
    await joinWithin(p).catch(killAll);
  }
});

test("a Process subclass runs while its parent blocks, with the attributes it had at start()", async () => {
  const a = new Announcer();
  a.text = "from the subclass";
  a.queue = new mp.Queue<string>();
  a.start();
  a.text = "changed after start";
  try {
    assert.equal(a.queue.getSync(10_000), "from the subclass");
  } finally {
    await joinWithin(a).catch(killAll);
  }
});

test("two modules exporting the same name: the child runs the function it was given", async () => {
  const q = new mp.Queue<string>();
  const ps = [whoamiB, whoamiA].map((target) => new mp.Process({ target, args: [q] }));
  for (const p of ps) p.start();
  try {
    const got = [q.getSync(10_000), q.getSync(10_000)].sort();
    assert.deepEqual(got, ["a", "b"]);
  } finally {
    for (const p of ps) await joinWithin(p).catch(killAll);
  }
  assert.deepEqual(ps.map((p) => p.exitCode), [0, 0]);
});

test("a task submitted to a pool whose workers are up runs while the caller blocks", async () => {
  await using pool = new mp.Pool(2);
  await pool.apply(say, [new mp.Queue<string>(), "warm-up"]);
  for (let i = 0; i < 3; i++) {
    const ev = new mp.Event();
    const r = pool.applyAsync(setEvent, [ev]);
    assert.equal(ev.waitSync(10_000), true);
    await r.get(10_000);
  }
  await using ex = new mp.ProcessPoolExecutor({ maxWorkers: 1 });
  await ex.submit(say, new mp.Queue<string>(), "warm-up");
  const ev = new mp.Event();
  ex.submit(setEvent, ev);
  assert.equal(ev.waitSync(10_000), true);
});

test("Process.sentinel: mp.wait() reports it once the process has ended", async () => {
  const p = new mp.Process({ target: nap, args: [300] });
  assert.throws(() => p.sentinel, /has no sentinel: only a started child process has one/);
  await p.start();
  const [here, there] = mp.Pipe();
  try {
    assert.deepEqual(await mp.wait([p.sentinel, here], 0), []);
    await there.send("first");
    assert.deepEqual(await mp.wait([p.sentinel, here], 5_000), [here]);
    await here.recv();
    const t0 = performance.now();
    assert.deepEqual(await mp.wait([p.sentinel, here], 10_000), [p.sentinel]);
    assert.ok(performance.now() - t0 < 5_000);
    assert.equal(p.sentinel, p.sentinel);
    await joinWithin(p);
    assert.equal(p.exitCode, 0);
  } finally {
    here.close();
    there.close();
  }
});

test("a task submitted right after new Pool() runs while the caller blocks, after the initializer", async () => {
  await using pool = new mp.Pool({ processes: 2, initializer: init, initargs: ["ready"] });
  const ev = new mp.Event();
  const r = pool.applyAsync(setEvent, [ev]);
  assert.equal(ev.waitSync(10_000), true);
  await r.get(10_000);
  assert.deepEqual(await pool.map(initialValue, [0, 1, 2, 3], 1), ["ready", "ready", "ready", "ready"]);
  await using ex = new mp.ProcessPoolExecutor({ maxWorkers: 1 });
  const ev2 = new mp.Event();
  const f = ex.submit(setEvent, ev2);
  assert.equal(ev2.waitSync(10_000), true);
  await f;
});
