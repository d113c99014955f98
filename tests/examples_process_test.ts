// Runs the process examples as programs and checks what they print.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runProgram } from "./helpers.ts";

test("examples/start_join.ts (seed 1)", async () => {
  const r = await runProgram("examples/start_join.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "doing stuff...\nstuff done\njoined Process-1, exit code 0\n");
});

test("examples/several_processes.ts (seed 2)", async () => {
  const r = await runProgram("examples/several_processes.ts");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  for (let i = 0; i < 4; i++) {
    assert.ok(lines.includes(`worker ${i}: doing stuff...`));
    assert.ok(lines.indexOf(`worker ${i}: stuff done`) > lines.indexOf(`worker ${i}: doing stuff...`));
  }
  // All four start before any is done: they run at the same time.
  const lastStart = Math.max(...[0, 1, 2, 3].map((i) => lines.indexOf(`worker ${i}: doing stuff...`)));
  const firstDone = Math.min(...[0, 1, 2, 3].map((i) => lines.indexOf(`worker ${i}: stuff done`)));
  assert.ok(lastStart < firstDone, r.stdout);
  assert.equal(lines.at(-1), "all joined: 0 0 0 0");
});

test("examples/daemon.ts (seed 3): the daemonic child ends with its parent", async () => {
  const r = await runProgram("examples/daemon.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "Process-1 (daemon=true) started\nparent done\n");
  assert.doesNotMatch(r.stdout, /child done/);
  assert.ok(r.ms < 1900, `the program ended with its parent, not after the child's 2 s (${r.ms} ms)`);
});

test("examples/spawn_fork_globals.ts (seed 4): the parent's global stays unchanged", async () => {
  const r = await runProgram("examples/spawn_fork_globals.ts");
  assert.equal(r.code, 0, r.stderr);
  for (const method of ["spawn", "fork"]) {
    assert.match(r.stdout, new RegExp(`${method} child 1: 110 \\(the child's global is now 1010\\)`));
    assert.match(r.stdout, new RegExp(`${method} child 2: 210 \\(the child's global is now 1010\\)`));
    assert.match(r.stdout, new RegExp(`${method}: the parent's global is still 10\\n`));
  }
  assert.match(r.stdout, /fork lambda: 42/);
});

test("examples/process_info.ts (seed 5)", async () => {
  const r = await runProgram("examples/process_info.ts");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 4);
  const mainPid = /^main: name=MainProcess pid=(\d+) parent=undefined$/.exec(lines[0])?.[1];
  assert.ok(mainPid, lines[0]);
  const pids = new Set([mainPid]);
  for (let i = 1; i <= 3; i++) {
    const m = new RegExp(`^child ${i}: name=Process-${i} pid=(\\d+) parent=${mainPid}$`).exec(lines[i]);
    assert.ok(m, lines[i]);
    pids.add(m[1]);
  }
  assert.equal(pids.size, 4);
});

test("examples/lifecycle.ts (seed 15)", async () => {
  const r = await runProgram("examples/lifecycle.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    [
      "after start: isAlive=true",
      "after join: isAlive=false exitCode=0",
      "a target that throws: exitCode=1",
      "endless after join(300): isAlive=true exitCode=null",
      "after terminate: isAlive=false exitCode=-15",
      "",
    ].join("\n"),
  );
  assert.match(r.stderr, /^Process Process-2:\nError: something went wrong in the child\n\s+at broken /m);
});

test("examples/timing.ts (seed 16): two 1 s sleeps take about 1 s", async () => {
  const r = await runProgram("examples/timing.ts");
  assert.equal(r.code, 0, r.stderr);
  const seconds = Number(/took ([\d.]+) s/.exec(r.stdout)?.[1]);
  assert.ok(seconds >= 0.95 && seconds < 1.8, r.stdout);
});

test("examples/demo.ts", async () => {
  const r = await runProgram("examples/demo.ts");
  assert.equal(r.code, 0, r.stderr);
  for (const who of ["Ada", "Grace", "Linus"]) assert.match(r.stdout, new RegExp(`says hello to ${who}`));
  assert.match(r.stdout, /exit code -15/);
  assert.match(r.stdout, /20 \+ 22 = 42/);
  assert.match(r.stdout, /squares: 0 1 4 9 16 25 36 49 64 81\n/);
  assert.match(r.stdout, /counter = 3000\n/);
  assert.match(r.stdout, /received: spam, eggs, ham\n/);
  assert.match(r.stdout, /dict: \{"child":"Process-\d+","answer":42\}\n/);
  assert.match(r.stdout, /done\.\n$/);
});
