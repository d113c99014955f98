// A client of examples/echo_server.ts: sends values and bytes and prints what comes back.
// Run: deno run -A examples/echo_client.ts <port>   |   bun examples/echo_client.ts <port>
import * as mp from "../mod.ts";
import { AUTHKEY } from "./echo_server.ts";

if (import.meta.main) {
  // deno-lint-ignore no-explicit-any
  const args: string[] = (globalThis as any).Deno?.args ?? (globalThis as any).process.argv.slice(2);
  const port = Number(args[0] ?? 6000);
  using conn = await mp.connection.Client(["127.0.0.1", port], { authkey: AUTHKEY });
  await conn.send("hello");
  console.log(`echo: ${await conn.recv()}`);
  await conn.send({ n: 42, list: [1, 2, 3] });
  console.log(`echo: ${JSON.stringify(await conn.recv())}`);
  await conn.send(new Map([["big", 2n ** 64n]])); // more than JSON carries
  const map = (await conn.recv()) as Map<string, bigint>;
  console.log(`echo: a Map with big = ${map.get("big")}n`);
  await conn.sendBytes(new TextEncoder().encode("raw bytes"));
  console.log(`echo bytes: ${new TextDecoder().decode(await conn.recvBytes())}`);
  try {
    await mp.connection.Client(["127.0.0.1", port], { authkey: "wrong key" });
  } catch (e) {
    console.log(`with a wrong key: ${(e as Error).name}`);
  }
}
