// Seed 4: children change a number they were given and a module global; the
// parent's copy stays unchanged, under spawn and under fork.
import * as mp from "../mod.ts";

export let total = 10;

export function addUp(label: string, start: number): void {
  let n = start;
  for (let i = 0; i < 5; i++) n += i;
  total += 1000;
  console.log(`${label}: ${n} (the child's global is now ${total})`);
}

if (import.meta.main) {
  for (const method of mp.getAllStartMethods()) {
    const ctx = mp.getContext(method);
    const children = [1, 2].map((n) =>
      new ctx.Process({ target: addUp, args: [`${method} child ${n}`, n * 100] })
    );
    for (const c of children) await c.start();
    for (const c of children) await c.join();
    if (method === "fork") {
      // Under fork a self-contained lambda works too: it is shipped as source text.
      const lambda = new ctx.Process({
        target: (x: number) => console.log(`fork lambda: ${x + 1}`),
        args: [41],
      });
      await lambda.start();
      await lambda.join();
    }
    console.log(`${method}: the parent's global is still ${total}`);
  }
}
