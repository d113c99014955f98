// Seed 11: three processes each take a Lock 5 times, increment a shared counter and
// print it; the final value is 15.
// Run: deno run -A examples/lock_counter.ts   |   bun examples/lock_counter.ts
import * as mp from "../mod.ts";

export function addOne(lock: mp.Lock, counter: mp.Value<"i">): void {
  for (let i = 0; i < 5; i++) {
    using _ = lock.lockSync(); // Python: `with lock:`
    counter.value += 1;
    console.log(`${mp.currentProcess().name}: counter = ${counter.value}`);
  }
}

if (import.meta.main) {
  const lock = new mp.Lock();
  const counter = new mp.Value("i", 0);
  const processes = [1, 2, 3].map(() => new mp.Process({ target: addOne, args: [lock, counter] }));
  for (const p of processes) await p.start();
  for (const p of processes) await p.join();
  console.log(`final counter: ${counter.value}`);
}
