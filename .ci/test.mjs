// Runs the whole test suite on Deno and on Bun, streams both outputs, and ends with
// one line `N passed, N failed` summing both runtimes. Exits non-zero if anything
// failed, a runner crashed, or a runner ran no test.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const LIMIT_MS = 20 * 60 * 1000;
const only = process.argv.slice(2);
const files = only.length > 0 ? only : ["./tests/"];

function run(label, cmd, args) {
  return new Promise((resolve) => {
    console.log(`\n=== ${label}: ${[cmd, ...args].join(" ")}`);
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    const take = (stream, sink) =>
      stream.on("data", (d) => {
        out += d;
        sink.write(d);
      });
    take(child.stdout, process.stdout);
    take(child.stderr, process.stderr);
    const timer = setTimeout(() => {
      console.error(`${label}: still running after ${LIMIT_MS / 60000} min, killing it`);
      child.kill("SIGKILL");
    }, LIMIT_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      // deno-lint-ignore no-control-regex
      resolve({ code, out: out.replace(/\x1b\[[0-9;]*m/g, "") });
    });
  });
}

function count(re, text) {
  const all = [...text.matchAll(re)];
  return all.length ? Number(all[all.length - 1][1]) : null;
}

const deno = await run("deno", bin("deno"), ["test", "-A", "--no-check", ...files]);
const denoPassed = count(/(\d+) passed/g, deno.out);
const denoFailed = count(/(\d+) failed/g, deno.out);
const bun = await run("bun", bin("bun"), ["test", "--timeout", "60000", ...files]);
const bunPassed = count(/^\s*(\d+) pass\s*$/gm, bun.out);
const bunFailed = count(/^\s*(\d+) fail\s*$/gm, bun.out);

const problems = [];
for (const [name, r, p, f] of [["deno", deno, denoPassed, denoFailed], ["bun", bun, bunPassed, bunFailed]]) {
  if (p === null || f === null) problems.push(`${name}: no test summary found (exit code ${r.code})`);
  else if (p + f === 0) problems.push(`${name}: ran no test`);
  if (r.code !== 0 && !f) problems.push(`${name}: exited with code ${r.code}`);
}
const passed = (denoPassed ?? 0) + (bunPassed ?? 0);
const failed = (denoFailed ?? 0) + (bunFailed ?? 0) +
  (problems.length > 0 && !(denoFailed || bunFailed) ? 1 : 0);
console.log(
  `\ndeno: ${denoPassed ?? "?"} passed, ${denoFailed ?? "?"} failed; bun: ${bunPassed ?? "?"} passed, ${
    bunFailed ?? "?"
  } failed`,
);
for (const p of problems) console.log(`problem: ${p}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || problems.length > 0 ? 1 : 0);
