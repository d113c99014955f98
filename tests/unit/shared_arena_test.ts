// Unit tests of src/shared/: the tree-wide arena of named blocks (_arena.ts) and the
// typecodes of Value and Array (typecodes.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  arenaTop,
  attachBlock,
  blockBytes,
  closeBlock,
  createBlock,
  MAX_NAME_BYTES,
  nameBytes,
  reopenBlock,
  unlinkBlock,
} from "../../src/shared/_arena.ts";
import {
  allocate,
  checkTypecode,
  isBig,
  toStored,
  type Typecode,
  TYPECODES,
} from "../../src/shared/typecodes.ts";
import { ProcessError } from "../../src/internal/errors.ts";

let serial = 0;
const unique = (what: string) => `unit-arena-${what}-${Date.now()}-${serial++}`;

/** Unlinks and closes a block, however far it got. */
function free(ref: ReturnType<typeof createBlock>): void {
  try {
    unlinkBlock(ref);
  } catch { /* already unlinked */ }
  closeBlock(ref);
}

/** The arena's top once free blocks at its end went back to it (any lookup does that). */
function settledTop(): number {
  assert.throws(() => attachBlock(unique("none")), { code: "ENOENT" });
  return arenaTop();
}

// ------------------------------------------------------------------------------------ _arena

test("arena: a named block is zeroed, attached by name over the same bytes", () => {
  const name = unique("named");
  const ref = createBlock(name, 100);
  try {
    assert.equal(ref.name, name);
    assert.equal(ref.size, 100);
    const bytes = blockBytes(ref);
    assert.equal(bytes.length, 100);
    assert.ok(bytes.every((b) => b === 0));
    bytes.set([1, 2, 3]);
    const other = attachBlock(name);
    assert.deepEqual(other, ref);
    assert.deepEqual([...blockBytes(other).subarray(0, 3)], [1, 2, 3]);
    closeBlock(other);
  } finally {
    free(ref);
  }
});

test("arena: an existing name is EEXIST, a missing one ENOENT, with messages naming it", () => {
  const name = unique("exists");
  const ref = createBlock(name, 8);
  try {
    assert.throws(
      () => createBlock(name, 8),
      (e: Error & { code?: string }) =>
        e instanceof ProcessError && e.code === "EEXIST" && e.message.includes(JSON.stringify(name)) &&
        /already exists/.test(e.message),
    );
  } finally {
    free(ref);
  }
  assert.throws(
    () => attachBlock(name),
    (e: Error & { code?: string }) =>
      e instanceof ProcessError && e.code === "ENOENT" &&
      e.message.startsWith(`No shared memory block named ${JSON.stringify(name)}`),
  );
  assert.throws(() => unlinkBlock(ref), { code: "ENOENT" }, "unlinked twice");
});

test("arena: names are non-empty strings of at most MAX_NAME_BYTES UTF-8 bytes", () => {
  assert.equal(MAX_NAME_BYTES, 224);
  assert.deepEqual(nameBytes("ab", "W()"), new Uint8Array([97, 98]));
  assert.equal(nameBytes("x".repeat(224), "W()").length, 224);
  for (const [bad, shown] of [["", '""'], [null, "null"], [undefined, "undefined"], [7, "7"]] as const) {
    assert.throws(() => nameBytes(bad, "SharedMemory()"), {
      name: "TypeError",
      message: `SharedMemory(): name must be a non-empty string, got ${shown}`,
    });
  }
  assert.throws(() => nameBytes("x".repeat(225), "W()"), {
    name: "RangeError",
    message: "W(): name is 225 bytes long, the limit is 224",
  });
  assert.throws(() => createBlock("é".repeat(113), 1), /name is 226 bytes long/, "counted in UTF-8 bytes");
});

test("arena: an unlinked block lives while a handle is open, then its space is reused, zeroed", () => {
  const a = createBlock(unique("a"), 1000);
  const b = createBlock(unique("b"), 64);
  try {
    assert.ok(b.offset > a.offset, "blocks follow one another");
    blockBytes(a).fill(0xff);
    const handle = attachBlock(a.name);
    unlinkBlock(a); // two handles open: the block stays, its name goes
    assert.throws(() => attachBlock(a.name), { code: "ENOENT" });
    assert.equal(blockBytes(handle)[999], 0xff, "still readable through an open handle");
    const meanwhile = createBlock(unique("c"), 1000);
    assert.notEqual(meanwhile.offset, a.offset, "not reused while open");
    free(meanwhile);
    closeBlock(handle);
    closeBlock(a); // the last handle: freed
    assert.throws(
      () => reopenBlock(a),
      (e: Error) =>
        e instanceof ProcessError && /block ".*" was freed before this process could open it/.test(e.message),
    );
    closeBlock(a); // a stale handle closing again is harmless
    const reuse = createBlock(unique("d"), 500);
    try {
      assert.equal(reuse.offset, a.offset, "the freed space is reused");
      assert.notEqual(reuse.id, a.id, "a later block has another serial number");
      assert.ok(blockBytes(reuse).every((x) => x === 0), "zeroed again");
      assert.throws(() => reopenBlock(a), /was freed/, "the old handle does not open the new block");
      const rest = createBlock(unique("e"), 200); // 256 + 256 bytes: just what is left of the 1280
      assert.ok(
        rest.offset > reuse.offset && rest.offset < b.offset,
        "the rest of the free block is split off",
      );
      free(rest);
    } finally {
      free(reuse);
    }
  } finally {
    free(a);
    free(b);
  }
});

test("arena: the buffer grows for large blocks, and freed trailing space goes back to the top", () => {
  const before = settledTop();
  const big = createBlock(unique("big"), 3 << 20);
  const bytes = blockBytes(big);
  bytes[bytes.length - 1] = 7;
  assert.ok(arenaTop() >= before + (3 << 20));
  assert.equal(blockBytes(attachBlock(big.name))[(3 << 20) - 1], 7);
  closeBlock(big);
  free(big);
  assert.equal(settledTop(), before);
});

test("arena: a block larger than the tree can reserve is ENOMEM, before anything is allocated", () => {
  const before = settledTop();
  assert.throws(
    () => createBlock(unique("huge"), 2 ** 34),
    (e: Error & { code?: string }) =>
      e instanceof RangeError && e.code === "ENOMEM" &&
      /Cannot allocate shared memory: \d+ bytes would exceed/.test(e.message),
  );
  assert.equal(arenaTop(), before);
});

// -------------------------------------------------------------------------------- typecodes

test("typecodes: every code, its storage, and bad codes named", () => {
  assert.deepEqual(TYPECODES, ["b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d", "c"]);
  const ctors: Record<Typecode, unknown> = {
    b: Int8Array,
    B: Uint8Array,
    h: Int16Array,
    H: Uint16Array,
    i: Int32Array,
    I: Uint32Array,
    l: BigInt64Array,
    L: BigUint64Array,
    q: BigInt64Array,
    Q: BigUint64Array,
    f: Float32Array,
    d: Float64Array,
    c: Uint8Array,
  };
  for (const tc of TYPECODES) {
    assert.equal(checkTypecode(tc, "W()"), tc);
    const a = allocate(tc, 3);
    assert.equal(a.constructor, ctors[tc], tc);
    assert.equal(a.length, 3);
    assert.ok(a.buffer instanceof SharedArrayBuffer);
    assert.equal(isBig(tc), "lLqQ".includes(tc));
  }
  assert.equal(allocate("d", 0).length, 0, "an empty array has a buffer all the same");
  for (
    const [bad, shown] of [["x", '"x"'], ["", '""'], ["ii", '"ii"'], [1, "1"], [null, "null"], [
      "toString",
      '"toString"',
    ]]
  ) {
    assert.throws(() => checkTypecode(bad, "Value()"), {
      name: "TypeError",
      message: `Value(): bad typecode (must be one of b B h H i I l L q Q f d c), got ${shown}`,
    });
  }
});

test("typecodes: values are converted for storage; out-of-range numbers wrap as C's do", () => {
  for (const tc of ["b", "B", "h", "H", "i", "I", "f", "d", "c"] as const) {
    assert.equal(toStored(tc, 5, "W"), 5);
    assert.equal(toStored(tc, true, "W"), 1, "booleans are numbers");
  }
  for (const tc of ["l", "L", "q", "Q"] as const) {
    assert.equal(toStored(tc, 5n, "W"), 5n);
    assert.equal(toStored(tc, 2 ** 53, "W"), 2n ** 53n, "an integer number becomes a bigint");
  }
  for (const tc of ["b", "B", "h", "H", "i", "I", "c"] as const) {
    for (const v of [1.5, -0.5, Number.NaN, Infinity]) {
      assert.throws(
        () => toStored(tc, v, "W"),
        (e: unknown) => e instanceof TypeError && e.message.includes(`holds integers, got number ${v}`),
        `${tc} refuses ${v}, as Python's ctypes does`,
      );
    }
  }
  assert.equal(toStored("d", 1.5, "W"), 1.5);
  assert.equal(toStored("c", "A", "W"), 65);
  assert.equal(toStored("c", "\u00ff", "W"), 255);
  const store = (tc: Typecode, v: unknown) => {
    const a = allocate(tc, 1);
    a[0] = toStored(tc, v, "W") as never;
    return a[0];
  };
  assert.equal(store("b", 200), -56);
  assert.equal(store("B", 256 + 7), 7);
  assert.equal(store("h", 40000), 40000 - 65536);
  assert.equal(store("H", -1), 65535);
  assert.equal(store("i", 2 ** 31), -(2 ** 31));
  assert.equal(store("I", -1), 2 ** 32 - 1);
  assert.equal(store("q", 2n ** 63n), -(2n ** 63n));
  assert.equal(store("Q", -1n), 2n ** 64n - 1n);
  assert.equal(store("L", 2 ** 53), 2n ** 53n);
  assert.equal(store("f", 0.1), Math.fround(0.1));
  assert.ok(Object.is(store("d", -0), -0));
  assert.equal(store("c", "z"), 122);
});

test("typecodes: values of the wrong kind are refused with a message naming them", () => {
  const cases: [Typecode, unknown, string][] = [
    ["i", "5", 'Value.value: typecode "i" holds numbers, got the string "5"'],
    ["d", 1n, 'Value.value: typecode "d" holds numbers, got the bigint 1n'],
    ["b", null, 'Value.value: typecode "b" holds numbers, got null'],
    ["B", undefined, 'Value.value: typecode "B" holds numbers, got undefined undefined'],
    ["h", [1], 'Value.value: typecode "h" holds numbers, got Array'],
    ["c", "ab", 'Value.value: typecode "c" holds numbers (bytes), got the string "ab"'],
    ["c", "€", 'Value.value: typecode "c" holds numbers (bytes), got the string "€"'],
    ["c", "", 'Value.value: typecode "c" holds numbers (bytes), got the string ""'],
    ["I", "x".repeat(30), `Value.value: typecode "I" holds numbers, got the string "${"x".repeat(20)}…"`],
    ["q", 1.5, 'Value.value: typecode "q" holds 64-bit integers (bigint), got number 1.5'],
    ["Q", NaN, 'Value.value: typecode "Q" holds 64-bit integers (bigint), got number NaN'],
    ["l", "1", 'Value.value: typecode "l" holds 64-bit integers (bigint), got the string "1"'],
    ["L", Infinity, 'Value.value: typecode "L" holds 64-bit integers (bigint), got number Infinity'],
    ["q", Object.create(null), 'Value.value: typecode "q" holds 64-bit integers (bigint), got object'],
  ];
  for (const [tc, v, message] of cases) {
    assert.throws(
      () => toStored(tc, v, "Value.value"),
      { name: "TypeError", message },
      `${tc} ${String(message)}`,
    );
  }
});
