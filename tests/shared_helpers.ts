// Helpers of the shared memory and synchronization tests (not a test file).
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import { joinWithin } from "./helpers.ts";

/** Starts `target(...args)` in a child; a failed start shows up in its exit code. */
export function start(target: (...a: never[]) => unknown, args: unknown[]): mp.Process {
  const p = new mp.Process({ target: target as (...a: unknown[]) => unknown, args });
  p.start().catch(() => {});
  return p;
}

/** Runs `target(...args)` in a child to its end (bounded) and checks it exited with 0. */
export async function runToEnd(
  target: (...a: never[]) => unknown,
  args: unknown[],
  bound = 10_000,
): Promise<void> {
  const p = start(target, args);
  await joinWithin(p, bound);
  assert.equal(p.exitCode, 0);
}
