/**
 * Manager proxies next to Python's `multiprocessing.Manager()` measured in the same
 * run: a dict proxy `set` + `get` round trip pair (µs), blocking (`*Sync`) and async,
 * a list proxy `append` from two child processes at once (calls/s: timed between two
 * barriers that both children and the parent pass, so that only the appends count; and
 * again from starting the two children to joining them), and one proxy call next to a
 * Pipe round trip measured in the same run.
 *
 * Run: deno run -A bench/manager_bench.ts   |   bun bench/manager_bench.ts
 */
import * as mp from "../mod.ts";
import { line, runPython, runtimeLabel, versus } from "./python.ts";

const PAIRS = 5_000;
const APPENDS = 5_000; // per child

/** Echoes what `c` receives until `null` (a child of the benchmark: the Pipe reference). */
export function echo(c: mp.Connection<number | null>): void {
  for (;;) {
    const v = c.recvSync();
    c.sendSync(v);
    if (v === null) return;
  }
}

/**
 * One dict proxy call (`setSync`) next to one Pipe round trip to an echoing child, in
 * interleaved rounds (µs, best of each): issue 13 wants a proxy call within 2x of it.
 */
async function callVsPipe(d: mp.DictProxy<number, number>): Promise<[call: number, pipe: number]> {
  const [here, there] = mp.Pipe<number | null>();
  const p = new mp.Process({ target: echo, args: [there] });
  await p.start();
  const n = 5_000;
  let call = Infinity, pipe = Infinity;
  for (let r = 0; r < 10; r++) {
    let t0 = performance.now();
    for (let i = 0; i < n; i++) {
      here.sendSync(i);
      here.recvSync();
    }
    pipe = Math.min(pipe, ((performance.now() - t0) * 1000) / n);
    t0 = performance.now();
    for (let i = 0; i < n; i++) d.setSync(i % 100, i);
    call = Math.min(call, ((performance.now() - t0) * 1000) / n);
  }
  here.sendSync(null);
  here.recvSync();
  await p.join();
  here.close();
  return [call, pipe];
}

/**
 * Appends `n` numbers to `l`, blocking on each reply, between two waits on `b` (a child
 * of the benchmark).
 */
export function appender(l: mp.ListProxy<number>, n: number, b: mp.Barrier): void {
  b.waitSync();
  for (let i = 0; i < n; i++) l.appendSync(i);
  b.waitSync();
}

async function setGet(d: mp.DictProxy<number, number>, useAsync: boolean): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (let i = 0; i < PAIRS; i++) {
      if (useAsync) {
        await d.set(i % 100, i);
        await d.get(i % 100);
      } else {
        d.setSync(i % 100, i);
        d.getSync(i % 100);
      }
    }
    best = Math.min(best, ((performance.now() - t0) * 1000) / PAIRS);
  }
  return best;
}

/** Two children appending at once: calls/s during the appends, and from start to join. */
async function appends(manager: mp.SyncManager): Promise<[during: number, startToJoin: number]> {
  const l = await manager.list<number>();
  const b = new mp.Barrier(3);
  const ps = [0, 1].map(() => new mp.Process({ target: appender, args: [l, APPENDS, b] }));
  const t0 = performance.now();
  for (const p of ps) await p.start();
  await b.wait();
  const t1 = performance.now();
  await b.wait();
  const t2 = performance.now();
  for (const p of ps) await p.join();
  const t3 = performance.now();
  if ((await l.length()) !== 2 * APPENDS) throw new Error("lost appends");
  return [(2 * APPENDS) / ((t2 - t1) / 1000), (2 * APPENDS) / ((t3 - t0) / 1000)];
}

const PYTHON = `
import multiprocessing as mp, time, json, sys
P, A = int(sys.argv[1]), int(sys.argv[2])

def appender(l, n, b):
    b.wait()
    for i in range(n): l.append(i)
    b.wait()

if __name__ == "__main__":
    out = {}
    with mp.Manager() as m:
        d = m.dict()
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            for i in range(P):
                d[i % 100] = i
                d[i % 100]
            best = min(best, (time.perf_counter() - t) * 1e6 / P)
        out["pair"] = best
        out["appends"] = out["startToJoin"] = 0
        for _ in range(2):
            l = m.list()
            b = mp.Barrier(3)
            ps = [mp.Process(target=appender, args=(l, A, b)) for _ in range(2)]
            t0 = time.perf_counter()
            for p in ps: p.start()
            b.wait()
            t1 = time.perf_counter()
            b.wait()
            t2 = time.perf_counter()
            for p in ps: p.join()
            t3 = time.perf_counter()
            assert len(l) == 2 * A
            out["appends"] = max(out["appends"], 2 * A / (t2 - t1))
            out["startToJoin"] = max(out["startToJoin"], 2 * A / (t3 - t0))
    print(json.dumps(out))
`;

if (import.meta.main) {
  console.log(`manager proxies, ${runtimeLabel()} vs Python multiprocessing.Manager() (same run)`);
  await using manager = await mp.Manager();
  const d = await manager.dict<number, number>();
  await setGet(d, false); // warm up
  const sync = await setGet(d, false);
  const asyncPair = await setGet(d, true);
  const [a1, b1] = await appends(manager), [a2, b2] = await appends(manager);
  const rate = Math.max(a1, a2), rateWithStart = Math.max(b1, b2);
  const [call, pipe] = await callVsPipe(d);
  const py = (await runPython(PYTHON, [String(PAIRS), String(APPENDS)])) as
    | { pair: number; appends: number; startToJoin: number }
    | null;
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  line(
    "dict set+get, *Sync (main process)",
    `${sync.toFixed(1)} µs`,
    py ? `Python ${py.pair.toFixed(1)} µs → ${versus(sync, py.pair, false)}` : "",
  );
  line(
    "dict set+get, async (main process)",
    `${asyncPair.toFixed(1)} µs`,
    py ? `Python ${py.pair.toFixed(1)} µs → ${versus(asyncPair, py.pair, false)}` : "",
  );
  line(
    "one dict call (setSync) vs a Pipe round trip",
    `${call.toFixed(2)} µs`,
    `Pipe ${pipe.toFixed(2)} µs → the call takes ${(call / pipe).toFixed(2)}x`,
  );
  line(
    "list append from 2 children at once",
    `${fmt(rate)} calls/s`,
    py ? `Python ${fmt(py.appends)} calls/s → ${versus(rate, py.appends, true)}` : "",
  );
  line(
    "the same, from starting them to joining them",
    `${fmt(rateWithStart)} calls/s`,
    py ? `Python ${fmt(py.startToJoin)} calls/s → ${versus(rateWithStart, py.startToJoin, true)}` : "",
  );
}
