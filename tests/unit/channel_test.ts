// Unit tests of src/channel/ on one thread: the ring channel (_channel.ts) and the
// holder tables of pipes (_holders.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Channel, DEFAULT_CAPACITY, EMPTY, EOF, EXTRA_WORDS_AT } from "../../src/channel/_channel.ts";
import { addHolder, hasHolder, HOLDER_WORDS, removeHolder } from "../../src/channel/_holders.ts";
import { runAsync, runSync } from "../../src/sync/_steps.ts";
import { deserialize, serialize } from "../../src/internal/_serializer.ts";
import { thisProcess, tree } from "../../src/process/_state.ts";
import { allocatePid, markPidDead } from "../../src/process/_tree.ts";

const now = () => performance.now();

/** Bytes `0, 1, ...` shifted by `seed`, so that each item is told apart. */
function bytesOf(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i + seed * 7) & 0xff;
  return b;
}

function put(ch: Channel, bytes: Uint8Array, tag = 8, timeout = 0) {
  return runSync(ch.write({ tag, bytes }, { deadline: now() + timeout }));
}

type Got = { tag: number; bytes: Uint8Array } | typeof EMPTY | typeof EOF;

function take(ch: Channel, timeout = 0, peerGone?: () => boolean): Got {
  return runSync(
    ch.read({ deadline: now() + timeout, peerGone }, (tag, bytes) => ({ tag, bytes: bytes.slice() })),
  );
}

function takeItem(ch: Channel): { tag: number; bytes: Uint8Array } {
  const got = take(ch);
  assert.ok(typeof got === "object", "an item was there");
  return got;
}

test("channel: capacity is rounded up to a power of two, 4 KiB at least; header words for layers above", () => {
  assert.equal(Channel.create({ capacity: 1 }).capacity, 4096);
  assert.equal(Channel.create({ capacity: 4097 }).capacity, 8192);
  assert.equal(Channel.create({ capacity: 65536 }).capacity, 65536);
  const ch = Channel.create();
  assert.equal(ch.capacity, DEFAULT_CAPACITY);
  assert.equal(ch.maxsize, 0);
  assert.equal(ch.size(), 0);
  assert.equal(ch.buffer.byteLength, 256 + DEFAULT_CAPACITY);
  const extraWords = 256 / 4 - EXTRA_WORDS_AT; // the header's words a layer above may use
  assert.ok(extraWords >= 2 * HOLDER_WORDS, "room for a pipe's two holder tables");
});

test("channel: FIFO of items of many sizes, tags kept, also through a second view of the buffer", () => {
  const ch = Channel.create({ capacity: 1 << 16 });
  const sizes = [0, 1, 15, 16, 17, 100, 4096, 5000];
  sizes.forEach((n, i) => assert.equal(put(ch, bytesOf(n, i), i), "ok"));
  assert.equal(ch.size(), sizes.length);
  const other = new Channel(ch.buffer);
  assert.equal(other.capacity, ch.capacity);
  sizes.forEach((n, i) => {
    const got = takeItem(i % 2 ? other : ch);
    assert.equal(got.tag, i);
    assert.deepEqual(got.bytes, bytesOf(n, i));
  });
  assert.equal(take(ch), EMPTY);
  assert.equal(ch.size(), 0);
});

test("channel: the ring wraps around many times with items of many sizes, refusing none that fits", () => {
  const ch = Channel.create({ capacity: 4096 });
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const pending: Uint8Array[] = [];
  let written = 0, read = 0;
  while (written < 2000) {
    const item = bytesOf(rand() % 1500, written);
    if (put(ch, item) === "ok") {
      pending.push(item);
      written++;
    } else {
      assert.ok(pending.length > 0, "a refused item had a non-empty ring");
    }
    // Drain sometimes, so that head and tail wrap at every offset.
    if (rand() % 3 === 0 || pending.length > 4) {
      while (pending.length > rand() % 2) {
        assert.deepEqual(takeItem(ch).bytes, pending.shift());
        read++;
      }
    }
  }
  for (const item of pending) assert.deepEqual(takeItem(ch).bytes, item);
  assert.equal(take(ch), EMPTY);
  assert.ok(read > 1000);
});

test("channel: a full ring refuses a write at its deadline, after waiting for it", () => {
  const ch = Channel.create({ capacity: 4096 });
  assert.equal(put(ch, bytesOf(4000, 1)), "ok", "the largest item that fits whole");
  const t0 = now();
  assert.equal(put(ch, bytesOf(100, 2), 8, 40), "full");
  assert.ok(now() - t0 >= 35, "waited for the deadline");
  assert.equal(ch.size(), 1, "the refused item is not counted");
  assert.deepEqual(takeItem(ch).bytes, bytesOf(4000, 1));
  assert.equal(put(ch, bytesOf(100, 3)), "ok");
  assert.deepEqual(takeItem(ch).bytes, bytesOf(100, 3));
});

test("channel: an item larger than the ring travels in chunks while the reader drains them", async () => {
  const ch = Channel.create({ capacity: 4096 });
  const big = bytesOf(100_000, 5);
  const deadline = now() + 10_000;
  const writing = runAsync(ch.write({ tag: 8, bytes: big }, { deadline }));
  const reading = runAsync(ch.read({ deadline }, (tag, bytes) => ({ tag, bytes: bytes.slice() })));
  assert.equal(await writing, "ok");
  const got = await reading;
  assert.ok(typeof got === "object");
  assert.equal(got.bytes.length, big.length);
  assert.deepEqual(got.bytes, big);
  assert.equal(ch.size(), 0);
});

test("channel: a chunked write that times out is aborted; the reader skips it and reads the next item", () => {
  const ch = Channel.create({ capacity: 4096 });
  assert.equal(put(ch, bytesOf(10_000, 1), 8, 20), "full", "no reader drained it");
  assert.equal(ch.size(), 1, "counted until a reader passes the ABORT");
  assert.equal(put(ch, bytesOf(10, 2), 7, 0), "full", "the aborted frames fill the ring");
  // The reader sees the ABORT, skips the partial item, then finds nothing.
  assert.equal(take(ch), EMPTY);
  assert.equal(put(ch, bytesOf(10, 3), 7), "ok");
  const got = takeItem(ch);
  assert.equal(got.tag, 7);
  assert.deepEqual(got.bytes, bytesOf(10, 3));
});

test("channel: maxsize limits the number of items; a read makes room", () => {
  const ch = Channel.create({ capacity: 4096, maxsize: 2 });
  assert.equal(ch.maxsize, 2);
  assert.equal(put(ch, bytesOf(1, 1)), "ok");
  assert.equal(put(ch, bytesOf(1, 2)), "ok");
  const t0 = now();
  assert.equal(put(ch, bytesOf(1, 3), 8, 30), "full");
  assert.ok(now() - t0 >= 25);
  assert.equal(ch.size(), 2);
  takeItem(ch);
  assert.equal(put(ch, bytesOf(1, 3)), "ok");
  assert.deepEqual([takeItem(ch).bytes[0], takeItem(ch).bytes[0]], [bytesOf(1, 2)[0], bytesOf(1, 3)[0]]);
});

test("channel: a writer waiting for room is woken by a read", async () => {
  const ch = Channel.create({ capacity: 4096, maxsize: 1 });
  assert.equal(put(ch, bytesOf(3, 1)), "ok");
  const t0 = now();
  const waiting = runAsync(ch.write({ tag: 8, bytes: bytesOf(3, 2) }, { deadline: now() + 10_000 }));
  await new Promise((r) => setTimeout(r, 20));
  takeItem(ch);
  assert.equal(await waiting, "ok");
  assert.ok(now() - t0 < 5_000);
  assert.deepEqual(takeItem(ch).bytes, bytesOf(3, 2));
});

test("channel: a scratch payload that must wait is copied, so the next serialize cannot change it", async () => {
  const ch = Channel.create({ capacity: 4096, maxsize: 1 });
  assert.equal(put(ch, bytesOf(1, 0)), "ok");
  const p = serialize("first item", "t");
  assert.equal(p.scratch, true);
  const waiting = runAsync(ch.write(p, { deadline: now() + 10_000 }));
  serialize("OVERWRITTEN", "t");
  takeItem(ch);
  assert.equal(await waiting, "ok");
  assert.equal(runSync(ch.read({ deadline: now() }, deserialize)), "first item");
});

test("channel: empty reads time out; a gone peer gives EOF after the items left, and breaks writes", () => {
  const ch = Channel.create({ capacity: 4096 });
  const t0 = now();
  assert.equal(take(ch, 30), EMPTY);
  assert.ok(now() - t0 >= 25);
  assert.equal(put(ch, bytesOf(5, 1)), "ok");
  const gone = () => true;
  assert.deepEqual((take(ch, 0, gone) as { bytes: Uint8Array }).bytes, bytesOf(5, 1), "the item left first");
  assert.equal(take(ch, 10_000, gone), EOF, "then EOF, at once");
  assert.equal(
    runSync(ch.write({ tag: 8, bytes: bytesOf(1, 1) }, { deadline: now() + 10_000, peerGone: gone })),
    "broken",
  );
  assert.equal(ch.size(), 0, "a broken write is not counted");
});

test("channel: ready() and watchTail() see a write", async () => {
  const ch = Channel.create({ capacity: 4096 });
  assert.equal(runSync(ch.ready({ deadline: now() })), false);
  assert.equal(
    runSync(ch.ready({ deadline: now(), peerGone: () => true })),
    true,
    "a gone peer is ready (EOF)",
  );
  const tail = ch.tail();
  const t0 = now();
  const watching = ch.watchTail(tail, 10_000);
  setTimeout(() => put(ch, bytesOf(1, 1)), 10);
  await watching;
  assert.ok(now() - t0 < 5_000, "woken by the write, not the timeout");
  assert.notEqual(ch.tail(), tail);
  assert.equal(runSync(ch.ready({ deadline: now() })), true);
  const t1 = now();
  await ch.watchTail(ch.tail(), 20);
  assert.ok(now() - t1 >= 15, "nothing written: the timeout");
});

test("channel: joinable channels count unfinished tasks until taskDone; allDone waits for them", async () => {
  const ch = Channel.create({ capacity: 4096, joinable: true });
  assert.equal(ch.unfinished(), 0);
  put(ch, bytesOf(1, 1));
  put(ch, bytesOf(1, 2));
  assert.equal(ch.unfinished(), 2);
  takeItem(ch);
  assert.equal(ch.unfinished(), 2, "taking an item does not finish it");
  assert.equal(runSync(ch.allDone(now() + 20)), false);
  assert.equal(ch.taskDone(), true);
  const all = runAsync(ch.allDone(now() + 10_000));
  setTimeout(() => ch.taskDone(), 10);
  assert.equal(await all, true);
  assert.equal(ch.unfinished(), 0);
  assert.equal(ch.taskDone(), false, "no unfinished task: refused, nothing changes");
  assert.equal(ch.unfinished(), 0);
  const plain = Channel.create({ capacity: 4096 });
  put(plain, bytesOf(1, 1));
  assert.equal(plain.unfinished(), 0, "a plain channel counts no tasks");
});

test("channel: a refused write of a joinable channel does not count a task", () => {
  const ch = Channel.create({ capacity: 4096, maxsize: 1, joinable: true });
  put(ch, bytesOf(1, 1));
  assert.equal(put(ch, bytesOf(1, 2)), "full");
  assert.equal(ch.unfinished(), 1);
  assert.equal(put(ch, bytesOf(10_000, 2), 8, 0), "full");
  assert.equal(ch.unfinished(), 1);
});

// --------------------------------------------------------------------------------- _holders

function table(): Int32Array<SharedArrayBuffer> {
  return new Int32Array(new SharedArrayBuffer(4 * (HOLDER_WORDS + 2)));
}

test("holders: a side is held while a live process counts a handle", () => {
  const a = table();
  const base = 1;
  assert.equal(hasHolder(a, base), false);
  addHolder(a, base, thisProcess.pid);
  addHolder(a, base, thisProcess.pid, 2);
  assert.ok(hasHolder(a, base));
  removeHolder(a, base, thisProcess.pid, 2);
  assert.ok(hasHolder(a, base), "one handle left");
  removeHolder(a, base, thisProcess.pid);
  assert.equal(hasHolder(a, base), false);
  assert.equal(a[0], 0, "nothing written outside the table");
  assert.equal(a[base + HOLDER_WORDS], 0);
});

test("holders: a process that ended holds nothing, and its slot is reused", () => {
  const t = tree();
  const child = allocatePid(t, thisProcess.pid);
  try {
    const a = table();
    addHolder(a, 0, child);
    assert.ok(hasHolder(a, 0));
    markPidDead(t, child);
    assert.equal(hasHolder(a, 0), false, "the holder ended: the side is gone");
    // Fill every slot: the dead process's slot is taken over.
    const live: number[] = [];
    for (let i = 0; i < 7; i++) live.push(allocatePid(t, thisProcess.pid));
    try {
      for (const pid of live) addHolder(a, 0, pid);
      assert.equal(a[0], 0, "seven live holders fit in the slots");
      assert.ok(!Array.from(a).includes(child), "the dead holder's slot was reused");
      // An eighth live holder overflows into the count, never seen as gone.
      addHolder(a, 0, thisProcess.pid);
      assert.equal(a[0], 1);
      for (const pid of live) removeHolder(a, 0, pid);
      assert.ok(hasHolder(a, 0), "the overflow count holds it");
      removeHolder(a, 0, thisProcess.pid);
      assert.equal(a[0], 0);
      assert.equal(hasHolder(a, 0), false);
    } finally {
      for (const pid of live) markPidDead(t, pid);
    }
  } finally {
    markPidDead(t, child);
  }
});
