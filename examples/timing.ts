// Seed 16: two processes that each sleep 1 s finish in about 1 s of wall time
// when both are started before either is joined.
import * as mp from "../mod.ts";

export async function sleeper(seconds: number): Promise<void> {
  await new Promise((r) => setTimeout(r, seconds * 1000));
}

if (import.meta.main) {
  const t0 = performance.now();
  const ps = [1, 2].map(() => new mp.Process({ target: sleeper, args: [1] }));
  for (const p of ps) await p.start();
  for (const p of ps) await p.join();
  const seconds = (performance.now() - t0) / 1000;
  console.log(`two 1 s sleeps took ${seconds.toFixed(2)} s`);
}
