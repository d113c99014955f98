// Unit tests of src/manager/_protocol.ts (what the server and the proxies both speak)
// and of the reviver module a proxy's shared handle names (src/manager/proxy/base.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Kind, markerDesc, markerOf, type ProxyDesc } from "../../src/manager/_protocol.ts";
import { REVIVER_MODULE } from "../../src/manager/proxy/base.ts";
import * as registry from "../../src/manager/proxy/_registry.ts";

test("protocol: a marker carries its description, and nothing else reads as one", () => {
  const desc: ProxyDesc = { token: 7, kind: Kind.Dict, typeid: "dict", id: 3 };
  const marker = markerOf(desc);
  assert.equal(markerDesc(marker), desc);
  assert.equal(markerDesc(structuredClone(marker))?.id, 3);
  for (const v of [null, undefined, 1, "x", [marker], { desc }, new Map()]) {
    assert.equal(markerDesc(v), undefined);
  }
});

test("protocol: the reviver module a proxy's handle names is the registry of every proxy kind", async () => {
  assert.equal(await import(REVIVER_MODULE), registry);
});
