import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import {
  createShm,
  editList,
  editListByName,
  readShm,
  readShmInGrandchild,
  writeShm,
  writeShmHandle,
} from "./fixtures/shared_targets.ts";
import { readReport, reportBuffer } from "./fixtures/report.ts";
import { isDeno } from "./helpers.ts";
import { runToEnd as run } from "./shared_helpers.ts";

const nestedBound = isDeno ? 20_000 : 10_000; // Deno starts a Worker inside a Worker in ~1 s

function code(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

test("create: zero-filled, a fresh unique name, the size asked for; attach by name sees the same bytes", () => {
  const a = new mp.SharedMemory({ create: true, size: 10 });
  const b = new mp.SharedMemory({ create: true, size: 100_000 });
  assert.match(a.name, /^psm_[0-9a-f]{16}$/);
  assert.notEqual(a.name, b.name);
  assert.equal(a.size, 10);
  assert.equal(a.buf.length, 10);
  assert.deepEqual([...a.buf], new Array(10).fill(0));
  a.buf.set([1, 2, 3]);
  const again = new mp.SharedMemory({ name: a.name });
  const byString = new mp.SharedMemory(a.name);
  assert.deepEqual([...again.buf.subarray(0, 3)], [1, 2, 3]);
  assert.equal(again.size, 10);
  byString.buf[9] = 9;
  assert.equal(a.buf[9], 9);
  assert.equal(String(a), `SharedMemory("${a.name}", size=10)`);
  for (const s of [again, byString, a, b]) s.close();
  a.unlink();
  b.unlink();
});

test("Python's errors: missing name (ENOENT), duplicate name (EEXIST), bad sizes, bad names", () => {
  assert.throws(
    () => new mp.SharedMemory({ name: "no_such_block" }),
    (e: Error) => code(e) === "ENOENT" && /No shared memory block named "no_such_block"/.test(e.message),
  );
  const shm = new mp.SharedMemory({ name: "dup_test", create: true, size: 8 });
  assert.throws(
    () => new mp.SharedMemory({ name: "dup_test", create: true, size: 8 }),
    (e: Error) => code(e) === "EEXIST" && /"dup_test" already exists/.test(e.message),
  );
  assert.throws(() => new mp.SharedMemory({ create: true, size: 0 }), RangeError);
  assert.throws(() => new mp.SharedMemory({ create: true }), /different from zero/);
  assert.throws(() => new mp.SharedMemory({ create: true, size: -1 }), /size must be a positive integer/);
  assert.throws(() => new mp.SharedMemory({ create: true, size: 1.5 }), RangeError);
  assert.throws(() => new mp.SharedMemory({}), /name can only be left out with create: true/);
  assert.throws(() => new mp.SharedMemory({ name: "x".repeat(300), create: true, size: 1 }), /limit is 224/);
  assert.throws(() => new mp.SharedMemory({ name: "", create: true, size: 1 }), TypeError);
  shm.close();
  shm.unlink();
});

test("close and unlink: closed buf throws; unlinked names are gone; memory is reused", () => {
  const shm = new mp.SharedMemory({ name: "cycle", create: true, size: 4096 });
  const other = new mp.SharedMemory({ name: "cycle" });
  shm.close();
  shm.close(); // twice is fine
  assert.throws(() => shm.buf, /SharedMemory "cycle" is closed/);
  other.buf[0] = 5; // still open through the other handle
  shm.unlink();
  assert.throws(() => new mp.SharedMemory({ name: "cycle" }), (e) => code(e) === "ENOENT");
  assert.throws(() => shm.unlink(), (e) => code(e) === "ENOENT");
  assert.equal(other.buf[0], 5); // unlinked, not freed while a handle is open
  other.close();
  // Freed blocks are reused: creating and freeing many does not grow the arena for ever.
  for (let i = 0; i < 200; i++) {
    using s = new mp.SharedMemory({ name: "cycle", create: true, size: 4096 });
    assert.equal(s.buf[0], 0, "a reused block is zero-filled");
    s.buf[0] = 1;
    s.unlink();
  }
  {
    using s = new mp.SharedMemory({ name: "cycle", create: true, size: 1 });
    s.unlink();
  }
});

test("a child attaches by name and writes; the parent sees it", async () => {
  using shm = new mp.SharedMemory({ create: true, size: 16 });
  await run(writeShm, [shm.name, [7, 8, 9]]);
  assert.deepEqual([...shm.buf.subarray(0, 4)], [7, 8, 9, 0]);
  shm.unlink();
});

test("a SharedMemory passed in args stays shared and survives the creator closing its handle", async () => {
  const shm = new mp.SharedMemory({ create: true, size: 8 });
  await run(writeShmHandle, [shm, 3, 33]);
  assert.equal(shm.buf[3], 33);
  shm.close();
  shm.unlink();
});

test("a block created by a child is attachable by a sibling and a grandchild, by name", async () => {
  const name = "from_child";
  await run(createShm, [name, 64, 6]);
  const sibling = reportBuffer();
  await run(readShm, [name, sibling]);
  assert.deepEqual(readReport(sibling), { size: 64, bytes: [6, 6, 6, 6] });
  const grandchild = reportBuffer();
  await run(readShmInGrandchild, [name, grandchild], nestedBound);
  assert.deepEqual(readReport(grandchild), { size: 64, bytes: [6, 6, 6, 6] });
  using mine = new mp.SharedMemory({ name });
  assert.equal(mine.buf[63], 6);
  mine.unlink();
  const gone = reportBuffer();
  await run(readShm, [name, gone]);
  assert.equal((readReport(gone) as { code: string }).code, "ENOENT");
});

test("large blocks: 32 MiB, grown on demand and written by a child", async () => {
  using shm = new mp.SharedMemory({ create: true, size: 32 * 1024 * 1024 });
  await run(writeShmHandle, [shm, shm.size - 1, 77]);
  assert.equal(shm.buf[shm.size - 1], 77);
  shm.unlink();
});

test("ShareableList: items, format, index access, count/index, size limits", () => {
  const sl = new mp.ShareableList(["howdy", 2, 3.5, true, null, -7n, new Uint8Array([1, 2])]);
  assert.equal(sl.length, 7);
  assert.deepEqual([...sl], ["howdy", 2, 3.5, true, null, -7n, new Uint8Array([1, 2])]);
  assert.equal(sl.format, "8sdd?xq8y");
  assert.equal(sl[0], "howdy");
  assert.equal(sl[-1] instanceof Uint8Array, true);
  sl[0] = "héllo!!"; // 8 UTF-8 bytes: fits the 8-byte slot
  assert.equal(sl[0], "héllo!!");
  assert.throws(() => (sl[0] = "this is too long"), /needs 16 bytes, more than the 8 of slot 0/);
  sl[1] = "abc"; // a number slot holds 8 bytes: a short string fits, like Python
  assert.equal(sl.get(1), "abc");
  assert.equal(sl.count(null), 1);
  assert.equal(sl.index(true), 3);
  assert.throws(() => sl.index("nope"), RangeError);
  assert.throws(() => sl[7], RangeError);
  assert.throws(() => (sl[2] = {} as never), TypeError);
  assert.throws(() => (sl[2] = 2n ** 64n), /does not fit in 64 bits/);
  const attached = new mp.ShareableList(null, { name: sl.shm.name });
  assert.deepEqual([...attached].slice(0, 3), ["héllo!!", "abc", 3.5]);
  attached.shm.close();
  const empty = new mp.ShareableList();
  assert.equal(empty.length, 0);
  empty.shm.close();
  empty.shm.unlink();
  sl.shm.close();
  sl.shm.unlink();
});

test("ShareableList in a child: passed in args, and attached by name", async () => {
  const sl = new mp.ShareableList(["howdy", 1, 3.5, true, null], { name: "sl_test" });
  await run(editList, [sl]);
  assert.deepEqual([...sl], ["HOWDY", 2n ** 40n, false, true, null]);
  await run(editListByName, ["sl_test"]);
  assert.equal(sl[3], 99.5);
  sl.shm.close();
  sl.shm.unlink();
});

test("SharedMemoryManager makes blocks and lists, and frees them all on shutdown", async () => {
  const smm = new mp.SharedMemoryManager();
  assert.throws(() => smm.SharedMemory(8), /not started: call await smm.start\(\) first/);
  await smm.start();
  const shm = smm.SharedMemory(64);
  const sl = smm.ShareableList([1, "two", null]);
  assert.equal(shm.size, 64);
  assert.deepEqual([...sl], [1, "two", null]);
  const names = smm.names;
  assert.equal(names.length, 2);
  const other = new mp.SharedMemory(names[0]); // attachable while the manager runs
  other.close();
  await smm.shutdown();
  assert.deepEqual(smm.names, []);
  for (const name of names) {
    assert.throws(() => new mp.SharedMemory(name), /no shared memory block|not found|ENOENT/i);
  }
  assert.throws(() => smm.ShareableList([1]), /was shut down/);
  {
    await using scoped = await new mp.SharedMemoryManager().start();
    scoped.SharedMemory(8);
    assert.equal(String(scoped), "<SharedMemoryManager started blocks=1>");
  }
});
