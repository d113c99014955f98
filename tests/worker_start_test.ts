// A Worker that the runtime refuses to start (Deno without read permission for the
// package's files) must fail the call that needed it with a ProcessError saying why:
// never an uncaught error, never a hang.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checksOf, ROOT, run } from "./installed/app.ts";
import { execPath, isDeno } from "./helpers.ts";

const skip = isDeno ? false : "Bun has no permissions that refuse a Worker";

test("a refused Worker rejects start(), pool calls, the executor and Manager() with a clear error", {
  skip,
}, async () => {
  const r = await run(
    execPath,
    ["run", "--no-prompt", "--allow-env", "tests/fixtures/worker_refused.ts"],
    ROOT,
    {},
    30_000,
  );
  const why = `\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  const c = checksOf(r.stdout) as Map<string, { error: string; message: string }>;
  assert.equal(c.get("process")?.error, "ProcessError", why);
  assert.match(
    c.get("process")!.message,
    /"square" could not be looked for by reference: .*--allow-read/,
    why,
  );
  for (const name of ["pool", "executor"]) {
    assert.equal(c.get(name)?.error, "BrokenProcessPool", why);
    assert.match(
      c.get(name)!.message,
      /Could not start a Worker for process SpawnPoolWorker-\d+: .*read access/,
      why,
    );
  }
  assert.equal(c.get("manager")?.error, "ProcessError", why);
  assert.match(c.get("manager")!.message, /Could not start a Worker for process \S+: .*read access/, why);
  assert.match(r.stdout, /^done$/m, why);
  assert.doesNotMatch(r.stderr, /Uncaught \(in promise\)/, why);
  assert.equal(r.code, 0, why);
});
