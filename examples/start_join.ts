// Seed 1: start one process and join it.
// Run: deno run -A examples/start_join.ts   |   bun examples/start_join.ts
import * as mp from "../mod.ts";

export async function doSomething(seconds: number): Promise<void> {
  console.log("doing stuff...");
  await new Promise((r) => setTimeout(r, seconds * 1000));
  console.log("stuff done");
}

if (import.meta.main) {
  const p = new mp.Process({ target: doSomething, args: [0.5] });
  await p.start();
  await p.join();
  console.log(`joined ${p.name}, exit code ${p.exitCode}`);
}
