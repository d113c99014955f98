// Unit tests of src/process/: the tree table (_tree.ts), finding functions by
// reference (_resolve.ts) and loading them in the child (_load.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  allocatePid,
  ARENA_OFFSET,
  createTree,
  isPidAlive,
  markPidDead,
  rootPid,
} from "../../src/process/_tree.ts";
import { resolveFunction, resolveNow, userModules } from "../../src/process/_resolve.ts";
import { explainForkError, loadFunction } from "../../src/process/_load.ts";
import { PACKAGE_SRC } from "../../src/internal/_package_url.ts";
import { ProcessError } from "../../src/internal/errors.ts";
import { declared } from "./fixtures/resolve_a.ts";

const A = new URL("./fixtures/resolve_a.ts", import.meta.url).href;
const B = new URL("./fixtures/resolve_b.ts", import.meta.url).href;
const TYPES = new URL("./fixtures/resolve_types.ts", import.meta.url).href;

// ------------------------------------------------------------------------------------ _tree

test("tree: the root is alive, pids are handed out in order and unique", () => {
  const t = createTree(100);
  assert.equal(rootPid(t), 100);
  assert.ok(isPidAlive(t, 100));
  assert.equal(t.byteOffset, 0);
  assert.ok(t.buffer.byteLength >= ARENA_OFFSET);
  assert.equal(ARENA_OFFSET % 64, 0, "the arena starts on a cache line");
  assert.ok(ARENA_OFFSET >= t.byteLength, "the arena lies after the table");
  const a = allocatePid(t, 100), b = allocatePid(t, 100), c = allocatePid(t, a);
  assert.deepEqual([a, b, c], [101, 102, 103]);
  for (const pid of [a, b, c]) assert.ok(isPidAlive(t, pid));
  assert.equal(isPidAlive(t, 104), false, "a pid not handed out is not alive");
});

test("tree: a dead process is not alive, nor are its descendants; siblings live on", () => {
  const t = createTree(1);
  const child = allocatePid(t, 1);
  const grandchild = allocatePid(t, child);
  const sibling = allocatePid(t, 1);
  markPidDead(t, child);
  assert.equal(isPidAlive(t, child), false);
  assert.equal(isPidAlive(t, grandchild), false, "its parent ended: it went with it");
  assert.ok(isPidAlive(t, sibling));
  markPidDead(t, child);
  assert.equal(isPidAlive(t, sibling), true, "marking twice is harmless");
});

test("tree: a slot is reused only once its holder is dead", () => {
  const t = createTree(1);
  const first = allocatePid(t, 1); // 2, in slot 2
  for (let i = 0; i < 4094; i++) markPidDead(t, allocatePid(t, 1)); // pids 3..4096
  // The next pid, 4098, would share slot 2 with pid 2, which is alive: it is skipped.
  const next = allocatePid(t, 1);
  assert.notEqual(next % 4096, first % 4096);
  assert.ok(next > 4096);
  assert.ok(isPidAlive(t, first));
  markPidDead(t, first);
  // Once slot 2's holder is dead, a later pid takes it; the old pid stays dead.
  let reused = 0;
  for (let i = 0; i < 4096 && reused === 0; i++) {
    const pid = allocatePid(t, 1);
    if (pid % 4096 === first % 4096) reused = pid;
    else markPidDead(t, pid);
  }
  assert.ok(reused > first);
  assert.ok(isPidAlive(t, reused));
  assert.equal(isPidAlive(t, first), false);
  markPidDead(t, first);
  assert.ok(isPidAlive(t, reused), "a stale pid's mark does not clear its slot's new holder");
});

// --------------------------------------------------------------------------------- _resolve

function refOf(name: string): { module: string; name: string } | null {
  const fn = { [name]: function () {} }[name];
  const r = resolveNow(fn, [A], "spawn", "target");
  return r && "module" in r ? { module: r.module, name: r.name } : null;
}

test("resolve: exports are found by name in the caller's module", () => {
  assert.deepEqual(refOf("declared"), { module: A, name: "declared" });
  assert.deepEqual(refOf("arrow"), { module: A, name: "arrow" }, "export const");
  assert.deepEqual(refOf("asyncOne"), { module: A, name: "asyncOne" }, "export async function");
  assert.deepEqual(refOf("gen"), { module: A, name: "gen" }, "export function*");
  assert.deepEqual(refOf("local"), { module: A, name: "renamed" }, "export { a as b }");
  assert.deepEqual(refOf("def"), { module: A, name: "default" }, "export default function");
});

test("resolve: exports of statically imported modules are found; comments and type imports are not", () => {
  assert.deepEqual(refOf("viaImport"), { module: B, name: "viaImport" });
  assert.equal(refOf("commentedOut"), null, "a line comment");
  assert.equal(refOf("blockCommented"), null, "a block comment");
  assert.equal(refOf("onlyTypeImported"), null, "a type-only import is not followed");
  const direct = resolveNow(function onlyTypeImported() {}, [TYPES], "spawn", "t");
  assert.ok(direct && "module" in direct && direct.module === TYPES);
});

test("resolve: re-exports are followed to the module that defines the function", () => {
  const entry = new URL("./fixtures/resolve_entry.ts", import.meta.url).href;
  const c = new URL("./fixtures/resolve_c.ts", import.meta.url).href;
  const d = new URL("./fixtures/resolve_d.ts", import.meta.url).href;
  const r1 = resolveNow(function reexported() {}, [entry], "spawn", "target");
  assert.ok(r1 && "module" in r1);
  assert.deepEqual([r1.module, r1.name], [c, "reexported"]);
  const r2 = resolveNow(function starExported() {}, [entry], "spawn", "target");
  assert.ok(r2 && "module" in r2);
  assert.deepEqual([r2.module, r2.name], [d, "starExported"]);
});

test("resolve: a found-by-name reference carries the source check and the other candidates", () => {
  function twice() {
    return "mine";
  }
  const r = resolveNow(twice, [A], "spawn", "target");
  assert.ok(r && "module" in r);
  assert.equal(r.module, A);
  assert.equal(r.check, Function.prototype.toString.call(twice));
  assert.deepEqual(r.more, [{ module: B, name: "twice" }]);
});

test("resolve: built-ins by path, null when it cannot tell, source under fork", () => {
  assert.deepEqual(resolveNow(Math.sqrt, [], "spawn", "target"), { builtin: "Math.sqrt", name: "sqrt" });
  function zzUnitNowhere() {}
  assert.equal(resolveNow(zzUnitNowhere, ["https://example.invalid/mod.ts"], "spawn", "target"), null);
  assert.equal(resolveNow(() => 0, [A], "spawn", "target"), null, "an anonymous function");
  const forked = resolveNow(zzUnitNowhere, [A], "fork", "target");
  assert.deepEqual(forked, {
    source: Function.prototype.toString.call(zzUnitNowhere),
    name: "zzUnitNowhere",
  });
});

test("resolve: errors for non-functions and functions that cannot be shipped", async () => {
  for (const [v, got] of [[null, "null"], [undefined, "undefined"], [42, "number"], ["f", "string"]]) {
    const message = `The initializer must be a function, got ${got}`;
    assert.throws(() => resolveNow(v as never, [A], "spawn", "initializer"), { name: "TypeError", message });
    await assert.rejects(resolveFunction(v as never, [A], "spawn", "initializer"), {
      name: "TypeError",
      message,
    });
  }
  const bound = function zzBound() {}.bind(null);
  assert.throws(
    () => resolveNow(bound, [A], "fork", "target"),
    (e: Error) =>
      e instanceof ProcessError && /target "bound zzBound" is a native or bound function/.test(e.message),
  );
});

test("resolve: resolveFunction finds an imported export by identity, and says how to export one it cannot", async () => {
  assert.deepEqual(await resolveFunction(declared, [A], "spawn", "target"), { module: A, name: "declared" });
  function zzUnitHidden() {}
  await assert.rejects(
    resolveFunction(zzUnitHidden, [A], "spawn", "target"),
    (e: Error) =>
      e instanceof ProcessError && /The target "zzUnitHidden" cannot be found by reference/.test(e.message) &&
      /getContext\("fork"\)/.test(e.message),
  );
  assert.deepEqual(await resolveFunction(zzUnitHidden, [A], "fork", "target"), {
    source: Function.prototype.toString.call(zzUnitHidden),
    name: "zzUnitHidden",
  });
  assert.deepEqual(await resolveFunction(Math.max, [], "spawn", "target"), {
    builtin: "Math.max",
    name: "max",
  });
});

test("resolve: userModules leaves out the package's own modules", () => {
  const mine = "file:///app/main.ts";
  assert.deepEqual(
    userModules([PACKAGE_SRC + "process/process.ts", mine, new URL("../mod.ts", PACKAGE_SRC).href]),
    [mine],
  );
});

// ------------------------------------------------------------------------------------ _load

test("load: fork rebuilds functions, arrows, methods, async and generator forms", async () => {
  const cases: [string, unknown[], unknown][] = [
    ["function named(a, b) { return a + b; }", [2, 3], 5],
    ["(a, b) => a * b", [2, 3], 6],
    ["x => x + 1", [1], 2],
    ["add(a, b) { return a + b + 1; }", [1, 1], 3],
    ["async function af(x) { return x; }", [7], 7],
    ["async (x) => x * 2", [4], 8],
    ["async m(x) { return x - 1; }", [4], 3],
  ];
  for (const [source, args, want] of cases) {
    const fn = await loadFunction({ source, name: "f" }, "target");
    assert.equal(typeof fn, "function", source);
    assert.equal(await fn(...args), want, source);
  }
  const gen = await loadFunction({ source: "*g() { yield 1; yield 2; }", name: "g" }, "target");
  assert.deepEqual([...(gen() as Iterable<number>)], [1, 2]);
  const agen = await loadFunction({ source: "async *ag() { yield 5; }", name: "ag" }, "target");
  const items: number[] = [];
  for await (const x of agen() as AsyncIterable<number>) items.push(x);
  assert.deepEqual(items, [5]);
  const cls = await loadFunction({ source: "class K { v() { return 9; } }", name: "K" }, "target");
  assert.equal(new (cls as unknown as new () => { v(): number })().v(), 9);
});

test("load: a source that does not parse is a ProcessError naming the function", async () => {
  await assert.rejects(
    loadFunction({ source: "function (", name: "broken" }, "target"),
    (e: Error) =>
      e instanceof ProcessError && /"broken" could not be rebuilt/.test(e.message) &&
      e.cause instanceof SyntaxError,
  );
});

test("load: exports by module and name, built-ins, and the source check across candidates", async () => {
  assert.equal(await loadFunction({ module: A, name: "declared" }, "target"), declared);
  assert.equal(await loadFunction({ builtin: "Math.min", name: "min" }, "target"), Math.min);
  await assert.rejects(
    loadFunction({ module: A, name: "notAFunction" }, "initializer"),
    (e: Error) =>
      e instanceof ProcessError &&
      /The initializer "notAFunction" is not an exported function of/.test(e.message),
  );
  const b = await import(B);
  const check = Function.prototype.toString.call(b.twice);
  assert.equal(
    await loadFunction({ module: A, name: "twice", check, more: [{ module: B, name: "twice" }] }, "t"),
    b.twice,
  );
  await assert.rejects(
    loadFunction({
      module: A,
      name: "twice",
      check: "function other() {}",
      more: [{ module: B, name: "twice" }],
    }, "target"),
    (e: Error) =>
      e instanceof ProcessError &&
      e.message.includes(`the export "twice" of ${A}, ${B} is a different function`),
  );
});

test("load: explainForkError explains a captured variable, and leaves other errors as they are", () => {
  for (const message of ["secret is not defined", "Can't find variable: secret"]) {
    const e = explainForkError(new ReferenceError(message), "work") as Error;
    assert.ok(e instanceof ProcessError);
    assert.match(e.message, /the function "work" uses "secret", which it captured from the parent/);
    assert.match(e.message, /Pass "secret" in args/);
    assert.ok(e.cause instanceof ReferenceError);
    assert.equal(e.stack, `${e.name}: ${e.message}`);
  }
  assert.match(
    (explainForkError(new ReferenceError("x is not defined"), "") as Error).message,
    /"\(anonymous\)"/,
  );
  const other = new TypeError("x is not defined");
  assert.equal(explainForkError(other, "f"), other);
  const tdz = new ReferenceError("Cannot access 'x' before initialization");
  assert.equal(explainForkError(tdz, "f"), tdz);
  assert.equal(explainForkError("text", "f"), "text");
});
