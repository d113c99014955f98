// The fast paths of queues and pipes (an item written or read at once, without the
// waiting steps) and of Pool.map's results, seen from outside: order, values, counts,
// limits and errors are those of the waiting paths.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import { identity, putSmall, sendSmall, smallItem } from "./fixtures/fast_path_tasks.ts";
import { joinWithin, within } from "./helpers.ts";

const N = 20_000;

function checkStream(got: unknown[], what: string): void {
  assert.equal(got.length, N, `${what}: every item came`);
  for (let i = 0; i < N; i++) {
    const want = smallItem(i);
    if (typeof want === "object" && want !== null) assert.deepStrictEqual(got[i], want, `${what}: item ${i}`);
    else assert.ok(Object.is(got[i], want), `${what}: item ${i} is ${String(got[i])}, not ${String(want)}`);
  }
}

for (const sync of [true, false]) {
  test(`Queue: a stream of small items of every kind from a child arrives whole and in order (${sync ? "sync" : "async"})`, async () => {
    // A small ring, so that the producer also waits for room (the slow path) now and then.
    const q = new mp.Queue(0, { capacity: 4096 });
    const p = new mp.Process({ target: putSmall, args: [q, N, sync] });
    await p.start();
    const got: unknown[] = [];
    for (;;) {
      const item = sync ? q.getSync(20_000) : await q.get(20_000);
      if (item === "end") break;
      got.push(item);
    }
    await joinWithin(p);
    checkStream(got, "queue");
    assert.equal(q.qsize(), 0);
    q.close();
  });

  test(`Connection: a stream of small items of every kind from a child arrives whole and in order (${sync ? "sync" : "async"})`, async () => {
    const [here, there] = mp.Pipe(false);
    const p = new mp.Process({ target: sendSmall, args: [there, N, sync] });
    await p.start();
    there.close();
    const got: unknown[] = [];
    for (;;) {
      const item = sync ? here.recvSync() : await within(here.recv(), 20_000, "the pipe");
      if (item === "end") break;
      got.push(item);
    }
    await joinWithin(p);
    checkStream(got, "pipe");
    here.close();
  });
}

test("Queue: the fast path keeps maxsize, counts, and checks arguments before it puts or takes", async () => {
  const q = new mp.Queue<number>(2);
  q.putSync(1);
  await q.put(2);
  assert.throws(() => q.putNowait(3), mp.Full, "maxsize holds with room left in the ring");
  assert.equal(q.qsize(), 2);
  assert.throws(() => q.getSync("soon" as unknown as number), /timeout must be a number/);
  assert.equal(q.qsize(), 2, "a bad timeout took nothing");
  await assert.rejects(q.put(3, "soon" as unknown as number), /timeout must be a number/);
  assert.equal(q.getNowait(), 1);
  await assert.rejects(q.put(Symbol("s") as unknown as number), /symbol|could not be cloned|cannot/i);
  assert.equal(q.qsize(), 1, "an item that cannot be copied was not counted");
  assert.equal(await q.get(), 2);
  assert.throws(() => q.getNowait(), mp.Empty);
  q.close();
  const jq = new mp.JoinableQueue<number>();
  jq.putSync(1);
  await jq.put(2);
  assert.equal(await jq.join(0), false, "two unfinished tasks");
  jq.getSync();
  jq.taskDone();
  await jq.get();
  jq.taskDone();
  assert.equal(await jq.join(0), true);
  jq.close();
});

test("Connection: the fast path still sees a closed peer (broken pipe) and a closed end", async () => {
  const [a, b] = mp.Pipe();
  a.sendSync(1);
  assert.equal(b.recvSync(), 1);
  b.close();
  assert.throws(() => a.sendSync(2), /broken pipe/i);
  await assert.rejects(a.send(2), /broken pipe/i);
  a.close();
  assert.throws(() => a.sendSync(3), /closed/);
});

test("Pool.map: one-chunk and many-chunk maps give fresh, complete result arrays", async () => {
  await using pool = new mp.Pool(2);
  const items = Array.from({ length: 1000 }, (_, i) => smallItem(i));
  const one = await within(pool.map(identity, items, items.length));
  assert.deepStrictEqual(one, structuredClone(items));
  assert.notEqual(one, items);
  const again = await within(pool.map(identity, items, items.length));
  assert.notEqual(again, one, "each map has its own array");
  const many = await within(pool.map(identity, items, 7));
  assert.deepStrictEqual(many, structuredClone(items));
  const nums = Array.from({ length: 1000 }, (_, i) => i * 0.5);
  assert.deepStrictEqual(await within(pool.map(identity, nums, 1000)), nums);
  assert.deepStrictEqual(await within(pool.map(identity, nums, 9)), nums);
  const nones = await within(pool.map(identity, new Array(150_000).fill(null)));
  assert.equal(nones.length, 150_000);
  assert.ok(nones.every((x) => x === null));
});
