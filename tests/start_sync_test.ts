// start() hands the work to the child synchronously: a blocking *Sync call made right
// after an unawaited start() finds the child running, as in Python.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as mp from "../mod.ts";
import { Announcer, say, setEvent } from "./fixtures/start_targets.ts";
import { whoami as whoamiA } from "./fixtures/same_name/a.ts";
import { whoami as whoamiB } from "./fixtures/same_name/b.ts";
import { joinWithin, killAll } from "./helpers.ts";

test("Queue.getSync right after an unawaited start() gets the child's item", async () => {
  const q = new mp.Queue<string>();
  const p = new mp.Process({ target: say, args: [q, "hello"] });
  p.start();
  try {
    assert.equal(q.getSync(10_000), "hello");
  } finally {
    await joinWithin(p).catch(killAll);
  }
  assert.equal(p.exitCode, 0);
});

test("Event.waitSync right after an unawaited start() returns true", async () => {
  const ev = new mp.Event();
  const p = new mp.Process({ target: setEvent, args: [ev] });
  p.start();
  try {
    assert.equal(ev.waitSync(10_000), true);
  } finally {
    await joinWithin(p).catch(killAll);
  }
});

test("a Process subclass runs while its parent blocks, with the attributes it had at start()", async () => {
  const a = new Announcer();
  a.text = "from the subclass";
  a.queue = new mp.Queue<string>();
  a.start();
  a.text = "changed after start";
  try {
    assert.equal(a.queue.getSync(10_000), "from the subclass");
  } finally {
    await joinWithin(a).catch(killAll);
  }
});

test("two modules exporting the same name: the child runs the function it was given", async () => {
  const q = new mp.Queue<string>();
  const ps = [whoamiB, whoamiA].map((target) => new mp.Process({ target, args: [q] }));
  for (const p of ps) p.start();
  try {
    const got = [q.getSync(10_000), q.getSync(10_000)].sort();
    assert.deepEqual(got, ["a", "b"]);
  } finally {
    for (const p of ps) await joinWithin(p).catch(killAll);
  }
  assert.deepEqual(ps.map((p) => p.exitCode), [0, 0]);
});
