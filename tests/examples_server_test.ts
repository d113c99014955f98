// Runs examples/server.ts as a server on 127.0.0.1 (an ephemeral port), drives a bounded
// load through it (32 clients at once), including tasks that crash or exit their worker
// and requests the client aborts, then stops it with SIGTERM.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execPath, isDeno } from "./helpers.ts";

const CLIENTS = 32;
const REQUESTS = 3_000;
const LOAD_BOUND_MS = 90_000;

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

type Kind = "fib" | "crash" | "exit" | "abort";

function kindOf(i: number): Kind {
  const k = i % 100;
  return k === 7 ? "crash" : k === 37 ? "exit" : k === 67 ? "abort" : "fib";
}

test("examples/server.ts: a shared pool under load, with crashes, hard exits and client aborts; SIGTERM ends it cleanly", async () => {
  const { spawn } = await import("node:child_process");
  const root = new URL("../", import.meta.url).pathname;
  const args = isDeno ? ["run", "-A", "examples/server.ts", "0"] : ["examples/server.ts", "0"];
  const child = spawn(execPath, args, { cwd: root, env: { ...process.env, NO_COLOR: "1" } });
  let stdout = "", stderr = "";
  child.stdout.on("data", (d: Uint8Array) => (stdout += d));
  child.stderr.on("data", (d: Uint8Array) => (stderr += d));
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code: number | null) => resolve(code))
  );
  const kill = setTimeout(() => child.kill("SIGKILL"), LOAD_BOUND_MS + 30_000);
  try {
    const start = Date.now();
    while (!/listening on/.test(stdout)) {
      assert.ok(Date.now() - start < 20_000, `the server did not start within 20 s\n${stdout}\n${stderr}`);
      assert.equal(child.exitCode, null, `the server exited early\n${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const base = stdout.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)![1];

    const counts: Record<string, number> = {};
    const problems: string[] = [];
    const note = (what: string) => (counts[what] = (counts[what] ?? 0) + 1);
    let next = 0;
    const t0 = Date.now();
    const client = async () => {
      for (let i = next++; i < REQUESTS; i = next++) {
        if (Date.now() - t0 > LOAD_BOUND_MS) {
          problems.push(`load not done within ${LOAD_BOUND_MS} ms`);
          return;
        }
        const kind = kindOf(i);
        const n = 15 + (i % 8);
        const path = kind === "fib" ? `/fib?n=${n}` : kind === "abort" ? "/sleep?ms=20000" : `/${kind}`;
        const controller = new AbortController();
        // Every request has a bound: a hang fails the test instead of stalling it.
        const hang = setTimeout(() => controller.abort(new Error("hung")), 20_000);
        const abort = kind === "abort"
          ? setTimeout(() => controller.abort(new Error("client gone")), 200)
          : undefined;
        try {
          const res = await fetch(base + path, { signal: controller.signal });
          const body = await res.json();
          if (kind === "fib") {
            if (res.status !== 200 || body.fib !== fib(n)) {
              problems.push(`${path}: ${res.status} ${JSON.stringify(body)}`);
            } else note("fib ok");
          } else if (kind === "crash" || kind === "exit") {
            if (res.status !== 502 || !/BrokenProcessPool/.test(body.error)) {
              problems.push(`${path}: ${res.status} ${JSON.stringify(body)}`);
            } else note(`${kind} 502`);
          } else problems.push(`${path} answered although its client aborted: ${res.status}`);
        } catch (e) {
          if (kind === "abort" && (e as Error)?.message === "client gone") note("aborted");
          else problems.push(`${path}: ${e}`);
        } finally {
          clearTimeout(hang);
          clearTimeout(abort);
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));
    assert.deepEqual(problems.slice(0, 10), [], `${problems.length} problems`);
    assert.deepEqual(counts, { "fib ok": 2_910, "crash 502": 30, "exit 502": 30, "aborted": 30 });

    // The server cancelled the aborted requests' 20 s tasks (request.signal): nothing runs
    // any more. (An abort that reaches the server before its handler submits the task
    // cancels nothing in the pool: hence "at most 30".)
    let stats: Record<string, number> = {};
    for (const until = Date.now() + 5_000; Date.now() < until;) {
      stats = await (await fetch(`${base}/stats`)).json();
      if (stats.running === 0 && stats.queued === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const { cancelled } = stats;
    assert.ok(cancelled >= 1 && cancelled <= 30, JSON.stringify(stats));
    assert.equal(stats.completed, 2_910, JSON.stringify(stats));
    assert.equal(stats.failed, 60 + cancelled, JSON.stringify(stats));
    assert.ok(stats.replaced >= 48, JSON.stringify(stats));
    assert.equal(stats.queued, 0, JSON.stringify(stats));
    assert.equal(stats.running, 0, JSON.stringify(stats));

    // process.kill, not child.kill: Deno's node:child_process reports a child it signalled
    // as killed (code null) even when the child handles the signal and exits with 0.
    process.kill(child.pid!, "SIGTERM");
    const code = await exited;
    assert.equal(code, 0, `exit code ${code}\n${stdout}\n${stderr.slice(-2000)}`);
    assert.match(stdout, /shutting down/);
    assert.match(
      stdout,
      new RegExp(`done: 2910 completed, ${60 + cancelled} failed \\(${cancelled} cancelled\\)`),
    );
  } finally {
    clearTimeout(kill);
    if (child.exitCode === null) child.kill("SIGKILL");
  }
});
