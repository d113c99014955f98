// mp.dummy: the same programs give the same results with the real module and with
// mp.dummy; dummy-only behaviour (lambdas, concurrency bounds, honest *Sync twins);
// and examples/dummy_io.ts. Every wait is bounded.
import { test as nodeTest } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import { dummy } from "../mod.ts";
import {
  barrierProgram,
  eventProgram,
  lockProgram,
  pipeProgram,
  poolProgram,
  queueProgram,
} from "./fixtures/dummy_programs.ts";
import { runProgram } from "./helpers.ts";

const BOUND = 10_000;

/** A test whose whole body is bounded: it fails after `TEST_BOUND` ms instead of hanging. */
const TEST_BOUND = 45_000;
function test(name: string, body: () => Promise<void> | void): void {
  nodeTest(name, async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${name}: did not finish within ${TEST_BOUND} ms`)),
        TEST_BOUND,
      );
    });
    try {
      await Promise.race([Promise.resolve().then(body), expired]);
    } finally {
      clearTimeout(timer);
    }
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs `f` and checks that it throws `cls` at once (well within 200 ms), with a message matching `re`. */
function throwsAtOnce(f: () => unknown, cls: new (...a: never[]) => Error, re: RegExp): void {
  const t0 = performance.now();
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e}`);
    assert.match((e as Error).message, re);
    return true;
  });
  assert.ok(performance.now() - t0 < 200, "threw at once");
}

// The same programs, with both modules -------------------------------------------

const programs = {
  "a pool map, imap and applyAsync": poolProgram,
  "a queue producer and consumer": queueProgram,
  "a lock around a counter": lockProgram,
  "an event": eventProgram,
  "a barrier": barrierProgram,
  "a pipe, to EOF": pipeProgram,
};

for (const [what, program] of Object.entries(programs)) {
  test(`mp.dummy: ${what} gives the same results as the real module`, async () => {
    const real = await program(mp);
    const fake = await program(dummy);
    assert.deepEqual(fake, real);
  });
}

test("mp.dummy: the programs' results are the expected ones", async () => {
  assert.deepEqual(await poolProgram(dummy), {
    mapped: [1, 4, 9, 16, 25, 36, 49],
    lazy: [9, 4, 1],
    applied: 81,
    ready: true,
    successful: true,
  });
  assert.deepEqual(await queueProgram(dummy), {
    got: ["item-0", "item-1", "item-2", "item-3", "item-4"],
    exitCode: 0,
    empty: true,
  });
  assert.deepEqual(await lockProgram(dummy), { counter: 15, codes: [0, 0, 0], locked: false });
  assert.deepEqual(await eventProgram(dummy), { before: [0, 0, 0], after: [1, 1, 1], isSet: true });
  assert.deepEqual(await barrierProgram(dummy), { indices: [10, 11, 12], broken: false, waiting: 0 });
  assert.deepEqual(await pipeProgram(dummy), { got: [2, 4, 6], end: "EOFError" });
});

// API parity -------------------------------------------------------------------

function methodsOf(proto: object, stop: object = Object.prototype): Set<string> {
  const names = new Set<string>();
  for (let p = proto; p !== null && p !== stop; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) if (k !== "constructor") names.add(k);
  }
  return names;
}

/**
 * The public members of the real classes when mp.dummy was written, and the dummy class
 * that mirrors each. Pinned (not read from the real classes) so that a member added to
 * a real class elsewhere does not fail this suite; such drift is reported below.
 */
const SURFACE: [string, { prototype: object }, { prototype: object }, string[]][] = [
  ["Pool", mp.Pool, dummy.Pool, [
    "apply",
    "applyAsync",
    "close",
    "imap",
    "imapUnordered",
    "join",
    "map",
    "mapAsync",
    "processes",
    "starmap",
    "starmapAsync",
    "terminate",
  ]],
  ["Process", mp.Process, dummy.Process, [
    "close",
    "daemon",
    "exitCode",
    "ident",
    "isAlive",
    "join",
    "kill",
    "name",
    "pid",
    "run",
    "start",
    "terminate",
    "toString",
  ]],
  ["Queue", mp.Queue, dummy.Queue, [
    "close",
    "empty",
    "full",
    "get",
    "getNowait",
    "getSync",
    "put",
    "putNowait",
    "putSync",
    "qsize",
  ]],
  ["JoinableQueue", mp.JoinableQueue, dummy.JoinableQueue, ["join", "joinSync", "taskDone"]],
  ["QueueProxy", mp.QueueProxy, dummy.Queue, ["maxsize", "toString", "typeid"]],
  ["Lock", mp.Lock, dummy.Lock, [
    "acquire",
    "acquireSync",
    "lock",
    "lockSync",
    "locked",
    "release",
    "toString",
  ]],
  ["RLock", mp.RLock, dummy.RLock, [
    "acquire",
    "acquireSync",
    "lock",
    "lockSync",
    "locked",
    "release",
    "toString",
  ]],
  ["Semaphore", mp.Semaphore, dummy.Semaphore, [
    "acquire",
    "acquireSync",
    "getValue",
    "lock",
    "lockSync",
    "release",
    "toString",
  ]],
  ["BoundedSemaphore", mp.BoundedSemaphore, dummy.BoundedSemaphore, ["getValue", "release"]],
  ["Condition", mp.Condition, dummy.Condition, [
    "acquire",
    "acquireSync",
    "getLock",
    "lock",
    "lockSync",
    "notify",
    "notifyAll",
    "release",
    "toString",
    "wait",
    "waitFor",
    "waitForSync",
    "waitSync",
  ]],
  ["Event", mp.Event, dummy.Event, ["clear", "isSet", "set", "toString", "wait", "waitSync"]],
  ["Barrier", mp.Barrier, dummy.Barrier, [
    "abort",
    "broken",
    "nWaiting",
    "parties",
    "reset",
    "toString",
    "wait",
    "waitSync",
  ]],
  ["Value", mp.Value, dummy.Value, [
    "acquire",
    "acquireSync",
    "getLock",
    "getObj",
    "lock",
    "lockSync",
    "release",
    "toString",
    "typecode",
    "value",
  ]],
  ["Array", mp.Array, dummy.Array, [
    "acquire",
    "acquireSync",
    "get",
    "getLock",
    "getObj",
    "length",
    "lock",
    "lockSync",
    "release",
    "set",
    "slice",
    "toString",
    "typecode",
  ]],
  ["Connection", mp.Connection, dummy.Connection, [
    "close",
    "closed",
    "poll",
    "pollSync",
    "readable",
    "recv",
    "recvBytes",
    "recvBytesInto",
    "recvBytesIntoSync",
    "recvBytesSync",
    "recvSync",
    "send",
    "sendBytes",
    "sendBytesSync",
    "sendSync",
    "toString",
    "writable",
  ]],
  ["DictProxy", mp.DictProxy, dummy.DummyDict, [
    "clear",
    "clearSync",
    "copy",
    "copySync",
    "delete",
    "deleteSync",
    "entries",
    "entriesSync",
    "get",
    "getSync",
    "has",
    "hasSync",
    "keys",
    "keysSync",
    "pop",
    "popSync",
    "set",
    "setSync",
    "setdefault",
    "setdefaultSync",
    "size",
    "sizeSync",
    "toString",
    "typeid",
    "update",
    "updateSync",
    "values",
    "valuesSync",
  ]],
  ["ListProxy", mp.ListProxy, dummy.DummyList, [
    "append",
    "appendSync",
    "clear",
    "clearSync",
    "count",
    "countSync",
    "extend",
    "extendSync",
    "get",
    "getSync",
    "includes",
    "includesSync",
    "indexOf",
    "indexOfSync",
    "insert",
    "insertSync",
    "length",
    "lengthSync",
    "pop",
    "popSync",
    "push",
    "pushSync",
    "remove",
    "removeSync",
    "reverse",
    "reverseSync",
    "set",
    "setSync",
    "slice",
    "sliceSync",
    "sort",
    "sortSync",
    "toArray",
    "toArraySync",
    "toString",
    "typeid",
  ]],
  ["SyncManager", mp.SyncManager, dummy.DummyManager, [
    "Array",
    "ArraySync",
    "Barrier",
    "BarrierSync",
    "BoundedSemaphore",
    "BoundedSemaphoreSync",
    "Condition",
    "ConditionSync",
    "Event",
    "EventSync",
    "JoinableQueue",
    "JoinableQueueSync",
    "Lock",
    "LockSync",
    "Namespace",
    "NamespaceSync",
    "Queue",
    "QueueSync",
    "RLock",
    "RLockSync",
    "Semaphore",
    "SemaphoreSync",
    "Value",
    "ValueSync",
    "dict",
    "dictSync",
    "list",
    "listSync",
    "shutdown",
    "start",
    "running",
  ]],
];

/** Members of the real classes that mp.dummy has no use for (the proxies' and managers' machinery). */
const NOT_MIRRORED = new Set([
  "callMethod",
  "callMethodSync",
  "lockOrNull",
  "register",
  "create",
  "createSync",
  "process",
  "make",
  "makeSync",
  "connect",
  "address",
  "getServer",
]);

test("mp.dummy: its classes have the members of the real ones (and of the manager's proxies)", () => {
  for (const [label, _real, fake, names] of SURFACE) {
    const have = methodsOf(fake.prototype);
    const missing = names.filter((k) => !have.has(k));
    assert.deepEqual(missing, [], `${label}: mp.dummy lacks ${missing.join(", ")}`);
  }
  for (
    const [cls, sym] of [
      [dummy.Pool, Symbol.asyncDispose],
      [dummy.DummyManager, Symbol.asyncDispose],
      [dummy.Connection, Symbol.dispose],
      [dummy.DummyDict, Symbol.asyncIterator],
      [dummy.DummyList, Symbol.asyncIterator],
    ] as const
  ) {
    assert.equal(
      typeof (cls.prototype as unknown as Record<symbol, unknown>)[sym],
      "function",
      `${cls.name} ${String(sym)}`,
    );
  }
  for (
    const name of [
      "Pool",
      "Process",
      "Queue",
      "JoinableQueue",
      "Lock",
      "RLock",
      "Semaphore",
      "BoundedSemaphore",
      "Condition",
      "Event",
      "Barrier",
      "Value",
      "Array",
      "Pipe",
      "Manager",
      "currentProcess",
      "activeChildren",
      "freezeSupport",
    ]
  ) {
    assert.equal(typeof (dummy as Record<string, unknown>)[name], "function", name);
  }
  assert.equal(dummy.freezeSupport(), undefined);
  assert.equal(dummy.Empty, mp.Empty, "the same error classes as the real module");
  // Drift: members added to a real class since are reported, not failed.
  for (const [label, real, fake] of SURFACE) {
    const have = methodsOf(fake.prototype);
    const stop = label === "SyncManager" ? mp.BaseManager.prototype : Object.prototype;
    const added = [...methodsOf(real.prototype, stop)].filter((k) => !have.has(k) && !NOT_MIRRORED.has(k));
    if (added.length > 0) {
      console.warn(`note: the real ${label} has ${added.join(", ")}, which mp.dummy lacks`);
    }
  }
});

test("mp.dummy: objects print like Python's repr, in console.log too", async () => {
  const { inspect } = await import("node:util");
  const p = new dummy.Process({ name: "x" });
  assert.equal(String(p), "<DummyProcess name='x' initial>");
  assert.equal(inspect(p), "<DummyProcess name='x' initial>");
  assert.equal(inspect(new dummy.Lock()), "<Lock(unlocked)>");
  assert.equal(inspect(new dummy.Array("i", [1, 2])), "<Array(i, [1, 2])>");
  assert.equal(String(new dummy.Queue(3)), "<Queue(size=0, maxsize=3)>");
  await using pool = new dummy.Pool(2);
  assert.equal(String(pool), "<Pool state=RUN pool_size=2>");
});

// Processes ----------------------------------------------------------------------

test("mp.dummy Process: lambdas and closures run, as async tasks of this thread", async () => {
  const seen: string[] = [];
  const tag = "closure";
  const ps = [1, 2].map((i) =>
    new dummy.Process({
      target: async (n: number) => {
        seen.push(`${tag}${n} start in ${dummy.currentProcess().name}`);
        await sleep(10);
        seen.push(`${tag}${n} end in ${dummy.currentProcess().name}`);
      },
      args: [i],
      name: `p${i}`,
    })
  );
  assert.equal(ps[0].exitCode, null);
  assert.equal(ps[0].isAlive(), false);
  for (const p of ps) await p.start();
  assert.equal(ps[0].isAlive(), true);
  assert.deepEqual(dummy.activeChildren(), ps);
  for (const p of ps) await p.join(BOUND);
  assert.deepEqual(seen, [
    "closure1 start in p1",
    "closure2 start in p2",
    "closure1 end in p1",
    "closure2 end in p2",
  ]);
  assert.deepEqual(ps.map((p) => p.exitCode), [0, 0]);
  assert.deepEqual(dummy.activeChildren(), []);
  assert.equal(dummy.currentProcess().name, "MainThread");
  assert.equal(ps[0].pid, null);
  assert.ok(typeof ps[0].ident === "number");
  assert.match(String(ps[0]), /^<DummyProcess name='p1' stopped exitcode=0>$/);
});

test("mp.dummy Process: a failing target gets exit code 1; misuse throws ProcessError", async () => {
  const p = new dummy.Process({
    target: async () => {
      await sleep(1);
      throw new RangeError("boom (expected in this test)");
    },
  });
  assert.throws(() => p.join(), dummy.ProcessError);
  await p.start();
  assert.throws(() => p.start(), /cannot start a process twice/);
  throwsAtOnce(() => p.terminate(), dummy.ProcessError, /cannot terminate .*make its target return/);
  throwsAtOnce(() => p.kill(), dummy.ProcessError, /cannot kill/);
  assert.throws(() => p.close(), /still running/);
  await p.join(BOUND);
  assert.equal(p.exitCode, 1);
  p.close();
  assert.throws(() => p.exitCode, /closed/);
  // join(timeout) on a task that takes longer: returns with exitCode still null.
  let release!: () => void;
  const slow = new dummy.Process({ target: () => new Promise<void>((r) => (release = r)) });
  await slow.start();
  await slow.join(20);
  assert.equal(slow.exitCode, null);
  release();
  await slow.join(BOUND);
  assert.equal(slow.exitCode, 0);
  // A subclass with run().
  class Greeter extends dummy.Process {
    greeting = "";
    override run() {
      this.greeting = `hello from ${dummy.currentProcess().name}`;
    }
  }
  const g = new Greeter({ name: "greeter" });
  await g.start();
  await g.join(BOUND);
  assert.equal(g.greeting, "hello from greeter");
});

// Pool -----------------------------------------------------------------------------

test("mp.dummy Pool(2) never runs more than 2 tasks at once (apply, map, imap, imapUnordered)", async () => {
  await using pool = new dummy.Pool(2);
  assert.equal(pool.processes, 2);
  let running = 0, most = 0;
  const task = async (x: number) => {
    most = Math.max(most, ++running);
    await sleep(5);
    running--;
    return x + 1;
  };
  const results = Array.from({ length: 8 }, (_, i) => pool.applyAsync(task, [i]));
  assert.deepEqual(await Promise.all(results.map((r) => r.get(BOUND))), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(await pool.map(task, [1, 2, 3, 4, 5, 6], 1), [2, 3, 4, 5, 6, 7]);
  const lazy: number[] = [];
  for await (const y of pool.imap(task, [1, 2, 3, 4, 5])) lazy.push(y);
  assert.deepEqual(lazy, [2, 3, 4, 5, 6]);
  const unordered: number[] = [];
  for await (const y of pool.imapUnordered(task, [1, 2, 3, 4, 5])) unordered.push(y);
  assert.deepEqual(unordered.sort(), [2, 3, 4, 5, 6]);
  assert.equal(most, 2);
});

test("mp.dummy Pool: lambdas, closures, starmap, callbacks, worker names, errors", async () => {
  await using pool = new dummy.Pool(3);
  const base = 100;
  assert.deepEqual(await pool.map((x: number) => base + x, [1, 2, 3]), [101, 102, 103]);
  assert.deepEqual(await pool.starmap((a: number, b: number) => a * b, [[2, 3], [4, 5]]), [6, 20]);
  assert.equal(await pool.apply(() => dummy.currentProcess().name.startsWith("ThreadPoolWorker-"), []), true);
  const workers = dummy.activeChildren().filter((p) => p.name.startsWith("ThreadPoolWorker-"));
  assert.equal(workers.length, 3);
  let got: number | undefined;
  const r = pool.applyAsync((x: number) => x * 2, [21], { callback: (v) => (got = v) });
  assert.equal(await r, 42);
  assert.equal(got, 42);
  // A task's error rejects that task with the very error; the pool goes on.
  const err = new TypeError("bad input (expected in this test)");
  const bad = pool.applyAsync(() => {
    throw err;
  });
  await assert.rejects(bad.get(BOUND), (e) => e === err);
  assert.equal(bad.successful(), false);
  await assert.rejects(
    pool.map((x: number) => {
      if (x === 3) throw new RangeError("three");
      return x;
    }, [1, 2, 3, 4]),
    RangeError,
  );
  assert.deepEqual(await pool.map((x: number) => x, []), []);
  assert.deepEqual(await pool.mapAsync((x: number) => Promise.resolve(x * x), [2, 3]).get(BOUND), [4, 9]);
});

test("mp.dummy Pool: AsyncResult timeouts, imap next(timeout), lazy endless input", async () => {
  await using pool = new dummy.Pool(1);
  const slow = pool.applyAsync(() => sleep(300).then(() => "late"));
  assert.equal(slow.ready(), false);
  assert.throws(() => slow.successful(), dummy.ProcessError);
  await assert.rejects(slow.get(10), dummy.TimeoutError);
  assert.equal(await slow.wait(10), false);
  assert.equal(await slow.get(BOUND), "late");
  assert.equal(await slow.wait(0), true);
  // next(timeout) rejects with TimeoutError and keeps the pending result.
  const it = pool.imap(async (x: number) => {
    await sleep(100);
    return x;
  }, [7]);
  await assert.rejects(it.next(5), dummy.TimeoutError);
  assert.deepEqual(await it.next(BOUND), { value: 7, done: false });
  assert.deepEqual(await it.next(BOUND), { value: undefined, done: true });
  // An endless input is read lazily.
  let read = 0;
  function* naturals() {
    for (let i = 0;; i++) {
      read++;
      yield i;
    }
  }
  const seen: number[] = [];
  for await (const y of pool.imap((x: number) => x * 2, naturals())) {
    seen.push(y);
    if (seen.length === 5) break;
  }
  assert.deepEqual(seen, [0, 2, 4, 6, 8]);
  assert.ok(read < 10_000, `read ${read} items of an endless input`);
  // An async input works too.
  async function* letters() {
    for (const c of "abc") {
      await sleep(1);
      yield c;
    }
  }
  const up: string[] = [];
  for await (const y of pool.imap((c: string) => c.toUpperCase(), letters())) up.push(y);
  assert.deepEqual(up, ["A", "B", "C"]);
});

test("mp.dummy Pool: initializer, maxTasksPerChild, close/join, terminate, misuse", async () => {
  const inits: string[] = [];
  const pool = new dummy.Pool({
    processes: 2,
    initializer: (tag: string) => void inits.push(`${tag} ${dummy.currentProcess().name}`),
    initargs: ["init"],
    maxTasksPerChild: 1,
  });
  const names = await pool.map(() => dummy.currentProcess().name, [1, 2, 3, 4], 1);
  assert.equal(new Set(names).size, 4, "a fresh worker for each task");
  assert.ok(inits.length >= 4 && inits.every((s) => s.startsWith("init ThreadPoolWorker-")));
  assert.throws(() => pool.join(), /Pool is still running/);
  const queued = pool.applyAsync(async () => {
    await sleep(20);
    return "finished";
  });
  pool.close();
  assert.throws(() => pool.applyAsync(() => 1), /Pool not running: it was closed/);
  await Promise.race([pool.join(), sleep(BOUND).then(() => assert.fail("join did not end"))]);
  assert.equal(await queued.get(0), "finished", "close() lets queued tasks finish");

  // terminate() rejects what is unfinished at once.
  const p2 = new dummy.Pool(1);
  const running = p2.applyAsync(() => sleep(50));
  const waiting = p2.applyAsync(() => "never");
  await p2.terminate();
  await assert.rejects(running.get(BOUND), /terminated/);
  await assert.rejects(waiting.get(BOUND), /terminated/);
  await Promise.race([p2.join(), sleep(BOUND).then(() => assert.fail("join did not end"))]);
  assert.throws(() => p2.map((x: number) => x, [1]), dummy.ProcessError);

  // A throwing initializer breaks the pool: tasks reject with BrokenProcessPool.
  const p3 = new dummy.Pool({
    processes: 1,
    initializer: function badInit() {
      throw new Error("no config (expected in this test)");
    },
  });
  await assert.rejects(p3.apply(() => 1), (e: Error) => {
    assert.ok(e instanceof dummy.BrokenProcessPool);
    assert.match(e.message, /initializer badInit failed in ThreadPoolWorker-\d+: Error: no config/);
    return true;
  });
  await p3.terminate();

  assert.throws(() => new dummy.Pool(0), RangeError);
  assert.throws(() => new dummy.Pool({ maxTasksPerChild: 0 }), RangeError);
  await using p4 = new dummy.Pool(1);
  assert.throws(() => p4.map((x: number) => x, [1], 0), RangeError);
  assert.throws(() => p4.applyAsync(42 as never), TypeError);
});

// Timeouts and the *Sync twins -----------------------------------------------------

test("mp.dummy: timeouts reject or resolve with the real module's classes and values", async () => {
  const q = new dummy.Queue<number>(1);
  await assert.rejects(q.get(10), dummy.Empty);
  q.putNowait(1);
  await assert.rejects(q.put(2, 10), dummy.Full);
  assert.throws(() => q.putNowait(2), dummy.Full);
  assert.equal(q.getNowait(), 1);
  assert.throws(() => q.getNowait(), dummy.Empty);

  const lock = new dummy.Lock();
  lock.acquireSync();
  assert.equal(await lock.acquire(10), false);
  await assert.rejects(lock.lock(10), dummy.TimeoutError);
  lock.release();
  assert.throws(() => lock.release(), dummy.ProcessError);

  const sem = new dummy.Semaphore(0);
  assert.equal(await sem.acquire(10), false);
  const ev = new dummy.Event();
  assert.equal(await ev.wait(10), false);
  const cond = new dummy.Condition();
  {
    using _ = await cond.lock(BOUND);
    assert.equal(await cond.wait(10), false);
    assert.equal(await cond.waitFor(() => false, 10), false);
  }
  await assert.rejects(cond.wait(10), /un-acquired lock/);

  const b = new dummy.Barrier(2, { timeout: 10 });
  await assert.rejects(b.wait(), dummy.BrokenBarrierError);
  assert.equal(b.broken, true);
  await assert.rejects(b.wait(), dummy.BrokenBarrierError);
  b.reset();
  const [i, j] = await Promise.all([b.wait(BOUND), b.wait(BOUND)]);
  assert.deepEqual([i, j].sort(), [0, 1]);

  const jq = new dummy.JoinableQueue<number>();
  await jq.put(1);
  assert.equal(await jq.join(10), false);
  await jq.get();
  jq.taskDone();
  assert.equal(await jq.join(10), true);
  assert.throws(() => jq.taskDone(), /too many times/);

  const [a, z] = dummy.Pipe<number>();
  assert.equal(await a.poll(10), false);
  z.close();
  assert.equal(await a.poll(), true);
  await assert.rejects(a.recv(), dummy.EOFError);
  await assert.rejects(z.send(1), /closed/);
  await assert.rejects(a.send(1), /broken pipe/i);
});

test("mp.dummy: *Sync twins answer at once where they can be honest", () => {
  const lock = new dummy.Lock();
  assert.equal(lock.acquireSync(), true);
  assert.equal(lock.acquireSync(0), false);
  lock.release();
  {
    using _ = lock.lockSync();
    assert.equal(lock.locked(), true);
  }
  assert.equal(lock.locked(), false);
  const rlock = new dummy.RLock();
  assert.equal(rlock.acquireSync(), true);
  assert.equal(rlock.acquireSync(), true);
  rlock.release();
  rlock.release();
  assert.throws(() => rlock.release(), dummy.ProcessError);
  const sem = new dummy.BoundedSemaphore(1);
  assert.equal(sem.acquireSync(), true);
  assert.equal(sem.acquireSync(0), false);
  sem.release();
  assert.throws(() => sem.release(), /released too many times/);
  const q = new dummy.Queue<string>();
  q.putSync("a"); // unbounded: never waits
  q.putSync("b", 0);
  assert.equal(q.qsize(), 2);
  assert.equal(q.getSync(), "a");
  assert.equal(q.getSync(0), "b");
  assert.throws(() => q.getSync(0), dummy.Empty);
  const ev = new dummy.Event();
  assert.equal(ev.isSet(), false);
  assert.equal(ev.waitSync(0), false);
  ev.set();
  assert.equal(ev.waitSync(), true);
  const b = new dummy.Barrier(1);
  assert.equal(b.waitSync(), 0);
  const [r, w] = dummy.Pipe<number>(false);
  w.sendSync(5);
  w.sendBytesSync(new Uint8Array([1, 2, 3]));
  assert.equal(r.pollSync(), true);
  assert.equal(r.recvSync(), 5);
  const buf = new Uint8Array(2);
  assert.throws(() => r.recvBytesIntoSync(buf), dummy.BufferTooShort);
  assert.equal(r.pollSync(0), false);
  assert.throws(() => w.recvSync(), /not readable/);
  assert.throws(() => r.sendSync(1), /not writable/);
  const jq = new dummy.JoinableQueue();
  assert.equal(jq.joinSync(), true);
});

test("mp.dummy: *Sync twins that cannot be honest throw a ProcessError at once, naming the async method", async () => {
  const lock = new dummy.Lock();
  lock.acquireSync();
  throwsAtOnce(
    () => lock.acquireSync(),
    dummy.ProcessError,
    /Lock\.acquireSync\(\): this call would block.*await lock\.acquire\(\)/,
  );
  throwsAtOnce(() => lock.acquireSync(1000), dummy.ProcessError, /would block/);
  throwsAtOnce(() => lock.lockSync(), dummy.ProcessError, /would block/);
  lock.release();

  const rlock = new dummy.RLock();
  const holder = new dummy.Process({ target: () => void rlock.acquireSync(), name: "holder" });
  await holder.start();
  await holder.join(BOUND);
  throwsAtOnce(() => rlock.acquireSync(), dummy.ProcessError, /held by holder/);
  assert.equal(rlock.acquireSync(0), false);
  throwsAtOnce(() => rlock.release(), dummy.ProcessError, /only its owner may release it/);

  const sem = new dummy.Semaphore(0);
  throwsAtOnce(() => sem.acquireSync(), dummy.ProcessError, /no permit is free.*await sem\.acquire\(\)/);
  const q = new dummy.Queue<number>(1);
  throwsAtOnce(
    () => q.getSync(),
    dummy.ProcessError,
    /Queue\.getSync\(\): this call would block.*await q\.get\(\)/,
  );
  throwsAtOnce(() => q.getSync(500), dummy.ProcessError, /would block/);
  q.putSync(1);
  throwsAtOnce(() => q.putSync(2), dummy.ProcessError, /the queue is full.*await q\.put\(item\)/);
  const jq = new dummy.JoinableQueue<number>();
  jq.putSync(1);
  throwsAtOnce(() => jq.joinSync(), dummy.ProcessError, /1 items are not marked done.*await q\.join\(\)/);
  const ev = new dummy.Event();
  throwsAtOnce(() => ev.waitSync(), dummy.ProcessError, /await event\.wait\(\)/);
  const cond = new dummy.Condition();
  throwsAtOnce(() => cond.waitSync(), dummy.ProcessError, /un-acquired lock/);
  cond.acquireSync();
  throwsAtOnce(() => cond.waitSync(), dummy.ProcessError, /await cond\.wait\(\)/);
  throwsAtOnce(() => cond.waitForSync(() => false), dummy.ProcessError, /await cond\.waitFor/);
  assert.equal(cond.waitForSync(() => 7), 7);
  cond.release();
  const b = new dummy.Barrier(2);
  throwsAtOnce(() => b.waitSync(), dummy.ProcessError, /1 more parties must arrive.*await barrier\.wait\(\)/);
  // The last party may complete a barrier synchronously.
  const first = b.wait(BOUND);
  assert.equal(b.waitSync(), 1);
  assert.equal(await first, 0);
  const [c1] = dummy.Pipe();
  throwsAtOnce(() => c1.recvSync(), dummy.ProcessError, /await conn\.recv\(\)/);
  throwsAtOnce(() => c1.pollSync(100), dummy.ProcessError, /await conn\.poll/);
  throwsAtOnce(() => c1.recvBytesSync(), dummy.ProcessError, /would block/);
});

// Synchronization details ------------------------------------------------------------

test("mp.dummy: a lock hands over first come, first served; a Condition wakes exactly n", async () => {
  const lock = new dummy.Lock();
  const order: number[] = [];
  await lock.acquire();
  const waiters = [1, 2, 3].map(async (i) => {
    using _ = await lock.lock(BOUND);
    order.push(i);
    await sleep(1);
  });
  await sleep(5);
  lock.release();
  await Promise.all(waiters);
  assert.deepEqual(order, [1, 2, 3]);

  // A release hands the lock to the longest waiter: the releaser cannot take it back first.
  for (const l of [new dummy.Lock(), new dummy.RLock()]) {
    const waiter = new dummy.Process({
      target: async () => {
        assert.equal(await l.acquire(BOUND), true);
        l.release();
      },
      name: "waiter",
    });
    l.acquireSync();
    await waiter.start();
    await sleep(5);
    l.release();
    assert.equal(l.acquireSync(0), false, `${l}: handed over to the waiter`);
    assert.match(String(l), /owner=waiter/);
    await waiter.join(BOUND);
    assert.equal(waiter.exitCode, 0);
    assert.equal(l.locked(), false);
  }

  const cond = new dummy.Condition(new dummy.Lock());
  let woken = 0;
  const sleepers = [1, 2, 3].map(async () => {
    using _ = await cond.lock(BOUND);
    if (await cond.wait(300)) woken++;
  });
  await sleep(10);
  {
    using _ = await cond.lock(BOUND);
    cond.notify(2);
  }
  await Promise.all(sleepers);
  assert.equal(woken, 2);
  assert.throws(() => new dummy.Condition(new mp.Lock() as never), TypeError);
});

test("mp.dummy: Value and Array store like the real ones", () => {
  for (const m of [mp, dummy]) {
    const v = new m.Value("i", 2 ** 31 - 1);
    v.value += 1; // wraps at 32 bits in both
    const q = new m.Value("q", 5);
    const a = new m.Array("d", [1.5, 2.5]);
    a[0] = -a[0];
    const c = new m.Array("c", "hi");
    assert.deepEqual(
      [v.value, q.value, a.slice(), [...a], a.get(-1), c.slice(), a.length, v.typecode],
      [-(2 ** 31), 5n, [-1.5, 2.5], [-1.5, 2.5], 2.5, [104, 105], 2, "i"],
    );
    assert.throws(() => new m.Value("x" as never), /bad typecode/);
    assert.throws(() => a.get(5), RangeError);
    assert.throws(() => new m.Value("i", 0, { lock: false }).getLock(), m.ProcessError);
  }
});

test("mp.dummy Manager: dict, list, Namespace and Queue are plain objects with the proxies' methods", async () => {
  await using manager = await dummy.Manager();
  const d = await manager.dict<string | number, unknown>({ a: 1 });
  await d.set(1, "one");
  d.setSync("fn", () => "functions are kept as they are");
  assert.equal(await d.get("a"), 1);
  assert.equal(d.getSync("missing", "default"), "default");
  assert.deepEqual(await d.keys(), ["a", 1, "fn"]);
  assert.equal(await d.size(), 3);
  await assert.rejects(d.pop("nope"), /KeyError|not in the dict/);
  assert.equal(await d.pop("nope", 0), 0);
  const empty = await manager.list<number>();
  assert.equal(await empty.pop(), undefined);
  assert.throws(() => empty.popSync(0), RangeError);
  assert.equal(await d.setdefault("b", 2), 2);
  const seen: unknown[] = [];
  for await (const [k] of d) seen.push(k);
  assert.deepEqual(seen, ["a", 1, "fn", "b"]);
  assert.throws(() => d.setSync({} as never, 1), TypeError);

  const l = await manager.list([3, 1, 2]);
  await l.append(4);
  await l.sort({ reverse: true });
  assert.deepEqual(await l.toArray(), [4, 3, 2, 1]);
  assert.equal(await l.get(-1), 1);
  await l.remove(3);
  assert.equal(l.lengthSync(), 3);
  assert.equal(await l.count(2), 1);
  await assert.rejects(l.get(10), RangeError);

  const ns = await manager.Namespace({ x: 1 });
  ns.x += 1;
  ns.y = "z";
  assert.equal(String(ns), "Namespace(x=2, y='z')");

  const q = await manager.Queue<number>(2);
  assert.equal(q.maxsize, 2);
  await q.put(1);
  assert.equal(q.getNowait(), 1);
  const lock = await manager.Lock();
  assert.equal(lock.acquireSync(), true);
  const ev = manager.EventSync();
  ev.set();
  assert.equal(await ev.wait(0), true);
  assert.equal(manager.running, true);
});

test("mp.dummy Pipe: the child's end stays open while a child holds it; bytes and one-way pipes", async () => {
  const [mine, theirs] = dummy.Pipe<string>();
  const child = new dummy.Process({
    target: async (conn: dummy.Connection<string>) => {
      await conn.send(`echo ${await conn.recv()}`);
      await sleep(10);
      conn.close();
    },
    args: [theirs],
  });
  await child.start();
  theirs.close(); // the parent's hold only
  assert.equal(theirs.closed, true, "closed for the parent");
  await mine.send("hi");
  assert.equal(await mine.recv(), "echo hi");
  await child.join(BOUND);
  await assert.rejects(mine.recv(), dummy.EOFError);

  const [r, w] = dummy.Pipe(false);
  assert.deepEqual([r.readable, r.writable, w.readable, w.writable], [true, false, false, true]);
  await w.sendBytes(new Uint8Array([1, 2, 3, 4]), 1, 2);
  assert.deepEqual(await r.recvBytes(), new Uint8Array([2, 3]));
  await w.sendBytes(new Uint8Array(10));
  await assert.rejects(r.recvBytes(4), /bad message length/);
  await w.send({ not: "bytes" });
  await assert.rejects(r.recvBytes(), /sent with send\(\)/);
  const late = r.recv();
  await w.send("late");
  assert.equal(await late, "late");
});

// Type names ---------------------------------------------------------------------------

/** Annotated with the real module's type names, as a program written for it is. */
async function typedProgram(m: typeof dummy): Promise<unknown[]> {
  await using manager: dummy.SyncManager = await m.Manager();
  const d: dummy.DictProxy<dummy.DictKey, number> = await manager.dict<dummy.DictKey, number>({ a: 1 });
  const l: dummy.ListProxy<number> = await manager.list([1, 2]);
  const q: dummy.QueueProxy<string> = await manager.Queue<string>();
  const jq: dummy.JoinableQueueProxy<string> = await manager.JoinableQueue<string>();
  const ns: dummy.NamespaceProxy = await manager.Namespace({ n: 1 });
  const v: dummy.Value<"i"> = new m.Value("i", 1);
  const a: dummy.SharedArray<"d"> = new m.SharedArray("d", 2);
  const tc: dummy.Typecode = v.typecode;
  await using pool: dummy.Pool = new m.Pool(1);
  const r: dummy.AsyncResult<number> = pool.applyAsync((x: number) => x + 1, [1]);
  const p: dummy.Process = new m.Process({ target: () => {} });
  const [c1]: [dummy.Connection<number>, dummy.Connection<number>] = m.Pipe<number>();
  q.putNowait("q");
  jq.putNowait("jq");
  return [
    await d.get("a"),
    await l.length(),
    q.getNowait(),
    jq.qsize(),
    ns.n,
    a.length,
    tc,
    await r,
    p.name,
    c1.readable,
  ];
}

test("mp.dummy: the real module's type names exist in mp.dummy, so annotated programs switch too", async () => {
  const out = await typedProgram(dummy);
  assert.deepEqual(out.slice(0, 8), [1, 2, "q", 1, 1, 2, "i", 2]);
  assert.equal(out[9], true);
});

// The example ------------------------------------------------------------------------

test("examples/dummy_io.ts: concurrent fetches and file reads with mp.dummy", async () => {
  const r = await runProgram("examples/dummy_io.ts", 30_000);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.deepEqual(lines.slice(0, 2), [
    "fetched 6 pages on 3 workers: /a=200 /b=200 /c=200 /d=200 /e=200 /f=200",
    "at most 3 fetches were in flight at once",
  ]);
  const ms = Number(/took (\d+) ms/.exec(lines[2])?.[1]);
  assert.ok(ms >= 190 && ms < 550, `6 fetches of 100 ms on 3 workers took ${ms} ms (2 rounds, not 6)`);
  assert.match(
    lines[3],
    /^read 3 files: README\.md \(\d+ lines\), deno\.json \(\d+ lines\), LICENSE \(\d+ lines\)$/,
  );
  assert.equal(lines[4], "imapUnordered yields as results come: /quick before /slow");
  assert.equal(lines.length, 5);
});
