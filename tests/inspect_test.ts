// Printing the package's objects shows what Python's print() shows (their repr), on
// every runtime's console: Deno.inspect, Bun.inspect and node:util's inspect.
import assert from "node:assert/strict";
import { test } from "node:test";
import { inspect } from "node:util";
import * as mp from "../mod.ts";
import { nap } from "./fixtures/start_targets.ts";
import { joinWithin } from "./helpers.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const runtimeInspect: (v: unknown) => string = g.Deno?.inspect ?? g.Bun.inspect;

function assertPrints(value: unknown, expected: RegExp): void {
  for (
    const [how, text] of [
      ["toString", String(value)],
      ["node:util inspect", inspect(value)],
      ["the runtime's inspect", runtimeInspect(value)],
    ]
  ) {
    assert.match(text, expected, `${how} printed ${text}`);
  }
}

test("a Process prints its name, pid, parent and state, like Python's repr", async () => {
  const p = new mp.Process({ target: nap, args: [50], daemon: true });
  assertPrints(p, /^<Process name='Process-\d+' parent=\d+ initial daemon>$/);
  await p.start();
  assertPrints(p, /^<Process name='Process-\d+' pid=\d+ parent=\d+ started daemon>$/);
  await joinWithin(p);
  assertPrints(p, /^<Process name='Process-\d+' pid=\d+ parent=\d+ stopped exitcode=0 daemon>$/);
  const q = new mp.Process({ target: nap, args: [10_000] });
  await q.start();
  q.terminate();
  assertPrints(q, /stopped exitcode=-15>$/);
  assertPrints(mp.currentProcess(), /^<Process name='MainProcess' pid=\d+ started>$/);
});

test("locks and the other synchronization objects print their state", () => {
  const lock = new mp.Lock();
  assertPrints(lock, /^<Lock\(unlocked\)>$/);
  lock.acquireSync();
  assertPrints(lock, /^<Lock\(owner=\d+\)>$/);
  lock.release();
  const r = new mp.RLock();
  r.acquireSync();
  r.acquireSync();
  assertPrints(r, /^<RLock\(owner=\d+, count=2\)>$/);
  r.release();
  r.release();
  assertPrints(new mp.Semaphore(2), /^<Semaphore\(value=2\)>$/);
  assertPrints(new mp.BoundedSemaphore(1), /^<BoundedSemaphore\(value=1\)>$/);
  const ev = new mp.Event();
  ev.set();
  assertPrints(ev, /^<Event\(set\)>$/);
  assertPrints(new mp.Condition(), /^<Condition\(<RLock\(unlocked\)>, waiters=0\)>$/);
  assertPrints(new mp.Barrier(3), /^<Barrier\(waiters=0\/3\)>$/);
});

test("shared values print their contents; queues their size; connections their direction", () => {
  assertPrints(new mp.Value("i", 5), /^<Value\(i, 5\)>$/);
  assertPrints(mp.RawValue("d", 1.5), /^RawValue\(d, 1\.5\)$/);
  assertPrints(new mp.Array("i", [1, 2, 3]), /^<Array\(i, \[1, 2, 3\]\)>$/);
  const q = new mp.Queue<number>(4);
  q.putSync(1);
  q.putSync(2);
  assertPrints(q, /^<Queue qsize=2 maxsize=4>$/);
  assertPrints(new mp.JoinableQueue(), /^<JoinableQueue qsize=0 maxsize=0>$/);
  assertPrints(new mp.SimpleQueue(), /^<SimpleQueue empty>$/);
  const [a, b] = mp.Pipe(false);
  assertPrints(a, /^<Connection read>$/);
  assertPrints(b, /^<Connection write>$/);
  const shm = new mp.SharedMemory({ create: true, size: 16 });
  assertPrints(shm, /^SharedMemory\("[^"]+", size=16\)$/);
  shm.close();
  shm.unlink();
});

test("pools, executors and async results print their state", async () => {
  const pool = new mp.Pool(2);
  assertPrints(pool, /^<Pool state=RUN pool_size=2>$/);
  const r = pool.applyAsync(nap, [1]);
  assertPrints(r, /^<AsyncResult pending>$/);
  await r.get(10_000);
  assertPrints(r, /^<AsyncResult fulfilled>$/);
  pool.close();
  assertPrints(pool, /^<Pool state=CLOSE pool_size=2>$/);
  await pool.join();
  const ex = new mp.ProcessPoolExecutor({ maxWorkers: 1 });
  assertPrints(ex, /^<ProcessPoolExecutor state=RUN max_workers=1>$/);
  await ex.shutdown();
  // AsyncResult<T> is usable as AsyncResult<unknown> (checked by deno check).
  const results: mp.AsyncResult<unknown>[] = [r];
  assert.equal(results.length, 1);
});

test("manager proxies print their type and id; a Namespace keeps _names on the proxy, as in Python", async () => {
  await using m = await mp.Manager();
  const d = await m.dict({ a: 1 });
  assertPrints(d, /^<DictProxy typeid=dict id=\d+>$/);
  assertPrints(await m.list([1]), /^<ListProxy typeid=list id=\d+>$/);
  const ns = await m.Namespace({ x: 1 });
  assertPrints(ns, /^<NamespaceProxy id=\d+>$/);
  assert.equal(JSON.stringify(ns), '{"x":1}');
  ns._mine = "local";
  assert.equal(ns._mine, "local");
  assert.ok("_mine" in ns);
  assert.deepEqual(Object.keys(ns), ["x"]);
});
