import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import { consume, getAndReport, produce, putOne } from "./fixtures/queue_tasks.ts";
import { eventually, joinWithin, killAll } from "./helpers.ts";
import { settlesWithin } from "../src/internal/_timeouts.ts";

test("4 producers and 4 consumers move 100 000 items: each exactly once, in order per producer", async () => {
  const N = 100_000, P = 4;
  const q = new mp.Queue<[number, number] | null>(1000);
  const out = new mp.Queue<{ got: number[]; inOrder: boolean }>();
  try {
    // Half of each side blocks (putSync/getSync), half awaits (put/get).
    const producers = [...Array(P)].map((_, k) =>
      new mp.Process({ target: produce, args: [q, k, N / P, k % 2 === 0] })
    );
    const consumers = [...Array(P)].map((_, k) =>
      new mp.Process({ target: consume, args: [q, out, N, k % 2 === 1] })
    );
    await Promise.all([...producers, ...consumers].map((p) => p.start()));
    for (const p of producers) await joinWithin(p, 30_000);
    for (let k = 0; k < P; k++) await q.put(null, 10_000);
    const seen = new Uint8Array(P * N);
    for (let k = 0; k < P; k++) {
      const { got, inOrder } = await out.get(30_000);
      assert.equal(inOrder, true, "a consumer saw a producer's items out of order");
      for (const x of got) seen[x]++;
    }
    for (const c of consumers) await joinWithin(c, 10_000);
    let once = 0;
    for (let k = 0; k < P; k++) for (let i = 0; i < N / P; i++) if (seen[k * N + i] === 1) once++;
    assert.equal(once, N);
    assert.equal(seen.reduce((a, b) => a + b, 0), N);
    assert.equal(q.qsize(), 0);
  } finally {
    killAll();
  }
});

test("a reader terminated while it holds the read mutex does not wedge the queue", async () => {
  const q = new mp.Queue<string>();
  const out = new mp.Queue();
  try {
    for (const sync of [true, false]) {
      const p = new mp.Process({ target: getAndReport, args: [q, out, 60_000, sync] });
      await p.start();
      await new Promise((r) => setTimeout(r, 100)); // now blocked in get, holding the mutex
      p.terminate();
      await q.put("still works");
      assert.equal(await q.get(5_000), "still works");
      q.putSync("sync too");
      assert.equal(q.getSync(5_000), "sync too");
    }
  } finally {
    killAll();
  }
});

test("a writer terminated halfway through a 16 MiB item: the next writer ends it, readers skip it", async () => {
  const q = new mp.Queue<Uint8Array | string>();
  try {
    const p = new mp.Process({ target: putOne, args: [q, new Uint8Array(16 << 20).fill(1)] });
    await p.start();
    await eventually(() => q.qsize() === 1, 10_000, "the child to start writing");
    await new Promise((r) => setTimeout(r, 50)); // the ring is full: it waits for room, mid-item
    p.terminate();
    // The ring is full of the item's first pieces: a reader drains them while we put.
    const next = q.get(5_000);
    await q.put("after", 5_000);
    assert.equal(await next, "after");
    assert.equal(q.qsize(), 0);
    assert.throws(() => q.getNowait(), mp.Empty);
  } finally {
    killAll();
  }
});

test("a reader terminated halfway through an item: the next reader skips the rest of it (or rereads it)", async () => {
  const q = new mp.Queue<Uint8Array | string>(0, { capacity: 4096 });
  const out = new mp.Queue();
  try {
    const sending = q.put(new Uint8Array(16 << 20).fill(3));
    const p = new mp.Process({ target: getAndReport, args: [q, out, 60_000, true] });
    await p.start();
    // Once the child has claimed the item the count drops to 0. Wait for that without
    // yielding to the event loop: the put (an async writer on this thread) cannot go on
    // meanwhile, so the child is surely halfway through the item when it is terminated.
    let settled = false;
    void sending.then(() => (settled = true));
    const end = Date.now() + 10_000;
    while (q.qsize() !== 0 && Date.now() < end) { /* spin: the child reads the first piece */ }
    assert.equal(q.qsize(), 0, "the child started reading within 10 s");
    assert.equal(settled, false);
    p.terminate();
    // The next reader drains the item: it skips the rest if the dead reader had passed
    // the item's first piece, else it reads the whole item (the dead one never had it).
    let next: Promise<Uint8Array | string> = q.get(10_000);
    assert.equal(await settlesWithin(sending, 20_000), true, "the 16 MiB put went through within 20 s");
    await q.put("after", 10_000);
    const first = await next;
    if (first !== "after") {
      assert.ok(first instanceof Uint8Array && first.length === 16 << 20 && first[12345] === 3);
      next = q.get(10_000);
      assert.equal(await next, "after");
    }
    assert.equal(q.qsize(), 0);
    assert.throws(() => q.getNowait(), mp.Empty);
  } finally {
    killAll();
  }
});
