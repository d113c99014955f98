import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import { START_METHOD } from "../src/process/process.ts";
import { defaultChunksize } from "../src/pool/pool.ts";
import {
  add,
  badInit,
  die,
  echo,
  failOnThree,
  failTyped,
  flagBusy,
  init,
  initialValue,
  noop,
  returnsFunction,
  sleepSquare,
  slowDouble,
  square,
  whoami,
  workerName,
} from "./fixtures/pool_tasks.ts";
import { eventually, POOL_BOUND, poolWorkers, runProgram, within } from "./helpers.ts";

const BOUND = POOL_BOUND;

test("map, starmap and apply return results in order; workers are daemonic SpawnPoolWorker-N children", async () => {
  await using pool = new mp.Pool(2);
  assert.equal(pool.processes, 2);
  assert.deepEqual(await within(pool.map(square, [1, 2, 3, 4, 5])), [1, 4, 9, 16, 25]);
  assert.deepEqual(await within(pool.starmap(add, [[1, 2], [3, 4], [5, 6]])), [3, 7, 11]);
  assert.equal(await within(pool.apply(add, [2, 3])), 5);
  assert.deepEqual(await within(pool.map(square, [])), []);
  assert.deepEqual(await within(pool.apply(echo, ["a", { b: [1n] }, new Map([[1, 2]])])), [
    "a",
    { b: [1n] },
    new Map([[1, 2]]),
  ]);
  const workers = poolWorkers();
  assert.equal(workers.length, 2);
  for (const w of workers) {
    assert.match(w.name, /^SpawnPoolWorker-\d+$/);
    assert.equal(w.daemon, true);
    assert.notEqual(w.pid, mp.currentProcess().pid);
  }
  const names = new Set(await within(pool.map(workerName, [0, 1, 2, 3], 1)));
  for (const n of names) assert.ok(workers.some((w) => w.name === n), n);
});

test("Python's default chunksize: about four chunks per worker", () => {
  assert.equal(defaultChunksize(200_000, 2), 25_000);
  assert.equal(defaultChunksize(5, 3), 1);
  assert.equal(defaultChunksize(13, 3), 2);
  assert.equal(defaultChunksize(0, 3), 1);
});

test("applyAsync: AsyncResult is awaitable, with get(timeout), wait, ready, successful and callbacks", async () => {
  await using pool = new mp.Pool(2);
  const seen: number[] = [];
  const r = pool.applyAsync(slowDouble, [21, 300], { callback: (v) => seen.push(v) });
  assert.equal(r.ready(), false);
  assert.throws(() => r.successful(), mp.ProcessError);
  await assert.rejects(r.get(10), mp.TimeoutError);
  assert.equal(await r.wait(0), false);
  assert.equal(await within(r.wait(BOUND)), true);
  assert.equal(r.ready(), true);
  assert.equal(r.successful(), true);
  assert.equal(await r, 42);
  assert.equal(await r.get(0), 42);
  assert.deepEqual(seen, [42]);

  const errors: Error[] = [];
  const wrong: string[] = [];
  const bad = pool.applyAsync(failTyped, ["x"], {
    callback: () => wrong.push("callback"),
    errorCallback: (e) => errors.push(e),
  });
  await within(bad.wait());
  assert.equal(bad.successful(), false);
  await assert.rejects(bad.get(), TypeError);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].message, "bad value x");
  assert.deepEqual(wrong, []);
});

test("mapAsync and starmapAsync: callback gets the whole list; errorCallback the first error", async () => {
  await using pool = new mp.Pool(2);
  let got: number[] | null = null;
  const r = pool.mapAsync(square, [1, 2, 3], undefined, { callback: (v) => (got = v) });
  assert.deepEqual(await within(r), [1, 4, 9]);
  assert.deepEqual(got, [1, 4, 9]);
  const s = pool.starmapAsync(add, [[1, 1], [2, 2]], 1);
  assert.deepEqual(await within(s), [2, 4]);
  let error: Error | null = null;
  const f = pool.mapAsync(failOnThree, [1, 2, 3, 4], 1, { errorCallback: (e) => (error = e) });
  await assert.rejects(within(f), RangeError);
  assert.ok(error !== null);
  assert.equal((error as Error).message, "three is not allowed");
});

test("a task's error keeps its class and message, its cause holds the worker's stack, and the worker survives", async () => {
  await using pool = new mp.Pool(1);
  const pid = await within(pool.apply(whoami));
  const e = await pool.apply(failTyped, [7]).catch((x) => x);
  assert.ok(e instanceof TypeError);
  assert.equal(e.message, "bad value 7");
  assert.ok(e.cause instanceof mp.RemoteError);
  assert.match(e.cause.remoteStack, /failTyped/);
  assert.match(e.cause.remoteStack, /pool_tasks\.ts/);
  await assert.rejects(pool.map(failOnThree, [1, 2, 3, 4]), {
    name: "RangeError",
    message: "three is not allowed",
  });
  assert.equal(await within(pool.apply(whoami)), pid);
});

test("imap yields in order and imapUnordered as results come; chunksize groups items", async () => {
  await using pool = new mp.Pool(2);
  const ordered: number[] = [];
  for await (const v of pool.imap(square, [1, 2, 3, 4, 5, 6, 7])) ordered.push(v);
  assert.deepEqual(ordered, [1, 4, 9, 16, 25, 36, 49]);
  const chunked: number[] = [];
  for await (const v of pool.imap(square, new Set([1, 2, 3, 4, 5]), 2)) chunked.push(v);
  assert.deepEqual(chunked, [1, 4, 9, 16, 25]);
  const unordered: number[] = [];
  for await (const v of pool.imapUnordered(square, [1, 2, 3, 4, 5, 6])) unordered.push(v);
  assert.deepEqual(unordered.sort((a, b) => a - b), [1, 4, 9, 16, 25, 36]);
  async function* source() {
    for (let i = 0; i < 5; i++) yield i;
  }
  const fromAsync: number[] = [];
  for await (const v of pool.imap(square, source())) fromAsync.push(v);
  assert.deepEqual(fromAsync, [0, 1, 4, 9, 16]);
});

test("imap reads an endless input lazily, within a bound, and stops reading on break", async () => {
  await using pool = new mp.Pool(2);
  let read = 0;
  function* naturals() {
    for (let i = 0;; i++) {
      read++;
      yield i;
    }
  }
  let n = 0;
  for await (const v of pool.imap(square, naturals())) {
    assert.equal(v, n * n);
    if (++n === 3000) break;
  }
  const afterBreak = read;
  assert.ok(afterBreak < 3000 + 10_000, `read ${afterBreak} items for 3000 results`);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(read, afterBreak, "the input is not read after break");
});

test("imap throws a task's error at its place, then goes on", async () => {
  await using pool = new mp.Pool(2);
  const it = pool.imap(failOnThree, [1, 2, 3, 4]);
  assert.deepEqual(await it.next(), { value: 1, done: false });
  assert.deepEqual(await it.next(), { value: 2, done: false });
  await assert.rejects(it.next(), RangeError);
  assert.deepEqual(await it.next(), { value: 4, done: false });
  assert.equal((await it.next()).done, true);
  function* broken() {
    yield 1;
    throw new Error("input broke");
  }
  const got: number[] = [];
  await assert.rejects(async () => {
    for await (const v of pool.imap(square, broken())) got.push(v);
  }, /input broke/);
  assert.deepEqual(got, [1]);
});

test("initializer runs once per worker with initargs", async () => {
  await using pool = new mp.Pool({ processes: 2, initializer: init, initargs: ["ready"] });
  assert.deepEqual(await within(pool.map(initialValue, [0, 1, 2, 3], 1)), [
    "ready",
    "ready",
    "ready",
    "ready",
  ]);
});

test("an initializer that throws breaks the pool clearly instead of respawning forever", async () => {
  await using pool = new mp.Pool({ processes: 2, initializer: badInit });
  const e = await within(pool.apply(noop).catch((x) => x));
  assert.ok(e instanceof mp.BrokenProcessPool, String(e));
  assert.match(
    e.message,
    /initializer badInit failed in SpawnPoolWorker-\d+: SyntaxError: initializer exploded/,
  );
  assert.ok(e.cause instanceof SyntaxError);
  assert.throws(() => pool.applyAsync(noop), mp.BrokenProcessPool);
  await eventually(() => poolWorkers().length === 0, 5_000, "the workers of a broken pool end");
  pool.close();
  await within(pool.join());
});

test("maxTasksPerChild replaces a worker after that many tasks", async () => {
  await using pool = new mp.Pool({ processes: 1, maxTasksPerChild: 2 });
  const pids: number[] = [];
  for (let i = 0; i < 6; i++) pids.push(await within(pool.apply(whoami)));
  assert.equal(new Set(pids).size, 3, String(pids));
  assert.equal(pids[0], pids[1]);
  assert.notEqual(pids[1], pids[2]);
  const all = await within(pool.map(whoami, Array.from({ length: 6 }), 1));
  assert.equal(new Set(all).size, 3, String(all));
});

test("a task that calls exit() rejects with BrokenProcessPool naming it; queued tasks still run; the pool goes on", async () => {
  await using pool = new mp.Pool(1);
  const before = await within(pool.apply(whoami));
  const dead = pool.applyAsync(die, [3]);
  const queued = [1, 2, 3].map((x) => pool.applyAsync(square, [x]));
  const e = await within(dead.get().catch((x) => x));
  assert.ok(e instanceof mp.BrokenProcessPool, String(e));
  assert.match(e.message, /die\(3\) called exit\(3\)/);
  assert.match(e.message, /SpawnPoolWorker-\d+/);
  assert.deepEqual(await within(Promise.all(queued)), [1, 4, 9]);
  const after = await within(pool.apply(whoami));
  assert.notEqual(after, before);
  assert.equal(poolWorkers().length, 1);
});

test("a worker terminated while it runs a task: the task rejects, a fresh worker replaces it", async () => {
  await using pool = new mp.Pool(2);
  await within(pool.map(noop, [0, 1], 1));
  const started = new Int32Array(new SharedArrayBuffer(4));
  // On Deno a terminated worker runs on until its synchronous code returns: keep it short.
  const running = pool.applyAsync(flagBusy, [started, 1, 6_000]);
  // Terminate it once it runs the task: a task it has not started would run elsewhere.
  await eventually(() => Atomics.load(started, 0) !== 0, 10_000, "the task to start");
  poolWorkers().find((w) => w.pid === Atomics.load(started, 0))!.terminate();
  const e = await within(running.get().catch((x) => x));
  assert.ok(e instanceof mp.BrokenProcessPool, String(e));
  assert.match(e.message, /flagBusy\(Int32Array.*, 1, 6000\)/);
  assert.match(e.message, /exit code -15/);
  assert.deepEqual(await within(pool.map(square, [1, 2, 3, 4], 1)), [1, 4, 9, 16]);
  await eventually(() => poolWorkers().length === 2, 5_000, "the replacement worker");
});

test("terminate() with 10 000 pending tasks returns promptly, rejects them, and leaves no worker alive", async () => {
  const pool = new mp.Pool(2);
  await within(pool.apply(noop));
  const results = Array.from({ length: 10_000 }, (_, i) => pool.applyAsync(slowDouble, [i, 20]));
  const t0 = performance.now();
  await within(pool.terminate(), 2_000, "terminate()");
  assert.ok(performance.now() - t0 < 2_000);
  assert.equal(poolWorkers().length, 0);
  const settled = await within(Promise.allSettled(results), 2_000, "the pending results");
  assert.ok(settled.every((s) => s.status === "rejected"));
  assert.match(String((settled[0] as PromiseRejectedResult).reason), /terminated/);
  await within(pool.join());
  assert.throws(() => pool.applyAsync(noop), /Pool not running/);
});

test("close() lets queued tasks finish; join() waits for the workers to exit", async () => {
  const pool = new mp.Pool(2);
  const r = pool.mapAsync(sleepSquare, [1, 2, 3, 4], 1);
  assert.throws(() => pool.join(), { name: "ProcessError", message: /Pool is still running/ });
  pool.close();
  pool.close();
  assert.throws(() => pool.apply(noop), { name: "ProcessError", message: /Pool not running/ });
  assert.throws(() => pool.imap(square, [1]), /Pool not running/);
  await within(pool.join());
  assert.deepEqual(await r, [1, 4, 9, 16]);
  assert.equal(poolWorkers().length, 0);
});

test("misuse fails at once with Python's errors", async () => {
  assert.throws(() => new mp.Pool(0), RangeError);
  assert.throws(() => new mp.Pool({ processes: 1.5 }), RangeError);
  assert.throws(() => new mp.Pool({ maxTasksPerChild: 0 }), /maxTasksPerChild must be a positive integer/);
  assert.throws(() => new mp.Pool({ initializer: 5 as unknown as () => void }), TypeError);
  assert.throws(() => new mp.Pool({ initargs: [() => {}] }), /initargs\[0\] \(function/);
  await using pool = new mp.Pool(1);
  assert.throws(() => pool.map(square, [1], 0), /chunksize must be an integer of at least 1/);
  assert.throws(() => pool.applyAsync(42 as unknown as () => void), TypeError);
  assert.throws(() => pool.map(square, 5 as unknown as number[]), /must be an iterable/);
  await assert.rejects(within(pool.apply((x: number) => x + 1, [1])), {
    name: "ProcessError",
    message: /cannot be found by reference.*fork/s,
  });
  await assert.rejects(within(pool.apply(echo, [() => 1])), /args\[0\] \(function/);
  await assert.rejects(
    within(pool.apply(returnsFunction)),
    /result of the task \(function.*cannot be sent back/,
  );
  assert.equal(await within(pool.apply(square, [4])), 16, "the pool is still usable");
});

test("a pool bound to fork ships self-contained lambdas; names its workers ForkPoolWorker-N", async () => {
  class ForkPool extends mp.Pool {
    static [START_METHOD] = "fork" as const;
  }
  await using pool = new ForkPool(1);
  assert.deepEqual(await within(pool.map((x: number) => x * 3, [1, 2, 3])), [3, 6, 9]);
  assert.match(poolWorkers()[0].name, /^ForkPoolWorker-\d+$/);
  const captured = 10;
  await assert.rejects(within(pool.apply(() => captured)), /captured from the parent/);
});

test("a program that forgets to close its pool still exits", async () => {
  const r = await runProgram("tests/fixtures/pool_forgotten.ts", 20_000);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "[1,4,9]\n");
});
