// Checks that anyone can run (CI runs them): the module graph of src/ has no import
// cycle (type-only imports left out); the folders of src/ depend only downward, in the
// order of LAYERS (as ARCHITECTURE.md draws it), and each has its line there; and no
// module but src/internal/runtime.ts names the runtimes' globals (Deno, Bun, process).
// Usage: node .ci/check_layers.mjs
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The folders of src/, lowest first; a module may import only from its own or a lower one. */
const LAYERS = [
  "internal",
  "process",
  "sync",
  "shared",
  "channel",
  "net",
  "pool",
  "manager",
  "dummy",
  "(top)",
];
const layerOf = (file) => {
  const rel = relative(join(root, "src"), file);
  return rel.startsWith("..") || !rel.includes("/") ? "(top)" : rel.split("/")[0];
};
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".ts")) files.push(path);
  }
})(join(root, "src"));
files.push(join(root, "mod.ts"));

/** The source without comments and with string and template contents emptied. */
function strip(src) {
  let out = "";
  for (let i = 0; i < src.length;) {
    const c = src[i], d = src[i + 1];
    if (c === "/" && d === "/") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "/" && d === "*") {
      let j = src.indexOf("*/", i + 2);
      j = j < 0 ? src.length : j + 2;
      out += src.slice(i, j).replace(/[^\n]/g, ""); // keep the line count
      i = j;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === "\\" ? 2 : 1;
      out += c + src.slice(i + 1, j).replace(/[^\n]/g, "") + c;
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** `Deno` or `Bun` (also as `globalThis.Deno`), or Node's `process` API (`process.exit`, `g.process.env`). */
const RUNTIME_GLOBAL = new RegExp(
  String.raw`(?<![\w$#])(?:Deno|Bun)(?![\w$])|(?<![\w$#])process\s*\??\.\s*` +
    String
      .raw`(?:getBuiltinModule|env|exit|pid|argv|platform|stderr|stdout|stdin|on|once|nextTick|hrtime|memoryUsage|versions?|execPath|cwd)\b`,
);

const IMPORT = /(?:^|[;\n}])\s*(import|export)\s+(type\s+)?(?:[\w$*{}\s,]*?\s*from\s*)?["']([^"']+)["']/g;
const graph = new Map();
const problems = [];
for (const file of files) {
  const src = readFileSync(file, "utf8");
  const deps = [];
  for (const m of src.matchAll(IMPORT)) {
    if (m[2] || !m[3].startsWith(".")) continue;
    // `import { type A, type B } from` is type-only too.
    const clause = m[0].slice(0, m[0].lastIndexOf("from"));
    const names = clause.match(/\{([^}]*)\}/);
    if (names && names[1].split(",").every((n) => !n.trim() || /^type\s/.test(n.trim()))) continue;
    deps.push(resolve(dirname(file), m[3]));
  }
  for (const d of deps) {
    const [from, to] = [LAYERS.indexOf(layerOf(file)), LAYERS.indexOf(layerOf(d))];
    if (from < 0) {
      problems.push(`${relative(root, file)}: its folder is not in LAYERS (.ci/check_layers.mjs)`);
    } else if (to > from) {
      problems.push(
        `${relative(root, file)} imports ${relative(root, d)}: ${layerOf(file)}/ may not depend on ${
          layerOf(d)
        }/`,
      );
    }
  }
  // A literal dynamic import is an edge too: the cycle is there once it has run.
  for (const m of src.matchAll(/\bimport\(\s*["'](\.[^"']+)["']\s*\)/g)) {
    deps.push(resolve(dirname(file), m[1]));
  }
  graph.set(file, deps);
  const rel = relative(root, file);
  if (!/^src\/(internal\/)?runtime[\w.]*\.ts$/.test(rel)) {
    for (const [n, line] of strip(src).split("\n").entries()) {
      const hit = RUNTIME_GLOBAL.exec(line);
      if (hit) {
        problems.push(`${rel}:${n + 1}: uses the runtime global "${hit[0]}" (only the runtime module may)`);
      }
    }
  }
}

// Cycles: depth-first search, reporting each back edge's cycle once.
const state = new Map();
const stack = [];
const seen = new Set();
function visit(f) {
  state.set(f, 1);
  stack.push(f);
  for (const d of graph.get(f) ?? []) {
    if (!graph.has(d)) continue;
    if (state.get(d) === 1) {
      const cycle = stack.slice(stack.indexOf(d)).map((x) => relative(root, x));
      const key = [...cycle].sort().join(" ");
      if (!seen.has(key)) {
        seen.add(key);
        problems.push(`import cycle: ${[...cycle, cycle[0]].join(" -> ")}`);
      }
    } else if (!state.has(d)) visit(d);
  }
  stack.pop();
  state.set(f, 2);
}
for (const f of graph.keys()) if (!state.has(f)) visit(f);

const architecture = readFileSync(join(root, "ARCHITECTURE.md"), "utf8");
for (const layer of LAYERS.slice(0, -1)) {
  if (!architecture.includes(`src/${layer}/`)) problems.push(`ARCHITECTURE.md has no line for src/${layer}/`);
}
for (const p of problems) console.log(p);
console.log(
  problems.length === 0
    ? `layers: ${files.length} modules, folders depend only downward, no cycle, runtime globals only in the runtime module`
    : `layers: ${problems.length} problem(s)`,
);
process.exit(problems.length === 0 ? 0 : 1);
