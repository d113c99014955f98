// Python pickles functions and classes by reference: exported functions and
// well-known built-ins travel inside any value, and errors keep their exported class.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as mp from "../mod.ts";
import { callInside, divide, mul, pipeJob, runJob, throwHidden } from "./fixtures/by_ref_tasks.ts";
import { ZeroDivisionError } from "./fixtures/by_ref_errors.ts";
import { joinWithin, killAll } from "./helpers.ts";

test("a function inside a queue item arrives as that function, and comes back as the same one", async () => {
  const jobs = new mp.Queue<unknown>(), results = new mp.Queue<unknown>();
  const p = new mp.Process({ target: runJob, args: [jobs, results] });
  await p.start();
  try {
    await jobs.put([mul, [3, 4]]);
    assert.equal(await results.get(10_000), 12);
    assert.equal(await results.get(10_000), mul);
  } finally {
    await joinWithin(p).catch(killAll);
  }
});

test("functions inside process arguments and pipe messages, built-ins included", async () => {
  const results = new mp.Queue<unknown>();
  const p = new mp.Process({ target: callInside, args: [{ f: Math.max, args: [3, 9, 4] }, results] });
  await p.start();
  assert.equal(await results.get(10_000), 9);
  await joinWithin(p);
  const [here, there] = mp.Pipe();
  const q = new mp.Process({ target: pipeJob, args: [there] });
  await q.start();
  await here.send([mul, [6, 7]]);
  assert.equal(await here.recv(), 42);
  await joinWithin(q);
  here.close();
});

test("pool.map takes well-known built-ins: Math.sqrt, String, JSON.stringify", async () => {
  await using pool = new mp.Pool(2);
  assert.deepEqual(await pool.map(Math.sqrt, [1, 4, 9]), [1, 2, 3]);
  assert.deepEqual(await pool.map(String, [1, true]), ["1", "true"]);
  assert.deepEqual(await pool.map(JSON.stringify, [{ a: 1 }]), ['{"a":1}']);
  assert.deepEqual(await pool.starmap(Math.max, [[1, 5], [7, 2]]), [5, 7]);
});

test("a function that cannot be found still fails, naming the part at fault", () => {
  const q = new mp.Queue<unknown>();
  assert.throws(
    () => q.putSync([1, { cb: (x: number) => x }]),
    (e: Error) =>
      e instanceof mp.ProcessError &&
      /Cannot send item\[1\]\.cb \(function cb\) to the queue/.test(e.message) &&
      /export it/.test(e.message),
  );
  assert.equal(q.empty(), true);
});

test("an error of an exported class comes back as that class; others keep their name", async () => {
  await using pool = new mp.Pool(1);
  const e = await pool.apply(divide, [1, 0]).then(() => null, (e) => e);
  assert.ok(e instanceof ZeroDivisionError, `got ${e?.constructor?.name}: ${e}`);
  assert.ok(e instanceof RangeError);
  assert.equal(e.message, "division of 1 by zero");
  assert.equal(e.dividend, 1);
  assert.ok(e.cause instanceof mp.RemoteError);
  assert.match(e.cause.remoteStack, /by_ref_tasks/);
  const h = await pool.apply(throwHidden, []).then(() => null, (e) => e);
  assert.equal(h.name, "NotExported");
  assert.equal(h.constructor, Error);
  assert.equal(h.message, "from a class no module exports");
});
