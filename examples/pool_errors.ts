// Seed 8: error handling in a pool. In JS 100 / 0 is Infinity, so safeDivide throws and
// catches explicitly to keep the lesson: a task returns 100 / x or an error string.
// Then the same error left uncaught in the worker rejects the map, with its class.
// Run: deno run -A examples/pool_errors.ts   |   bun examples/pool_errors.ts
import * as mp from "../mod.ts";

function divide(a: number, b: number): number {
  if (b === 0) throw new RangeError("division by zero");
  return a / b;
}

export function safeDivide(x: number): number | string {
  try {
    return divide(100, x);
  } catch (e) {
    return `Error: ${(e as Error).message}`;
  }
}

export function unsafeDivide(x: number): number {
  return divide(100, x);
}

if (import.meta.main) {
  await using pool = new mp.Pool(2);
  console.log(await pool.map(safeDivide, [10, 0, 5]));
  try {
    await pool.map(unsafeDivide, [10, 0, 5]);
  } catch (e) {
    const err = e as Error;
    console.log(`caught ${err.name}: ${err.message} (cause: ${(err.cause as Error).name})`);
  }
}
