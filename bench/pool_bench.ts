/**
 * Pool throughput, in one run: 20 000 no-op tasks submitted at once (Pool.applyAsync,
 * ProcessPoolExecutor.submit) next to poolifier-web-worker and piscina on the same
 * runtime and to Python's Pool.apply_async; Pool.map over 200 000 small items next to
 * Python's Pool.map; identity maps over 200 000 items of each common type (numbers, short
 * strings, null, { id, name } objects, small arrays, a mix) and Python's documented
 * `pool.map(noop, [None] * 1_000_000)`, each next to Python's Pool.map of the same data;
 * the short strings again through `s + "!"`, next to the same in Python: an identity map of
 * strings is answered with "the results are the items" (the pool keeps the caller's
 * strings), so this row is the one whose strings travel back;
 * a CPU-bound map on 2 workers next to the same work run serially.
 * Every figure is the best of ROUNDS after a warm-up, all pools with 2 workers.
 *
 * Run: deno run -A bench/pool_bench.ts   |   bun bench/pool_bench.ts
 */
import * as mp from "../mod.ts";
import { cpuWork, identity, noop, square } from "./fixtures/pool_tasks.ts";
import { runPython, runtimeLabel } from "./python.ts";

const WORKERS = 2;
const TASKS = 20_000;
const ITEMS = 200_000;
const CPU_ITEMS = 32;
const CPU_N = 3_000_000;
const ROUNDS = 3;
const NONES = 1_000_000;

/** A task that makes a new string of each item: its results travel back (see the module doc). */
export function exclaim(s: string): string {
  return s + "!";
}

/**
 * The data sets of the typed maps, built alike here and in Python (`KINDS_PY`): the
 * item at `i` of each.
 */
const KINDS: [string, (i: number) => unknown][] = [
  ["numbers", (i) => i * 0.5],
  ["short strings", (i) => `item-${i}`],
  ["null", () => null],
  ["{ id, name } objects", (i) => ({ id: i, name: `name-${i}` })],
  ["small arrays", (i) => [i, `x${i}`, i % 2 === 0]],
  ["a mix", (i) => MIX[i % MIX.length](i)],
];
const MIX: ((i: number) => unknown)[] = [
  (i) => i,
  (i) => `s${i}`,
  () => null,
  (i) => i % 3 === 0,
  (i) => ({ id: i, name: `n${i}` }),
  (i) => [i, i + 1],
];

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

interface Ours {
  apply: number;
  submit: number;
  map: number;
  kinds: number[];
  exclaimed: number;
  nones: number;
  cpu: number;
}

async function ours(): Promise<Ours> {
  const pool = new mp.Pool(WORKERS);
  const executor = new mp.ProcessPoolExecutor({ maxWorkers: WORKERS });
  try {
    const apply = await best(() => Promise.all(Array.from({ length: TASKS }, () => pool.applyAsync(noop))));
    const submit = await best(() => Promise.all(Array.from({ length: TASKS }, () => executor.submit(noop))));
    const items = Array.from({ length: ITEMS }, (_, i) => i);
    const map = await best(() => pool.map(square, items));
    const kinds: number[] = [];
    for (const [, make] of KINDS) {
      const data = Array.from({ length: ITEMS }, (_, i) => make(i));
      kinds.push(await best(() => pool.map(identity, data)));
    }
    const strings = Array.from({ length: ITEMS }, (_, i) => `item-${i}`);
    const exclaimed = await best(() => pool.map(exclaim, strings));
    const none = new Array(NONES).fill(null);
    const nones = await best(() => pool.map(noop, none));
    const work = Array.from({ length: CPU_ITEMS }, () => CPU_N);
    const cpu = await best(() => pool.map(cpuWork, work));
    return { apply, submit, map, kinds, exclaimed, nones, cpu };
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
def identity(x): return x
def noop1(x): pass
def exclaim(s): return s + "!"
MIX = [lambda i: i, lambda i: f"s{i}", lambda i: None, lambda i: i % 3 == 0,
       lambda i: {"id": i, "name": f"n{i}"}, lambda i: [i, i + 1]]
KINDS = [lambda i: i * 0.5, lambda i: f"item-{i}", lambda i: None,
         lambda i: {"id": i, "name": f"name-{i}"}, lambda i: [i, f"x{i}", i % 2 == 0],
         lambda i: MIX[i % len(MIX)](i)]
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
            "kinds": [],
        }
        for make in KINDS:
            typed = [make(i) for i in range(items)]
            out["kinds"].append(best(lambda: pool.map(identity, typed)))
        strings = [KINDS[1](i) for i in range(items)]
        out["exclaimed"] = best(lambda: pool.map(exclaim, strings))
        nones = [None] * 1_000_000
        out["nones"] = best(lambda: pool.map(noop1, nones))
    print(json.dumps(out))
`;

function line(label: string, ms: number, note = ""): string {
  return `  ${label.padEnd(34)} ${ms.toFixed(1).padStart(9)} ms${note ? `   ${note}` : ""}`;
}

function versus(ourMs: number, theirMs: number | string | null | undefined, name: string): string {
  if (typeof theirMs === "string") return `  ${theirMs}`;
  if (typeof theirMs !== "number") return `  ${name}: not measured (python3 missing?)`;
  const r = theirMs / ourMs;
  return line(
    name,
    theirMs,
    r >= 1 ? `ours ${r.toFixed(2)}x faster` : `${name.split(" ")[0]} ${(1 / r).toFixed(2)}x faster`,
  );
}

if (import.meta.main) {
  console.log(`Pool benchmark on ${runtimeLabel()}, ${WORKERS} workers, best of ${ROUNDS} after a warm-up`);
  const m = await ours();
  const serial = await serialCpu();
  const pf = await peer("poolifier-web-worker", poolifier);
  const ps = await peer("piscina", piscina);
  const py = (await runPython(PYTHON, [String(TASKS), String(ITEMS), String(ROUNDS)])) as
    | { apply_async: number; map: number; kinds: number[]; exclaimed: number; nones: number }
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
  for (let k = 0; k < KINDS.length; k++) {
    const back = KINDS[k][0] === "short strings"
      ? "the results are the items: not sent back"
      : "results back";
    console.log(`\nmap over ${ITEMS} ${KINDS[k][0]} (identity, ${back}):`);
    console.log(line("mp Pool.map", m.kinds[k]));
    console.log(versus(m.kinds[k], py?.kinds[k], "Python Pool.map"));
  }
  console.log(`\nmap over ${ITEMS} short strings (s + "!", new strings back):`);
  console.log(line("mp Pool.map", m.exclaimed));
  console.log(versus(m.exclaimed, py?.exclaimed, "Python Pool.map"));
  console.log(`\npool.map(noop, [None] * ${NONES}) (Python's docs; null here):`);
  console.log(line("mp Pool.map", m.nones));
  console.log(versus(m.nones, py?.nones, "Python Pool.map"));
  console.log(`\nCPU-bound map, ${CPU_ITEMS} items of ${CPU_N} iterations:`);
  console.log(line("serial in this thread", serial));
  console.log(line(`mp Pool.map on ${WORKERS} workers`, m.cpu, `speed-up ${(serial / m.cpu).toFixed(2)}x`));
}
