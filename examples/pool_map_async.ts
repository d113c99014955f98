// Seed 7: Pool.mapAsync — cube over [1, 2, 3] with a default-sized pool while the main
// program does other work, then get the results.
// Run: deno run -A examples/pool_map_async.ts   |   bun examples/pool_map_async.ts
import * as mp from "../mod.ts";

export function cube(x: number): number {
  return x ** 3;
}

if (import.meta.main) {
  await using pool = new mp.Pool();
  const result = pool.mapAsync(cube, [1, 2, 3]);
  console.log("main program does other work meanwhile...");
  console.log(await result.get(10_000));
}
