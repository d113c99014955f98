// A stand-in JSR registry: the package's files exactly as `deno publish --dry-run`
// lists them, in JSR's layout (`<scope>/<name>/meta.json`,
// `<scope>/<name>/<version>_meta.json` with `exports` and a checksummed `manifest`,
// the files under `<scope>/<name>/<version>/`), served on 127.0.0.1. Deno reads the
// registry's address from JSR_URL.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { dirname, extname, join } from "node:path";
import { ROOT } from "./app.ts";

/** The files `deno publish` would upload, relative to the root (`/mod.ts`, ...). */
export function publishedFiles(deno: string): string[] {
  const r = spawnSync(deno, ["publish", "--dry-run", "--allow-dirty"], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    encoding: "utf8",
  });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`deno publish --dry-run failed:\n${out}`);
  const files = [...out.matchAll(/^\s+(file:\/\/\S+) \(/gm)].map((m) =>
    decodeURIComponent(new URL(m[1]).pathname).slice(ROOT.length - 1)
  );
  if (!files.includes("/mod.ts")) throw new Error(`deno publish --dry-run listed no mod.ts:\n${out}`);
  return files;
}

/** Writes the registry's files for the package under `dir`; returns the package name. */
export function buildRegistry(deno: string, dir: string): { name: string; version: string } {
  const config = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
  const [scope, name] = (config.name as string).split("/");
  const base = join(dir, scope, name);
  const manifest: Record<string, { size: number; checksum: string }> = {};
  for (const file of publishedFiles(deno)) {
    const data = readFileSync(join(ROOT, file));
    const to = join(base, config.version, file);
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, data);
    manifest[file] = {
      size: data.length,
      checksum: `sha256-${createHash("sha256").update(data).digest("hex")}`,
    };
  }
  const meta = { scope: scope.slice(1), name, latest: config.version, versions: { [config.version]: {} } };
  writeFileSync(join(base, "meta.json"), JSON.stringify(meta));
  writeFileSync(
    join(base, `${config.version}_meta.json`),
    JSON.stringify({ manifest, exports: config.exports }),
  );
  return { name: config.name, version: config.version };
}

const TYPES: Record<string, string> = {
  ".ts": "application/typescript",
  ".js": "text/javascript",
  ".json": "application/json",
};

/** Serves `dir` on 127.0.0.1 (a free port); resolves to the server and its URL. */
export function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
      if (path.includes("..")) throw new Error("no");
      const data = await readFile(join(dir, path));
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "text/plain" });
      res.end(data);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({ server, url: `http://127.0.0.1:${port}/` });
    })
  );
}
