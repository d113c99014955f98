// mp.dummy for I/O-bound work, as Python's docs use multiprocessing.dummy: the Pool
// API on async tasks of this thread. "Fetching" is a timer standing for the network
// (this program needs no network), and files are read concurrently. The task
// functions are closures and lambdas: nothing crosses a thread, nothing need be
// exported.
//
// Switching to processes is one line: `import * as mp from "../mod.ts";` (then the
// tasks must be exported functions, found by reference in the children).
//
// Run: deno run -A examples/dummy_io.ts   |   bun examples/dummy_io.ts
import { readFile } from "node:fs/promises";
import { dummy as mp } from "../mod.ts";

const LATENCY_MS = 100;

let inFlight = 0;
let mostInFlight = 0;

/** Stands for an HTTP GET: waits for the "network", then answers. */
async function fetchPage(url: string): Promise<string> {
  mostInFlight = Math.max(mostInFlight, ++inFlight);
  await new Promise((r) => setTimeout(r, url === "/slow" ? 3 * LATENCY_MS : LATENCY_MS));
  inFlight--;
  return `${url}=200`;
}

if (import.meta.main) {
  await using pool = new mp.Pool(3); // at most 3 requests in flight

  const urls = ["/a", "/b", "/c", "/d", "/e", "/f"];
  const t0 = performance.now();
  const pages = await pool.map(fetchPage, urls, 1);
  const ms = performance.now() - t0;
  console.log(`fetched ${pages.length} pages on ${pool.processes} workers: ${pages.join(" ")}`);
  console.log(`at most ${mostInFlight} fetches were in flight at once`);
  console.log(
    `took ${ms.toFixed(0)} ms for ${urls.length} fetches of ${LATENCY_MS} ms (about 2 rounds, not 6)`,
  );

  const root = new URL("../", import.meta.url);
  const files = ["README.md", "deno.json", "LICENSE"];
  const sizes = await pool.map(async (name: string) => {
    const text = await readFile(new URL(name, root), "utf8");
    return `${name} (${text.split("\n").length} lines)`;
  }, files);
  console.log(`read ${sizes.length} files: ${sizes.join(", ")}`);

  const order: string[] = [];
  for await (const page of pool.imapUnordered(fetchPage, ["/slow", "/quick"])) order.push(page.split("=")[0]);
  console.log(`imapUnordered yields as results come: ${order.join(" before ")}`);
}
