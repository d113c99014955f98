// Runs the Manager example as a program and checks what it prints.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runProgram } from "./helpers.ts";

test("examples/manager.ts (seed 14): typed keys in a managed dict, a list reversed by a child", async () => {
  const r = await runProgram("examples/manager.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Map(3) { 1 => "1", "2" => 2, 0.25 => null }\n[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]\n');
});
