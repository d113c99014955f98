import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import { barrierOnce, barrierPasses, eventWaiter } from "./fixtures/sync_targets.ts";
import { readReport, reportBuffer } from "./fixtures/report.ts";
import { eventually, joinWithin } from "./helpers.ts";
import { start } from "./shared_helpers.ts";

test("Event: set, clear, isSet, wait with a timeout", async () => {
  const e = new mp.Event();
  assert.equal(e.isSet(), false);
  assert.equal(await e.wait(20), false);
  assert.equal(e.waitSync(0), false);
  e.set();
  assert.equal(e.isSet(), true);
  assert.equal(await e.wait(), true);
  assert.equal(e.waitSync(), true);
  assert.equal(String(e), "<Event(set)>");
  e.clear();
  assert.equal(e.isSet(), false);
  const later = e.wait(5000);
  setTimeout(() => e.set(), 10);
  assert.equal(await later, true);
});

test("Event: one set() wakes every waiter, sync and async, in several processes", async () => {
  const e = new mp.Event();
  const out = new Int32Array(new SharedArrayBuffer(4));
  const ps = [true, false, true, false].map((useSync) => start(eventWaiter, [e, out, useSync, 20_000]));
  const mine = e.wait(20_000);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(out[0], 0);
  e.set();
  assert.equal(await mine, true);
  for (const p of ps) await joinWithin(p);
  assert.equal(out[0], 4);
});

test("Barrier: distinct indices 0..parties-1 at each of 1000 passes (sync and async parties)", async () => {
  const parties = 3, passes = 1000;
  const b = new mp.Barrier(parties);
  assert.equal(b.parties, parties);
  const indices = new Int32Array(new SharedArrayBuffer(4 * parties * passes));
  const ps = [0, 1].map((party) => start(barrierPasses, [b, passes, indices, party, party === 0]));
  await barrierPasses(b, passes, indices, 2, false); // the parent is the third party
  for (const p of ps) await joinWithin(p, 30_000);
  for (let p = 0; p < passes; p++) {
    const row = [...indices.subarray(p * parties, (p + 1) * parties)].sort();
    assert.deepEqual(row, [1, 2, 3], `pass ${p}: each index handed to exactly one party`);
  }
  assert.equal(b.broken, false);
  assert.equal(b.nWaiting, 0);
});

test("Barrier: a timeout breaks it for every party; reset() makes it usable again", async () => {
  const b = new mp.Barrier(3, { timeout: 300 });
  const buf = reportBuffer();
  const p = start(barrierOnce, [b, buf, 20_000]); // waits long, but the parent's timeout breaks it
  await eventually(() => b.nWaiting === 1, 10_000, "child waiting");
  await assert.rejects(b.wait(), mp.BrokenBarrierError); // default timeout: 300 ms
  await joinWithin(p);
  assert.deepEqual(readReport(buf), { error: "BrokenBarrierError" });
  assert.equal(b.broken, true);
  assert.throws(
    () => b.waitSync(10),
    (e: Error) => e instanceof mp.BrokenBarrierError && /reset\(\)/.test(e.message),
  );
  b.reset();
  assert.equal(b.broken, false);
  const two = new mp.Barrier(2);
  const q = start(barrierOnce, [two, buf, 10_000]);
  const i = await two.wait(10_000);
  await joinWithin(q);
  assert.deepEqual([i, (readReport(buf) as { index: number }).index].sort(), [0, 1]);
});

test("Barrier: abort() and reset() break waiting parties in other processes", async () => {
  for (const how of ["abort", "reset"] as const) {
    const b = new mp.Barrier(3);
    const bufs = [reportBuffer(), reportBuffer()];
    const ps = bufs.map((buf) => start(barrierOnce, [b, buf, 20_000]));
    await eventually(() => b.nWaiting === 2, 10_000, "two waiting");
    b[how]();
    for (const p of ps) await joinWithin(p);
    for (const buf of bufs) assert.deepEqual(readReport(buf), { error: "BrokenBarrierError" }, how);
    assert.equal(b.broken, how === "abort");
    assert.equal(b.nWaiting, 0);
  }
  assert.throws(() => new mp.Barrier(0), /parties must be an integer >= 1/);
  assert.equal(String(new mp.Barrier(2)), "<Barrier(waiters=0/2)>");
});
