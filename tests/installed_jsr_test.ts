// The package as Deno users install it: `jsr:@mp/multiprocessing` from a registry
// (a stand-in on 127.0.0.1, JSR's layout, the files of `deno publish`), so that its
// modules load from http(s): URLs. Runs on Deno (it is Deno's install form).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Server } from "node:http";
import { join } from "node:path";
import {
  assertChecks,
  assertGuard,
  assertIdlePoolExits,
  layOutApp,
  removeDir,
  run,
  tempDir,
} from "./installed/app.ts";
import { buildRegistry, serve } from "./installed/jsr_registry.ts";
import { execPath, isDeno } from "./helpers.ts";

const skip = isDeno ? false : "the jsr: form is Deno's (Bun's form is tests/installed_npm_test.ts)";
let dir = "";
let server: Server | undefined;
let env: Record<string, string> = {};
let app = "";

before(async () => {
  if (!isDeno) return;
  dir = tempDir("jsr");
  const { name, version } = buildRegistry(execPath, join(dir, "registry"));
  const served = await serve(join(dir, "registry"));
  server = served.server;
  app = join(dir, "app");
  layOutApp(app, {
    "deno.json": {
      imports: {
        [name]: `jsr:${name}@^${version}`,
        "@app/": "./src/",
        "#more": "./src/more.ts",
        "tasks-lib": "./lib/mod.ts",
      },
      lock: false,
    },
  });
  env = { JSR_URL: served.url, DENO_DIR: join(dir, "deno_dir") };
});

after(() => {
  server?.close();
  if (dir) removeDir(dir);
});

test("jsr: every feature works from the registry", { skip }, async () => {
  assertChecks(await run(execPath, ["run", "-A", "main.ts"], app, env, 50_000));
});

test("jsr: an idle pool does not keep the program alive", { skip }, async () => {
  assertIdlePoolExits(await run(execPath, ["run", "-A", "idle_pool.ts"], app, env, 30_000));
});

test(
  "jsr: a main module without the import.meta.main guard gets the guard's ProcessError",
  { skip },
  async () => {
    assertGuard(await run(execPath, ["run", "-A", "unguarded.ts"], app, env, 30_000));
  },
);

test("jsr: the app type-checks against the published package", { skip }, async () => {
  const r = await run(execPath, ["check", "main.ts", "idle_pool.ts", "unguarded.ts"], app, env, 50_000);
  assert.equal(r.code, 0, `deno check failed:\n${r.stdout}\n${r.stderr}`);
});
