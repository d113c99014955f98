import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import {
  appendNested,
  blockedGet,
  callSlow,
  concurrent,
  consumer,
  fromDict,
  hammer,
  lockedAdds,
  type Maths,
  MathsManager,
  namespaceChild,
  producer,
  seedChild,
  type Slow,
  taskWorker,
} from "./fixtures/manager_tasks.ts";
import { eventually, joinWithin } from "./helpers.ts";
import { runToEnd, start } from "./shared_helpers.ts";

test("Manager: the seeds' program (typed keys, a list reversed by a child)", async () => {
  await using manager = await mp.Manager();
  const d = await manager.dict();
  const l = await manager.list(Array.from({ length: 10 }, (_, i) => i));
  await runToEnd(seedChild, [d, l]);
  assert.deepEqual(await d.copy(), new Map<unknown, unknown>([[1, "1"], ["2", 2], [0.25, null]]));
  assert.deepEqual(await l.toArray(), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  assert.equal(await d.get("1"), undefined); // 1 and "1" are different keys
});

test("DictProxy: Map's and Python's methods, async and Sync", async () => {
  await using manager = await mp.Manager();
  const d = await manager.dict<string | number, unknown>({ a: 1 });
  await d.set("b", [1, { deep: true }]);
  d.setSync(2, new Map([["x", 1n]]));
  assert.equal(await d.size(), 3);
  assert.equal(d.hasSync("a"), true);
  assert.deepEqual(await d.get("b"), [1, { deep: true }]);
  assert.deepEqual(d.getSync(2), new Map([["x", 1n]]));
  assert.equal(await d.get("zz", "dflt"), "dflt");
  assert.deepEqual(await d.keys(), ["a", "b", 2]);
  assert.deepEqual(d.valuesSync()[0], 1);
  assert.deepEqual((await d.entries())[0], ["a", 1]);
  assert.equal(await d.pop("a"), 1);
  assert.equal(d.popSync("a", 42), 42);
  const e = (await d.pop("a").catch((e) => e)) as Error;
  assert.equal(e.name, "KeyError", String(e));
  assert.match(e.message, /key "a" is not in the dict/);
  assert.ok(e.cause instanceof mp.RemoteError, "the server's stack is the cause, as from a pool");
  assert.equal(await d.setdefault("s", 5), 5);
  assert.equal(d.setdefaultSync("s", 6), 5);
  await d.update(new Map([["m", 1]]));
  d.updateSync([["p", 2]]);
  await d.update({ o: 3 });
  const other = await manager.dict<string | number, unknown>({ fromProxy: true });
  await d.update(other);
  assert.equal(await d.get("fromProxy"), true);
  assert.equal(await d.delete("m"), true);
  assert.equal(d.deleteSync("m"), false);
  const pairs: unknown[] = [];
  for await (const [k] of d) pairs.push(k);
  assert.deepEqual(pairs, await d.keys());
  await d.clear();
  assert.equal(d.sizeSync(), 0);
  assert.throws(() => d.setSync({} as never, 1), TypeError);
  await assert.rejects(async () => await d.set([1] as never, 1), /a key must be a string, number/);
});

test("ListProxy: Array's and Python's methods, async and Sync", async () => {
  await using manager = await mp.Manager();
  const l = await manager.list<number | string>([3, 1, 2]);
  assert.equal(await l.push(5, 4), 5);
  await l.append(0);
  l.appendSync(9);
  assert.equal(await l.length(), 7);
  await l.sort();
  assert.deepEqual(await l.toArray(), [0, 1, 2, 3, 4, 5, 9]);
  l.sortSync({ reverse: true });
  assert.deepEqual(l.toArraySync(), [9, 5, 4, 3, 2, 1, 0]);
  assert.equal(await l.get(-1), 0);
  await l.set(0, 8);
  assert.equal(l.getSync(0), 8);
  assert.equal(await l.pop(), 0);
  assert.equal(l.popSync(0), 8);
  assert.deepEqual(await l.slice(1, 3), [4, 3]);
  await l.insert(0, "x");
  await l.extend([7, 7]);
  assert.equal(await l.count(7), 2);
  assert.equal(await l.indexOf("x"), 0);
  assert.equal(await l.includes(100), false);
  await l.remove("x");
  await l.reverse();
  assert.deepEqual(l.sliceSync(0, 2), [7, 7]);
  const e = await l.get(100).catch((e) => e);
  assert.ok(e instanceof RangeError, String(e));
  assert.match(e.message, /index 100 is out of range/);
  assert.ok(e.cause instanceof mp.RemoteError);
  await assert.rejects(l.remove("nope"), /not in the list/);
  await l.push("s");
  await assert.rejects(l.sort(), /cannot order/);
  await l.clear();
  assert.equal(await l.length(), 0);
  // An empty list: pop() gives undefined (as Array's), an explicit index is out of range (IndexError).
  assert.equal(await l.pop(), undefined);
  await assert.rejects(l.pop(0), RangeError);
  assert.throws(() => l.popSync(-1), RangeError);
});

test("Namespace: plain property access from the parent and a child", async () => {
  await using manager = await mp.Manager();
  const ns = await manager.Namespace({ x: 1, gone: true });
  assert.equal(ns.x, 1);
  assert.equal("gone" in ns, true);
  await runToEnd(namespaceChild, [ns]);
  assert.equal(ns.x, 2);
  assert.equal(ns.fromChild, "hi");
  assert.equal("gone" in ns, false);
  ns.list = [1, 2];
  assert.deepEqual(ns.list, [1, 2]);
  assert.deepEqual(Object.keys(ns).sort(), ["fromChild", "list", "x"]);
  assert.deepEqual(JSON.parse(JSON.stringify(ns)), { x: 2, fromChild: "hi", list: [1, 2] });
});

test("proxies keep working while the main thread blocks (no event loop in between)", async () => {
  await using manager = await mp.Manager();
  const d = await manager.dict<string, number>();
  const done = new Int32Array(new SharedArrayBuffer(4));
  const ps = [true, false].map((useSync, i) =>
    new mp.Process({ target: hammer, args: [d, 300, `c${i}`, useSync, done] })
  );
  for (const p of ps) await p.start(); // starting needs the event loop: block only once they run
  // Block the main thread (no event loop turns) until both children finished.
  const end = performance.now() + 20_000;
  while (Atomics.load(done, 0) < 2 && performance.now() < end) {
    Atomics.wait(done, 0, Atomics.load(done, 0), 50);
  }
  assert.equal(Atomics.load(done, 0), 2, "children finished while the main thread was blocked");
  for (const p of ps) await joinWithin(p);
  assert.equal(await d.size(), 600);
});

test("more calls in flight than reply slots, from several processes", async () => {
  await using manager = await mp.Manager();
  const l = await manager.list<number>();
  const ps = [0, 1].map((i) => start(concurrent, [l, 100, i * 1000]));
  await concurrent(l, 100, 5000);
  for (const p of ps) await joinWithin(p, 20_000);
  for (const p of ps) assert.equal(p.exitCode, 0);
  const all = (await l.toArray()).sort((a, b) => a - b);
  assert.equal(all.length, 300);
  assert.deepEqual(all.slice(0, 3), [0, 1, 2]);
  assert.equal(new Set(all).size, 300);
});

test("replies of every size, up to larger than a reply slot, arrive whole and in order", async () => {
  await using manager = await mp.Manager();
  const d = await manager.dict<number, unknown>();
  // Around a slot's 8 KiB (the binary form adds 5 bytes to a string), and far beyond it.
  const sizes = [0, 1, 8180, 8186, 8187, 8188, 8192, 9000, 1_000_000];
  for (const n of sizes) await d.set(n, "é".repeat(n >> 1) + "x".repeat(n & 1));
  for (const n of sizes) {
    assert.equal(d.getSync(n), "é".repeat(n >> 1) + "x".repeat(n & 1));
    assert.equal((await d.get(n) as string).length, (n >> 1) + (n & 1));
  }
  const big = Array.from({ length: 5000 }, (_, i) => ({ i, s: `v${i}` }));
  await d.set(-1, big);
  assert.deepEqual(await d.get(-1), big);
  assert.equal(d.getSync(1), "x", "a small reply after large ones");
});

test("nested proxies: a list proxy stored in a dict proxy, used from a child", async () => {
  await using manager = await mp.Manager();
  const d = await manager.dict<string, mp.ListProxy<string>>();
  const inner = await manager.list<string>(["a"]);
  await d.set("inner", inner);
  await runToEnd(appendNested, [d, "b"]);
  const back = (await d.get("inner"))!;
  assert.ok(back instanceof mp.ListProxy);
  assert.deepEqual(await back.toArray(), ["a", "b"]);
  assert.deepEqual(await inner.toArray(), ["a", "b"]);
  assert.deepEqual(await manager.list(inner).then((l) => l.toArray()), ["a", "b"]);
});

test("Lock and Value from the manager: exact increments by two children", async () => {
  await using manager = await mp.Manager();
  const lock = await manager.Lock();
  const counter = manager.ValueSync("i", 0);
  assert.ok(lock instanceof mp.Lock);
  const ps = [0, 1].map(() => start(lockedAdds, [lock, counter, 200]));
  lockedAdds(lock, counter, 200);
  for (const p of ps) await joinWithin(p, 20_000);
  assert.equal(counter.value, 600);
  assert.equal(lock.locked(), false);
});

test("sync objects of the manager: RLock, Semaphore, Condition, Event, Barrier, Array; stored in a dict", async () => {
  await using manager = await mp.Manager();
  const r = await manager.RLock();
  assert.equal(await r.acquire(), true);
  assert.equal(r.acquireSync(), true);
  r.release();
  r.release();
  const s = await manager.BoundedSemaphore(2);
  assert.equal(s.acquireSync(0), true);
  s.release();
  assert.throws(() => s.release(), mp.ProcessError);
  const sem = manager.SemaphoreSync(0);
  assert.equal(await sem.acquire(10), false);
  const lock = await manager.Lock();
  const cond = await manager.Condition(lock);
  assert.equal(await cond.acquire(), true);
  assert.equal(lock.locked(), true, "the Condition uses the given manager Lock");
  assert.equal(await cond.wait(10), false);
  cond.release();
  const b = await manager.Barrier(1);
  assert.equal(await b.wait(), 0);
  const a = await manager.Array("d", [1.5, 2.5]);
  a.set(0, 3);
  assert.deepEqual(a.slice(), [3, 2.5]);
  assert.equal(a[1], 2.5);
  const ev = await manager.Event();
  const ns = await manager.Namespace();
  const d = await manager.dict<string, unknown>({ event: ev, ns });
  await runToEnd(fromDict, [d]);
  assert.equal(ev.isSet(), true);
  assert.equal(ns.seen, 7);
});

test("QueueProxy: producer and consumer in children, timeouts, maxsize", async () => {
  await using manager = await mp.Manager();
  const q = await manager.Queue<number | null>();
  const d = await manager.dict<string, number>();
  const ps = [start(producer, [q, 200]), start(consumer, [q, d, "sum"])];
  for (const p of ps) await joinWithin(p, 20_000);
  assert.equal(await d.get("sum"), (199 * 200) / 2);
  assert.equal(q.empty(), true);
  await assert.rejects(q.get(20), mp.Empty);
  assert.throws(() => q.getNowait(), mp.Empty);
  const small = manager.QueueSync<string>(1);
  small.putNowait("a");
  assert.equal(small.full(), true);
  assert.throws(() => small.putNowait("b"), mp.Full);
  await assert.rejects(small.put("b", 20), mp.Full);
  const later = small.put("b", 5000);
  assert.equal(await small.get(), "a");
  await later;
  assert.equal(small.qsize(), 1);
  small.close();
  assert.throws(() => small.getNowait(), /closed/);
});

test("JoinableQueueProxy: join() waits until every task is done", async () => {
  await using manager = await mp.Manager();
  const q = await manager.JoinableQueue<number>();
  const p = start(taskWorker, [q, 5]);
  for (let i = 0; i < 5; i++) await q.put(i);
  assert.equal(await q.join(20_000), true);
  await joinWithin(p);
  assert.equal(q.joinSync(0), true);
  assert.throws(() => q.taskDone(), /too many times/);
});

test("registered types: classes, factories, async methods, exposed, errors", async () => {
  await using manager = new MathsManager();
  await manager.start();
  const maths = await manager.create<Maths>("Maths");
  assert.equal(await maths.add(4, 3), 7);
  assert.equal(maths.addSync(1, 1), 2);
  assert.equal(await maths.accumulate(5), 5);
  assert.equal(await maths.accumulate(5), 10);
  assert.equal(await maths.later(21), 42);
  assert.equal(maths.laterSync(1), 2);
  const e = await maths.fail("too big").catch((e) => e);
  assert.ok(e instanceof RangeError, String(e));
  assert.equal(e.message, "too big");
  assert.ok(e.cause instanceof mp.RemoteError);
  assert.match(e.cause.remoteStack, /fail/);
  // deno-lint-ignore no-explicit-any
  const anyMaths = maths as any;
  assert.throws(() => anyMaths.nope(), /has no method "nope".*add\(\), accumulate\(\), later\(\), fail\(\)/);
  assert.throws(() => anyMaths._hidden(), /has no method "_hidden"/);
  const counter =
    await (manager as unknown as { Counter(n: number): Promise<mp.AutoProxy<{ next(): number }>> })
      .Counter(10);
  assert.equal(await counter.next(), 11);
  const adder = await manager.create<Maths>("Adder");
  assert.equal(await adder.add(1, 2), 3);
  assert.throws(() => adder.accumulate(1), /exposes are add\(\)/);
  await assert.rejects(manager.create("Unknown"), /no type "Unknown"/);
});

test("calling a missing method of a built-in proxy lists the methods", async () => {
  await using manager = await mp.Manager();
  const d = await manager.dict();
  const e = (await d.callMethod("nope").catch((e) => e)) as Error;
  assert.ok(e.cause instanceof mp.RemoteError, String(e));
  assert.match(e.message, /A dict proxy has no method "nope": the methods it exposes are get, set, has/);
  assert.throws(() => d.callMethodSync("frob"), /no method "frob"/);
});

test("after shutdown(): clear errors from every kind of proxy, even in a waiting child", async () => {
  const manager = await mp.Manager();
  const d = await manager.dict();
  const q = await manager.Queue<number>();
  const lock = await manager.Lock();
  const ns = await manager.Namespace();
  const out = new Int32Array(new SharedArrayBuffer(4));
  const p = start(blockedGet, [q, out]);
  await eventually(() => Atomics.load(out, 0) === 1, 10_000, "child waiting");
  await new Promise((r) => setTimeout(r, 100));
  await manager.shutdown();
  await manager.shutdown(); // twice is fine
  await joinWithin(p);
  assert.equal(Atomics.load(out, 0), 3, "the waiting child got the shutdown error");
  for (const use of [() => d.sizeSync(), () => q.qsize(), () => lock.acquireSync(), () => ns.x]) {
    assert.throws(use, (e: Error) => e instanceof mp.ProcessError && /manager was shut down/.test(e.message));
  }
  await assert.rejects(d.get(1), /manager was shut down/);
  await assert.rejects(manager.dict(), /was shut down/);
  assert.equal(manager.running, false);
  assert.equal(String(lock).startsWith("<Lock"), true, "printing still works");
});

test("a caller terminated mid-call leaves the manager usable", async () => {
  await using manager = new MathsManager();
  await manager.start();
  const slow = await manager.create<Slow>("Slow");
  const maths = await manager.create<Maths>("Maths");
  const p = new mp.Process({ target: callSlow, args: [slow, 400] });
  await p.start();
  await new Promise((r) => setTimeout(r, 150));
  p.terminate();
  await joinWithin(p);
  assert.equal(await maths.add(1, 2), 3);
  assert.equal(await slow.busy(1), 1);
});

test("misuse: start twice, use before start, values that cannot be stored", async () => {
  const m = new mp.SyncManager();
  await assert.rejects(m.dict(), /not started/);
  await m.start();
  await assert.rejects(m.start(), /twice/);
  const d = await m.dict();
  await assert.rejects(d.set("lock", new mp.Lock() as never), /Cannot store .* in a manager/);
  await assert.rejects(d.set("f", (() => 1) as never), /Cannot send/);
  assert.throws(() => m.ValueSync("z" as never), TypeError);
  await m.shutdown();
  assert.equal(m.process?.exitCode, 0);
});
