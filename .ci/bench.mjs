// Runs every benchmark in bench/ on Deno and on Bun (or the files given).
// Usage: npm run bench [-- bench/process_bench.ts ...]
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const given = process.argv.slice(2);
const files = given.length > 0
  ? given
  : readdirSync(join(root, "bench")).filter((f) => f.endsWith("_bench.ts")).sort().map((f) => `bench/${f}`);
let failed = 0;
for (const file of files) {
  for (const [cmd, args] of [[bin("deno"), ["run", "-A", file]], [bin("bun"), [file]]]) {
    console.log(`\n$ ${cmd.split("/").pop()} ${args.join(" ")}`);
    const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", timeout: 600_000 });
    if (r.status !== 0) failed++;
  }
}
process.exit(failed > 0 ? 1 : 0);
