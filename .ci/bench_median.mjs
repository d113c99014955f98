// Runs the benchmarks N times (default 3) and prints, for every result line, the
// line of the run whose first figure is the median, with the range of that figure
// over the runs: what the README quotes. Usage: node .ci/bench_median.mjs [runs] [bench files...]
// Each run's full output is kept in .bench-tmp/run-<i>.log.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const runs = /^\d+$/.test(args[0] ?? "") ? Number(args.shift()) : 3;
mkdirSync(join(root, ".bench-tmp"), { recursive: true });

/** Lines keyed by the section they are in (`$ cmd` and the benchmark's headings) and their label. */
function parse(out) {
  const lines = new Map();
  let section = "";
  for (const raw of out.split("\n")) {
    const line = raw.replace(/\s+$/, "");
    if (line.startsWith("$ ")) section = line;
    else if (line && !/^\s/.test(line)) section = `${section.split(" | ")[0]} | ${line}`;
    const m = /^\s+(.*?)\s{2,}(-?[\d,]+(?:\.\d+)?)/.exec(line);
    if (!m) continue;
    const key = `${section} | ${m[1]}`;
    if (!lines.has(key)) lines.set(key, { line, value: Number(m[2].replaceAll(",", "")), section });
  }
  return lines;
}

const results = [];
for (let i = 1; i <= runs; i++) {
  console.error(`run ${i} of ${runs}...`);
  const r = spawnSync("node", [join(root, ".ci/bench.mjs"), ...args], { cwd: root, encoding: "utf8" });
  const out = `${r.stdout}${r.stderr}`;
  writeFileSync(join(root, ".bench-tmp", `run-${i}.log`), out);
  results.push(parse(out));
}

let lastSection = "";
for (const [key, first] of results[0]) {
  const all = results.map((r) => r.get(key)).filter(Boolean);
  const sorted = [...all].sort((a, b) => a.value - b.value);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (first.section !== lastSection) console.log(`\n${(lastSection = first.section)}`);
  const range = sorted.length > 1
    ? `   [${sorted[0].value}–${sorted.at(-1).value} over ${sorted.length} runs]`
    : "";
  console.log(`${median.line}${range}`);
}
