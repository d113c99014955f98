// Runs the queue and pipe examples as programs and checks what they print.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runProgram } from "./helpers.ts";

test("examples/producer_consumer.ts (seed 9): every item consumed in order, then the pill", async () => {
  const r = await runProgram("examples/producer_consumer.ts");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.deepEqual(
    lines.filter((l) => l.startsWith("consumed")),
    ["A", "B", "C", "D"].map((x) => `consumed ${x}`),
  );
  assert.deepEqual(
    lines.filter((l) => l.startsWith("produced")),
    ["A", "B", "C", "D"].map((x) => `produced ${x}`),
  );
  assert.equal(lines.at(-2), "consumer got the pill");
  assert.equal(lines.at(-1), "done: producer exit 0, consumer exit 0");
});

test("examples/pipe_conversation.ts (seed 13): questions and answers both ways, then EOF", async () => {
  const r = await runProgram("examples/pipe_conversation.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    [
      "parent got: hello from the child",
      "parent got: child answers: HOW ARE YOU?",
      "parent got: child answers: WHAT IS 6 * 7?",
      "parent got: bye",
      "then: EOFError (the child closed its end)",
      "",
    ].join("\n"),
  );
});
