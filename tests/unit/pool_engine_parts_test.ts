// Unit tests of the pool engine's parts: one worker's claim slots (src/pool/_worker_slot.ts),
// the task queue (src/pool/_task_queue.ts) and the checking of settings (src/pool/_settings.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { WorkerSlot } from "../../src/pool/_worker_slot.ts";
import {
  describeTask,
  type PoolFunction,
  preview,
  Task,
  TaskQueue,
  type TaskSink,
} from "../../src/pool/_task_queue.ts";
import { checkSettings } from "../../src/pool/_settings.ts";
import {
  CTL_RING,
  CTL_SLOTS,
  CTL_STARTED,
  KIND_APPLY,
  KIND_MAP,
  SLOT_DONE,
  SLOT_OFFERED,
  SLOT_STARTED,
  slotTag,
  type TasksMessage,
} from "../../src/pool/_protocol.ts";

const sink: TaskSink = { settle() {} };
const square = (x: number) => x * x;
const fn: PoolFunction = { fn: square, id: 1, ref: null, error: null };
let ids = 0;
const task = (kind = KIND_APPLY, payload: unknown = [3]) => new Task(++ids, fn, kind, payload, sink, 0);
const slot = () => new WorkerSlot("SpawnPoolWorker", () => null, () => {});

/** What the worker does to claim a task: its slot goes from offered to started. */
function claim(w: WorkerSlot, t: Task): void {
  const i = CTL_SLOTS + t.seq % CTL_RING;
  assert.equal(
    Atomics.compareExchange(w.ctl, i, slotTag(t.seq, SLOT_OFFERED), slotTag(t.seq, SLOT_STARTED)),
    slotTag(t.seq, SLOT_OFFERED),
  );
  Atomics.store(w.ctl, CTL_STARTED, t.seq + 1);
}

test("worker slot: offered tasks are held in order; unstarted ones can be taken back, started ones cannot", () => {
  const w = slot();
  assert.match(w.proc.name, /^SpawnPoolWorker-\d+$/);
  assert.equal(w.idle, false); // not ready yet
  const sent = [task(), task(), task()];
  w.offer(sent.length);
  w.accept(sent);
  assert.deepEqual(sent.map((t) => t.seq), [0, 1, 2]);
  assert.ok(sent.every((t) => t.worker === w));
  assert.equal(w.assigned, 3);
  claim(w, sent[0]);
  assert.ok(w.slotIs(sent[0], SLOT_STARTED));
  assert.equal(w.revoke(sent[0]), false);
  const back = w.takeBack();
  assert.deepEqual(back, [sent[1], sent[2]]);
  assert.deepEqual([...w.inflight.values()], [sent[0]]);
  assert.equal(w.assigned, 1);
  Atomics.store(w.ctl, CTL_SLOTS + sent[0].seq % CTL_RING, slotTag(sent[0].seq, SLOT_DONE));
  assert.ok(w.slotIs(sent[0], SLOT_DONE));
});

test("worker slot: room is bounded by the share, maxTasksPerChild and the claim ring", () => {
  const w = slot();
  assert.equal(w.room(10, 0), 10);
  assert.equal(w.room(10, 4), 4);
  const sent = [task(), task()];
  w.offer(2);
  w.accept(sent);
  assert.equal(w.room(10, 0), 8);
  assert.equal(w.room(10, 4), 2);
  assert.equal(w.room(CTL_RING * 2, 0), CTL_RING - 2 - 1);
});

test("worker slot: stuck time counts from the last progress the worker made", () => {
  const w = slot();
  assert.equal(w.stuckFor(1000), 0); // holds nothing
  const sent = [task(), task()];
  w.offer(2);
  w.accept(sent);
  w.since = 100;
  assert.equal(w.stuckFor(150), 50);
  claim(w, sent[0]);
  assert.equal(w.stuckFor(160), 0); // progress seen now
  assert.equal(w.stuckFor(170), 10);
});

test("worker slot: a stopped or retired worker is not usable; a message that did not arrive is forgotten", () => {
  const w = slot();
  w.ready = true;
  assert.ok(w.idle && w.usable);
  w.retired = true;
  assert.ok(!w.idle && !w.usable);
  w.known.add(1).add(2);
  const m: TasksMessage = {
    t: "tasks",
    fns: [[1, { builtin: "x" } as never]],
    meta: new ArrayBuffer(0),
    data: [],
  };
  assert.equal(w.post(m), false); // never started
  w.forget(m);
  assert.deepEqual([...w.known], [2]);
});

test("task queue: FIFO, taken-back tasks go to the front in order, drain empties it", () => {
  const q = new TaskQueue();
  const ts = Array.from({ length: 3000 }, () => task());
  for (const t of ts) q.push(t);
  for (let i = 0; i < 2000; i++) assert.equal(q.shift(), ts[i]);
  assert.equal(q.size, 1000);
  q.unshift([ts[0], ts[1]]);
  assert.equal(q.peek(), ts[0]);
  assert.equal(q.size, 1002);
  const rest = q.drain();
  assert.deepEqual(rest.slice(0, 3), [ts[0], ts[1], ts[2000]]);
  assert.equal(q.size, 0);
});

test("task descriptions name the function and a preview of the arguments or the chunk", () => {
  assert.equal(describeTask(task(KIND_APPLY, [3, "a", null])), 'task square(3, "a", null)');
  assert.equal(
    describeTask(new Task(0, fn, KIND_MAP, [1, 2], sink, 4)),
    "task square over chunk 4 of its map (2 items)",
  );
  assert.equal(preview(["x".repeat(100)]).length, 60);
});

test("settings: Python's errors for misuse, and the engine's options otherwise", () => {
  const base = {
    owner: "Pool",
    countName: "processes",
    count: 2,
    initializer: undefined,
    initargs: undefined,
    maxTasksPerChild: undefined,
    method: "spawn" as const,
  };
  const o = checkSettings(base);
  assert.equal(o.processes, 2);
  assert.equal(o.maxTasksPerChild, 0);
  assert.equal(o.maxQueue, 0);
  assert.deepEqual(o.initargs, []);
  assert.throws(
    () => checkSettings({ ...base, count: 0 }),
    /Pool: processes must be an integer of at least 1, got 0/,
  );
  assert.throws(
    () => checkSettings({ ...base, maxTasksPerChild: 1.5 }),
    /maxTasksPerChild must be a positive integer/,
  );
  assert.throws(() => checkSettings({ ...base, maxQueue: -1 }), /maxQueue must be a positive integer/);
  assert.throws(() => checkSettings({ ...base, initializer: 3 }), TypeError);
  assert.throws(() => checkSettings({ ...base, initargs: "x" }), /initargs must be an array/);
  assert.equal(checkSettings({ ...base, maxQueue: 5, maxTasksPerChild: 7 }).maxQueue, 5);
});
