import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import { doTasks, getAndReport, putNowaitMany, putOne, sumSimple } from "./fixtures/queue_tasks.ts";
import { joinWithin, killAll } from "./helpers.ts";

test("Queue: FIFO, qsize/empty/full, nowait and timeouts", async () => {
  const q = new mp.Queue<unknown>(3);
  assert.equal(q.empty(), true);
  await q.put(1);
  q.putSync("two");
  q.putNowait({ three: [3] });
  assert.equal(q.qsize(), 3);
  assert.equal(q.full(), true);
  assert.throws(() => q.putNowait(4), mp.Full);
  assert.throws(() => q.putSync(4, 10), (e: Error) => e instanceof mp.Full && /maxsize 3/.test(e.message));
  await assert.rejects(q.put(4, 0), mp.Full);
  assert.equal(await q.get(), 1);
  assert.equal(q.getSync(), "two");
  assert.deepEqual(q.getNowait(), { three: [3] });
  assert.equal(q.empty(), true);
  assert.throws(() => q.getNowait(), mp.Empty);
  const t0 = performance.now();
  await assert.rejects(q.get(50), (e: Error) => e instanceof mp.Empty && /within 50 ms/.test(e.message));
  assert.ok(performance.now() - t0 >= 40);
  assert.throws(() => q.getSync(20), mp.Empty);
  q.close();
});

test("Queue: values arrive as structured clones (fast paths and the rest)", async () => {
  const q = new mp.Queue<unknown>();
  const items: unknown[] = [
    0,
    -0,
    NaN,
    Infinity,
    1.5,
    "",
    "héllo wörld ✓",
    "\ud800 lone surrogate",
    true,
    false,
    null,
    undefined,
    [1, "a", [null]],
    { a: { b: [1, 2] }, c: "x" },
    { u: undefined },
    new Map([[1, { d: new Date(5) }]]),
    new Set(["a"]),
    12345678901234567890n,
    new Uint8Array([1, 2, 3]),
    new Float64Array([1.5, -2]),
    new TypeError("bad"),
    /re/g,
    [, 1],
  ];
  for (const item of items) await q.put(item);
  for (const item of items) {
    const got = await q.get(1000);
    if (item instanceof Error) {
      assert.ok(got instanceof TypeError);
      assert.equal((got as Error).message, "bad");
    } else assert.deepEqual(got, item);
  }
  // A Uint8Array item comes back as a Uint8Array of its own.
  await q.put(new Uint8Array(4).fill(9));
  const bytes = (await q.get()) as Uint8Array;
  assert.ok(bytes.buffer instanceof ArrayBuffer);
  assert.deepEqual([...bytes], [9, 9, 9, 9]);
  q.close();
});

test("Queue: an item that cannot be cloned throws at put, and nothing else is lost", async () => {
  const q = new mp.Queue<unknown>(2);
  await q.put("before");
  await assert.rejects(
    q.put({ ok: 1, handler: () => 1 }),
    (e: Error) => e instanceof mp.ProcessError && /item\.handler/.test(e.message),
  );
  assert.throws(() => q.putSync(Symbol("s")), mp.ProcessError);
  assert.throws(
    () => q.putNowait({ inner: new mp.Queue() }),
    (e: Error) => /item\.inner \(Queue\)/.test(e.message) && /arguments of a Process/.test(e.message),
  );
  await q.put("after");
  assert.equal(q.qsize(), 2);
  assert.equal(await q.get(100), "before");
  assert.equal(await q.get(100), "after");
  assert.equal(q.empty(), true);
  q.close();
});

test("Queue: put/get after close throw; bad arguments are named", async () => {
  const q = new mp.Queue();
  q.close();
  await assert.rejects(q.put(1), /closed/);
  assert.throws(() => q.getSync(), /closed/);
  assert.throws(() => new mp.Queue(1.5), TypeError);
  // maxsize is one 32-bit count (Python's SEM_VALUE_MAX): larger is refused, not wrapped.
  assert.throws(
    () => new mp.Queue(2 ** 31),
    (e: unknown) => e instanceof RangeError && /at most 2147483647/.test(e.message),
  );
  const big = new mp.Queue(2 ** 31 - 1);
  big.putSync(1);
  assert.equal(big.full(), false);
  assert.equal(big.getSync(), 1);
  big.close();
  assert.throws(
    () => new mp.Queue(0, { capacity: NaN }),
    /capacity must be a whole number of bytes, got NaN/,
  );
  assert.throws(() => new mp.Queue(0, { capacity: -1 }), TypeError);
  const r = new mp.Queue();
  await assert.rejects(r.get("soon" as unknown as number), /timeout must be a number/);
  r.close();
});

test("Queue: a 16 MiB item round-trips through a 1 MiB ring, in both directions", async () => {
  const q = new mp.Queue<Uint8Array | string>();
  const big = new Uint8Array(16 << 20);
  for (let i = 0; i < big.length; i += 4093) big[i] = i & 255;
  const p = new mp.Process({ target: putOne, args: [q, big] });
  await p.start();
  const got = (await q.get(20_000)) as Uint8Array;
  await joinWithin(p, 20_000);
  assert.equal(got.length, big.length);
  for (let i = 0; i < big.length; i += 4093) assert.equal(got[i], big[i]);
  // Same thread, async: the put waits for room while the get drains it.
  const text = "x".repeat(17 << 20);
  const put = q.put(text);
  assert.equal((await q.get(20_000) as string).length, text.length);
  await put;
  // A small ring: items many times its size still pass.
  const small = new mp.Queue<Uint8Array>(0, { capacity: 4096 });
  const sent = small.put(big.subarray(0, 100_000));
  assert.deepEqual(await small.get(5000), big.subarray(0, 100_000));
  await sent;
  q.close();
  small.close();
});

test("Queue: a blocked get in a child wakes on an item, and on its timeout", async () => {
  const q = new mp.Queue<string>();
  const out = new mp.Queue<{ item?: string; error?: string; ms: number }>();
  try {
    for (const sync of [true, false]) {
      const p = new mp.Process({ target: getAndReport, args: [q, out, 10_000, sync] });
      await p.start();
      await new Promise((r) => setTimeout(r, 200));
      await q.put(`wake-${sync}`);
      const r = await out.get(10_000);
      assert.equal(r.item, `wake-${sync}`);
      assert.ok(r.ms >= 150 && r.ms < 9_000, `woke after ${r.ms} ms`);
      await joinWithin(p);
    }
    for (const sync of [true, false]) {
      const p = new mp.Process({ target: getAndReport, args: [q, out, 300, sync] });
      await p.start();
      const r = await out.get(10_000);
      assert.equal(r.error, "Empty");
      assert.ok(r.ms >= 280 && r.ms < 5_000, `timed out after ${r.ms} ms`);
      await joinWithin(p);
    }
  } finally {
    killAll();
  }
});

test("Queue: a blocked get on the main thread wakes when a child puts", async () => {
  const q = new mp.Queue<string>();
  const p = new mp.Process({ target: putOne, args: [q, "from child"] });
  const got = q.get(10_000);
  await p.start();
  assert.equal(await got, "from child");
  await joinWithin(p);
  const p2 = new mp.Process({ target: putOne, args: [q, "sync"] });
  await p2.start();
  assert.equal(q.getSync(10_000), "sync");
  await joinWithin(p2);
});

test("Queue: maxsize makes put wait until a consumer takes an item", async () => {
  const q = new mp.Queue<number>(1);
  await q.put(1);
  const t0 = performance.now();
  const later = new Promise((r) => setTimeout(r, 150)).then(() => q.get(1000));
  await q.put(2, 5000);
  assert.ok(performance.now() - t0 >= 120);
  assert.equal(await later, 1);
  assert.equal(await q.get(100), 2);
});

test("JoinableQueue: join waits for taskDone in a child; too many taskDone throws", async () => {
  const q = new mp.JoinableQueue<number>();
  const results = new mp.Queue<number>();
  assert.equal(await q.join(10), true);
  for (let i = 1; i <= 5; i++) await q.put(i);
  assert.equal(await q.join(20), false);
  assert.equal(q.joinSync(0), false);
  const p = new mp.Process({ target: doTasks, args: [q, results, 5] });
  await p.start();
  assert.equal(await q.join(10_000), true);
  const got: number[] = [];
  for (let i = 0; i < 5; i++) got.push(await results.get(1000));
  assert.deepEqual(got, [1, 4, 9, 16, 25]);
  await joinWithin(p);
  assert.throws(() => q.taskDone(), /too many times/);
  await q.put(7);
  assert.equal(await q.get(), 7);
  assert.equal(q.joinSync(10), false);
  q.taskDone();
  assert.equal(q.joinSync(10), true);
});

test("SimpleQueue: put/get/empty across processes", async () => {
  const q = new mp.SimpleQueue<number | null>();
  const out = new mp.SimpleQueue<number>();
  assert.equal(q.empty(), true);
  const p = new mp.Process({ target: sumSimple, args: [q, out] });
  await p.start();
  for (let i = 1; i <= 100; i++) q.putSync(i);
  await q.put(null);
  assert.equal(await out.get(), 5050);
  await joinWithin(p);
  assert.equal(out.empty(), true);
  q.close();
  assert.throws(() => q.putSync(1), /closed/);
});

test("wait(): the ready subset of queues, empty on timeout", async () => {
  const a = new mp.Queue<number>();
  const b = new mp.JoinableQueue<number>();
  const c = new mp.SimpleQueue<number>();
  assert.deepEqual(await mp.wait([a, b, c], 30), []);
  const pending = mp.wait([a, b, c], 5000);
  setTimeout(() => c.putSync(3), 50);
  assert.deepEqual(await pending, [c]);
  await b.put(1);
  assert.deepEqual(await mp.wait([a, b, c]), [b, c]);
  await assert.rejects(mp.wait([a, {} as mp.Queue]), /item 1 \(Object\) cannot be waited on/);
});

test("items beyond plain JSON arrive as structured clone would deliver them (extended JSON, no native leak on Deno)", () => {
  const q = new mp.Queue<unknown>();
  const shared = { n: 1 };
  const sparse = [1, , 3]; // a hole
  const items: unknown[] = [
    [1, undefined],
    { minusZero: -0, nan: NaN, inf: -Infinity, big: 12345678901234567890n },
    new Map<unknown, unknown>([["a", new Set([1, 2])], [2, new Date(0)]]),
    { invalid: new Date(NaN), nested: [undefined, [undefined]] },
    [shared, shared],
    sparse,
    { ["__proto__"]: 1 },
  ];
  for (const item of items) {
    q.putSync(item);
    const got = q.getSync(1_000);
    assert.deepStrictEqual(got, structuredClone(item));
  }
  const [a, b] = (q.putSync([shared, shared]), q.getSync(1_000)) as object[];
  assert.equal(a, b, "one object stays one");
  const holes = (q.putSync(sparse), q.getSync(1_000)) as unknown[];
  assert.equal(1 in holes, false, "a hole stays a hole");
});

test("Queue: putNowait from two processes at once never fails while there is room (as Python's put_nowait)", async () => {
  const q = new mp.Queue<string>(0, { capacity: 8 << 20 });
  const COUNT = 50_000;
  const ps = ["a", "b"].map((tag) => new mp.Process({ target: putNowaitMany, args: [q, tag, COUNT] }));
  try {
    for (const p of ps) await p.start();
    for (const p of ps) await joinWithin(p);
  } catch (e) {
    killAll();
    throw e;
  }
  assert.deepEqual(ps.map((p) => p.exitCode), [0, 0], "a putNowait failed while the queue had room");
  const seen = new Set<string>();
  for (let i = 0; i < 2 * COUNT; i++) seen.add(q.getSync(5_000));
  assert.equal(seen.size, 2 * COUNT);
  q.close();
});
