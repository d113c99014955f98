// Seed 10: a child increments a shared integer 1000 times; another doubles each element
// of a shared double array. The parent prints both.
// Run: deno run -A examples/value_array.ts   |   bun examples/value_array.ts
import * as mp from "../mod.ts";

export function increment(n: mp.Value<"i">): void {
  for (let i = 0; i < 1000; i++) {
    using _ = n.lockSync(); // `+=` reads then writes: hold the lock around both
    n.value += 1;
  }
}

export function double(a: mp.SharedArray<"d">): void {
  for (let i = 0; i < a.length; i++) a[i] *= 2;
}

if (import.meta.main) {
  const num = new mp.Value("i", 0);
  const arr = new mp.Array("d", [1.0, 2.0, 3.0]);
  const p1 = new mp.Process({ target: increment, args: [num] });
  const p2 = new mp.Process({ target: double, args: [arr] });
  await p1.start();
  await p2.start();
  await p1.join();
  await p2.join();
  console.log(num.value);
  console.log(`[${arr.slice().join(", ")}]`); // Python prints the list like this
}
