// Unit tests of the ring channel's fast paths (src/channel/_channel.ts): tryWrite and
// tryRead do an item at once or nothing (SLOW), and readAt hands items out in place.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Channel, EMPTY, SLOW } from "../../src/channel/_channel.ts";
import { runSync } from "../../src/sync/_steps.ts";
import { deserializeAt, serialize } from "../../src/internal/_serializer.ts";

const copy = (tag: number, bytes: Uint8Array, at: number, len: number) => ({
  tag,
  bytes: bytes.slice(at, at + len),
});

test("channel fast path: tryWrite and tryRead move whole small items, in order, counted", () => {
  const ch = Channel.create({ capacity: 4096 });
  assert.equal(ch.tryRead(copy), SLOW, "nothing to read");
  for (let i = 0; i < 10; i++) assert.equal(ch.tryWrite(serialize(i, "the test")), "ok");
  assert.equal(ch.tryWrite(serialize("héllo", "the test")), "ok");
  assert.equal(ch.size(), 11);
  for (let i = 0; i < 10; i++) assert.equal(ch.tryRead(deserializeAt), i);
  assert.equal(ch.tryRead(deserializeAt), "héllo");
  assert.equal(ch.size(), 0);
  assert.equal(ch.tryRead(deserializeAt), SLOW);
});

test("channel fast path: SLOW (and nothing written) when maxsize or the ring's room says wait", () => {
  const limited = Channel.create({ capacity: 4096, maxsize: 2 });
  assert.equal(limited.tryWrite(serialize(1, "t")), "ok");
  assert.equal(limited.tryWrite(serialize(2, "t")), "ok");
  assert.equal(limited.tryWrite(serialize(3, "t")), SLOW);
  assert.equal(limited.size(), 2);
  assert.equal(limited.tryRead(deserializeAt), 1);
  assert.equal(limited.tryWrite(serialize(3, "t")), "ok", "room again under maxsize");

  const small = Channel.create({ capacity: 4096 });
  const big = { tag: 8, bytes: new Uint8Array(3000) };
  assert.equal(small.tryWrite(big), "ok");
  assert.equal(small.tryWrite(big), SLOW, "no room for a second one");
  assert.equal(small.size(), 1);
  // An item larger than the ring goes in frames: the fast paths leave it to the steps.
  const huge = { tag: 8, bytes: new Uint8Array(10_000).fill(7) };
  assert.equal(Channel.create({ capacity: 4096 }).tryWrite(huge), SLOW);
});

test("channel fast path: readAt hands out items in place; read still gives a view of exactly the item", () => {
  const ch = Channel.create({ capacity: 4096 });
  const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
  for (let i = 0; i < 3; i++) assert.equal(ch.tryWrite({ tag: 5, bytes }), "ok");
  const seen = runSync(
    ch.readAt({ deadline: 0 }, (tag, ring, at, len) => ({ tag, len, item: ring.slice(at, at + len) })),
  );
  assert.ok(typeof seen === "object");
  assert.equal(seen.tag, 5);
  assert.equal(seen.len, 100);
  assert.deepEqual(seen.item, bytes);
  const view = runSync(ch.read({ deadline: 0 }, (tag, b) => ({ tag, b: b.slice(), length: b.length })));
  assert.ok(typeof view === "object");
  assert.equal(view.length, 100);
  assert.deepEqual(view.b, bytes);
  assert.deepEqual(ch.tryRead(copy), { tag: 5, bytes });
  assert.equal(runSync(ch.read({ deadline: 0 }, (tag) => tag)), EMPTY);
});
