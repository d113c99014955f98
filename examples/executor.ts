// ProcessPoolExecutor (concurrent.futures): submit returns a Promise, map yields results
// in order, and `await using` shuts the executor down and waits.
// Run: deno run -A examples/executor.ts   |   bun examples/executor.ts
import * as mp from "../mod.ts";

export function power(base: number, exponent: number): number {
  return base ** exponent;
}

export function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

if (import.meta.main) {
  await using executor = new mp.ProcessPoolExecutor({ maxWorkers: 2 });
  const futures = ["the quick brown fox", "jumps over", "the lazy dog"].map((t) =>
    executor.submit(wordCount, t)
  );
  console.log("words:", await Promise.all(futures));
  const powers: number[] = [];
  for await (const p of executor.map(power, [2, 3, 4], [10, 3, 2])) powers.push(p);
  console.log("powers:", powers);
}
