// The package as Bun users install it: JSR's npm layer (`bunx jsr add
// @mp/multiprocessing`), a transpiled `.js` beside each `.ts` in node_modules, so that
// the package runs its `.js` module graph. Runs on Bun (it is Bun's install form).
import { after, before, test } from "node:test";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  assertChecks,
  assertGuard,
  assertIdlePoolExits,
  layOutApp,
  removeDir,
  ROOT,
  run,
  tempDir,
} from "./installed/app.ts";
import { installNpmLayer } from "./installed/npm_layer.ts";
import { execPath, isDeno } from "./helpers.ts";

const skip = isDeno ? "JSR's npm layer is Bun's form (Deno's is tests/installed_jsr_test.ts)" : false;
let dir = "";
let app = "";

before(() => {
  if (isDeno) return;
  dir = tempDir("npm");
  app = join(dir, "app");
  layOutApp(app, {
    "package.json": {
      name: "installed-app",
      private: true,
      type: "module",
      dependencies: {
        "@mp/multiprocessing": "npm:@jsr/mp__multiprocessing@^0.1.0",
        "tasks-lib": "file:./lib",
      },
      imports: { "#more": "./src/more.ts" },
    },
    "tsconfig.json": { compilerOptions: { baseUrl: ".", paths: { "@app/*": ["./src/*"] } } },
  });
  installNpmLayer(join(ROOT, "node_modules/.bin/deno"), app, "@mp/multiprocessing");
  // A local package reached by a bare specifier, as `bun install` links `file:` deps.
  const lib = join(app, "node_modules", "tasks-lib");
  mkdirSync(lib, { recursive: true });
  cpSync(join(app, "lib"), lib, { recursive: true });
  writeFileSync(
    join(lib, "package.json"),
    JSON.stringify({ name: "tasks-lib", type: "module", exports: "./mod.ts" }),
  );
});

after(() => {
  if (dir) removeDir(dir);
});

test("npm layer: every feature works from node_modules", { skip }, async () => {
  assertChecks(await run(execPath, ["main.ts"], app, {}, 50_000));
});

test("npm layer: an idle pool does not keep the program alive", { skip }, async () => {
  assertIdlePoolExits(await run(execPath, ["idle_pool.ts"], app, {}, 30_000));
});

test("npm layer: a main module without the import.meta.main guard gets the guard's ProcessError", {
  skip,
}, async () => {
  assertGuard(await run(execPath, ["unguarded.ts"], app, {}, 30_000));
});
