/**
 * Start-and-join of a no-op Process, next to a raw Worker start-and-round-trip on
 * the same runtime and to Python's multiprocessing spawn and fork, in one run.
 *
 * Run: deno run -A bench/process_bench.ts   |   bun bench/process_bench.ts
 */
import * as mp from "../mod.ts";
import { noop } from "./fixtures/noop_target.ts";
import { runPython, runtimeLabel } from "./python.ts";

const N = 60;
const ROUNDS = 3;

async function rawWorker(): Promise<void> {
  const w = new Worker(new URL("./fixtures/echo_worker.ts", import.meta.url).href, { type: "module" });
  await new Promise<void>((resolve) => {
    w.onmessage = () => resolve();
    w.postMessage(1);
  });
  w.terminate();
}

async function mpProcess(): Promise<void> {
  const p = new mp.Process({ target: noop });
  await p.start();
  await p.join();
}

const forkserver = mp.getContext("forkserver");

async function mpForkserver(): Promise<void> {
  const p = new forkserver.Process({ target: noop });
  await p.start();
  await p.join();
}

/** Median start+join with the program idle for 20 ms between starts (a server's pattern). */
async function withIdle(fn: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 25; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[times.length >> 1];
}

/** Mean ms per call of the best of ROUNDS rounds of N calls. */
async function measure(fn: () => Promise<void>): Promise<number> {
  await fn(); // warm up
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) await fn();
    best = Math.min(best, (performance.now() - t0) / N);
  }
  return best;
}

const PYTHON = `
import multiprocessing as mp, time, json, sys
def noop():
    pass
if __name__ == "__main__":
    out = {}
    for method in ("spawn", "fork"):
        ctx = mp.get_context(method)
        n = int(sys.argv[1]) if method == "fork" else max(5, int(sys.argv[1]) // 4)
        p = ctx.Process(target=noop); p.start(); p.join()
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            for _ in range(n):
                p = ctx.Process(target=noop); p.start(); p.join()
            best = min(best, (time.perf_counter() - t) / n * 1000)
        out[method] = best
    print(json.dumps(out))
`;

function versus(theirs: number, ours: number): string {
  return theirs >= ours
    ? `ours is ${(theirs / ours).toFixed(1)}x faster`
    : `it is ${(ours / theirs).toFixed(1)}x faster than ours (a real fork copies a running process)`;
}

if (import.meta.main) {
  console.log(`process start-and-join, ${runtimeLabel()}, best of ${ROUNDS} x ${N}`);
  const raw = await measure(rawWorker);
  const ours = await measure(mpProcess);
  const warm = await measure(mpForkserver);
  const idleSpawn = await withIdle(mpProcess);
  const idleWarm = await withIdle(mpForkserver);
  const py = (await runPython(PYTHON, [String(N)])) as { spawn: number; fork: number } | null;
  const rows: [string, number, string][] = [
    ["mp.Process start+join", ours, ""],
    ["raw Worker start+round trip", raw, `ours is ${(ours / raw).toFixed(2)}x its time`],
    ["mp forkserver start+join", warm, `${(ours / warm).toFixed(2)}x spawn's speed, back to back`],
    ["spawn, idle 20 ms between starts", idleSpawn, ""],
    ["forkserver, idle 20 ms between", idleWarm, `${(idleSpawn / idleWarm).toFixed(2)}x spawn's speed`],
  ];
  if (py) {
    rows.push(["Python spawn Process start+join", py.spawn, versus(py.spawn, ours)]);
    rows.push(["Python fork Process start+join", py.fork, versus(py.fork, ours)]);
    rows.push(["Python fork vs our forkserver", py.fork, versus(py.fork, warm)]);
    rows.push(["Python fork vs our forkserver, idle", py.fork, versus(py.fork, idleWarm)]);
  }
  for (const [name, ms, note] of rows) {
    console.log(`  ${name.padEnd(34)} ${ms.toFixed(2).padStart(7)} ms  ${note}`);
  }
}
