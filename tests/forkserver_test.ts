// The forkserver start method (Python 3.14's default): spawn semantics from a Worker
// prepared in advance.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as mp from "../mod.ts";
import { say } from "./fixtures/start_targets.ts";
import { joinWithin, killAll, runProgram } from "./helpers.ts";

test("forkserver: processes run with fresh state, and the program exits by itself", async () => {
  const r = await runProgram("tests/fixtures/forkserver_program.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n"), [
    "hello from Process-1",
    "hello from Process-2",
    "hello from Process-3",
    "pool [2,3]",
  ]);
});

test("forkserver: a blocking call right after an unawaited start() sees the child run", async () => {
  const ctx = mp.getContext("forkserver");
  const q = new mp.Queue<string>();
  for (const text of ["one", "two"]) {
    const p = new ctx.Process({ target: say, args: [q, text] });
    p.start();
    try {
      assert.equal(q.getSync(10_000), text);
    } finally {
      await joinWithin(p).catch(killAll);
    }
    assert.equal(p.exitCode, 0);
  }
});
