// JSR's npm layer, as `bunx jsr add @mp/multiprocessing` installs it: the package
// named `@jsr/mp__multiprocessing` in the app's node_modules (under the alias the app
// imports), its package.json exports pointing at `.js`, and the modules of the exports'
// module graph (and only those: jsr-io/jsr api/src/npm/tarball.rs) transpiled to `.js`,
// in which only the specifiers of import/export declarations and of literal
// `import("...")` are rewritten from `.ts` to `.js`: not `new URL("./x.ts",
// import.meta.url)` (api/src/npm/import_transform.rs). No `.ts` beside them: a module
// the package loads in `.ts` form would be missing, as it would be for users.
// Transpiles with Bun's own transpiler: call it on Bun.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ROOT } from "./app.ts";
import { publishedFiles } from "./jsr_registry.ts";

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)(["'])(\.{1,2}\/[^"'\n]*?)\.ts\2/g;

/** Rewrites `.ts` import/export specifiers and literal dynamic imports to `.js`. */
export function rewriteSpecifiers(code: string): string {
  return code.replace(SPECIFIER, (_m, head: string, q: string, path: string) => `${head}${q}${path}.js${q}`);
}

/**
 * The package's modules as JSR's npm tarball has them: the module graph of its exports
 * (static and literal dynamic imports), not every published file. A module that the
 * package only loads by a computed URL would be missing, as it would be for users.
 */
export function graphModules(deno: string, exports: string[]): string[] {
  const out = new Set<string>();
  for (const entry of exports) {
    const r = spawnSync(deno, ["info", "--json", entry], { cwd: ROOT, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`deno info ${entry} failed:\n${r.stderr}`);
    for (const m of JSON.parse(r.stdout).modules as { specifier: string }[]) {
      if (!m.specifier.startsWith("file:")) continue;
      const path = decodeURIComponent(new URL(m.specifier).pathname).slice(ROOT.length - 1);
      if (path.endsWith(".ts") && !path.startsWith("/tests/")) out.add(path);
    }
  }
  return [...out].sort();
}

/** Lays the package out at `<app>/node_modules/<alias>` as JSR's npm tarball does. */
export function installNpmLayer(deno: string, app: string, alias: string): void {
  const config = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
  const [scope, name] = (config.name as string).slice(1).split("/");
  const dest = join(app, "node_modules", alias);
  // deno-lint-ignore no-explicit-any
  const transpiler = new (globalThis as any).Bun.Transpiler({ loader: "ts", target: "bun" });
  const published = new Set(publishedFiles(deno));
  for (const file of graphModules(deno, Object.values(config.exports as Record<string, string>))) {
    if (!published.has(file)) throw new Error(`${file} is in the module graph but not published`);
    const source = readFileSync(join(ROOT, file), "utf8");
    const to = join(dest, file.replace(/\.ts$/, ".js"));
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, rewriteSpecifiers(transpiler.transformSync(source)));
  }
  const js = (path: string) => path.replace(/\.ts$/, ".js");
  const exports: Record<string, { default: string }> = {};
  for (const [key, path] of Object.entries(config.exports as Record<string, string>)) {
    exports[key] = { default: js(path) };
  }
  writeFileSync(
    join(dest, "package.json"),
    JSON.stringify(
      { name: `@jsr/${scope}__${name}`, version: config.version, type: "module", exports },
      null,
      2,
    ),
  );
}
