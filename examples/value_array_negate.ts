// Seed 10, second program: a child sets a Value to 3.1415927 and negates an int Array
// of 0..9; the parent prints both.
// Run: deno run -A examples/value_array_negate.ts   |   bun examples/value_array_negate.ts
import * as mp from "../mod.ts";

export function f(n: mp.Value<"d">, a: mp.SharedArray<"i">): void {
  n.value = 3.1415927;
  for (let i = 0; i < a.length; i++) a[i] = -a[i];
}

if (import.meta.main) {
  const num = new mp.Value("d", 0.0);
  const arr = new mp.Array("i", Array.from({ length: 10 }, (_, i) => i));
  const p = new mp.Process({ target: f, args: [num, arr] });
  await p.start();
  await p.join();
  console.log(num.value);
  console.log(`[${arr.slice().join(", ")}]`); // Python prints the list like this
}
