/**
 * Pool throughput, in one run: 20 000 no-op tasks submitted at once (Pool.applyAsync,
 * ProcessPoolExecutor.submit) next to poolifier-web-worker and piscina on the same
 * runtime and to Python's Pool.apply_async; Pool.map over 200 000 small items next to
 * Python's Pool.map; a CPU-bound map on 2 workers next to the same work run serially.
 * Every figure is the best of ROUNDS after a warm-up, all pools with 2 workers.
 *
 * Run: deno run -A bench/pool_bench.ts   |   bun bench/pool_bench.ts
 */
import * as mp from "../mod.ts";
import { cpuWork, noop, square } from "./fixtures/pool_tasks.ts";
import { runPython, runtimeLabel } from "./python.ts";

const WORKERS = 2;
const TASKS = 20_000;
const ITEMS = 200_000;
const CPU_ITEMS = 32;
const CPU_N = 3_000_000;
const ROUNDS = 3;

/** Best time (ms) of ROUNDS runs of `fn`, after one warm-up run. */
async function best(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  let ms = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    await fn();
    ms = Math.min(ms, performance.now() - t0);
  }
  return ms;
}

async function ours(): Promise<{ apply: number; submit: number; map: number; cpu: number }> {
  const pool = new mp.Pool(WORKERS);
  const executor = new mp.ProcessPoolExecutor({ maxWorkers: WORKERS });
  try {
    const apply = await best(() => Promise.all(Array.from({ length: TASKS }, () => pool.applyAsync(noop))));
    const submit = await best(() => Promise.all(Array.from({ length: TASKS }, () => executor.submit(noop))));
    const items = Array.from({ length: ITEMS }, (_, i) => i);
    const map = await best(() => pool.map(square, items));
    const work = Array.from({ length: CPU_ITEMS }, () => CPU_N);
    const cpu = await best(() => pool.map(cpuWork, work));
    return { apply, submit, map, cpu };
  } finally {
    await pool.terminate();
    await executor.shutdown();
  }
}

async function serialCpu(): Promise<number> {
  const work = Array.from({ length: CPU_ITEMS }, () => CPU_N);
  return await best(() => Promise.resolve(work.map(cpuWork)));
}

async function poolifier(): Promise<number> {
  const { FixedThreadPool } = await import("poolifier-web-worker");
  const pool = new FixedThreadPool(WORKERS, new URL("./fixtures/poolifier_noop_worker.ts", import.meta.url));
  try {
    return await best(() => Promise.all(Array.from({ length: TASKS }, () => pool.execute())));
  } finally {
    await pool.destroy();
  }
}

async function piscina(): Promise<number> {
  const { Piscina } = await import("piscina");
  const pool = new Piscina({
    filename: new URL("./fixtures/piscina_noop_worker.mjs", import.meta.url).href,
    minThreads: WORKERS,
    maxThreads: WORKERS,
  });
  try {
    return await best(() => Promise.all(Array.from({ length: TASKS }, () => pool.run(null))));
  } finally {
    await pool.destroy();
  }
}

async function peer(name: string, run: () => Promise<number>): Promise<number | string> {
  try {
    return await run();
  } catch (e) {
    return `${name} could not run on ${runtimeLabel()}: ${(e as Error).message ?? e}`;
  }
}

const PYTHON = `
import multiprocessing as mp, time, json, sys
def noop(): pass
def square(x): return x * x
if __name__ == "__main__":
    tasks, items, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    def best(fn):
        fn()
        b = float("inf")
        for _ in range(rounds):
            t = time.perf_counter(); fn(); b = min(b, time.perf_counter() - t)
        return b * 1000
    with mp.Pool(2) as pool:
        data = list(range(items))
        out = {
            "apply_async": best(lambda: [r.get() for r in [pool.apply_async(noop) for _ in range(tasks)]]),
            "map": best(lambda: pool.map(square, data)),
        }
    print(json.dumps(out))
`;

function line(label: string, ms: number, note = ""): string {
  return `  ${label.padEnd(34)} ${ms.toFixed(1).padStart(9)} ms${note ? `   ${note}` : ""}`;
}

function versus(ourMs: number, theirMs: number | string | null | undefined, name: string): string {
  if (typeof theirMs === "string") return `  ${theirMs}`;
  if (typeof theirMs !== "number") return `  ${name}: not measured (python3 missing?)`;
  return line(name, theirMs, `ours ${(theirMs / ourMs).toFixed(2)}x faster`);
}

if (import.meta.main) {
  console.log(`Pool benchmark on ${runtimeLabel()}, ${WORKERS} workers, best of ${ROUNDS} after a warm-up`);
  const m = await ours();
  const serial = await serialCpu();
  const pf = await peer("poolifier-web-worker", poolifier);
  const ps = await peer("piscina", piscina);
  const py = (await runPython(PYTHON, [String(TASKS), String(ITEMS), String(ROUNDS)])) as
    | { apply_async: number; map: number }
    | null;
  const oursBest = Math.min(m.apply, m.submit);
  console.log(`\n${TASKS} no-op tasks submitted at once, until all results are in:`);
  console.log(line("mp Pool.applyAsync", m.apply));
  console.log(line("mp ProcessPoolExecutor.submit", m.submit));
  console.log(versus(oursBest, pf, "poolifier-web-worker execute"));
  console.log(versus(oursBest, ps, "piscina run"));
  console.log(versus(m.apply, py?.apply_async, "Python Pool.apply_async"));
  console.log(`\nmap over ${ITEMS} small items (x * x):`);
  console.log(line("mp Pool.map", m.map));
  console.log(versus(m.map, py?.map, "Python Pool.map"));
  console.log(`\nCPU-bound map, ${CPU_ITEMS} items of ${CPU_N} iterations:`);
  console.log(line("serial in this thread", serial));
  console.log(line(`mp Pool.map on ${WORKERS} workers`, m.cpu, `speed-up ${(serial / m.cpu).toFixed(2)}x`));
}
