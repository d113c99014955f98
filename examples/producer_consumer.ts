// Seed 9: a producer and a consumer share a Queue; a poison pill (null) ends the consumer.
// Run: deno run -A examples/producer_consumer.ts   |   bun examples/producer_consumer.ts
import * as mp from "../mod.ts";

export async function producer(q: mp.Queue<string | null>): Promise<void> {
  for (const item of ["A", "B", "C", "D"]) {
    await q.put(item);
    console.log(`produced ${item}`);
  }
}

export async function consumer(q: mp.Queue<string | null>): Promise<void> {
  for (;;) {
    const item = await q.get();
    if (item === null) break; // the poison pill
    console.log(`consumed ${item}`);
  }
  console.log("consumer got the pill");
}

if (import.meta.main) {
  const q = new mp.Queue<string | null>();
  const p = new mp.Process({ target: producer, args: [q] });
  const c = new mp.Process({ target: consumer, args: [q] });
  await p.start();
  await c.start();
  await p.join();
  await q.put(null);
  await c.join();
  console.log(`done: producer exit ${p.exitCode}, consumer exit ${c.exitCode}`);
}
