// SharedMemory: the parent creates a block, a child attaches to it by name and fills it;
// a ShareableList is edited by a second child. Both are closed and unlinked at the end.
// Run: deno run -A examples/shared_memory.ts   |   bun examples/shared_memory.ts
import * as mp from "../mod.ts";

export function fill(name: string, length: number): void {
  using shm = new mp.SharedMemory({ name }); // attach by name; `using` closes this handle
  const squares = new Float64Array(shm.buf.buffer, shm.buf.byteOffset, length);
  for (let i = 0; i < length; i++) squares[i] = i * i;
}

export function shout(sl: mp.ShareableList): void {
  sl[0] = String(sl[0]).toUpperCase();
  sl[1] = (sl[1] as number) + 1;
}

if (import.meta.main) {
  const length = 8;
  const shm = new mp.SharedMemory({ create: true, size: length * 8 });
  const p = new mp.Process({ target: fill, args: [shm.name, length] });
  await p.start();
  await p.join();
  console.log("squares:", [...new Float64Array(shm.buf.buffer, shm.buf.byteOffset, length)].join(" "));
  shm.close();
  shm.unlink();

  const sl = new mp.ShareableList(["howdy", 41, true, null]);
  const q = new mp.Process({ target: shout, args: [sl] });
  await q.start();
  await q.join();
  console.log("list:", JSON.stringify([...sl]), "format:", sl.format);
  sl.shm.close();
  sl.shm.unlink();
}
