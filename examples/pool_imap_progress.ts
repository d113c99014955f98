// Pool.imap over a large input with a progress line: results arrive in order while the
// input (a generator) is read lazily, a bounded distance ahead of the consumer.
// Run: deno run -A examples/pool_imap_progress.ts   |   bun examples/pool_imap_progress.ts
import * as mp from "../mod.ts";

export function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

function* numbers(count: number) {
  for (let i = 0; i < count; i++) yield i;
}

if (import.meta.main) {
  const total = 200_000;
  await using pool = new mp.Pool(2);
  let primes = 0;
  let done = 0;
  for await (const prime of pool.imap(isPrime, numbers(total), 1000)) {
    if (prime) primes++;
    if (++done % 50_000 === 0) {
      console.log(`progress: ${done}/${total} (${(100 * done / total).toFixed(0)}%)`);
    }
  }
  console.log(`${primes} primes below ${total}`);
}
