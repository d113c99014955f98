import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import { checksumBytes, echo, echoSync, sendLater } from "./fixtures/queue_tasks.ts";
import { joinWithin, killAll } from "./helpers.ts";

test("Pipe: duplex send/recv and poll on one thread", async () => {
  const [a, b] = mp.Pipe<unknown>();
  assert.equal(a.readable && a.writable && b.readable && b.writable, true);
  assert.equal(await b.poll(), false);
  assert.equal(b.pollSync(20), false);
  await a.send({ hello: ["world"] });
  a.sendSync(42);
  assert.equal(await b.poll(), true);
  assert.deepEqual(await b.recv(), { hello: ["world"] });
  assert.equal(b.recvSync(), 42);
  await b.send("back");
  assert.equal(await a.recv(), "back");
  const t0 = performance.now();
  assert.equal(await a.poll(60), false);
  assert.ok(performance.now() - t0 >= 50);
  a.close();
  b.close();
  assert.equal(a.closed, true);
});

test("Pipe(false): first end receives, second sends; wrong direction is a ProcessError", async () => {
  const [reader, writer] = mp.Pipe<number>(false);
  assert.equal(reader.readable, true);
  assert.equal(reader.writable, false);
  assert.equal(writer.readable, false);
  assert.equal(writer.writable, true);
  await assert.rejects(
    reader.send(1),
    (e: Error) => e instanceof mp.ProcessError && /not writable/.test(e.message),
  );
  assert.throws(
    () => writer.recvSync(),
    (e: Error) => e instanceof mp.ProcessError && /not readable/.test(e.message),
  );
  await writer.send(7);
  assert.equal(await reader.recv(), 7);
  reader.close();
  writer.close();
  assert.throws(() => mp.Pipe("false" as unknown as boolean), /duplex must be true or false, got false/);
});

test("Connection: EOFError after the peer closed with nothing left; send to a closed peer is a broken pipe", async () => {
  const [a, b] = mp.Pipe<string>();
  await a.send("last words");
  a.close();
  assert.equal(await b.poll(), true);
  assert.equal(await b.recv(), "last words");
  assert.equal(await b.poll(), true); // recv would not wait: it ends with EOFError
  await assert.rejects(b.recv(), mp.EOFError);
  assert.throws(() => b.recvSync(), mp.EOFError);
  await assert.rejects(b.send("anyone?"), /broken pipe/i);
  await assert.rejects(a.send("x"), /closed/);
  assert.throws(() => a.recvSync(), /closed/);
  b.close();
});

test("Connection: a recv blocked on the peer wakes with EOFError when the peer closes", async () => {
  const [a, b] = mp.Pipe<string>();
  const pending = b.recv();
  setTimeout(() => a.close(), 50);
  await assert.rejects(pending, mp.EOFError);
  b.close();
});

test("Connection: bytes with offset and size, recvBytes maxLength, recvBytesInto and BufferTooShort", async () => {
  const [a, b] = mp.Pipe();
  await a.sendBytes(new Uint8Array([0, 1, 2, 3, 4, 5]), 2, 3);
  assert.deepEqual([...await b.recvBytes()], [2, 3, 4]);
  a.sendBytesSync(new Uint16Array([1, 2]).buffer);
  assert.equal(b.recvBytesSync().length, 4);
  await a.sendBytes(new Uint8Array(10));
  await assert.rejects(b.recvBytes(5), /bad message length/);
  await a.sendBytes(new Uint8Array([9, 8, 7]));
  const into = new Uint8Array(8);
  assert.equal(await b.recvBytesInto(into, 4), 3);
  assert.deepEqual([...into], [0, 0, 0, 0, 9, 8, 7, 0]);
  await a.sendBytes(new Uint8Array([1, 2, 3, 4, 5]));
  await assert.rejects(b.recvBytesInto(new Uint8Array(4), 1), (e: Error) => {
    assert.ok(e instanceof mp.BufferTooShort);
    assert.deepEqual([...e.received], [1, 2, 3, 4, 5]);
    return true;
  });
  await assert.rejects(a.sendBytes(new Uint8Array(3), 2, 5), RangeError);
  await assert.rejects(a.sendBytes("text" as unknown as Uint8Array), TypeError);
  // send() and recvBytes() mix: recv of a bytes message gives a Uint8Array.
  await a.sendBytes(new Uint8Array([5]));
  assert.deepEqual(await b.recv(), new Uint8Array([5]));
  a.close();
  b.close();
});

test("Connection: an async sendBytes copies at the call, even of large messages sent while others are in flight", async () => {
  const [a, b] = mp.Pipe();
  const big = new Uint8Array(3 << 20).fill(1); // three times the pipe's ring: written as it drains
  const first = a.sendBytes(big);
  big.fill(2); // changed at once, as after Python's send_bytes
  const second = a.sendBytes(big, 1); // in flight with the first
  big.fill(3);
  const one = await b.recvBytes();
  const two = await b.recvBytes();
  await Promise.all([first, second]);
  for (let round = 4; round < 7; round++) {
    const sent = a.sendBytes(big.fill(round)); // the buffers of the sends above are reused
    big.fill(0);
    const got = await b.recvBytes();
    await sent;
    assert.equal(got.length, big.length);
    assert.ok(got.every((x) => x === round), `round ${round}: the bytes at the call`);
  }
  assert.equal(one.length, big.length);
  assert.ok(one.every((x) => x === 1), "the first message keeps the bytes at its call");
  assert.equal(two.length, big.length - 1);
  assert.ok(two.every((x) => x === 2), "the second message keeps the bytes at its call");
  a.close();
  b.close();
});

test("Connection: an uncloneable message throws at send; the pipe keeps working", async () => {
  const [a, b] = mp.Pipe<unknown>();
  await assert.rejects(a.send({ f: () => 1 }), /Cannot send item\.f \(function f\)/);
  await a.send("fine");
  assert.equal(await b.recv(), "fine");
  using _a = a;
  using _b = b;
});

test("Pipe with a child: a two-way conversation, 16 MiB each way, EOF when the child closes", async () => {
  const [parent, child] = mp.Pipe<unknown>();
  const p = new mp.Process({ target: echo, args: [child] });
  await p.start();
  child.close(); // our copy: the child's stays open
  for (const msg of ["hi", { n: 1 }, [1, 2, 3]]) {
    await parent.send(msg);
    assert.deepEqual(await parent.recv(), msg);
  }
  const big = new Uint8Array(16 << 20);
  for (let i = 0; i < big.length; i += 4099) big[i] = (i >> 12) & 255;
  await parent.send(big);
  const back = (await parent.recv()) as Uint8Array;
  assert.equal(back.length, big.length);
  for (let i = 0; i < big.length; i += 4099) assert.equal(back[i], big[i]);
  await parent.send(null);
  await assert.rejects(parent.recv(), mp.EOFError);
  await joinWithin(p);
  parent.close();
});

test("Pipe with a child: blocking *Sync calls on both sides, and raw bytes", async () => {
  const [parent, child] = mp.Pipe<number>();
  const p = new mp.Process({ target: echoSync, args: [child, 100] });
  await p.start();
  for (let i = 0; i < 100; i++) {
    parent.sendSync(i);
    assert.equal(parent.recvSync(), i);
  }
  await joinWithin(p);
  const [q, r] = mp.Pipe();
  const c = new mp.Process({ target: checksumBytes, args: [r] });
  await c.start();
  const bytes = new Uint8Array(3_000_000).map((_, i) => i % 251);
  await q.sendBytes(bytes);
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 997) sum = (sum + bytes[i]) % 65521;
  assert.deepEqual(await q.recv(), { length: bytes.length, sum });
  await joinWithin(c);
  for (const conn of [parent, child, q, r]) conn.close();
});

test("Connection: EOF when the peer's process ends (or is terminated) without closing", async () => {
  try {
    const [a, b] = mp.Pipe<string>();
    const p = new mp.Process({ target: sendLater, args: [b, ["one"], 10] });
    await p.start();
    b.close();
    assert.equal(await a.recv(), "one");
    await joinWithin(p);
    await assert.rejects(a.recv(), mp.EOFError);
    a.close();

    const [c, d] = mp.Pipe<string>();
    const q = new mp.Process({ target: sendLater, args: [d, ["never"], 60_000] });
    await q.start();
    d.close();
    const pending = c.recv();
    setTimeout(() => q.terminate(), 100);
    await assert.rejects(pending, mp.EOFError);
    c.close();
  } finally {
    killAll();
  }
});

test("wait(): ready connections across processes; a closed peer counts as ready", async () => {
  const [a, aChild] = mp.Pipe<string>();
  const [b, bChild] = mp.Pipe<string>();
  const pa = new mp.Process({ target: sendLater, args: [aChild, ["a1"], 300] });
  const pb = new mp.Process({ target: sendLater, args: [bChild, ["b1"], 50] });
  await Promise.all([pa.start(), pb.start()]);
  aChild.close();
  bChild.close();
  const first = await mp.wait([a, b], 10_000);
  assert.deepEqual(first, [b]);
  assert.equal(await b.recv(), "b1");
  const second = await mp.wait([a], 10_000);
  assert.deepEqual(second, [a]);
  assert.equal(await a.recv(), "a1");
  await joinWithin(pa);
  await joinWithin(pb);
  // Both children ended: their ends count as closed, so both are "ready" (EOF).
  assert.deepEqual(await mp.wait([a, b], 2000), [a, b]);
  const [w] = mp.Pipe(false).reverse();
  await assert.rejects(mp.wait([w]), /cannot be waited on/);
  a.close();
  b.close();
});
