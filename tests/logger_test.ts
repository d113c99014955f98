// mp.getLogger() / mp.logToStderr(): Python's multiprocessing logger.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as mp from "../mod.ts";
import { runProgram } from "./helpers.ts";

test("logToStderr: a child inherits the level and logs its lifecycle like Python", async () => {
  const r = await runProgram("tests/fixtures/log_program.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /exit 0/);
  const lines = r.stderr.split("\n").filter((l) => l.startsWith("["));
  assert.deepEqual(lines, [
    "[INFO/Process-1] child process calling self.run()",
    "[INFO/Process-1] inside the target",
    "[INFO/Process-1] process exiting with exitcode 0",
  ]);
});

test("getLogger: levels, handlers and their format", () => {
  const logger = mp.getLogger();
  const before = logger.level;
  const lines: string[] = [];
  const handler = (line: string) => lines.push(line);
  try {
    logger.addHandler(handler);
    logger.setLevel("DEBUG");
    logger.debug("one");
    logger.subDebug("dropped below DEBUG");
    logger.setLevel(mp.LogLevel.WARNING);
    logger.info("dropped below WARNING");
    logger.warning("two");
    logger.log(45, "custom");
    assert.deepEqual(lines, [
      "[DEBUG/MainProcess] one",
      "[WARNING/MainProcess] two",
      "[Level 45/MainProcess] custom",
    ]);
    assert.equal(logger.isEnabledFor("ERROR"), true);
    assert.equal(logger.isEnabledFor("INFO"), false);
  } finally {
    logger.removeHandler(handler);
    logger.setLevel(before);
  }
  assert.throws(
    () => logger.setLevel("LOUD" as never),
    /level must be a number or one of NOTSET, SUBDEBUG, .*got LOUD/,
  );
  assert.throws(() => logger.addHandler(42 as never), /handler must be a function, got number/);
});
