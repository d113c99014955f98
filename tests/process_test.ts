import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import {
  bumpGlobal,
  daemonParent,
  exitWith,
  fail,
  failLater,
  forever,
  hardExit,
  leaveChildRunning,
  nested,
  noop,
  readGlobal,
  Reporter,
  slowWrite,
  spin,
  tryChild,
  whoAmI,
} from "./fixtures/process_targets.ts";
import { readReport, reportBuffer } from "./fixtures/report.ts";
import { eventually, isDeno, joinWithin, runProgram } from "./helpers.ts";

const counter = () => new Int32Array(new SharedArrayBuffer(4));
const nestedBound = isDeno ? 20_000 : 10_000; // Deno starts a Worker inside a Worker in ~1 s

test("start and join: exit code 0, isAlive, pid and name", async () => {
  const p = new mp.Process({ target: noop });
  assert.match(p.name, /^Process-\d+$/);
  assert.equal(p.pid, null);
  assert.equal(p.exitCode, null);
  assert.equal(p.isAlive(), false);
  const started = p.start();
  assert.equal(p.isAlive(), true);
  assert.equal(typeof p.pid, "number");
  assert.equal(p.ident, p.pid);
  assert.notEqual(p.pid, mp.currentProcess().pid);
  await started;
  await joinWithin(p);
  assert.equal(p.exitCode, 0);
  assert.equal(p.isAlive(), false);
  assert.match(String(p), /stopped exitcode=0/);
});

test("the child sees its args, its name, its pid and its parent", async () => {
  const buf = reportBuffer();
  const p = new mp.Process({ target: whoAmI, args: [buf, { n: [1, 2, 3], when: "now" }], name: "reporter" });
  await p.start();
  await joinWithin(p);
  assert.deepEqual(readReport(buf), {
    name: "reporter",
    pid: p.pid,
    daemon: false,
    parent: { name: "MainProcess", pid: mp.currentProcess().pid, alive: true },
    startMethod: "spawn",
    extra: { n: [1, 2, 3], when: "now" },
  });
});

test("pids are unique and names count up", async () => {
  const ps = [0, 1, 2].map(() => new mp.Process({ target: noop }));
  const numbers = ps.map((p) => Number(p.name.split("-")[1]));
  assert.deepEqual(numbers, [numbers[0], numbers[0] + 1, numbers[0] + 2]);
  await Promise.all(ps.map((p) => p.start()));
  assert.equal(new Set(ps.map((p) => p.pid)).size, 3);
  for (const p of ps) await joinWithin(p);
});

test("an async target: exit code 0 once it settles", async () => {
  const buf = reportBuffer();
  const p = new mp.Process({ target: slowWrite, args: [buf, 50, "late"] });
  await p.start();
  await joinWithin(p);
  assert.equal(p.exitCode, 0);
  assert.equal(readReport(buf), "late");
});

test("a target that throws ends with exit code 1 (sync and async)", async () => {
  for (const target of [fail, failLater]) {
    const p = new mp.Process({ target, args: ["expected failure from a test"] });
    await p.start();
    await joinWithin(p);
    assert.equal(p.exitCode, 1, target.name);
  }
});

test("exit(n) in the child gives exit code n", async () => {
  const p = new mp.Process({ target: exitWith, args: [7] });
  await p.start();
  await joinWithin(p);
  assert.equal(p.exitCode, 7);
});

test("Deno.exit / process.exit inside the child: its code reaches the parent, nothing hangs", async () => {
  for (const daemon of [false, true]) {
    const p = new mp.Process({ target: hardExit, args: [4], daemon });
    await p.start();
    await joinWithin(p, 5000);
    assert.equal(p.exitCode, 4, `daemon=${daemon}`);
    assert.equal(p.isAlive(), false);
  }
});

test("terminate() a target that never returns: -15; kill(): -9", async () => {
  const c = counter();
  const p = new mp.Process({ target: forever, args: [c] });
  await p.start();
  await eventually(() => Atomics.load(c, 0) > 0, 5000, "child ticking");
  p.terminate();
  await joinWithin(p, 1000);
  assert.equal(p.exitCode, -15);
  assert.equal(p.isAlive(), false);
  const seen = Atomics.load(c, 0);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(Atomics.load(c, 0), seen, "the child no longer runs");

  const busy = counter();
  const q = new mp.Process({ target: spin, args: [busy] });
  await q.start();
  await eventually(() => Atomics.load(busy, 0) > 0, 5000, "child spinning");
  q.kill();
  await joinWithin(q, 1000);
  assert.equal(q.exitCode, -9);
  p.terminate(); // already ended: no change
  assert.equal(p.exitCode, -15);
});

test("join(timeout) returns while the child still runs", async () => {
  const p = new mp.Process({ target: forever, args: [counter()] });
  await p.start();
  const t0 = performance.now();
  await p.join(100);
  assert.ok(performance.now() - t0 >= 90);
  assert.equal(p.exitCode, null);
  assert.equal(p.isAlive(), true);
  p.terminate();
  await joinWithin(p);
});

test("misuse: starting twice, joining an unstarted process, close() while running", async () => {
  const p = new mp.Process({ target: forever, args: [counter()] });
  assert.throws(() => p.join(), { name: "ProcessError", message: /start/ });
  const started = p.start();
  assert.throws(
    () => p.start(),
    (e: unknown) => e instanceof mp.ProcessError && /cannot start a process twice/.test(e.message),
  );
  await started;
  assert.throws(() => p.close(), { name: "ProcessError", message: /still running/ });
  p.terminate();
  await joinWithin(p);
  p.close();
  assert.throws(() => p.exitCode, { message: /closed/ });
  assert.throws(() => p.start(), { message: /closed/ });
  assert.throws(() => p.isAlive(), { message: /closed/ });
  assert.throws(() => new mp.Process({ target: noop }).terminate(), { message: /never started/ });
});

function notExported(): void {}

test("spawn refuses a lambda or an unexported function, naming it; no worker left", async () => {
  const before = mp.activeChildren().length;
  const lambda = new mp.Process({ target: () => 1 });
  await assert.rejects(lambda.start(), (e: unknown) => {
    assert.ok(e instanceof mp.ProcessError);
    assert.match(e.message, /cannot be found by reference/);
    assert.match(e.message, /export/i);
    assert.match(e.message, /fork/);
    return true;
  });
  const hidden = new mp.Process({ target: notExported });
  await assert.rejects(hidden.start(), /"notExported" cannot be found by reference/);
  assert.equal(lambda.exitCode, 1);
  assert.equal(lambda.isAlive(), false);
  assert.equal(mp.activeChildren().length, before);
});

test("an argument that cannot be cloned is named", async () => {
  const p = new mp.Process({ target: whoAmI, args: [reportBuffer(), { ok: 1, cb: () => 1 }] });
  await assert.rejects(p.start(), (e: unknown) => {
    assert.ok(e instanceof mp.ProcessError);
    assert.match(e.message, /args\[1\]\.cb/);
    assert.match(e.message, /function cb/);
    return true;
  });
  assert.equal(p.isAlive(), false);
});

test("start methods and contexts", () => {
  assert.deepEqual(mp.getAllStartMethods(), ["spawn", "fork", "forkserver"]);
  assert.equal(mp.getStartMethod(), "spawn");
  assert.equal(mp.getContext().getStartMethod(), "spawn");
  assert.equal(mp.getContext("fork").getStartMethod(), "fork");
  assert.equal(mp.getContext("fork"), mp.getContext("fork"));
  assert.ok(new (mp.getContext("fork").Process)() instanceof mp.Process);
  assert.equal(mp.getContext("forkserver").getStartMethod(), "forkserver");
  assert.throws(() => mp.getContext("thread"), (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.match(e.message, /"thread"/);
    assert.match(e.message, /"spawn", "fork", "forkserver"/);
    return true;
  });
  assert.throws(() => mp.setStartMethod("thread"), /Unknown start method/);
  mp.setStartMethod("spawn");
  assert.throws(() => mp.setStartMethod("fork"), { name: "ProcessError", message: /already been set/ });
  mp.setStartMethod("fork", { force: true });
  assert.equal(mp.getStartMethod(), "fork");
  mp.setStartMethod("spawn", { force: true });
  assert.equal(mp.getStartMethod(), "spawn");
});

test("fork ships a self-contained lambda; a captured variable fails clearly", async () => {
  const ctx = mp.getContext("fork");
  const buf = reportBuffer();
  const p = new ctx.Process({
    target: (b: Uint8Array<SharedArrayBuffer>, n: number) => {
      const bytes = new TextEncoder().encode(JSON.stringify(n * 2));
      b.set(bytes, 4);
      new DataView(b.buffer).setUint32(0, bytes.length);
    },
    args: [buf, 21],
  });
  await p.start();
  await joinWithin(p);
  assert.equal(p.exitCode, 0);
  assert.equal(readReport(buf), 42);

  const captured = 5;
  const q = new ctx.Process({ target: () => captured + 1 });
  await q.start();
  await joinWithin(q);
  assert.equal(q.exitCode, 1);

  // Exported functions still go by reference under fork.
  const r = new ctx.Process({ target: whoAmI, args: [buf] });
  await r.start();
  await joinWithin(r);
  assert.equal((readReport(buf) as { startMethod: string }).startMethod, "fork");
});

test("children change their own globals, never the parent's (spawn, fork, forkserver)", async () => {
  for (const method of ["spawn", "fork", "forkserver", "forkserver", "forkserver"]) {
    const buf = reportBuffer();
    const p = new (mp.getContext(method).Process)({ target: bumpGlobal, args: [buf, 5] });
    await p.start();
    await joinWithin(p);
    assert.equal(readReport(buf), 105);
    assert.equal(readGlobal(), 100);
  }
});

test("a subclass overriding run() runs with its own fields; currentProcess() is that object", async () => {
  const buf = reportBuffer();
  const r = new Reporter(buf);
  r.greeting = "hello";
  await r.start();
  await joinWithin(r);
  assert.equal(r.exitCode, 0);
  assert.deepEqual(readReport(buf), { greeting: "hello", name: r.name, isSelf: true });
});

test("nested processes: names Process-N:M, the grandchild's parent is the child", async () => {
  const buf = reportBuffer();
  const p = new mp.Process({ target: nested, args: [buf] });
  await p.start();
  await joinWithin(p, nestedBound);
  assert.equal(p.exitCode, 0);
  const r = readReport(buf) as {
    me: string;
    child: string;
    childExit: number;
    grandchild: { name: string; parent: { name: string; pid: number } };
  };
  assert.equal(r.me, p.name);
  assert.equal(r.child, `${p.name}:1`);
  assert.equal(r.childExit, 0);
  assert.equal(r.grandchild.name, `${p.name}:1`);
  assert.deepEqual(r.grandchild.parent, { name: p.name, pid: p.pid, alive: true });
});

test("daemon: inherited, refused children, ended with its parent", async () => {
  const buf = reportBuffer();
  const d = new mp.Process({ target: tryChild, args: [buf], daemon: true });
  assert.equal(d.daemon, true);
  await d.start();
  assert.throws(() => (d.daemon = false), /already started/);
  await joinWithin(d);
  assert.equal(d.exitCode, 1);
  assert.deepEqual(readReport(buf), {
    name: "ProcessError",
    message: "daemonic processes are not allowed to have children",
  });

  const ticks = counter();
  const p = new mp.Process({ target: daemonParent, args: [ticks, isDeno ? 1500 : 200] });
  await p.start();
  await joinWithin(p, nestedBound);
  assert.equal(p.exitCode, 0);
  const seen = Atomics.load(ticks, 0);
  assert.ok(seen > 0, "the daemonic grandchild ran");
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(Atomics.load(ticks, 0), seen, "the daemonic grandchild ended with its parent");
});

test("a process waits for its non-daemonic children before it ends", async () => {
  const buf = reportBuffer();
  const p = new mp.Process({ target: leaveChildRunning, args: [buf, 200] });
  await p.start();
  await joinWithin(p, nestedBound);
  assert.equal(p.exitCode, 0);
  assert.equal(readReport(buf), "grandchild done");
});

test("module functions in the main process", async () => {
  const me = mp.currentProcess();
  assert.equal(me.name, "MainProcess");
  assert.equal(me.daemon, false);
  assert.equal(me.isAlive(), true);
  assert.equal(typeof me.pid, "number");
  assert.equal(mp.parentProcess(), null);
  assert.ok(mp.cpuCount() >= 1);
  const p = new mp.Process({ target: forever, args: [counter()] });
  await p.start();
  assert.ok(mp.activeChildren().includes(p));
  p.terminate();
  assert.ok(!mp.activeChildren().includes(p));
  assert.throws(() => me.join(), /cannot join itself/);
});

test("bad options are rejected with clear errors", () => {
  // deno-lint-ignore no-explicit-any
  const P = mp.Process as any;
  assert.throws(() => new P({ target: 42 }), { name: "TypeError", message: /target must be a function/ });
  assert.throws(() => new P({ target: noop, args: "x" }), {
    name: "TypeError",
    message: /args must be an array/,
  });
  assert.throws(() => new mp.Process({ target: noop }).join("soon" as unknown as number), TypeError);
});

test("a main module without the import.meta.main guard gets a ProcessError, not a runaway", async () => {
  const r = await runProgram("tests/fixtures/unguarded_main.ts");
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /ProcessError/);
  assert.match(r.stderr, /import\.meta\.main/);
  assert.doesNotMatch(r.stdout, /work ran/);
});
