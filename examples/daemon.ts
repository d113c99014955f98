// Seed 3: the parent starts a daemonic child, sleeps, prints "parent done" and ends.
// The child is terminated when its parent ends, so "child done" never prints.
// (The seed's 5 s / 10 s sleeps are shortened to 1 s / 2 s.)
import * as mp from "../mod.ts";

export async function child(): Promise<void> {
  const me = mp.currentProcess();
  console.log(`${me.name} (daemon=${me.daemon}) started`);
  await new Promise((r) => setTimeout(r, 2000));
  console.log("child done");
}

if (import.meta.main) {
  const c = new mp.Process({ target: child, daemon: true });
  await c.start();
  await new Promise((r) => setTimeout(r, 1000));
  console.log("parent done");
}
