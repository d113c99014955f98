import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import {
  holdThenWrite,
  keepInit,
  poolWrite,
  readAndKeep,
  releaseCopy,
  writeInit,
} from "./fixtures/manager_refcount_tasks.ts";
import { soak } from "../bench/manager_soak.ts";
import { eventually, joinWithin } from "./helpers.ts";
import { runToEnd, start } from "./shared_helpers.ts";

test("release() frees the object; a released proxy throws a clear ProcessError", async () => {
  await using manager = await mp.Manager();
  const d = await manager.dict<string, number>({ a: 1 });
  const l = manager.listSync([1]);
  const ns = await manager.Namespace({ x: 1 });
  const q = await manager.Queue();
  assert.deepEqual(await manager.debugInfo(), { objects: 4, references: 4, holders: 1 });
  d.release();
  assert.equal(d.released, true);
  d.release(); // again: nothing
  assert.equal((await manager.debugInfo()).objects, 3);
  assert.throws(
    () => d.getSync("a"),
    (e: Error) => e instanceof mp.ProcessError && /was released/.test(e.message),
  );
  await assert.rejects(
    d.get("a"),
    (e: Error) => e instanceof mp.ProcessError && /dict proxy \(id \d+\): it was released/.test(e.message),
  );
  await assert.rejects(
    new mp.Process({ target: releaseCopy, args: [d, d] as never }).start(),
    /was released/,
  );
  const other = await manager.dict<string, unknown>();
  await assert.rejects(other.set("d", d), /argument\[1\], a dict proxy, \(id \d+\): it was released/);
  other.release();
  assert.throws(
    () => mp.releaseProxy({}),
    /releaseProxy\(proxy\): the value given \(an instance of Object\) is not a manager proxy/,
  );
  l.release();
  mp.releaseProxy(ns);
  assert.throws(() => ns.x, /was released/);
  q[Symbol.dispose]();
  assert.deepEqual(manager.debugInfoSync(), { objects: 0, references: 0, holders: 0 });
  // Shared objects are not counted (they live in shared memory), but refuse use once released.
  const lock = await manager.Lock();
  mp.releaseProxy(lock);
  assert.throws(() => lock.acquireSync(), /Lock proxy \(id 0\): it was released/);
});

test("using blocks release; a dict per request stays bounded", async () => {
  await using manager = await mp.Manager();
  for (let i = 0; i < 2_000; i++) {
    using d = manager.dictSync<string, number>();
    d.setSync("request", i);
  }
  for (let i = 0; i < 200; i++) {
    using d = await manager.dict<string, number>({ i });
    assert.equal(await d.get("i"), i);
  }
  assert.equal((await manager.debugInfo()).objects, 0);
});

test("several proxies of one object: the object lives until the last is released", async () => {
  await using manager = await mp.Manager();
  const holder = await manager.dict<string, mp.ListProxy<number>>();
  const l = await manager.list([1]);
  await holder.set("l", l);
  const again = (await holder.get("l"))!; // a second proxy, with its own reference
  await holder.delete("l");
  l.release();
  assert.equal((await manager.debugInfo()).objects, 2);
  assert.deepEqual(await again.toArray(), [1]);
  again.release();
  assert.equal((await manager.debugInfo()).objects, 1);
});

test("nested referents: an object stored in a dict lives while the dict does", async () => {
  await using manager = await mp.Manager();
  const outer = await manager.dict<string, unknown>();
  const inner = await manager.list<number>([1]);
  const deeper = await manager.dict<string, number>({ x: 1 });
  await outer.set("inner", inner);
  await outer.set("nested", { deep: [deeper] });
  inner.release();
  deeper.release();
  assert.equal((await manager.debugInfo()).objects, 3);
  const back = (await outer.get("inner")) as mp.ListProxy<number>;
  await back.append(2);
  assert.deepEqual(await back.toArray(), [1, 2]);
  back.release();
  await outer.delete("inner");
  assert.equal((await manager.debugInfo()).objects, 2); // the list went with its last reference
  outer.release();
  assert.equal((await manager.debugInfo()).objects, 0); // and the dict took its contents along
  // A dict made from another dict's contents holds them too.
  const a = await manager.list([7]);
  const b = await manager.dict({ a });
  a.release();
  assert.equal((await manager.debugInfo()).objects, 2);
  b.release();
  assert.equal((await manager.debugInfo()).objects, 0);
});

test("a proxy passed to a child keeps the object alive until the child ends", async () => {
  await using manager = await mp.Manager();
  const d = await manager.dict<string, string>();
  const go = await manager.Event();
  const p = start(holdThenWrite, [d, go]);
  const seen = await manager.dict<string, string>();
  await seen.set("id", String(d));
  d.release(); // right away: the child's reference was taken before the start
  assert.equal((await manager.debugInfo()).objects, 2);
  go.set();
  await joinWithin(p);
  assert.equal(p.exitCode, 0);
  assert.equal((await manager.debugInfo()).objects, 1); // the child's copy went with it
  seen.release(); // used here, so that it cannot be garbage collected (and freed) before the count above
});

test("a child that ends gives back the proxies it received from replies", async () => {
  await using manager = await mp.Manager();
  const d = await manager.dict<string, mp.ListProxy<number>>();
  const inner = await manager.list<number>([1]);
  await d.set("inner", inner);
  const go = await manager.Event();
  const p = start(readAndKeep, [d, go]);
  await eventually(() => inner.lengthSync() === 2, 10_000, "the child appending through its own proxy");
  inner.release();
  await d.delete("inner");
  assert.equal((await manager.debugInfo()).objects, 2); // the child's proxy keeps the list
  go.set();
  await joinWithin(p);
  assert.equal(p.exitCode, 0);
  assert.deepEqual(await manager.debugInfo(), { objects: 1, references: 1, holders: 1 });
});

test("proxies in pool tasks: the workers' copies are given back when the pool ends", async () => {
  await using manager = await mp.Manager();
  const d = await manager.dict<string, number>();
  const pool = new mp.Pool(2);
  try {
    const done = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.apply(poolWrite, [d, i])));
    assert.equal(done.length, 20);
  } finally {
    pool.close();
    await pool.join();
  }
  assert.equal(await d.size(), 20);
  d.release();
  await eventually(
    () => manager.debugInfoSync().objects === 0,
    10_000,
    "the dict freed once the workers ended",
  );
});

test("one proxy handle revived by several workers (pool initargs): each holds its own reference", async () => {
  await using manager = await mp.Manager();
  const d = await manager.dict<string, number>();
  const pool = new mp.Pool({ processes: 2, initializer: keepInit, initargs: [d] });
  try {
    await Promise.all(Array.from({ length: 10 }, (_, i) => pool.apply(writeInit, [i])));
    // The parent's reference is intact: 1 (parent) + 1 per worker that revived the handle.
    const info = await manager.debugInfo();
    assert.equal(info.objects, 1);
    assert.ok(info.references >= 2, `references: ${info.references}`);
    assert.equal(await d.size(), 10);
  } finally {
    pool.close();
    await pool.join();
  }
  await eventually(
    () => manager.debugInfoSync().references === 1,
    10_000,
    "the workers' references given back",
  );
  assert.equal(await d.size(), 10);
  d.release();
  assert.equal((await manager.debugInfo()).objects, 0);
});

test("a child releasing its copy leaves the parent's proxy working", async () => {
  await using manager = await mp.Manager();
  const d = await manager.dict<string, string>({ x: "1" });
  const out = await manager.dict<string, string>();
  await runToEnd(releaseCopy, [d, out]);
  assert.equal(await out.get("result"), "ProcessError");
  assert.equal(await d.get("x"), "1");
  assert.equal((await manager.debugInfo()).objects, 2);
});

test("registered types are reference counted too", async () => {
  await using manager = await mp.Manager();
  const made = await manager.dict();
  made.release();
  const { MathsManager } = await import("./fixtures/manager_tasks.ts");
  await using m2 = new MathsManager();
  await m2.start();
  const maths = await m2.create("Maths");
  assert.equal((await m2.debugInfo()).objects, 1);
  (maths as unknown as { release(): void }).release();
  assert.equal((await m2.debugInfo()).objects, 0);
});

test("proxies garbage collected give their references back", async () => {
  await using manager = await mp.Manager();
  const keep = await manager.dict();
  (() => {
    for (let i = 0; i < 200; i++) manager.dictSync({ i });
  })();
  const gc = globalThis as { gc?: () => void; Bun?: { gc(full: boolean): void } };
  await eventually(
    () => {
      if (gc.Bun) gc.Bun.gc(true);
      else if (gc.gc) gc.gc();
      else for (let i = 0; i < 20; i++) new Array(100_000).fill(i); // pressure for a collection
      return manager.debugInfoSync().objects < 100;
    },
    20_000,
    "garbage collected proxies freeing their objects",
  );
  assert.equal(await keep.size(), 0);
});

test("the manager's codec (binary, extended JSON) carries the values proxies hold exactly", async () => {
  await using manager = await mp.Manager();
  const d = await manager.dict<string, unknown>();
  const values: unknown[] = [
    undefined,
    NaN,
    -0,
    Infinity,
    -Infinity,
    12n,
    new Map<unknown, unknown>([[1, undefined], ["k", new Set([1n])]]),
    new Date(5),
    [1, undefined, [NaN]],
    { a: undefined, b: { "\u0000mp": "u" } },
    new Uint8Array([1, 2]),
    "héllo ✓ 🎉",
    "\ud800 lone",
    "a".repeat(40_000),
    "é".repeat(30_000),
    [[[[[[[[[[["deep"]]]]]]]]]]],
    ["mixed", 1, { o: [null, true, false] }],
  ];
  for (const [i, v] of values.entries()) {
    await d.set(String(i), v);
    assert.deepEqual(await d.get(String(i)), v, `value ${i}`);
  }
  assert.ok(Object.is(await d.get("2"), -0));
});

test("soak: calls on one dict and dicts made and released keep RSS within 1.5x (bench/manager_soak.ts in small)", async () => {
  await using manager = await mp.Manager();
  const r = await soak(manager, { calls: 30_000, dicts: 5_000, warm: 5_000, every: 5_000 });
  assert.equal(r.objects, 0, "objects left in the server");
  assert.ok(r.peak <= 1.5 * r.base, `RSS grew from ${r.base.toFixed(0)} MB to ${r.peak.toFixed(0)} MB`);
});
