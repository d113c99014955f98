// Shared test helpers (not a test file).
import { activeChildren, type Process } from "../mod.ts";

/** The runtime executable running the tests (deno or bun). */
export const execPath: string =
  // deno-lint-ignore no-explicit-any
  (globalThis as any).Deno?.execPath() ?? (globalThis as any).process.execPath;

/** True under Deno. */
// deno-lint-ignore no-explicit-any
export const isDeno: boolean = (globalThis as any).Deno !== undefined;

/** Runs `file` (relative to the repo root) as a program on this runtime; bounded. */
export async function runProgram(
  file: string,
  timeoutMs = 30_000,
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const { spawn } = await import("node:child_process");
  const root = new URL("../", import.meta.url).pathname;
  const args = isDeno ? ["run", "-A", file] : [file];
  const t0 = performance.now();
  return await new Promise((resolve, reject) => {
    const child = spawn(execPath, args, { cwd: root, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d: Uint8Array) => (stdout += d));
    child.stderr.on("data", (d: Uint8Array) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`${file} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`),
      );
    }, timeoutMs);
    child.on("close", (code: number | null) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** Joins with a bound: fails the test instead of hanging. */
export async function joinWithin(p: Process, ms = 10_000): Promise<void> {
  await p.join(ms);
  if (p.exitCode === null) {
    p.kill();
    throw new Error(`${p.name} did not end within ${ms} ms`);
  }
}

/** Waits until `cond()` holds, at most `ms`. */
export async function eventually(cond: () => boolean, ms = 5_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} did not hold within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Ends every live child (cleanup after a failed test). */
export function killAll(): void {
  for (const c of activeChildren()) c.kill();
}

/** How long a pool test waits for one answer before it fails (ms). */
export const POOL_BOUND = 15_000;

/** The live worker processes of this process's pools. */
export function poolWorkers(): Process[] {
  return activeChildren().filter((p) => /PoolWorker/.test(p.name));
}

/** Waits for `p` at most `ms`: fails the test, naming `what`, instead of hanging. */
export async function within<T>(p: PromiseLike<T>, ms = POOL_BOUND, what = "the pool"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
