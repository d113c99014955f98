// Python's remote queue manager (docs: "Using a remote manager"), server side: a queue
// served over TCP to programs on this or other machines that know the authkey.
// Run: deno run -A examples/queue_manager_server.ts [port]   |   bun examples/queue_manager_server.ts [port]
// Then: deno run -A examples/queue_manager_client.ts <port>
//
// Python:                                   TypeScript:
//   queue = queue.Queue()                     const queue = new mp.dummy.Queue()
//   class QueueManager(BaseManager): pass     class QueueManager extends mp.BaseManager {}
//   QueueManager.register('get_queue',        QueueManager.register("get_queue", () => queue)
//                         callable=lambda: queue)
//   m = QueueManager(address=('', 50000),     const m = new QueueManager({ address: ["", 50000],
//                    authkey=b'abracadabra')                                authkey: "abracadabra" })
//   s = m.get_server()                        const s = m.getServer()
//   s.serve_forever()                         await s.serveForever()
import * as mp from "../mod.ts";

export const AUTHKEY = "abracadabra";

if (import.meta.main) {
  // deno-lint-ignore no-explicit-any
  const args: string[] = (globalThis as any).Deno?.args ?? (globalThis as any).process.argv.slice(2);
  const port = Number(args[0] ?? 50000);
  // "" listens on every interface, as in Python, hence the authkey it requires; the
  // tests use 127.0.0.1.
  const host = args[1] ?? "";
  const queue = new mp.dummy.Queue();
  class QueueManager extends mp.BaseManager {}
  QueueManager.register("get_queue", () => queue);
  const m = new QueueManager({ address: [host, port], authkey: AUTHKEY });
  const s = m.getServer();
  const [, bound] = (await s.ready) as [string, number];
  console.log(`queue manager serving on port ${bound}`);
  await s.serveForever();
  console.log("queue manager shut down");
}
