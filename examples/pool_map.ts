// Seed 6: Pool.map — square(x) with a short sleep, over [1..5] on 3 workers: about
// 2 rounds of work instead of 5.
// Run: deno run -A examples/pool_map.ts   |   bun examples/pool_map.ts
import * as mp from "../mod.ts";

const SLEEP_MS = 300;

export async function square(x: number): Promise<number> {
  await new Promise((r) => setTimeout(r, SLEEP_MS));
  return x * x;
}

if (import.meta.main) {
  await using pool = new mp.Pool(3);
  const t0 = performance.now();
  const results = await pool.map(square, [1, 2, 3, 4, 5]);
  const ms = performance.now() - t0;
  console.log(results);
  console.log(
    `5 tasks of ${SLEEP_MS} ms on 3 workers took ${ms.toFixed(0)} ms (2 rounds and the workers' start)`,
  );
}
