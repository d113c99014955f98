// The pool under server load (issue 12): no head-of-line blocking, cancellation,
// tasks never lost when a worker ends, backpressure and stats, zombie workers on Deno.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import {
  busy,
  crashSoon,
  die,
  flagSleep,
  hardExit,
  mark,
  noop,
  slowDouble,
  square,
  whoami,
} from "./fixtures/pool_tasks.ts";
import { eventually, isDeno, POOL_BOUND, poolWorkers, runProgram, within } from "./helpers.ts";

const BOUND = POOL_BOUND;

/** The rejection of `p` (fails if it resolves). */
async function rejection(p: PromiseLike<unknown>, ms = BOUND): Promise<unknown> {
  return await within(
    Promise.resolve(p).then(
      (v) => {
        throw new Error(`expected a rejection, got ${String(v)}`);
      },
      (e) => e,
    ),
    ms,
  );
}

/** Submits `long` then `quick` tasks at once; returns how long each quick one took (ms). */
async function quickTimes(pool: mp.Pool, longMs: number, quick: number, quickMs: number) {
  const t0 = performance.now();
  const long = pool.applyAsync(busy, [-1, longMs]);
  const times = await within(
    Promise.all(
      Array.from(
        { length: quick },
        (_, i) => pool.apply(busy, [i, quickMs]).then(() => performance.now() - t0),
      ),
    ),
  );
  assert.equal(await within(long), -1);
  return { times, longTook: performance.now() - t0 };
}

test("no head-of-line blocking: quick tasks never wait for a long one while a worker is idle (fresh pool)", async () => {
  await using pool = new mp.Pool(2);
  await within(pool.map(noop, [0, 1], 1));
  const { times, longTook } = await quickTimes(pool, 2_500, 12, 5);
  assert.ok(longTook >= 2_400, `the long task took ${longTook} ms`);
  // 12 quick tasks of 5 ms on the idle worker: about 60 ms of work, far below the long task.
  assert.ok(Math.max(...times) < 1_200, `quick tasks done after ${times.map(Math.round).join(", ")} ms`);
});

test("no head-of-line blocking with big batches: tasks sent ahead to a stuck worker are taken back", async () => {
  await using pool = new mp.Pool(2);
  // Thousands of no-op tasks make the batches large (hundreds of tasks per message).
  await within(Promise.all(Array.from({ length: 5_000 }, () => pool.applyAsync(noop))));
  const { times } = await quickTimes(pool, 2_500, 300, 0.2);
  assert.ok(Math.max(...times) < 1_200, `the last quick task took ${Math.round(Math.max(...times))} ms`);
  const s = pool.stats();
  assert.equal(s.failed, 0);
  assert.equal(s.completed, 5_000 + 1 + 300);
});

test("a queued task cancelled by its signal is dropped at once; the running task and its worker go on", async () => {
  await using pool = new mp.Pool(1);
  await within(pool.apply(noop));
  const long = pool.applyAsync(slowDouble, [21, 600]);
  const controller = new AbortController();
  const queued = pool.applyAsync(square, [3], { signal: controller.signal });
  const reason = new Error("client went away");
  const t0 = performance.now();
  controller.abort(reason);
  assert.equal(await rejection(queued), reason);
  assert.ok(performance.now() - t0 < 300);
  assert.equal(await within(long), 42);
  const s = pool.stats();
  assert.equal(s.replaced, 0);
  assert.equal(s.cancelled, 1);
  assert.equal(await within(pool.apply(square, [4])), 16);
});

test("a running task cancelled: only it fails, with the signal's reason; tasks sent to its worker run elsewhere", async () => {
  await using pool = new mp.Pool(1);
  const before = await within(pool.apply(whoami));
  const controller = new AbortController();
  const started = new Int32Array(new SharedArrayBuffer(4));
  const running = pool.applyAsync(flagSleep, [started, 1, 60_000], { signal: controller.signal });
  const behind = [1, 2, 3].map((x) => pool.applyAsync(square, [x])); // sent ahead to the same worker
  await eventually(() => Atomics.load(started, 0) !== 0, 10_000, "the task to start");
  controller.abort();
  const e = await rejection(running, 2_000);
  assert.equal((e as Error).name, "AbortError");
  assert.deepEqual(await within(Promise.all(behind)), [1, 4, 9]);
  assert.notEqual(await within(pool.apply(whoami)), before);
  const s = pool.stats();
  assert.equal(s.replaced, 1);
  assert.equal(s.cancelled, 1);
  assert.equal(s.failed, 1);
});

test("timeout cancels a task with TimeoutError; cancel() and get(timeout, { cancel: true }) too", async () => {
  await using pool = new mp.Pool(2);
  await within(pool.map(noop, [0, 1], 1));
  const e1 = await rejection(pool.apply(slowDouble, [1, 60_000], { timeout: 150 }), 3_000);
  assert.ok(e1 instanceof mp.TimeoutError, String(e1));
  assert.match((e1 as Error).message, /slowDouble\(1, 60000\).*150 ms/);

  const r = pool.applyAsync(slowDouble, [2, 60_000]);
  assert.equal(r.cancel(), true);
  assert.equal(r.cancel(), false);
  const e2 = await rejection(r, 1_000);
  assert.equal((e2 as Error).name, "AbortError");

  const r3 = pool.applyAsync(slowDouble, [3, 60_000]);
  const e3 = await rejection(r3.get(100, { cancel: true }), 2_000);
  assert.ok(e3 instanceof mp.TimeoutError);
  assert.equal(await rejection(r3), e3);

  // A result that is late for get(timeout) alone is not cancelled.
  const r4 = pool.applyAsync(slowDouble, [4, 200]);
  await rejection(r4.get(10));
  assert.equal(await within(r4), 8);

  // An already aborted signal: the task never runs.
  const e5 = await rejection(pool.apply(square, [5], { signal: AbortSignal.abort("no") }));
  assert.equal(e5, "no");
  assert.equal(await within(pool.apply(square, [6])), 36);
  assert.throws(() => pool.apply(square, [1], { timeout: -1 }), RangeError);
  assert.throws(() => pool.apply(square, [1], { signal: "x" as unknown as AbortSignal }), /AbortSignal/);
});

test("map, starmap, mapAsync, imap and executor.submitWith take { signal, timeout }", async () => {
  await using pool = new mp.Pool(2);
  const c1 = new AbortController();
  const m = pool.starmap(slowDouble, [[1, 60_000], [2, 60_000], [3, 1]], { chunksize: 1, signal: c1.signal });
  setTimeout(() => c1.abort(new RangeError("stop the map")), 50);
  assert.ok((await rejection(m, 2_000)) instanceof RangeError);

  const e = await rejection(pool.starmap(slowDouble, [[1, 60_000], [2, 60_000]], { timeout: 100 }), 3_000);
  assert.ok(e instanceof mp.TimeoutError);
  const ok = await within(pool.mapAsync(square, [1, 2, 3], { chunksize: 2, timeout: 5_000 }));
  assert.deepEqual(ok, [1, 4, 9]);
  assert.deepEqual(await within(pool.map(square, [1, 2, 3], 2)), [1, 4, 9]);

  const c2 = new AbortController();
  const seen: number[] = [];
  const it = pool.imap(square, [1, 2, 3, 4, 5, 6], { signal: c2.signal });
  const reason = new Error("enough");
  const e2 = await within(
    (async () => {
      try {
        for await (const y of it) {
          seen.push(y);
          if (seen.length === 2) c2.abort(reason);
        }
      } catch (x) {
        return x;
      }
    })(),
  );
  assert.equal(e2, reason);
  assert.deepEqual(seen, [1, 4]);
  assert.deepEqual(await it.next(), { value: undefined, done: true });

  await using executor = new mp.ProcessPoolExecutor({ maxWorkers: 1 });
  assert.equal(await within(executor.submitWith(square, [7], { timeout: 5_000 })), 49);
  const e3 = await rejection(executor.submitWith(slowDouble, [1, 60_000], { timeout: 100 }), 3_000);
  assert.ok(e3 instanceof mp.TimeoutError);
  assert.equal(await within(executor.submit(square, [8] as unknown as number)), 64);
  assert.equal(executor.stats().replaced, 1);
});

test("whatever ends a worker, only the task it ran fails; the tasks sent to it run elsewhere", async (t) => {
  for (
    const [how, fn, args, pattern] of [
      ["mp.exit()", die, [4], /die\(4\) called exit\(4\)/],
      ["Deno.exit / process.exit", hardExit, [5], /hardExit\(5\)/],
      ["an uncaught error", crashSoon, [], /crashSoon\(\)/],
    ] as const
  ) {
    await t.test(how, async () => {
      await using pool = new mp.Pool(1);
      await within(pool.apply(noop));
      const bad = pool.applyAsync(fn as (...a: unknown[]) => unknown, args as unknown as unknown[]);
      const behind = [1, 2, 3, 4].map((x) => pool.applyAsync(square, [x]));
      const e = await rejection(bad);
      assert.ok(e instanceof mp.BrokenProcessPool, String(e));
      assert.match((e as Error).message, pattern);
      assert.deepEqual(await within(Promise.all(behind)), [1, 4, 9, 16]);
      assert.equal(pool.stats().replaced, 1);
      assert.equal(pool.stats().failed, 1);
    });
  }
  await t.test("terminated from outside", async () => {
    await using pool = new mp.Pool(1);
    await within(pool.apply(noop));
    const started = new Int32Array(new SharedArrayBuffer(4));
    const running = pool.applyAsync(flagSleep, [started, 1, 60_000]);
    const behind = [1, 2, 3].map((x) => pool.applyAsync(square, [x]));
    await eventually(() => Atomics.load(started, 0) !== 0, 10_000, "the task to start");
    poolWorkers().find((w) => w.pid === Atomics.load(started, 0))!.terminate();
    const e = await rejection(running);
    assert.ok(e instanceof mp.BrokenProcessPool);
    assert.match((e as Error).message, /while it ran task flagSleep\(Int32Array.*, 1, 60000\)/);
    assert.deepEqual(await within(Promise.all(behind)), [1, 4, 9]);
  });
});

test("maxQueue: beyond it submissions reject with Full, or wait for room with { wait: true }", async () => {
  await using pool = new mp.Pool({ processes: 1, maxQueue: 2 });
  await within(pool.apply(noop));
  const long = pool.applyAsync(slowDouble, [1, 400]);
  await new Promise((r) => setTimeout(r, 50));
  const q = [pool.applyAsync(square, [2]), pool.applyAsync(square, [3])];
  assert.equal(pool.stats().queued, 2);
  const full = await rejection(pool.apply(square, [4]));
  assert.ok(full instanceof mp.Full, String(full));
  assert.match((full as Error).message, /maxQueue 2/);
  const waited = pool.applyAsync(square, [5], { wait: true });
  const cancelled = pool.applyAsync(square, [6], { wait: true, timeout: 50 });
  assert.equal(pool.stats().waiting, 2);
  assert.ok((await rejection(cancelled)) instanceof mp.TimeoutError);
  assert.equal(await within(waited), 25);
  assert.equal(await within(long), 2);
  assert.deepEqual(await within(Promise.all(q)), [4, 9]);
  assert.throws(() => new mp.Pool({ processes: 1, maxQueue: 0 }), /maxQueue must be a positive integer/);

  await using executor = new mp.ProcessPoolExecutor({ maxWorkers: 1, maxQueue: 1 });
  await within(executor.submit(noop));
  const first = executor.submit(slowDouble, 1, 300);
  await new Promise((r) => setTimeout(r, 50));
  const second = executor.submit(square, 2);
  assert.ok((await rejection(executor.submit(square, 3))) instanceof mp.Full);
  assert.equal(await within(executor.submitWith(square, [4], { wait: true })), 16);
  assert.deepEqual(await within(Promise.all([first, second])), [2, 4]);
});

test("stats() counts tasks, workers, replacements and times", async () => {
  await using pool = new mp.Pool(2);
  const empty = pool.stats();
  assert.deepEqual(Object.keys(empty).sort(), [
    "cancelled",
    "completed",
    "failed",
    "meanRunMs",
    "meanWaitMs",
    "queued",
    "replaced",
    "running",
    "waiting",
    "workers",
    "zombies",
  ]);
  await within(pool.map(noop, [0, 1], 1));
  await within(Promise.all([1, 2, 3].map((x) => pool.apply(slowDouble, [x, 50]))));
  await rejection(pool.apply(die, [1]));
  const s = pool.stats();
  assert.equal(s.completed, 5);
  assert.equal(s.failed, 1);
  assert.equal(s.cancelled, 0);
  assert.equal(s.replaced, 1);
  assert.equal(s.queued, 0);
  assert.equal(s.running, 0);
  await eventually(() => pool.stats().workers === 2, 5_000, "two live workers");
  assert.ok(s.meanRunMs >= 25 && s.meanRunMs < 1_000, `meanRunMs ${s.meanRunMs}`);
  assert.ok(s.meanWaitMs >= 0 && s.meanWaitMs < 5_000, `meanWaitMs ${s.meanWaitMs}`);
});

test("close({ timeout }), join(timeout) and shutdown({ timeout }) terminate what is left when it passes", async () => {
  const pool = new mp.Pool(1);
  const long = pool.applyAsync(slowDouble, [1, 60_000]);
  const quick = pool.applyAsync(square, [3]);
  pool.close({ timeout: 300 });
  const t0 = performance.now();
  await within(pool.join(), 3_000, "join after close({ timeout })");
  assert.ok(performance.now() - t0 < 3_000);
  assert.match(String(await rejection(long)), /terminated/);
  assert.equal(poolWorkers().length, 0);
  await quick.wait(0); // settled either way

  const pool2 = new mp.Pool(1);
  const long2 = pool2.applyAsync(slowDouble, [1, 60_000]);
  pool2.close();
  await within(pool2.join(200), 3_000, "join(200)");
  assert.match(String(await rejection(long2)), /terminated/);

  const executor = new mp.ProcessPoolExecutor({ maxWorkers: 1 });
  const long3 = executor.submit(slowDouble, 1, 60_000);
  await within(executor.shutdown({ timeout: 200 }), 3_000, "shutdown({ timeout })");
  assert.match(String(await rejection(long3)), /terminated/);
  assert.equal(poolWorkers().length, 0);
});

test("a program whose cancelled tasks were abandoned still exits after close() and join()", async () => {
  const r = await runProgram("tests/fixtures/pool_abandoned.ts", 20_000);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /cancelled: TimeoutError, AbortError/);
  assert.ok(r.ms < 15_000, `took ${r.ms} ms`);
});

test("a terminated worker still running synchronous code is reported as a zombie on Deno", async () => {
  await using pool = new mp.Pool(1);
  await within(pool.apply(noop));
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...a: unknown[]) => void warnings.push(a.join(" "));
  try {
    const e = await rejection(pool.apply(busy, [7, 2_000], { timeout: 200 }), 3_000);
    assert.ok(e instanceof mp.TimeoutError);
    if (isDeno) assert.equal(pool.stats().zombies, 1);
    await within(pool.apply(noop)); // the replacement is up
    await rejection(pool.apply(busy, [8, 300], { timeout: 100 }), 3_000);
  } finally {
    console.warn = warn;
  }
  if (isDeno) {
    assert.ok(pool.stats().zombies >= 1);
    assert.equal(warnings.length, 1, warnings.join("\n")); // once
    assert.match(warnings[0], /task busy\(7, 2000\).*denoland\/deno PR #35657/s);
    await eventually(() => pool.stats().zombies === 0, 5_000, "the zombie threads to finish");
  } else {
    assert.equal(pool.stats().zombies, 0);
    assert.equal(warnings.length, 0);
  }
  assert.equal(await within(pool.apply(square, [9])), 81);
});

test("under random worker kills and cancellations, no task runs twice, none is lost, none hangs", async () => {
  const N = 3_000;
  const runs = new Int32Array(new SharedArrayBuffer(4 * N));
  await using pool = new mp.Pool(2);
  await within(pool.map(noop, [0, 1], 1));
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const results = Array.from({ length: N }, (_, i) => {
    const ms = random() < 0.05 ? 20 : 0;
    const timeout = i % 7 === 3 ? Math.floor(random() * 40) : undefined;
    return pool.applyAsync(mark, [runs, i, ms], { timeout });
  });
  let kills = 0;
  const killer = setInterval(() => {
    const workers = poolWorkers();
    if (workers.length > 0 && kills < 8) {
      workers[Math.floor(random() * workers.length)].terminate();
      kills++;
    }
  }, 40);
  let outcomes: PromiseSettledResult<number>[];
  try {
    outcomes = await within(Promise.allSettled(results.map((r) => r.get())), 60_000, "3000 tasks");
  } finally {
    clearInterval(killer);
  }
  let ok = 0, broken = 0, timedOut = 0, whileRunning = 0;
  outcomes.forEach((o, i) => {
    if (o.status === "fulfilled") {
      assert.equal(o.value, i);
      assert.equal(runs[i], 1, `task ${i} resolved but ran ${runs[i]} times`);
      ok++;
    } else {
      assert.ok(runs[i] <= 1, `task ${i} failed and ran ${runs[i]} times`);
      if (o.reason instanceof mp.BrokenProcessPool) {
        broken++;
        if (/while it ran/.test(o.reason.message)) whileRunning++;
        else assert.match(o.reason.message, /finished but before its result was sent/);
      } else if (o.reason instanceof mp.TimeoutError) timedOut++;
      else assert.fail(`task ${i}: unexpected ${o.reason}`);
    }
  });
  // Each kill fails at most the one task its worker ran, and those it had finished but
  // not yet reported (their results died with it); the others ran exactly once.
  assert.ok(whileRunning <= kills, `${whileRunning} tasks failed while running, for ${kills} kills`);
  console.log(
    `${kills} kills: ${whileRunning} tasks failed while running, ${broken - whileRunning} results lost`,
  );
  assert.equal(ok + broken + timedOut, N);
  const s = pool.stats();
  assert.equal(s.completed, ok + 2);
  assert.equal(s.queued, 0);
  assert.equal(await within(pool.apply(square, [5])), 25);
});
