/**
 * Locks across processes, next to Python's `multiprocessing` measured in the same run:
 * two processes incrementing a shared Value under a Lock (ops/s), an uncontended
 * acquire+release (ns), and Event set-to-wake latency (µs, from a ping-pong).
 *
 * Run: deno run -A bench/sync_bench.ts   |   bun bench/sync_bench.ts
 */
import * as mp from "../mod.ts";
import { contend, pong } from "./fixtures/sync_targets.ts";
import { line, runPython, runtimeLabel, versus } from "./python.ts";

const INCREMENTS = 200_000; // per process
const UNCONTENDED = 5_000_000;
const ROUND_TRIPS = 2_000;

const now = () => performance.timeOrigin + performance.now();

async function contended(): Promise<number> {
  const lock = new mp.Lock();
  const counter = new mp.Value("i", 0);
  const go = new mp.Event();
  const ends = new Float64Array(new SharedArrayBuffer(16));
  const ps = [0, 1].map((slot) =>
    new mp.Process({ target: contend, args: [lock, counter, INCREMENTS, go, ends, slot] })
  );
  for (const p of ps) await p.start();
  const t0 = now();
  go.set();
  for (const p of ps) await p.join();
  if (counter.value !== 2 * INCREMENTS) throw new Error(`lost increments: ${counter.value}`);
  return (2 * INCREMENTS) / ((Math.max(ends[0], ends[1]) - t0) / 1000);
}

function uncontended(): number {
  const lock = new mp.Lock();
  for (let i = 0; i < 100_000; i++) { // warm up the JIT
    lock.acquireSync();
    lock.release();
  }
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (let i = 0; i < UNCONTENDED; i++) {
      lock.acquireSync();
      lock.release();
    }
    best = Math.min(best, ((performance.now() - t0) * 1e6) / UNCONTENDED);
  }
  return best;
}

async function eventLatency(useAsync: boolean): Promise<number> {
  const ping = new mp.Event(), pongEv = new mp.Event();
  const p = new mp.Process({ target: pong, args: [ping, pongEv, ROUND_TRIPS + 1, useAsync] });
  await p.start();
  const trip = async () => {
    ping.set();
    if (useAsync) await pongEv.wait();
    else pongEv.waitSync();
    pongEv.clear();
  };
  await trip(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i++) await trip();
  const us = ((performance.now() - t0) * 1000) / ROUND_TRIPS / 2;
  await p.join();
  return us;
}

const PYTHON = `
import multiprocessing as mp, time, json, sys
N, U, R = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

def contend(lock, counter, go, ends, slot):
    go.wait()
    for _ in range(N):
        with lock:
            counter.value += 1
    ends[slot] = time.time()

def pong(ping, pong_ev, rounds):
    for _ in range(rounds):
        ping.wait(); ping.clear(); pong_ev.set()

if __name__ == "__main__":
    out = {}
    lock, counter, go, ends = mp.Lock(), mp.Value("i", 0), mp.Event(), mp.Array("d", 2)
    ps = [mp.Process(target=contend, args=(lock, counter, go, ends, s)) for s in (0, 1)]
    for p in ps: p.start()
    time.sleep(0.3)
    t0 = time.time(); go.set()
    for p in ps: p.join()
    assert counter.value == 2 * N
    out["contended"] = 2 * N / (max(ends) - t0)
    lock = mp.Lock()
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(U):
            lock.acquire(); lock.release()
        best = min(best, (time.perf_counter() - t) * 1e9 / U)
    out["uncontended"] = best
    ping, pong_ev = mp.Event(), mp.Event()
    p = mp.Process(target=pong, args=(ping, pong_ev, R + 1)); p.start()
    def trip():
        ping.set(); pong_ev.wait(); pong_ev.clear()
    trip()
    t = time.perf_counter()
    for _ in range(R): trip()
    out["event"] = (time.perf_counter() - t) * 1e6 / R / 2
    p.join()
    print(json.dumps(out))
`;

if (import.meta.main) {
  console.log(`locks across processes, ${runtimeLabel()} vs Python multiprocessing (same run)`);
  const ops = Math.max(await contended(), await contended());
  const ns = uncontended();
  const evSync = Math.min(await eventLatency(false), await eventLatency(false));
  const evAsync = Math.min(await eventLatency(true), await eventLatency(true));
  const py = (await runPython(PYTHON, [String(INCREMENTS), String(UNCONTENDED / 5), String(ROUND_TRIPS)])) as
    | { contended: number; uncontended: number; event: number }
    | null;
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  line(
    "2 processes x Lock + Value increments",
    `${fmt(ops)} ops/s`,
    py ? `Python ${fmt(py.contended)} ops/s → ${versus(ops, py.contended, true, "better")}` : "",
  );
  line(
    "uncontended Lock acquireSync+release",
    `${ns.toFixed(1)} ns`,
    py ? `Python ${py.uncontended.toFixed(1)} ns → ${versus(ns, py.uncontended, false, "better")}` : "",
  );
  line(
    "Event set-to-wake latency (waitSync)",
    `${evSync.toFixed(1)} µs`,
    py ? `Python ${py.event.toFixed(1)} µs → ${versus(evSync, py.event, false, "better")}` : "",
  );
  line(
    "Event set-to-wake latency (async wait)",
    `${evAsync.toFixed(1)} µs`,
    py ? `Python ${py.event.toFixed(1)} µs → ${versus(evAsync, py.event, false, "better")}` : "",
  );
}
