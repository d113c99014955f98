// A map chunk of strings whose results are its items is answered without sending the
// strings back (the pool still holds them): the results must be exactly the items,
// and any chunk whose results differ, even in one place, must bring its own back.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import { identity } from "./fixtures/fast_path_tasks.ts";
import { later } from "./fixtures/constant_map_tasks.ts";
import { within } from "./helpers.ts";

const N = 3_000;
const lone = "a\uD800b\uDC00c\uDBFF";
const strings = Array.from(
  { length: N },
  (_, i) => (i % 9 === 0 ? "" : i % 7 === 0 ? lone : i % 5 === 0 ? "😀".repeat(i % 4) : `item-${i}`),
);

test("Pool.map of strings by identity gives back the very strings, at every chunk size", async () => {
  await using pool = new mp.Pool(2);
  for (const chunksize of [undefined, 8, 100, N]) {
    const got = await within(pool.map(identity, strings, chunksize));
    assert.deepStrictEqual(got, strings, `chunksize ${chunksize}`);
  }
  assert.deepStrictEqual(await within(pool.map(later, strings, 100)), strings, "an async identity");
  const lazy: unknown[] = [];
  for await (const s of pool.imap(identity, strings, 100)) lazy.push(s);
  assert.deepStrictEqual(lazy, strings, "imap");
});

test("Pool.map of strings: results that differ from the items in one place, or are equal copies, come back exact", async () => {
  await using pool = new (mp.getContext("fork").Pool)(2);
  const changeOne = (s: string) => (s === "item-1234" ? "changed" : s);
  const want = strings.map(changeOne);
  assert.deepStrictEqual(await within(pool.map(changeOne, strings, 100)), want, "one string changed");
  const copies = (s: string) => (s + "!").slice(0, -1);
  assert.deepStrictEqual(await within(pool.map(copies, strings, 100)), strings, "equal strings, made anew");
  const oneNumber = (s: string) => (s === "item-1234" ? 1234 : s);
  assert.deepStrictEqual(await within(pool.map(oneNumber, strings, 100)), strings.map(oneNumber), "a number");
  const changeFirst = (s: string) => (s === "item-1111" ? "first" : s); // the first of chunk 11 of 101
  assert.deepStrictEqual(
    await within(pool.map(changeFirst, strings, 101)),
    strings.map(changeFirst),
    "a chunk's first string changed",
  );
  const throwOne = (s: string) => {
    if (s === "item-1234") throw new RangeError("not this one");
    return s;
  };
  await assert.rejects(within(pool.map(throwOne, strings, 100)), RangeError);
  assert.deepStrictEqual(await within(pool.map(copies, strings, 100)), strings, "after a chunk that threw");
  const dropLast = (s: string) => (s === "item-2999" ? undefined : s);
  assert.deepStrictEqual(
    await within(pool.map(dropLast, strings, 100)),
    strings.map(dropLast),
    "undefined last",
  );
});
