// Runs the shared memory and lock examples as programs and checks what they print.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runProgram } from "./helpers.ts";

test("examples/lock_counter.ts (seed 11): 15 increments under a Lock, printed in order", async () => {
  const r = await runProgram("examples/lock_counter.ts");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 16);
  const values = lines.slice(0, 15).map((l) => Number(l.match(/^Process-[123]: counter = (\d+)$/)?.[1]));
  assert.deepEqual(values, Array.from({ length: 15 }, (_, i) => i + 1), r.stdout);
  assert.equal(lines[15], "final counter: 15");
});

test("examples/value_array.ts (seed 10)", async () => {
  const r = await runProgram("examples/value_array.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "1000\n[2, 4, 6]\n");
});

test("examples/value_array_negate.ts (seed 10, second program)", async () => {
  const r = await runProgram("examples/value_array_negate.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "3.1415927\n[0, -1, -2, -3, -4, -5, -6, -7, -8, -9]\n");
});

test("examples/lock_print.ts (seed 12): ten whole lines", async () => {
  const r = await runProgram("examples/lock_print.ts");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").sort();
  assert.deepEqual(lines, Array.from({ length: 10 }, (_, i) => `hello world ${i}`).sort());
});

test("examples/shared_memory.ts: a block filled by a child, a ShareableList edited by another", async () => {
  const r = await runProgram("examples/shared_memory.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    'squares: 0 1 4 9 16 25 36 49\nlist: ["HOWDY",42,true,null] format: 8sd?x\n',
  );
});
