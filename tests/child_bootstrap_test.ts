// A child's bootstrap loads what a no-op child does not need only when it is needed:
// a built-in target, an error that travels back keeping its class, logging.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as mp from "../mod.ts";
import { neverRuns } from "./fixtures/bootstrap_targets.ts";
import { ZeroDivisionError } from "./fixtures/by_ref_errors.ts";
import { joinWithin, killAll, runProgram } from "./helpers.ts";

for (const method of ["spawn", "forkserver"] as const) {
  const ctx = mp.getContext(method);

  test(`${method}: a built-in function is a target; one that throws ends with exit code 1`, async () => {
    const ok = new ctx.Process({ target: Math.max, args: [1, 2] });
    const bad = new ctx.Process({ target: JSON.parse, args: ["{"] });
    try {
      await ok.start();
      await bad.start();
      await joinWithin(ok);
      await joinWithin(bad);
    } catch (e) {
      killAll();
      throw e;
    }
    assert.equal(ok.exitCode, 0);
    assert.equal(bad.exitCode, 1);
  });

  test(`${method}: a target module that throws on import rejects start() with that error`, async () => {
    const p = new ctx.Process({ target: neverRuns });
    try {
      await assert.rejects(
        p.start(),
        (e: unknown) =>
          e instanceof ZeroDivisionError && e.name === "ZeroDivisionError" &&
          e.message === "division of 7 by zero" &&
          (e as Error & { dividend?: number }).dividend === 7 && e.cause instanceof mp.RemoteError,
      );
      await joinWithin(p);
    } catch (e) {
      killAll();
      throw e;
    }
    assert.equal(p.exitCode, 1);
  });
}

test("a child that turns logging on itself logs its own exit, as in Python", async () => {
  const r = await runProgram("tests/fixtures/log_in_child_program.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n"), ["spawn exit 0", "forkserver exit 0"]);
  const lines = r.stderr.split("\n").filter((l) => l.startsWith("["));
  assert.deepEqual(lines, [
    "[INFO/Process-1] inside the target",
    "[INFO/Process-1] process exiting with exitcode 0",
    "[INFO/Process-2] inside the target",
    "[INFO/Process-2] process exiting with exitcode 0",
  ]);
});
