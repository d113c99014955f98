// The main demo: a tour of @mp/multiprocessing on the runtime that runs it.
// Run: deno run -A examples/demo.ts   |   bun examples/demo.ts
import * as mp from "../mod.ts";

/** Runs in a child process: found by reference because it is exported. */
export function greet(who: string): void {
  const me = mp.currentProcess();
  console.log(`  ${me.name} (pid ${me.pid}, parent ${mp.parentProcess()?.pid}) says hello to ${who}`);
}

export async function nap(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

export function square(x: number): number {
  return x * x;
}

/** Adds to a shared counter under a lock, n times. */
export function count(lock: mp.Lock, counter: mp.Value<"i">, n: number): void {
  for (let i = 0; i < n; i++) {
    using _ = lock.lockSync();
    counter.value += 1;
  }
}

/** Puts words on a queue, then the poison pill. */
export async function produce(q: mp.Queue<string | null>): Promise<void> {
  for (const word of ["spam", "eggs", "ham"]) await q.put(word);
  await q.put(null);
}

/** Fills a managed dict from a child. */
export async function fill(d: mp.DictProxy): Promise<void> {
  await d.set("child", mp.currentProcess().name);
  await d.set("answer", 42);
}

if (import.meta.main) {
  // deno-lint-ignore no-explicit-any
  const runtime = (globalThis as any).Deno ? "Deno" : "Bun";
  console.log(
    `@mp/multiprocessing demo on ${runtime}, ${mp.cpuCount()} CPUs, main pid ${mp.currentProcess().pid}`,
  );

  console.log("1. Processes run exported functions:");
  const people = ["Ada", "Grace", "Linus"];
  const ps = people.map((who) => new mp.Process({ target: greet, args: [who] }));
  for (const p of ps) await p.start();
  for (const p of ps) await p.join();
  console.log(`  exit codes: ${ps.map((p) => p.exitCode).join(", ")}`);

  console.log("2. They run in parallel: four 300 ms naps");
  const t0 = performance.now();
  const naps = [1, 2, 3, 4].map(() => new mp.Process({ target: nap, args: [300] }));
  for (const p of naps) await p.start();
  for (const p of naps) await p.join();
  console.log(`  took ${Math.round(performance.now() - t0)} ms of wall time`);

  console.log("3. terminate() ends a process at once:");
  const sleeper = new mp.Process({ target: nap, args: [60_000] });
  await sleeper.start();
  sleeper.terminate();
  await sleeper.join();
  console.log(`  exit code ${sleeper.exitCode} (Python's -SIGTERM)`);

  console.log("4. The fork context ships a self-contained lambda as source:");
  const fork = mp.getContext("fork");
  const lambda = new fork.Process({
    target: (a: number, b: number) => console.log(`  ${a} + ${b} = ${a + b}`),
    args: [20, 22],
  });
  await lambda.start();
  await lambda.join();

  console.log("5. A Pool maps a function over many items:");
  {
    await using pool = new mp.Pool(2);
    const squares = await pool.map(square, Array.from({ length: 10 }, (_, i) => i));
    console.log(`  squares: ${squares.join(" ")}`);
  }

  console.log("6. Shared memory and a Lock: 3 processes x 1000 increments");
  const lock = new mp.Lock();
  const counter = new mp.Value("i", 0);
  const counters = [1, 2, 3].map(() => new mp.Process({ target: count, args: [lock, counter, 1000] }));
  for (const p of counters) await p.start();
  for (const p of counters) await p.join();
  console.log(`  counter = ${counter.value}`);

  console.log("7. A Queue between processes:");
  const q = new mp.Queue<string | null>();
  const producer = new mp.Process({ target: produce, args: [q] });
  await producer.start();
  const words: string[] = [];
  for (let w = await q.get(5000); w !== null; w = await q.get(5000)) words.push(w);
  await producer.join();
  console.log(`  received: ${words.join(", ")}`);
  q.close();

  console.log("8. A Manager serves a dict to every process:");
  {
    await using manager = await mp.Manager();
    const d = await manager.dict();
    const filler = new mp.Process({ target: fill, args: [d] });
    await filler.start();
    await filler.join();
    console.log(`  dict: ${JSON.stringify(Object.fromEntries(await d.copy()))}`);
  }
  console.log("done.");
}
