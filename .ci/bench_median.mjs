// Runs the benchmarks N times (default 3) and prints, for every result line, the
// line of the run whose first figure is the median, with the range of that figure
// over the runs, and, for a line with a ratio ("ours 2.1x faster", "Python 1.3x
// faster"), the median and range of that ratio over the runs: a ratio pairs two
// figures of one run, so the median run of one figure need not hold the median ratio.
// What the README quotes. Usage: node .ci/bench_median.mjs [--from-logs] [runs] [bench files...]
// Each run's full output is kept in .bench-tmp/run-<i>.log.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
// --from-logs: summarize the runs already in .bench-tmp/ instead of running them again.
const fromLogs = args[0] === "--from-logs";
if (fromLogs) args.shift();
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
    if (!lines.has(key)) {
      lines.set(key, {
        line,
        value: Number(m[2].replaceAll(",", "")),
        section,
        ratio: ratioOf(line, m[0].length),
      });
    }
  }
  return lines;
}

/**
 * The ratio a line states after its figure, as our speed over the other's (above 1:
 * ours is faster), or as printed when the line does not say who is faster.
 */
function ratioOf(line, from) {
  const rest = line.slice(from);
  const m = /(\d+(?:\.\d+)?)x/.exec(rest);
  if (!m) return null;
  const x = Number(m[1]);
  const theirs = /\b(Python|it is|Pipe) [\d.]+x faster/.test(rest) &&
    !/ours [\d.]+x faster/.test(rest);
  return { value: theirs ? 1 / x : x, oriented: /faster|better|Python|the raw stream/.test(rest) };
}

const results = [];
for (let i = 1; i <= runs; i++) {
  const log = join(root, ".bench-tmp", `run-${i}.log`);
  if (fromLogs) {
    results.push(parse(readFileSync(log, "utf8")));
    continue;
  }
  console.error(`run ${i} of ${runs}...`);
  const r = spawnSync("node", [join(root, ".ci/bench.mjs"), ...args], { cwd: root, encoding: "utf8" });
  const out = `${r.stdout}${r.stderr}`;
  writeFileSync(log, out);
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
  const ratios = all.map((r) => r.ratio).filter(Boolean).map((r) => r.value).sort((a, b) => a - b);
  const oriented = all.some((r) => r.ratio?.oriented);
  const fmt = (x) => x.toFixed(2);
  const ratio = ratios.length > 1
    ? `   {ratio median ${fmt(ratios[Math.floor((ratios.length - 1) / 2)])}x [${fmt(ratios[0])}–${
      fmt(ratios.at(-1))
    }]${oriented ? ", ours over theirs" : ""}}`
    : "";
  console.log(`${median.line}${range}${ratio}`);
}
