/**
 * `WorkerSlot`: one worker process of a pool as the engine sees it: its `Child` and the
 * `Process` that stands for it, where it is in its life (starting, ready, told to stop,
 * retired), the tasks it holds and their claim slots in its control block (see
 * `CTL_SLOTS` in `_protocol.ts`): offering a task, taking back one it has not started,
 * and telling whether it is stuck in a long task. The engine decides; a slot only
 * keeps its worker's state and reads and writes its shared words.
 *
 * @module
 */
import { type Process, processOf } from "../process/process.ts";
import { Child } from "../process/_child.ts";
import {
  createPoolControl,
  CTL_RING,
  CTL_SLOTS,
  CTL_STARTED,
  CTL_SYNC,
  type PoolWorkerConfig,
  SLOT_OFFERED,
  SLOT_REVOKED,
  slotTag,
  type TasksMessage,
  type WorkerMessage,
} from "./_protocol.ts";
import type { Task } from "./_task_queue.ts";
import type { NumberRing } from "./_number_ring.ts";

/** One worker process of a pool, with the tasks it holds. */
export class WorkerSlot {
  /** Its Worker: posting to it, and its end. */
  readonly child: Child;
  /** The process that stands for it (names and pids in messages, `activeChildren()`). */
  readonly proc: Process;
  /** Shared control block: claim slots and the running task (see `CTL_SYNC`). */
  readonly ctl: Int32Array<SharedArrayBuffer> = createPoolControl();
  started = false;
  ready = false;
  stopSent = false;
  /** Being ended by the pool (a cancelled task ran on it): it gets no more tasks. */
  retired = false;
  /** The `seq` of the next task sent to it. */
  seq = 0;
  /** The last value of its `CTL_STARTED` word the pool saw, and since when (performance.now()). */
  progress = 0;
  since = 0;
  readonly inflight: Map<number, Task> = new Map();
  /** Ids of the functions this worker has been sent. */
  readonly known: Set<number> = new Set();
  /** Tasks sent in its life (for `maxTasksPerChild`). */
  assigned = 0;
  /** The task that called `exit()`, if one did. */
  killer = -1;
  /** Its result ring (see `RESULT_RING`), once it has sent one. */
  ring: NumberRing | null = null;
  /** The ring of map chunks of numbers sent to it (see `TasksMessage.ring`), and whether it has it. */
  down: NumberRing | null = null;
  downSent = false;
  /** Orders the handling of this worker's messages and its end. */
  chain: Promise<void> = Promise.resolve();

  /**
   * A worker named `${kind}-N` (`SpawnPoolWorker`, `ForkPoolWorker`), not started yet.
   * `config()` is read when it starts; its messages go to `onMessage`.
   */
  constructor(
    kind: string,
    config: () => PoolWorkerConfig | null,
    onMessage: (w: WorkerSlot, m: WorkerMessage) => void,
  ) {
    this.child = new Child({
      kind,
      role: {
        role: "pool",
        extra: () => ({ ...config(), ctl: this.ctl }),
        message: (m) => onMessage(this, m as WorkerMessage),
      },
    });
    this.proc = processOf(this.child, true);
  }

  /** Neither told to stop nor retired: it may take tasks. */
  get usable(): boolean {
    return !this.stopSent && !this.retired;
  }

  /** Up, usable, and holding no task. */
  get idle(): boolean {
    return this.ready && !this.stopSent && !this.retired && this.inflight.size === 0;
  }

  /** The running task's `seq + 1` while it runs synchronous code, else 0 (see `CTL_SYNC`). */
  get syncWord(): number {
    return Atomics.load(this.ctl, CTL_SYNC);
  }

  /** Whether the claim slot of `t` (a task sent to this worker) is in `state` (`SLOT_*`). */
  slotIs(t: Task, state: number): boolean {
    return Atomics.load(this.ctl, CTL_SLOTS + t.seq % CTL_RING) === slotTag(t.seq, state);
  }

  /** Takes back `t` if the worker has not started it; true if it was taken. */
  revoke(t: Task): boolean {
    const offered = slotTag(t.seq, SLOT_OFFERED);
    const slot = CTL_SLOTS + t.seq % CTL_RING;
    return Atomics.compareExchange(this.ctl, slot, offered, slotTag(t.seq, SLOT_REVOKED)) === offered;
  }

  /** Takes back every task it has not started, and returns them. */
  takeBack(): Task[] {
    const back: Task[] = [];
    for (const t of this.inflight.values()) {
      if (this.revoke(t)) back.push(t);
    }
    for (const t of back) this.inflight.delete(t.id);
    this.assigned -= back.length;
    return back;
  }

  /**
   * How long (ms) it has been on the same task, from its progress word in shared
   * memory (not from its messages, which a busy parent reads late); 0 if it holds none.
   */
  stuckFor(now: number): number {
    if (this.inflight.size === 0) return 0;
    const p = Atomics.load(this.ctl, CTL_STARTED);
    if (p !== this.progress) {
      this.progress = p;
      this.since = now;
    }
    return now - this.since;
  }

  /**
   * How many more tasks it may take now: up to `share` in flight, `maxTasks` in its life
   * (0: no limit), and never so many that a claim slot it may still hold is reused.
   */
  room(share: number, maxTasks: number): number {
    let room = share - this.inflight.size;
    if (maxTasks > 0) room = Math.min(room, maxTasks - this.assigned);
    const oldest = this.inflight.size > 0 ? this.inflight.values().next().value!.seq : this.seq;
    return Math.min(room, CTL_RING - (this.seq - oldest) - 1);
  }

  /** Offers the next `count` tasks in their claim slots (before the worker can see them). */
  offer(count: number): void {
    const base = this.seq;
    for (let i = 0; i < count; i++) {
      Atomics.store(this.ctl, CTL_SLOTS + (base + i) % CTL_RING, slotTag(base + i, SLOT_OFFERED));
    }
  }

  /** Posts `m`, whose tasks were offered; false if the worker is gone. Throws if `m` cannot be cloned. */
  post(m: TasksMessage): boolean {
    return this.child.post(m);
  }

  /** Forgets that it was sent the functions of `m` (the message did not reach it). */
  forget(m: TasksMessage): void {
    for (const [id] of m.fns) this.known.delete(id);
  }

  /** Records `sent` (offered, then posted) as held by this worker. */
  accept(sent: Task[]): void {
    if (this.inflight.size === 0) this.since = performance.now(); // its progress counts from now
    const base = this.seq;
    this.seq += sent.length;
    for (let i = 0; i < sent.length; i++) {
      const t = sent[i];
      t.worker = this;
      t.seq = base + i;
      this.inflight.set(t.id, t);
    }
    this.assigned += sent.length;
  }

  /** Tells it to exit (it is idle). */
  stop(): void {
    this.stopSent = true;
    this.child.post({ t: "stop" });
  }
}
