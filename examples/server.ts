// An HTTP server whose requests share one pool for their CPU work, on Deno.serve or
// Bun.serve: each task has a timeout and is cancelled when its client goes away
// (request.signal); a task that crashes or exits its worker fails only its own request;
// SIGINT / SIGTERM stop taking connections, let the requests in flight finish, close
// the pool and exit.
//
// Run: deno run -A examples/server.ts [port]   |   bun examples/server.ts [port]
// Then: curl 'http://127.0.0.1:8000/fib?n=30'   (also /sleep?ms=, /crash, /exit, /stats)
// (Deno 2.9 prints a one-time notice about request.signal's legacy behaviour; harmless
// here, since a task has settled before its response is sent. --unstable-no-legacy-abort
// silences it.)
import * as mp from "../mod.ts";

/** CPU work: the n-th Fibonacci number, the slow way. */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** Waits `ms` milliseconds in the worker (stands for slow I/O), then returns `ms`. */
export async function sleep(ms: number): Promise<number> {
  await new Promise((r) => setTimeout(r, ms));
  return ms;
}

/** A task that crashes its worker: an error nobody catches, thrown from a timer. */
export function crash(): Promise<never> {
  setTimeout(() => {
    throw new Error("the worker crashed on purpose");
  }, 1);
  return new Promise(() => {});
}

/** A task that ends its worker with the runtime's own exit. */
export function exitHard(): never {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  (g.Deno ?? g.process).exit(3);
  throw new Error("unreachable");
}

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** The few runtime differences, in one place: arguments, serving, signals. */
const runtime = {
  args: (): string[] => g.Deno ? g.Deno.args : g.process.argv.slice(2),
  env: (name: string): string | undefined => g.Deno ? g.Deno.env.get(name) : g.process.env[name],
  /** Serves `handler` on 127.0.0.1:`port`; `stop()` stops listening and resolves once open requests are done. */
  serve(
    port: number,
    handler: (request: Request) => Promise<Response>,
  ): { port: number; stop(): Promise<void> } {
    if (g.Deno) {
      const server = g.Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, handler);
      return { port: server.addr.port, stop: () => server.shutdown() };
    }
    const server = g.Bun.serve({ hostname: "127.0.0.1", port, fetch: handler });
    return { port: server.port, stop: () => server.stop() };
  },
  /** Calls `handler` on SIGINT or SIGTERM; returns the function that stops listening (call it last). */
  onSignals(handler: () => void): () => void {
    const signals = ["SIGINT", "SIGTERM"];
    if (g.Deno) {
      for (const s of signals) g.Deno.addSignalListener(s, handler);
      return () => signals.forEach((s) => g.Deno.removeSignalListener(s, handler));
    }
    for (const s of signals) g.process.on(s, handler);
    return () => signals.forEach((s) => g.process.off(s, handler));
  },
};

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** The HTTP status for a task's failure. */
function statusOf(e: unknown): number {
  if (e instanceof mp.TimeoutError) return 504;
  if (e instanceof mp.Full) return 503;
  if (e instanceof mp.BrokenProcessPool) return 502;
  if ((e as Error)?.name === "AbortError") return 499; // the client went away: nobody reads it
  return 500;
}

if (import.meta.main) {
  const port = Number(runtime.args()[0] ?? 8000);
  const timeout = Number(runtime.env("TASK_TIMEOUT_MS") ?? 5000);
  const pool = new mp.Pool({ processes: 2, maxQueue: 256 });

  const handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    // Cancelled when the client disconnects, or after `timeout` ms; waits for room when 256 tasks wait.
    const options = { signal: request.signal, timeout, wait: true };
    try {
      switch (url.pathname) {
        case "/fib": {
          const n = Number(url.searchParams.get("n") ?? 25);
          return json({ n, fib: await pool.apply(fib, [n], options) });
        }
        case "/sleep":
          return json({
            slept: await pool.apply(sleep, [Number(url.searchParams.get("ms") ?? 100)], options),
          });
        case "/crash":
          return json(await pool.apply(crash, [], options));
        case "/exit":
          return json(await pool.apply(exitHard, [], options));
        case "/stats":
          return json(pool.stats());
        default:
          return json({ error: `no route ${url.pathname}: try /fib?n=30, /sleep?ms=100, /stats` }, 404);
      }
    } catch (e) {
      return json({ error: `${(e as Error).name}: ${(e as Error).message}` }, statusOf(e));
    }
  };

  const server = runtime.serve(port, handler);
  console.log(`listening on http://127.0.0.1:${server.port}`);

  let stopping = false;
  const stopSignals = runtime.onSignals(async () => {
    if (stopping) return;
    stopping = true;
    console.log("shutting down: finishing the requests in flight");
    await server.stop();
    pool.close({ timeout: 5000 }); // what still runs after 5 s is terminated
    await pool.join();
    const s = pool.stats();
    console.log(
      `done: ${s.completed} completed, ${s.failed} failed (${s.cancelled} cancelled), ${s.replaced} workers replaced`,
    );
    stopSignals();
  });
}
