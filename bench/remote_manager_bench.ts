/**
 * Remote managers next to Python's, in one run: a manager server in another OS process
 * over loopback TCP with an authkey (ours: `new SyncManager({ address, authkey })`
 * served by `getServer().serveForever()`; Python: `BaseManager(address, authkey)`
 * started with `start()`), and a client making calls through proxies:
 * - queue `put` + `get` (two round trips),
 * - dict `set` + `get` (Python: `d[k] = v` then `d[k]`, two round trips),
 * - dict `get`s with 100 in flight at once (ours pipelined over one connection; a
 *   Python proxy blocks until each reply, so Python's figure is its one-at-a-time `d[k]`),
 * - a blocking dict `getSync` (through the program's relay thread), next to the same
 *   one-at-a-time `d[k]` of Python, whose proxies always block.
 *
 * Run: deno run -A bench/remote_manager_bench.ts   |   bun bench/remote_manager_bench.ts
 */
import * as mp from "../mod.ts";
import { runPython, runtimeLabel, startServerProcess } from "./python.ts";

const AUTHKEY = "bench key";
const OPS = 5_000;
const ROUNDS = 3;

interface Figures {
  /** µs per queue put + get. */
  queue: number;
  /** µs per dict set + get. */
  dict: number;
  /** µs per dict get with 100 in flight (Python: one at a time). */
  pipelined: number;
  /** µs per blocking dict get (Python: its one-at-a-time get, the same as `pipelined`). */
  blocking?: number;
}

/** Starts bench/fixtures/remote_manager_server.ts on this runtime; resolves with its port and a stop function. */
function startServer(): Promise<{ port: number; stop: () => void }> {
  return startServerProcess("remote_manager_server.ts", [AUTHKEY], "the manager server");
}

async function best(once: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 500; i++) await once(i);
  let us = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < OPS; i++) await once(i);
    us = Math.min(us, ((performance.now() - t0) / OPS) * 1000);
  }
  return us;
}

function bestSync(once: (i: number) => unknown): number {
  for (let i = 0; i < 500; i++) once(i);
  let us = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < OPS; i++) once(i);
    us = Math.min(us, ((performance.now() - t0) / OPS) * 1000);
  }
  return us;
}

async function ours(): Promise<Figures> {
  const server = await startServer();
  try {
    await using m = new mp.SyncManager({ address: ["127.0.0.1", server.port], authkey: AUTHKEY });
    await m.connect();
    const q = await m.Queue<{ i: number; s: string }>();
    const d = await m.dict<string, { i: number; s: string }>();
    const queue = await best(async (i) => {
      await q.put({ i, s: "item" });
      return await q.get();
    });
    const dict = await best(async (i) => {
      await d.set("k", { i, s: "value" });
      return await d.get("k");
    });
    const IN_FLIGHT = 100;
    const batch = Array.from({ length: IN_FLIGHT });
    const pipelined = await best(async (i) => {
      if (i % IN_FLIGHT === 0) await Promise.all(batch.map(() => d.get("k")));
    });
    const blocking = bestSync(() => d.getSync("k"));
    return { queue, dict, pipelined, blocking };
  } finally {
    server.stop();
  }
}

const PYTHON = `
import json, queue, sys, time
from multiprocessing.managers import BaseManager, DictProxy
OPS, ROUNDS = (int(a) for a in sys.argv[1:3])
q = queue.Queue()
d = {}
def get_queue(): return q
def get_dict(): return d
class M(BaseManager): pass
M.register("Queue", get_queue)
M.register("dict", get_dict, DictProxy)
def best(once):
    for i in range(500): once(i)
    us = float("inf")
    for _ in range(ROUNDS):
        t = time.perf_counter()
        for i in range(OPS): once(i)
        us = min(us, (time.perf_counter() - t) / OPS * 1e6)
    return us
if __name__ == "__main__":
    m = M(address=("127.0.0.1", 0), authkey=b"${AUTHKEY}")
    m.start()
    pq, pd = m.Queue(), m.dict()
    def qop(i):
        pq.put({"i": i, "s": "item"}); return pq.get()
    def dop(i):
        pd["k"] = {"i": i, "s": "value"}; return pd["k"]
    pd["k"] = 1
    out = {"queue": best(qop), "dict": best(dop), "pipelined": best(lambda i: pd["k"])}
    m.shutdown()
    print(json.dumps(out))
`;

function row(name: string, value: string, note = ""): void {
  console.log(`  ${name.padEnd(46)} ${value.padStart(12)}  ${note}`);
}

function vs(ourTime: number, pyTime: number | undefined): string {
  if (pyTime === undefined) return "";
  const r = pyTime / ourTime;
  return r >= 1 ? `${r.toFixed(2)}x faster than Python` : `Python ${(1 / r).toFixed(2)}x faster`;
}

if (import.meta.main) {
  console.log(`Remote managers over loopback TCP with an authkey, ${runtimeLabel()}`);
  const py = (await runPython(PYTHON, [OPS, ROUNDS].map(String))) as Figures | null;
  const me = await ours();
  const us = (n: number) => `${n.toFixed(1)} µs`;
  console.log(
    `Proxy calls to a manager server in another OS process, best of ${ROUNDS} x ${OPS} (lower is better)`,
  );
  if (py) row("Python q.put(item); q.get()", us(py.queue));
  row("ours await q.put(item); await q.get()", us(me.queue), vs(me.queue, py?.queue));
  if (py) row("Python d['k'] = v; d['k']", us(py.dict));
  row("ours await d.set('k', v); await d.get('k')", us(me.dict), vs(me.dict, py?.dict));
  console.log("One dict get, per call (lower is better)");
  if (py) row("Python d['k'], one at a time (proxies block)", us(py.pipelined));
  row("ours d.get('k'), 100 in flight at once", us(me.pipelined), vs(me.pipelined, py?.pipelined));
  row("ours d.getSync('k') (blocks, via the relay)", us(me.blocking!), vs(me.blocking!, py?.pipelined));
}
