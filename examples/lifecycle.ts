// Seed 15: isAlive() around a normal run, a target that throws, terminate().
import * as mp from "../mod.ts";

export async function briefly(): Promise<void> {
  await new Promise((r) => setTimeout(r, 200));
}

export function broken(): void {
  throw new Error("something went wrong in the child");
}

export function endless(): Promise<never> {
  return new Promise(() => setInterval(() => {}, 1000));
}

if (import.meta.main) {
  const p = new mp.Process({ target: briefly });
  await p.start();
  console.log(`after start: isAlive=${p.isAlive()}`);
  await p.join();
  console.log(`after join: isAlive=${p.isAlive()} exitCode=${p.exitCode}`);

  const b = new mp.Process({ target: broken });
  await b.start();
  await b.join();
  console.log(`a target that throws: exitCode=${b.exitCode}`);

  const e = new mp.Process({ target: endless });
  await e.start();
  await e.join(300);
  console.log(`endless after join(300): isAlive=${e.isAlive()} exitCode=${e.exitCode}`);
  e.terminate();
  await e.join();
  console.log(`after terminate: isAlive=${e.isAlive()} exitCode=${e.exitCode}`);
}
