/**
 * Issue 12's done-criterion for managers: 100 000 calls on one dict proxy, then 20 000
 * dicts created and released, keep the process's RSS within 1.5x of its size after the
 * first 5 000 calls. Prints RSS along the way and whether the bound held (exit code 1
 * if not). The test suite runs a smaller version (tests/manager_refcount_test.ts).
 *
 * Run: deno run -A bench/manager_soak.ts   |   bun bench/manager_soak.ts
 */
import * as mp from "../mod.ts";
import { runtimeLabel } from "./python.ts";

/**
 * The process's resident set size in MB, after a full garbage collection where the
 * runtime offers one (Bun): what stays is what is retained.
 */
export function rssMB(): number {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  g.Bun?.gc(true);
  return (g.Deno ? g.Deno.memoryUsage().rss : g.process.memoryUsage().rss) / 2 ** 20;
}

/** Figures of one soak run. */
export interface SoakResult {
  /** RSS after the first `warm` calls (MB). */
  base: number;
  /** Highest RSS seen afterwards (MB). */
  peak: number;
  /** Objects the server still holds at the end. */
  objects: number;
  /** Milliseconds the whole run took. */
  ms: number;
}

/**
 * `calls` set/get calls on one dict (the first `warm` of them before the baseline),
 * then `dicts` dicts made, written and released, sampling RSS every `every` steps.
 */
export async function soak(
  manager: mp.SyncManager,
  { calls, dicts, warm, every, log }: {
    calls: number;
    dicts: number;
    warm: number;
    every: number;
    log?: (step: string, rss: number) => void;
  },
): Promise<SoakResult> {
  const t0 = performance.now();
  const d = await manager.dict<number, number>();
  let base = 0, peak = 0;
  const sample = (step: string) => {
    const rss = rssMB();
    peak = Math.max(peak, rss);
    log?.(step, rss);
  };
  for (let i = 0; i < calls; i++) {
    if (i % 2 === 0) d.setSync(i % 100, i);
    else d.getSync(i % 100);
    if (i + 1 === warm) {
      base = rssMB();
      log?.(`${warm} calls (baseline)`, base);
    } else if (i + 1 > warm && (i + 1) % every === 0) sample(`${i + 1} calls`);
  }
  for (let i = 0; i < dicts; i++) {
    using x = manager.dictSync<string, number>();
    x.setSync("i", i);
    if ((i + 1) % every === 0) sample(`${i + 1} dicts made and released`);
  }
  d.release();
  const objects = (await manager.debugInfo()).objects;
  return { base, peak, objects, ms: performance.now() - t0 };
}

if (import.meta.main) {
  console.log(
    `manager soak, ${runtimeLabel()}: 100 000 calls on one dict, then 20 000 dicts made and released`,
  );
  await using manager = await mp.Manager();
  const r = await soak(manager, {
    calls: 100_000,
    dicts: 20_000,
    warm: 5_000,
    every: 10_000,
    log: (step, rss) =>
      console.log(
        `  ${step.padEnd(36)} RSS ${rss.toFixed(0)} MB  ${(performance.now() / 1000).toFixed(1)} s`,
      ),
  });
  const ratio = r.peak / r.base;
  console.log(
    `  peak ${r.peak.toFixed(0)} MB = ${ratio.toFixed(2)}x the baseline ${r.base.toFixed(0)} MB ` +
      `(bound 1.5x: ${ratio <= 1.5 ? "held" : "EXCEEDED"}); objects left ${r.objects}; ${
        (r.ms / 1000).toFixed(1)
      } s`,
  );
  if (ratio > 1.5 || r.objects !== 0) {
    await manager.shutdown();
    // deno-lint-ignore no-explicit-any
    (globalThis as any).process.exitCode = 1;
  }
}
