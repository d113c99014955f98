// Unit tests of reviving shared objects (adopt/adoptedState in src/internal/_codec.ts)
// and of the parent's side of a child (src/process/_child.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { adopt, adoptedState, decode, encode } from "../../src/internal/_codec.ts";
import { Child } from "../../src/process/_child.ts";
import { processOf } from "../../src/process/process.ts";
import { Lock } from "../../src/sync/lock.ts";
import { RLock } from "../../src/sync/rlock.ts";
import { BoundedSemaphore, Semaphore } from "../../src/sync/semaphore.ts";
import { Condition } from "../../src/sync/condition.ts";
import { Event } from "../../src/sync/event.ts";
import { Barrier } from "../../src/sync/barrier.ts";
import { SharedArray } from "../../src/shared/array.ts";
import { Value } from "../../src/shared/value.ts";

/** A class that makes another one in its constructor, as Condition makes its RLock. */
class Inner {
  readonly state: string;
  constructor() {
    this.state = adoptedState<string>(new.target) ?? "new inner";
  }
}
class Outer {
  readonly state: string;
  readonly inner: Inner;
  constructor() {
    this.state = adoptedState<string>(new.target) ?? "new outer";
    this.inner = new Inner();
  }
}

// -------------------------------------------------------------------------- adopt

test("adopt: the constructor of the class revived takes the state once; what it makes in turn is new", () => {
  const o = adopt(Outer, "revived", () => new Outer());
  assert.equal(o.state, "revived");
  assert.equal(o.inner.state, "new inner");
  assert.equal(new Outer().state, "new outer");
});

test("adopt: a constructor of another class does not take the state, and a failed revival leaves none behind", () => {
  const i = adopt(Outer, "for outer", () => new Inner());
  assert.equal(i.state, "new inner");
  assert.equal(new Outer().state, "new outer");
  assert.throws(() =>
    adopt(Outer, "lost", () => {
      throw new Error("boom");
    }), /boom/);
  assert.equal(new Outer().state, "new outer");
});

test("adopt: nested revivals each get their own state", () => {
  let inner: Inner | null = null;
  const outer = adopt(Outer, "outer", () => {
    inner = adopt(Inner, "inner", () => new Inner());
    return new Outer();
  });
  assert.equal(inner!.state, "inner");
  assert.equal(outer.state, "outer");
  assert.equal(outer.inner.state, "new inner");
});

test("revive: every sync and shared class comes back over the same memory, as its own class", async () => {
  const lock = new Lock();
  const sem = new BoundedSemaphore(2);
  const cond = new Condition();
  const ev = new Event();
  const barrier = new Barrier(3, { timeout: 50 });
  const arr = new SharedArray("i", [1, 2, 3]);
  const val = new Value("d", 1.5);
  const back = await decode(structuredClone(encode([lock, sem, cond, ev, barrier, arr, val]))) as unknown[];
  const [lock2, sem2, cond2, ev2, barrier2, arr2, val2] = back as [
    Lock,
    BoundedSemaphore,
    Condition,
    Event,
    Barrier,
    SharedArray<"i">,
    Value<"d">,
  ];
  assert.ok(lock2 instanceof Lock && lock2 !== lock);
  lock.acquireSync();
  assert.equal(lock2.acquireSync(0), false);
  lock.release();
  assert.ok(sem2 instanceof BoundedSemaphore && sem2 instanceof Semaphore);
  assert.equal(sem2.getValue(), 2);
  assert.ok(cond2 instanceof Condition);
  assert.ok(cond2.getLock() instanceof RLock);
  ev.set();
  assert.equal(ev2.isSet(), true);
  assert.equal(barrier2.parties, 3);
  arr[0] = 7;
  assert.equal(arr2[0], 7);
  val.value = 2.5;
  assert.equal(val2.value, 2.5);
  // Made new after a revival: fresh memory.
  assert.equal(new Event().isSet(), false);
});

// -------------------------------------------------------------------------- Child

test("child: before launch it has no pid, posts nothing, and is not alive; its kind names its process", () => {
  let got: unknown = null;
  const child = new Child({
    kind: "SpawnPoolWorker",
    role: { role: "pool", extra: () => ({ x: 1 }), message: (m) => (got = m) },
  });
  assert.equal(child.launched, false);
  assert.equal(child.pid, null);
  assert.equal(child.exitCode, null);
  assert.equal(child.isAlive(), false);
  assert.equal(child.post({ t: "stop" }), false);
  assert.equal(got, null);
  const p = processOf(child, true);
  assert.match(p.name, /^SpawnPoolWorker-\d+$/);
  assert.equal(p.daemon, true);
  assert.match(String(p), /^<Process name='SpawnPoolWorker-\d+' parent=\d+ initial daemon>$/);
  assert.equal(new Child().kind, "Process");
});

test("child: end() before launch settles ended and keeps the code", async () => {
  const child = new Child();
  child.end(-15);
  child.end(3); // only the first end counts
  await child.ended;
  assert.equal(child.hasEnded, true);
  assert.equal(child.exitCode, -15);
  assert.equal(child.post("x"), false);
});
