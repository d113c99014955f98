/**
 * Runs a Python script (Python's `multiprocessing` measured in the same run as
 * ours) and returns what it printed as JSON, or `null` when python3 is missing.
 */
export async function runPython(script: string, args: string[] = []): Promise<unknown> {
  const { spawnSync } = await import("node:child_process");
  const { mkdtempSync, writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "mp-bench-"));
  const file = join(dir, "bench.py");
  writeFileSync(file, script);
  const r = spawnSync("python3", [file, ...args], { encoding: "utf8", timeout: 300_000 });
  if (r.error || r.status !== 0) {
    console.error(`python3 failed: ${r.error ?? r.stderr}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

/** The runtime running the benchmark, with its version. */
export function runtimeLabel(): string {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  return g.Deno ? `Deno ${g.Deno.version.deno}` : `Bun ${g.Bun.version}`;
}

/**
 * "ours 1.33x faster" (ours better) or "Python 2.10x faster" (Python better), for a
 * figure where `higher` is better or not; `word` says what better means.
 */
export function versus(ours: number, python: number, higher: boolean, word = "faster"): string {
  const r = higher ? ours / python : python / ours;
  return r >= 1 ? `ours ${r.toFixed(2)}x ${word}` : `Python ${(1 / r).toFixed(2)}x ${word}`;
}

/** Prints one aligned row of a benchmark's report. */
export function line(name: string, value: string, note = ""): void {
  console.log(`  ${name.padEnd(44)} ${value.padStart(14)}  ${note}`);
}

/**
 * Starts `bench/fixtures/<fixture>` on this runtime as a separate OS process with
 * `args`; resolves once it prints `port N`, with that port and a stop function.
 */
export async function startServerProcess(
  fixture: string,
  args: string[],
  what: string,
): Promise<{ port: number; stop: () => void }> {
  const { spawn } = await import("node:child_process");
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  const exe: string = g.Deno?.execPath() ?? g.process.execPath;
  const file = new URL(`./fixtures/${fixture}`, import.meta.url).pathname;
  const child = spawn(exe, g.Deno ? ["run", "-A", file, ...args] : [file, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Uint8Array) => {
      out += new TextDecoder().decode(d);
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on("close", () => reject(new Error(`${what} ended early`)));
    setTimeout(() => reject(new Error(`${what} did not start within 20 s`)), 20_000);
  });
  return { port, stop: () => child.kill("SIGKILL") };
}
