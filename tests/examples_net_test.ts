// Runs the mp.connection examples as programs and checks what they print.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execPath, isDeno } from "./helpers.ts";
import { Program } from "./net_helpers.ts";

const args = (file: string, rest: string[]) => (isDeno ? ["run", "-A", file, ...rest] : [file, ...rest]);

test("examples/echo_server.ts + examples/echo_client.ts: values and bytes echoed; a wrong key is refused, the server carries on", async () => {
  const server = new Program(execPath, args("examples/echo_server.ts", ["0"]));
  try {
    const port = (await server.line("echo server listening on ")).split(":")[1];
    for (let run = 1; run <= 2; run++) { // the second run: the server carries on after the bad client
      const client = new Program(execPath, args("examples/echo_client.ts", [port]));
      try {
        assert.equal(await client.exit(30_000), 0, client.stderr);
        assert.equal(await client.line("echo: "), "hello");
        assert.equal(await client.line("echo: "), '{"n":42,"list":[1,2,3]}');
        assert.equal(await client.line("echo: "), "a Map with big = 18446744073709551616n");
        assert.equal(await client.line("echo bytes: "), "raw bytes");
        assert.equal(await client.line("with a wrong key: "), "AuthenticationError");
      } finally {
        client.child.kill("SIGKILL");
      }
      await server.line("client connected from 127.0.0.1:");
      await server.line("a client failed to authenticate: digest received was wrong");
    }
  } finally {
    server.child.kill("SIGKILL");
  }
  assert.notEqual(await server.exit(), null);
});
