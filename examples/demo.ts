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
  console.log("done.");
}
