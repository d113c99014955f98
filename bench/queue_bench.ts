/**
 * Queues and pipes next to Python's multiprocessing doing the same work, and next to
 * a raw postMessage Worker on the same runtime, in one run:
 * - Queue throughput of small items (one producer process, the main process consuming),
 * - Pipe round trip (a child echoes; best of 3 rounds, on both sides),
 * - a 16 MiB transfer to a child (Queue item, and Pipe sendBytes), acknowledged.
 *
 * Run: deno run -A bench/queue_bench.ts   |   bun bench/queue_bench.ts
 */
import * as mp from "../mod.ts";
import { echo, produce, sink, sinkBytes } from "./fixtures/queue_targets.ts";
import { runPython, runtimeLabel } from "./python.ts";

const ITEMS = 200_000;
const ROUND_TRIPS = 5_000;
const ROUNDS = 3;
const BIG = 16 << 20;
const BIGS = 5;

/** Small items per second through a Queue, producer in a child, consumer here. */
async function queueThroughput(sync: boolean): Promise<number> {
  const go = new mp.Queue<number>();
  const q = new mp.Queue<number | null>();
  const p = new mp.Process({ target: produce, args: [go, q, ITEMS, sync] });
  await p.start();
  const t0 = performance.now();
  await go.put(1);
  if (sync) { while (q.getSync() !== null); }
  else while ((await q.get()) !== null);
  const ms = performance.now() - t0;
  await p.join();
  return (ITEMS / ms) * 1000;
}

/** Microseconds per round trip over a Pipe to an echoing child. */
async function pipeRoundTrip(sync: boolean): Promise<number> {
  const [here, there] = mp.Pipe<number | null>();
  const p = new mp.Process({ target: echo, args: [there, sync] });
  await p.start();
  const once = sync ? (i: number) => (here.sendSync(i), here.recvSync()) : async (i: number) => {
    await here.send(i);
    return await here.recv();
  };
  for (let i = 0; i < 200; i++) await once(i);
  let us = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < ROUND_TRIPS; i++) await once(i);
    us = Math.min(us, ((performance.now() - t0) / ROUND_TRIPS) * 1000);
  }
  await here.send(null);
  await here.recv();
  await p.join();
  here.close();
  return us;
}

/** Milliseconds per 16 MiB item put on a Queue and acknowledged by a child. */
async function bigQueue(): Promise<number> {
  const q = new mp.Queue<Uint8Array>();
  const back = new mp.Queue<number>();
  const p = new mp.Process({ target: sink, args: [q, back, BIGS + 1] });
  await p.start();
  const big = new Uint8Array(BIG).fill(7);
  await q.put(big);
  await back.get();
  const t0 = performance.now();
  for (let i = 0; i < BIGS; i++) {
    await q.put(big);
    await back.get();
  }
  const ms = (performance.now() - t0) / BIGS;
  await p.join();
  return ms;
}

/** Milliseconds per 16 MiB sendBytes on a Pipe, acknowledged by the child. */
async function bigPipe(): Promise<number> {
  const [here, there] = mp.Pipe<number>();
  const p = new mp.Process({ target: sinkBytes, args: [there, BIGS + 1] });
  await p.start();
  const big = new Uint8Array(BIG).fill(7);
  await here.sendBytes(big);
  await here.recv();
  const t0 = performance.now();
  for (let i = 0; i < BIGS; i++) {
    await here.sendBytes(big);
    await here.recv();
  }
  const ms = (performance.now() - t0) / BIGS;
  await p.join();
  here.close();
  return ms;
}

/** A raw Worker: postMessage round trip (µs) and a stream of small messages (items/s). */
async function rawPostMessage(): Promise<{ roundTrip: number; stream: number }> {
  const w = new Worker(new URL("./fixtures/post_stream_worker.ts", import.meta.url).href, { type: "module" });
  let next: (v: unknown) => void = () => {};
  w.onmessage = (e: MessageEvent) => next(e.data);
  const ask = (m: unknown) => new Promise((resolve) => ((next = resolve), w.postMessage(m)));
  for (let i = 0; i < 200; i++) await ask(i);
  let roundTrip = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < ROUND_TRIPS; i++) await ask(i);
    roundTrip = Math.min(roundTrip, ((performance.now() - t0) / ROUND_TRIPS) * 1000);
  }
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    next = (m) => m === null && resolve();
    w.postMessage({ stream: ITEMS });
  });
  const stream = (ITEMS / (performance.now() - t0)) * 1000;
  w.terminate();
  return { roundTrip, stream };
}

const PYTHON = `
import multiprocessing as mp, time, json, sys
ITEMS, RTS, BIG, BIGS = (int(a) for a in sys.argv[1:5])
def produce(go, q, n):
    go.get()
    for i in range(n): q.put(i)
    q.put(None)
def echo(conn):
    while True:
        m = conn.recv(); conn.send(m)
        if m is None: break
def sink(q, back, n):
    for _ in range(n): back.put(len(q.get()))
def sink_bytes(conn, n):
    for _ in range(n): conn.send(len(conn.recv_bytes()))
if __name__ == "__main__":
    out = {}
    go, q = mp.Queue(), mp.Queue()
    p = mp.Process(target=produce, args=(go, q, ITEMS)); p.start()
    t = time.perf_counter(); go.put(1)
    while q.get() is not None: pass
    out["queue"] = ITEMS / (time.perf_counter() - t); p.join()
    a, b = mp.Pipe()
    p = mp.Process(target=echo, args=(b,)); p.start()
    for i in range(200): a.send(i); a.recv()
    out["pipe"] = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for i in range(RTS): a.send(i); a.recv()
        out["pipe"] = min(out["pipe"], (time.perf_counter() - t) / RTS * 1e6)
    a.send(None); a.recv(); p.join()
    big = bytes(BIG)
    q, back = mp.Queue(), mp.Queue()
    p = mp.Process(target=sink, args=(q, back, BIGS + 1)); p.start()
    q.put(big); back.get()
    t = time.perf_counter()
    for _ in range(BIGS): q.put(big); back.get()
    out["bigQueue"] = (time.perf_counter() - t) / BIGS * 1000; p.join()
    a, b = mp.Pipe()
    p = mp.Process(target=sink_bytes, args=(b, BIGS + 1)); p.start()
    a.send_bytes(big); a.recv()
    t = time.perf_counter()
    for _ in range(BIGS): a.send_bytes(big); a.recv()
    out["bigPipe"] = (time.perf_counter() - t) / BIGS * 1000; p.join()
    print(json.dumps(out))
`;

interface PythonFigures {
  queue: number;
  pipe: number;
  bigQueue: number;
  bigPipe: number;
}

function row(name: string, value: string, note = ""): void {
  console.log(`  ${name.padEnd(44)} ${value.padStart(16)}  ${note}`);
}

const faster = (x: number) => `${x.toFixed(1)}x Python`;

if (import.meta.main) {
  console.log(`queues and pipes, ${runtimeLabel()}`);
  const py = (await runPython(PYTHON, [ITEMS, ROUND_TRIPS, BIG, BIGS].map(String))) as PythonFigures | null;
  const raw = await rawPostMessage();
  const qSync = await queueThroughput(true);
  const qAsync = await queueThroughput(false);
  const rtSync = await pipeRoundTrip(true);
  const rtAsync = await pipeRoundTrip(false);
  const bq = await bigQueue();
  const bp = await bigPipe();
  const items = (n: number) => `${Math.round(n).toLocaleString("en-US")} items/s`;
  const us = (n: number) => `${n.toFixed(1)} µs`;
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  console.log(`Queue throughput, ${ITEMS.toLocaleString("en-US")} small items, 1 producer + 1 consumer`);
  if (py) row("Python multiprocessing.Queue", items(py.queue));
  const vsRaw = (x: number) => `${(x / raw.stream).toFixed(2)}x the raw stream`;
  row(
    "mp.Queue putSync/getSync",
    items(qSync),
    `${py ? `${faster(qSync / py.queue)}, ` : ""}${vsRaw(qSync)}`,
  );
  row(
    "mp.Queue await put/get",
    items(qAsync),
    `${py ? `${faster(qAsync / py.queue)}, ` : ""}${vsRaw(qAsync)}`,
  );
  row("raw postMessage stream (no queue semantics)", items(raw.stream));
  console.log(
    `Pipe round trip, best of ${ROUNDS} x ${ROUND_TRIPS.toLocaleString("en-US")} (lower is better)`,
  );
  if (py) row("Python multiprocessing.Pipe", us(py.pipe));
  row(
    "mp.Pipe sendSync/recvSync",
    us(rtSync),
    py ? `${(py.pipe / rtSync).toFixed(1)}x faster than Python` : "",
  );
  row(
    "mp.Pipe await send/recv",
    us(rtAsync),
    py ? `${(py.pipe / rtAsync).toFixed(1)}x faster than Python` : "",
  );
  row(
    "raw postMessage round trip",
    us(raw.roundTrip),
    `mp.Pipe ${
      (raw.roundTrip / Math.min(rtSync, rtAsync)).toFixed(1)
    }x as fast (the faster of sync and await)`,
  );
  console.log(`16 MiB to a child and acknowledged, ${BIGS} times (lower is better)`);
  if (py) row("Python Queue.put(bytes)", ms(py.bigQueue));
  row("mp.Queue put(Uint8Array)", ms(bq), py ? `${(py.bigQueue / bq).toFixed(1)}x faster than Python` : "");
  if (py) row("Python Connection.send_bytes", ms(py.bigPipe));
  row("mp.Connection sendBytes", ms(bp), py ? `${(py.bigPipe / bp).toFixed(1)}x faster than Python` : "");
}
