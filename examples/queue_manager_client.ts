// Python's remote queue manager (docs: "Using a remote manager"), client side: puts an
// item in the server's queue, and a second connection takes it out.
// Run: deno run -A examples/queue_manager_client.ts <port>   (after queue_manager_server.ts)
//
// Python:                                   TypeScript:
//   class QueueManager(BaseManager): pass     class QueueManager extends mp.BaseManager {
//                                               declare get_queue: () => Promise<mp.AutoProxy<mp.dummy.Queue<string>>>;
//                                             }
//   QueueManager.register('get_queue')        QueueManager.register("get_queue")
//   m = QueueManager(address=('foo.bar.org',  const m = new QueueManager({ address: ["127.0.0.1", 50000],
//                    50000), authkey=b'...')                                authkey: "abracadabra" })
//   m.connect()                               await m.connect()
//   queue = m.get_queue()                     const queue = await m.get_queue()
//   queue.put('hello')                        await queue.put("hello")
import * as mp from "../mod.ts";
import { AUTHKEY } from "./queue_manager_server.ts";

class QueueManager extends mp.BaseManager {
  // register() adds the method at run time; this line tells TypeScript its type.
  declare get_queue: () => Promise<mp.AutoProxy<mp.dummy.Queue<string>>>;
}
QueueManager.register("get_queue");

if (import.meta.main) {
  // deno-lint-ignore no-explicit-any
  const args: string[] = (globalThis as any).Deno?.args ?? (globalThis as any).process.argv.slice(2);
  const address: mp.connection.Address = ["127.0.0.1", Number(args[0] ?? 50000)];

  const m = new QueueManager({ address, authkey: AUTHKEY });
  await m.connect();
  const queue = await m.get_queue();
  await queue.put("hello");

  // Another program (here another connection) gets it.
  await using other = new QueueManager({ address, authkey: AUTHKEY });
  await other.connect();
  console.log("got:", await (await other.get_queue()).get(5000));
  console.log("queue size:", await queue.qsize());

  try {
    await new QueueManager({ address, authkey: "wrong key" }).connect();
  } catch (e) {
    console.log("with a wrong key:", (e as Error).name);
  }
  await m.shutdown(); // closes this program's connection; the server goes on
}
