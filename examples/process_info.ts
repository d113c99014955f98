// Seed 5: each of three processes prints its name and pid.
import * as mp from "../mod.ts";

export function info(title: string): void {
  const me = mp.currentProcess();
  console.log(`${title}: name=${me.name} pid=${me.pid} parent=${mp.parentProcess()?.pid}`);
}

if (import.meta.main) {
  info("main");
  const ps = [1, 2, 3].map((i) => new mp.Process({ target: info, args: [`child ${i}`] }));
  for (const p of ps) {
    await p.start();
    await p.join();
  }
}
