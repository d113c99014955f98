// Seed 13: a two-way conversation between a parent and a child over Pipe().
// Run: deno run -A examples/pipe_conversation.ts   |   bun examples/pipe_conversation.ts
import * as mp from "../mod.ts";

export async function child(conn: mp.Connection<string>): Promise<void> {
  await conn.send("hello from the child");
  for (;;) {
    const question = await conn.recv();
    if (question === "bye") break;
    await conn.send(`child answers: ${question.toUpperCase()}`);
  }
  await conn.send("bye");
  conn.close();
}

if (import.meta.main) {
  const [parentConn, childConn] = mp.Pipe<string>();
  const p = new mp.Process({ target: child, args: [childConn] });
  await p.start();
  childConn.close(); // the child holds its own copy
  console.log(`parent got: ${await parentConn.recv()}`);
  for (const question of ["how are you?", "what is 6 * 7?"]) {
    await parentConn.send(question);
    console.log(`parent got: ${await parentConn.recv()}`);
  }
  await parentConn.send("bye");
  console.log(`parent got: ${await parentConn.recv()}`);
  try {
    await parentConn.recv();
  } catch (e) {
    console.log(`then: ${(e as Error).name} (the child closed its end)`);
  }
  await p.join();
  parentConn.close();
}
