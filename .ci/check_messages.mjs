// Checks that anyone can run (CI runs it): every error message written in src/ has the
// one form ARCHITECTURE.md's Principles give. An error constructor (`new XError(...)`,
// `new Empty(...)`, `new Full(...)`, ...) whose first argument is a string or template
// literal must start with a capital letter, a digit or a call site such as `Queue.get():`
// (a leading interpolation is allowed only as a call site: `${where}:` or `${name}():`),
// and must not end with a period. Messages that mirror Python's exact text (which users
// compare) are left as they are when their line, or the line above, says `// message: python`.
// Usage: node .ci/check_messages.mjs [--list]   (--list prints every message it checks)
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Files whose messages are not converted yet: their violations are reported as notes,
 * not failures. This list only shrinks; it is empty once every file has the one form.
 */
const NOT_YET_CONVERTED = [];

/** The error classes whose first argument is a message (besides any name ending in Error). */
const ERROR_CLASSES = new Set([
  "Empty",
  "Full",
  "BufferTooShort",
  "BrokenProcessPool",
  "FrameTooLarge",
]);
const isErrorClass = (name) => name === "Error" || /^[A-Z]\w*Error$/.test(name) || ERROR_CLASSES.has(name);

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".ts")) files.push(path);
  }
})(join(root, "src"));

/**
 * Reads the literal starting at `i` (a quote or a backtick). Returns its end (after the
 * closing quote), its text with every interpolation written `${}`, or null if unclosed.
 */
function readLiteral(src, i) {
  const q = src[i];
  let text = "";
  let j = i + 1;
  while (j < src.length && src[j] !== q) {
    if (src[j] === "\\") {
      text += src.slice(j, j + 2);
      j += 2;
    } else if (q === "`" && src[j] === "$" && src[j + 1] === "{") {
      const end = skipCode(src, j + 2, "}");
      text += "${" + src.slice(j + 2, end).trim() + "}";
      j = end + 1;
    } else {
      text += src[j++];
    }
  }
  return j < src.length ? { end: j + 1, text } : null;
}

/** Skips code from `i` to the `close` character at depth 0 (strings, templates, comments skipped). */
function skipCode(src, i, close) {
  let depth = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === "/" && src[i + 1] === "/") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "/" && src[i + 1] === "*") {
      const j = src.indexOf("*/", i + 2);
      i = j < 0 ? src.length : j + 2;
    } else if (c === '"' || c === "'" || c === "`") {
      i = readLiteral(src, i)?.end ?? src.length;
    } else if (c === "(" || c === "[" || c === "{") {
      depth++;
      i++;
    } else if (c === close && depth === 0) {
      return i;
    } else {
      if (c === ")" || c === "]" || c === "}") depth--;
      i++;
    }
  }
  return i;
}

/** The error constructors of `src` with a literal first argument: { line, cls, first, last }. */
function messagesOf(src) {
  const found = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === "/" && src[i + 1] === "/") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "*") {
      const j = src.indexOf("*/", i + 2);
      i = j < 0 ? src.length : j + 2;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") {
      i = readLiteral(src, i)?.end ?? src.length;
      continue;
    }
    const m = /^new\s+([A-Za-z_$][\w$]*)\s*\(\s*/.exec(src.slice(i, i + 120));
    if (m && !/[\w$.]/.test(src[i - 1] ?? "") && isErrorClass(m[1])) {
      const start = i + m[0].length;
      const line = src.slice(0, i).split("\n").length;
      // The argument: literals joined by `+`; `first` is the first literal, `last` the
      // last one if the argument ends with it (else null).
      let j = start;
      let first = null, last = null;
      while (src[j] === '"' || src[j] === "'" || src[j] === "`") {
        const lit = readLiteral(src, j);
        if (!lit) break;
        first ??= lit.text;
        last = lit.text;
        j = lit.end;
        while (/\s/.test(src[j])) j++;
        if (src[j] === "+") {
          j++;
          while (/\s/.test(src[j])) j++;
          if (!/["'`]/.test(src[j])) last = null; // ends with a non-literal piece
          continue;
        }
        if (src[j] !== "," && src[j] !== ")") last = null; // e.g. "a".repeat(2), a ternary
        break;
      }
      if (first !== null) found.push({ line, cls: m[1], first, last });
      i = start;
      continue;
    }
    i++;
  }
  return found;
}

/**
 * A call site leading a message: `Queue.get(): `, `new Pool(options): `, `wait(): `,
 * `Pool: `, or an interpolation of one: `${where}: `, `${cls}(value): `, `Connection.${method}(): `.
 */
const CALL_SITE = /^(new\s+)?(\$\{[^}]*\}|[\w$.])+(\([^)]*\))?:(\s|$)/;

/** What is wrong with a message, or null. */
function fault({ first, last }) {
  const head = first.replace(/^\s+/, "");
  const site = CALL_SITE.exec(head)?.[0] ?? "";
  // A lower-case call site needs its parentheses (`wait(): `), else it reads as a word.
  const isSite = site !== "" && (!/^[a-z]/.test(head) || /\)\s*:\s*$/.test(site));
  if (head === "") return "is empty";
  if (!isSite && head.startsWith("${")) {
    return "starts with an interpolation that is not a call site (`${where}: ...`)";
  }
  if (!isSite && /^[a-z]/.test(head)) return "starts with a lower-case letter";
  if (last !== null && /\.\s*$/.test(last) && !/\.\.\.\s*$/.test(last)) return "ends with a period";
  return null;
}

const PYTHON_MARK = "// message: python";
const list = process.argv.includes("--list");
const allowed = new Set(NOT_YET_CONVERTED);
let failures = 0, notes = 0;
const stale = [];
for (const file of files) {
  const rel = relative(root, file);
  const src = readFileSync(file, "utf8");
  const lines = src.split("\n");
  let faults = 0;
  for (const msg of messagesOf(src)) {
    const marked = [lines[msg.line - 1], lines[msg.line - 2] ?? ""].some((l) => l.includes(PYTHON_MARK));
    const why = marked ? null : fault(msg);
    const tail = msg.last === msg.first ? "" : ` ... ${msg.last ?? "<expr>"}`;
    if (list) console.log(`${rel}:${msg.line}: ${msg.cls}: ${msg.first}${tail}`);
    if (!why) continue;
    faults++;
    const text = `${rel}:${msg.line}: ${msg.cls} message ${why}: ${JSON.stringify(msg.first)}`;
    if (allowed.has(rel)) {
      notes++;
      if (!list) continue;
      console.log(`  (not yet converted) ${text}`);
    } else {
      failures++;
      console.error(text);
    }
  }
  if (allowed.has(rel) && faults === 0) stale.push(rel);
}
for (const rel of stale) {
  console.error(`${rel} has no faulty message left: take it off NOT_YET_CONVERTED in .ci/check_messages.mjs`);
}
for (const rel of allowed) {
  if (files.some((f) => relative(root, f) === rel)) continue;
  console.error(`${rel} (in NOT_YET_CONVERTED) does not exist: take it off the list`);
  stale.push(rel);
}
if (failures > 0 || stale.length > 0) {
  console.error(`check_messages: ${failures} message(s) not in the one form (ARCHITECTURE.md, Principles)`);
  process.exit(1);
}
console.log(
  `check_messages: every error message has the one form` +
    (notes > 0 ? ` (${notes} left in ${allowed.size} not-yet-converted file(s))` : ""),
);
