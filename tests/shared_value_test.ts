import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import {
  doubleArray,
  incrementValue,
  lockIdentity,
  negateAll,
  writeEverything,
} from "./fixtures/shared_targets.ts";
import { readReport, reportBuffer } from "./fixtures/report.ts";
import { joinWithin } from "./helpers.ts";
import { runToEnd as run } from "./shared_helpers.ts";

const ALL = ["b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d", "c"] as const;

test("every typecode: Value starts at 0, stores its type, Array is zero-filled", () => {
  for (const tc of ALL) {
    const big = "lLqQ".includes(tc);
    const v = new mp.Value(tc);
    assert.equal(v.value, big ? 0n : 0, tc);
    assert.equal(v.typecode, tc);
    v.value = (big ? 5n : 5) as never;
    assert.equal(v.value, big ? 5n : 5, tc);
    const a = new mp.Array(tc, 3);
    assert.deepEqual(a.slice(), big ? [0n, 0n, 0n] : [0, 0, 0], tc);
    assert.equal(a.getObj().buffer instanceof SharedArrayBuffer, true);
  }
  assert.equal(new mp.Value("b", 200).value, -56); // wraps like a C char
  assert.equal(new mp.Value("f", 0.1).value, Math.fround(0.1));
  assert.equal(new mp.Value("Q", -1).value, 2n ** 64n - 1n);
  assert.equal(new mp.Value("c", "A").value, 65);
  assert.deepEqual(new mp.Array("c", "hi").slice(), [104, 105]);
});

test("a bad typecode is a TypeError naming it; bad values and sizes are clear errors", () => {
  for (
    const make of [
      () => new mp.Value("x" as never),
      () => new mp.Array("z" as never, 3),
      () => mp.RawValue("int" as never),
      () => mp.RawArray(4 as never, 3),
    ]
  ) {
    assert.throws(make, (e: Error) => e instanceof TypeError && /bad typecode/.test(e.message));
  }
  assert.throws(
    () => new mp.Value("q", 1.5),
    /typecode "q" holds 64-bit integers \(bigint\), got number 1.5/,
  );
  assert.throws(() => new mp.Value("i", 1n as never), /typecode "i" holds numbers, got the bigint 1n/);
  // An integer typecode takes no fraction, as Python's (TypeError, where a typed array would truncate).
  const n = new mp.Value("i", 7);
  assert.throws(() => (n.value = 7.5), /Value\.value: typecode "i" holds integers, got number 7\.5/);
  assert.equal(n.value, 7, "nothing stored");
  assert.throws(() => new mp.Array("B", [1, 2.5]), /item 1: typecode "B" holds integers/);
  assert.throws(() => new mp.Array("i", -1), RangeError);
  assert.throws(() => new mp.Array("i", [1, "x" as never]), /item 1: typecode "i" holds numbers/);
  assert.throws(
    () => new mp.Value("i", 0, { lock: "yes" as never }),
    /lock must be true, false, a Lock or an RLock/,
  );
});

test("Array: a[i], negative indices, iteration, slice, RangeError out of range", () => {
  const a = new mp.Array("i", [1, 2, 3, 4]);
  assert.equal(a.length, 4);
  assert.equal(a[0], 1);
  a[1] = 20;
  a.set(-1, 40);
  assert.equal(a.get(-1), 40);
  assert.equal(a[-2], 3);
  assert.deepEqual([...a], [1, 20, 3, 40]);
  assert.deepEqual(a.slice(1, 3), [20, 3]);
  assert.deepEqual(a.slice(), [1, 20, 3, 40]);
  assert.equal(1 in a, true);
  assert.equal(4 in a, false);
  assert.deepEqual(Object.keys(a).slice(0, 4), ["0", "1", "2", "3"]);
  assert.throws(() => a[4], /index 4 is out of range for a length of 4/);
  assert.throws(() => a.set(-5, 1), RangeError);
  assert.equal(a instanceof mp.SharedArray, true);
  assert.equal(mp.Array, mp.SharedArray);
  assert.equal(String(a), "<Array(i, [1, 20, 3, 40])>");
  assert.equal(a.getObj() instanceof Int32Array, true);
});

test("locks: default RLock, lock false has none, a given lock is used", () => {
  const v = new mp.Value("i", 1);
  assert.equal(v.getLock() instanceof mp.RLock, true);
  {
    using _ = v.lockSync();
    v.value += 1; // re-entering the RLock from the same process
    assert.equal(v.getLock().locked(), true);
  }
  assert.equal(v.getLock().locked(), false);
  assert.equal(v.value, 2);
  const raw = new mp.Value("i", 1, { lock: false });
  assert.throws(() => raw.getLock(), /created with \{ lock: false \} and has no lock/);
  assert.throws(() => raw.acquireSync(), mp.ProcessError);
  raw.value = 3;
  assert.equal(raw.value, 3);
  const lock = new mp.Lock();
  const a = new mp.Array("d", 2, { lock });
  assert.equal(a.getLock(), lock);
  assert.equal(a.acquireSync(), true);
  assert.equal(lock.locked(), true);
  a.release();
  assert.equal(lock.locked(), false);
  const obj = v.getObj();
  obj.value = 9;
  assert.equal(v.value, 9);
});

test("RawValue and RawArray: plain shared memory", () => {
  const v = mp.RawValue("d", 1.5);
  v.value *= 2;
  assert.equal(v.value, 3);
  assert.equal(v.typecode, "d");
  const a = mp.RawArray("h", [1, 2, 3]);
  assert.equal(a instanceof Int16Array, true);
  assert.equal(a.buffer instanceof SharedArrayBuffer, true);
  assert.deepEqual([...mp.RawArray("L", 2)], [0n, 0n]);
});

test("seed 10: a child increments a Value 1000 times, another doubles an Array", async () => {
  const num = new mp.Value("i", 0);
  const arr = new mp.Array("d", [1.0, 2.0, 3.0]);
  await run(incrementValue, [num, 1000]);
  await run(doubleArray, [arr]);
  assert.equal(num.value, 1000);
  assert.deepEqual(arr.slice(), [2, 4, 6]);
});

test("seed 10 (second program): a child sets a Value and negates an Array", async () => {
  const num = new mp.Value("d", 0.0);
  const arr = new mp.Array("i", Array.from({ length: 10 }, (_, i) => i));
  await run(negateAll, [arr, num]);
  assert.equal(num.value, 3.1415927);
  assert.deepEqual(arr.slice(), [0, -1, -2, -3, -4, -5, -6, -7, -8, -9]);
});

test("every kind travels by reference: bigint values, raw values, raw arrays, unlocked values", async () => {
  const big = new mp.Value("q", 0n);
  const raw = mp.RawValue("d");
  const rawArr = mp.RawArray("d", 3);
  const unlocked = new mp.Value("i", 0, { lock: false });
  const shared = new mp.Array("Q", 1);
  await run(writeEverything, [big, raw, rawArr, unlocked, shared]);
  assert.equal(big.value, -(2n ** 62n));
  assert.equal(raw.value, 2.5);
  assert.equal(rawArr[1], 42);
  assert.equal(unlocked.value, 7);
  assert.equal(shared[0], 2n ** 64n - 1n);
});

test("a Value made with a given Lock keeps that lock in the child", async () => {
  const lock = new mp.Lock();
  const v = new mp.Value("i", 0, { lock });
  const buf = reportBuffer();
  await run(lockIdentity, [v, lock, buf]);
  assert.deepEqual(readReport(buf), { heldThroughValue: true, sameObject: true, type: "Lock" });
});

test("N processes increment a synchronized Value under its lock: exactly N*M", async () => {
  const v = new mp.Value("i", 0);
  const ps = [0, 1, 2].map(() => new mp.Process({ target: incrementValue, args: [v, 2000] }));
  for (const p of ps) await p.start();
  for (const p of ps) await joinWithin(p);
  assert.equal(v.value, 6000);
});
