// Seed 12: ten processes print "hello world i" while holding a Lock, so lines never mix.
// Run: deno run -A examples/lock_print.ts   |   bun examples/lock_print.ts
import * as mp from "../mod.ts";

export async function f(lock: mp.Lock, i: number): Promise<void> {
  using _ = await lock.lock(); // the async form: waits without blocking this process's event loop
  console.log("hello world", i);
}

if (import.meta.main) {
  const lock = new mp.Lock();
  const processes = Array.from({ length: 10 }, (_, i) => new mp.Process({ target: f, args: [lock, i] }));
  for (const p of processes) await p.start();
  for (const p of processes) await p.join();
}
