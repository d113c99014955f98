// Runs the pool examples as programs and checks what they print.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runProgram } from "./helpers.ts";

test("examples/pool_map.ts (seed 6): squares on 3 workers in about 2 rounds, not 5", async () => {
  const r = await runProgram("examples/pool_map.ts");
  assert.equal(r.code, 0, r.stderr);
  const [results, timing] = r.stdout.trim().split("\n");
  assert.equal(results, "[ 1, 4, 9, 16, 25 ]");
  const ms = Number(timing.match(/took (\d+) ms/)?.[1]);
  assert.ok(ms >= 600 && ms < 1500, timing);
});

test("examples/pool_map_async.ts (seed 7): cubes while the main program works", async () => {
  const r = await runProgram("examples/pool_map_async.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "main program does other work meanwhile...\n[ 1, 8, 27 ]\n");
});

test("examples/pool_errors.ts (seed 8): safe_divide, then the error crossing back with its class", async () => {
  const r = await runProgram("examples/pool_errors.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    '[ 10, "Error: division by zero", 20 ]\ncaught RangeError: division by zero (cause: RemoteError)\n',
  );
});

test("examples/pool_imap_progress.ts: progress lines in order, then the count", async () => {
  const r = await runProgram("examples/pool_imap_progress.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    "progress: 50000/200000 (25%)\nprogress: 100000/200000 (50%)\nprogress: 150000/200000 (75%)\n" +
      "progress: 200000/200000 (100%)\n17984 primes below 200000\n",
  );
});

test("examples/executor.ts: submit and an ordered map", async () => {
  const r = await runProgram("examples/executor.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "words: [ 4, 2, 3 ]\npowers: [ 1024, 27, 16 ]\n");
});
