// Seed 14: a child fills a managed dict (keys keep their types: 1, "2" and 0.25 are
// three different keys) and reverses a managed list; the parent prints both.
// Run: deno run -A examples/manager.ts   |   bun examples/manager.ts
import * as mp from "../mod.ts";

export async function f(d: mp.DictProxy, l: mp.ListProxy<number>): Promise<void> {
  await d.set(1, "1");
  await d.set("2", 2);
  await d.set(0.25, null);
  await l.reverse();
}

/** Python's `{1: '1', '2': 2, 0.25: None}` in JS form, the same on every runtime. */
function show(m: Map<unknown, unknown>): string {
  const s = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : String(v));
  return `Map(${m.size}) { ${[...m].map(([k, v]) => `${s(k)} => ${s(v)}`).join(", ")} }`;
}

if (import.meta.main) {
  await using manager = await mp.Manager();
  const d = await manager.dict();
  const l = await manager.list(Array.from({ length: 10 }, (_, i) => i));
  const p = new mp.Process({ target: f, args: [d, l] });
  await p.start();
  await p.join();
  console.log(show(await d.copy()));
  console.log(`[${(await l.toArray()).join(", ")}]`);
}
