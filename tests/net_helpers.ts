// Helpers of the mp.connection tests (not a test file).
import { type ChildProcess, spawn } from "node:child_process";
import * as mp from "../mod.ts";

/** The repository root. */
export const root: string = new URL("../", import.meta.url).pathname;

/** The Deno and Bun executables of the repository (node_modules/.bin). */
export const runtimes = {
  deno: `${root}node_modules/.bin/deno`,
  bun: `${root}node_modules/.bin/bun`,
} as const;

/** Fails after `ms` instead of waiting for ever. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** A listener on loopback, one accepted connection and the client's end. */
export async function connectedPair<T = unknown>(
  options: Partial<mp.connection.ListenerOptions> = {},
  clientOptions: mp.connection.ClientOptions = {},
): Promise<{
  listener: mp.connection.Listener;
  server: mp.connection.SocketConnection<T>;
  client: mp.connection.SocketConnection<T>;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  const listener = new mp.connection.Listener({ address: ["127.0.0.1", 0], ...options });
  const address = await within(listener.ready, 5000, "listener.ready");
  const [server, client] = await within(
    Promise.all([listener.accept<T>(), mp.connection.Client<T>(address, clientOptions)]),
    10_000,
    "accept + Client",
  );
  return {
    listener,
    server,
    client,
    async [Symbol.asyncDispose]() {
      client.close();
      server.close();
      await listener[Symbol.asyncDispose]();
    },
  };
}

/** A child program with its output read line by line. */
export class Program {
  readonly child: ChildProcess;
  #lines: string[] = [];
  #partial = "";
  #waiters: (() => void)[] = [];
  stderr = "";
  exited: Promise<number>;

  constructor(cmd: string, args: string[]) {
    this.child = spawn(cmd, args, { cwd: root, env: { ...process.env, NO_COLOR: "1" } });
    this.child.stdout!.on("data", (d: Uint8Array) => {
      this.#partial += new TextDecoder().decode(d);
      const parts = this.#partial.split("\n");
      this.#partial = parts.pop()!;
      this.#lines.push(...parts);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.child.stderr!.on("data", (d: Uint8Array) => (this.stderr += new TextDecoder().decode(d)));
    this.exited = new Promise((resolve) => {
      this.child.on("close", (code: number | null) => {
        for (const w of this.#waiters.splice(0)) w();
        resolve(code ?? -1);
      });
    });
  }

  /** The next line that starts with `prefix` (the rest of it), within `ms`. */
  async line(prefix: string, ms = 20_000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.#lines.findIndex((l) => l.startsWith(prefix));
      if (i >= 0) return this.#lines.splice(0, i + 1)[i].slice(prefix.length).trim();
      if (this.child.exitCode !== null || Date.now() > end) {
        throw new Error(
          `no line starting with "${prefix}" from ${this.child.spawnargs.join(" ")}\n` +
            `stdout so far: ${this.#lines.join("\n")}\nstderr: ${this.stderr}`,
        );
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.#waiters.push(() => (clearTimeout(t), r()));
      });
    }
  }

  /** Waits for the exit code, killing the program after `ms`. */
  async exit(ms = 20_000): Promise<number> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        this.child.kill("SIGKILL");
        resolve(-9);
      }, ms);
    });
    try {
      return await Promise.race([this.exited, killed]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Whether python3 runs here. */
export async function hasPython(): Promise<boolean> {
  const { spawnSync } = await import("node:child_process");
  const r = spawnSync("python3", ["--version"], { encoding: "utf8" });
  return r.status === 0;
}
