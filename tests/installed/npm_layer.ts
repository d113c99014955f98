// JSR's npm layer, as `bunx jsr add @mp/multiprocessing` installs it: the package
// named `@jsr/mp__multiprocessing` in the app's node_modules (under the alias the app
// imports), its package.json exports pointing at `.js`, the `.ts` sources kept, and a
// transpiled `.js` beside each `.ts` in which only the specifiers of import/export
// declarations and of literal `import("...")` are rewritten from `.ts` to `.js`: not
// `new URL("./x.ts", import.meta.url)` (jsr-io/jsr api/src/npm/import_transform.rs).
// Transpiles with Bun's own transpiler: call it on Bun.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ROOT } from "./app.ts";
import { publishedFiles } from "./jsr_registry.ts";

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)(["'])(\.{1,2}\/[^"'\n]*?)\.ts\2/g;

/** Rewrites `.ts` import/export specifiers and literal dynamic imports to `.js`. */
export function rewriteSpecifiers(code: string): string {
  return code.replace(SPECIFIER, (_m, head: string, q: string, path: string) => `${head}${q}${path}.js${q}`);
}

/** Lays the package out at `<app>/node_modules/<alias>` as JSR's npm tarball does. */
export function installNpmLayer(deno: string, app: string, alias: string): void {
  const config = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
  const [scope, name] = (config.name as string).slice(1).split("/");
  const dest = join(app, "node_modules", alias);
  // deno-lint-ignore no-explicit-any
  const transpiler = new (globalThis as any).Bun.Transpiler({ loader: "ts", target: "bun" });
  for (const file of publishedFiles(deno)) {
    const source = readFileSync(join(ROOT, file));
    const to = join(dest, file);
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, source);
    if (file.endsWith(".ts")) {
      writeFileSync(
        to.replace(/\.ts$/, ".js"),
        rewriteSpecifiers(transpiler.transformSync(source.toString())),
      );
    }
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
