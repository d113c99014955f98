// An echo server over TCP with mp.connection: every message a client sends comes back
// unchanged (raw bytes, so that Python's multiprocessing.connection.Client can use it too).
// Run: deno run -A examples/echo_server.ts [port]   |   bun examples/echo_server.ts [port]
// Then: deno run -A examples/echo_client.ts <port>   (or Python: Client(("127.0.0.1", port), authkey=b"echo secret"))
import * as mp from "../mod.ts";

export const AUTHKEY = "echo secret";

async function serve(conn: mp.connection.SocketConnection, who: string): Promise<void> {
  using _ = conn;
  try {
    for (;;) await conn.sendBytes(await conn.recvBytes());
  } catch (e) {
    if (!(e instanceof mp.EOFError)) throw e;
  }
  console.log(`${who} left`);
}

if (import.meta.main) {
  // deno-lint-ignore no-explicit-any
  const args: string[] = (globalThis as any).Deno?.args ?? (globalThis as any).process.argv.slice(2);
  const port = Number(args[0] ?? 6000);
  await using listener = new mp.connection.Listener({ address: ["127.0.0.1", port], authkey: AUTHKEY });
  const [host, bound] = (await listener.ready) as [string, number];
  console.log(`echo server listening on ${host}:${bound}`);
  for (;;) {
    try {
      const conn = await listener.accept();
      const who = (listener.lastAccepted as [string, number]).join(":");
      console.log(`client connected from ${who}`);
      void serve(conn, who);
    } catch (e) {
      if (!(e instanceof mp.AuthenticationError)) throw e;
      console.log(`a client failed to authenticate: ${e.message}`); // the server carries on
    }
  }
}
