// Seed 2: several processes, built by one helper, started by another, then joined.
import * as mp from "../mod.ts";

export async function doSomething(name: string, seconds: number): Promise<void> {
  console.log(`${name}: doing stuff...`);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  console.log(`${name}: stuff done`);
}

export function makeProcesses(n: number): mp.Process[] {
  return Array.from(
    { length: n },
    (_, i) => new mp.Process({ target: doSomething, args: [`worker ${i}`, 1] }),
  );
}

export async function startAll(processes: mp.Process[]): Promise<void> {
  await Promise.all(processes.map((p) => p.start()));
}

if (import.meta.main) {
  const processes = makeProcesses(4);
  await startAll(processes);
  for (const p of processes) await p.join();
  console.log("all joined:", processes.map((p) => p.exitCode).join(" "));
}
