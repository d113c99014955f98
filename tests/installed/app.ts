// The user app of the installed-form tests (tests/fixtures/installed_app), copied to a
// temporary folder, run as a program with a bound, and its checks compared.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The repository's root folder. */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

/** A fresh temporary folder, removed by {@linkcode removeDir}. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `mp-${prefix}-`));
}

/** Removes a folder made by {@linkcode tempDir}. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Copies the fixture app into `dir` and writes the given config files beside it. */
export function layOutApp(dir: string, configs: Record<string, unknown>): void {
  cpSync(join(ROOT, "tests/fixtures/installed_app"), dir, { recursive: true });
  for (const [name, json] of Object.entries(configs)) {
    writeFileSync(join(dir, name), JSON.stringify(json, null, 2));
  }
}

/** What a program printed, and how it ended. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `cmd args` in `cwd`, killing it (and failing) after `timeoutMs`. */
export function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<RunResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: "1", ...env } });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d: Uint8Array) => (stdout += d));
    child.stderr.on("data", (d: Uint8Array) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`${cmd} ${args.join(" ")} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`),
      );
    }, timeoutMs);
    child.on("close", (code: number | null) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** The `check <name> <json>` lines of main.ts's output. */
export function checksOf(stdout: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const m of stdout.matchAll(/^check (\S+) (.*)$/gm)) out.set(m[1], JSON.parse(m[2]));
  return out;
}

/** Asserts every check of main.ts: the same results as from local files. */
export function assertChecks(r: RunResult): void {
  const c = checksOf(r.stdout);
  const why = `\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  const get = (name: string) => {
    assert.ok(c.has(name), `main.ts printed no check "${name}"${why}`);
    return c.get(name) as unknown[];
  };
  const [hello, helloCode] = get("process");
  assert.match(String(hello), /^hello bob from Process-\d+$/, why);
  assert.equal(helloCode, 0, why);
  assert.deepEqual(get("shared"), [1000, true, [0, 0]], why);
  const [grandchild, nestedCode] = get("nested");
  assert.match(String(grandchild), /^Process-\d+:1$/, why);
  assert.equal(nestedCode, 0, why);
  const [greeting, greeterCode] = get("subclass");
  assert.match(String(greeting), /^hi from \S+-\d+$/, why);
  assert.equal(greeterCode, 0, why);
  assert.deepEqual(get("pool"), [[1, 4, 9, 16], "HEY!", [3, 6, 9], true], why);
  assert.deepEqual(get("executor"), [81, [3, 6]], why);
  assert.deepEqual(get("manager"), [1, 7, true, 0], why);
  assert.deepEqual(get("remote"), [1, 2, 42], why);
  assert.deepEqual(get("fork"), [[2, 4, 6], 42], why);
  const notExported = get("not-exported") as unknown as { error: string; message: string };
  assert.equal(notExported.error, "ProcessError", why);
  assert.match(notExported.message, /"notExported" cannot be found by reference/, why);
  assert.equal(r.code, 0, `main.ts exited with ${r.code}${why}`);
}

/** Asserts that idle_pool.ts printed its result and exited by itself. */
export function assertIdlePoolExits(r: RunResult): void {
  const why = `\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  assert.match(r.stdout, /squares \[1,4,9\]/, why);
  assert.equal(r.code, 0, why);
}

/** Asserts that unguarded.ts failed with the guard's ProcessError, and ran nothing. */
export function assertGuard(r: RunResult): void {
  const why = `\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  assert.notEqual(r.code, 0, why);
  assert.match(r.stderr, /ProcessError/, why);
  assert.match(r.stderr, /import\.meta\.main/, why);
  assert.doesNotMatch(r.stdout, /work ran/, why);
}
