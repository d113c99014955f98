/**
 * The pool worker role of the bootstrap: runs the initializer, then the tasks its pool
 * sends, one at a time, and sends results back in batches (at once when a task is
 * slow, at most every few milliseconds when tasks are tiny, and before a task that may
 * be slow). Before running a task it claims it in shared memory (see `CTL_SLOTS`): a
 * task the pool took back meanwhile is skipped.
 *
 * @module
 */
import {
  constantBatch,
  constantOf,
  isPackedBatch,
  isStringBatch,
  packBatch,
  type PackedBatch,
  unpackBatch,
} from "./_batch_codec.ts";
import { MIN_RING, NumberRing } from "./_number_ring.ts";
import { decode, describe, encode } from "../internal/_codec.ts";
import { ProcessError } from "../internal/errors.ts";
import { errorToData, ExitSignal } from "../internal/_error_wire.ts";
import type { InitMessage, Role } from "../process/_messages.ts";
import {
  allNumbers,
  CTL_RING,
  CTL_SLOTS,
  CTL_STARTED,
  CTL_SYNC,
  type DoneMessage,
  KIND_APPLY,
  KIND_APPLY_NUMBERS,
  KIND_MAP,
  type PoolWorkerConfig,
  RESULT_ERROR,
  RESULT_NUMBER,
  RESULT_NUMBERS,
  RESULT_PACKED,
  RESULT_RING,
  RESULT_SAME,
  RESULT_UNDEFINED,
  RESULT_VALUE,
  SLOT_DONE,
  SLOT_OFFERED,
  SLOT_STARTED,
  slotTag,
  type StopMessage,
  type TasksMessage,
} from "./_protocol.ts";
import { explainForkError, loadFunction } from "../process/_load.ts";
import type { FunctionRef } from "../process/_resolve.ts";
import { postToParent, trapExit } from "../internal/runtime.ts";
import { onRoleMessage } from "../process/_bootstrap.ts";
import { thisProcess } from "../process/_state.ts";
import { type AnyFunction, isThenable } from "../internal/_types.ts";

/** Results are sent at least this often while tasks run (ms). */
const FLUSH_EVERY_MS = 2;
/** A task at least this long (ms) has its result sent at once. */
const SLOW_TASK_MS = 1;

interface Loaded {
  fn: AnyFunction | null;
  error: unknown;
  /** Name of a function shipped as source (fork), for explaining captured variables. */
  forked: string | null;
  /** Mean run time of its tasks here (ms), -1 before the first. */
  avg: number;
}

interface Task {
  id: number;
  /** Its number on this worker: the claim slot (see `CTL_SLOTS`). */
  seq: number;
  fn: Loaded;
  kind: number;
  payload: unknown;
  /** Its items are a record of the pool's ring, released once the task is over or skipped. */
  ringed: boolean;
}

/** Imports a module for the pool with the `import.meta.main` guard armed. */
async function load(ref: FunctionRef, role: string): Promise<AnyFunction> {
  thisProcess.importing = "module" in ref ? ref.module : null;
  try {
    return await loadFunction(ref, role);
  } finally {
    thisProcess.importing = null;
  }
}

/** Runs `fn` over a chunk, switching to awaiting only if a call returns a promise. */
function runChunk(fn: AnyFunction, items: ArrayLike<unknown>, star: boolean): unknown[] | Promise<unknown[]> {
  const out = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const v = star ? fn(...(items[i] as unknown[])) : fn(items[i]);
    if (isThenable(v)) return finishChunk(fn, items, star, out, i, v);
    out[i] = v;
  }
  return out;
}

/** A map chunk's results, all numbers, written straight into the worker's ring (see `runNumbers`). */
class InRing {
  constructor(readonly at: number, readonly n: number) {}
}

/**
 * Runs `fn` over a chunk of numbers, writing its results straight into `ring` as long
 * as they are numbers, so that no array of results is made. At the first result that
 * is not a number (a promise...) the record is given back and the chunk goes on as
 * `runChunk`'s; so it does when the ring has no room.
 */
function runNumbers(
  fn: AnyFunction,
  items: Float64Array,
  ring: NumberRing,
): InRing | unknown[] | Promise<unknown[]> {
  const n = items.length;
  const at = ring.reserve(n);
  if (at < 0) return runChunk(fn, items, false);
  const data = ring.data;
  let i = 0;
  let v: unknown;
  try {
    for (; i < n; i++) {
      v = fn(items[i]);
      if (typeof v !== "number") break;
      data[at + i] = v;
    }
  } catch (e) {
    ring.undo(1);
    throw e;
  }
  if (i === n) return new InRing(at, n);
  const out = new Array(n);
  for (let j = 0; j < i; j++) out[j] = data[at + j];
  ring.undo(1);
  return goOn(fn, items, out, i, v);
}

/**
 * Goes on with a map chunk as `runChunk` does, from item `from`, whose result `first`
 * is known (the results before it are in `out` already).
 */
function goOn(
  fn: AnyFunction,
  items: ArrayLike<unknown>,
  out: unknown[],
  from: number,
  first: unknown,
): unknown[] | Promise<unknown[]> {
  if (isThenable(first)) return finishChunk(fn, items, false, out, from, first);
  out[from] = first;
  for (let j = from + 1; j < items.length; j++) {
    const w = fn(items[j]);
    if (isThenable(w)) return finishChunk(fn, items, false, out, j, w);
    out[j] = w;
  }
  return out;
}

/**
 * Runs `fn` over a chunk of `n` copies of one constant (`null`, `undefined` or a
 * boolean), with no array of items: when every call returns one such constant too, the
 * results are that constant batch, else an array as `runChunk`'s.
 */
function runConstant(fn: AnyFunction, p: PackedBatch): PackedBatch | unknown[] | Promise<unknown[]> {
  const c = constantOf(p)!.value, n = p.n;
  const first = fn(c);
  if (isThenable(first)) return finishChunk(fn, new Array(n).fill(c), false, new Array(n), 0, first);
  let i = 1;
  while (i < n) {
    const v = fn(c);
    if (v !== first || (v === 0 && 1 / v !== 1 / (first as number))) { // -0 is not 0
      const out = new Array(n);
      for (let j = 0; j < i; j++) out[j] = first;
      if (isThenable(v)) return finishChunk(fn, new Array(n).fill(c), false, out, i, v);
      out[i] = v;
      for (let j = i + 1; j < n; j++) {
        const w = fn(c);
        if (isThenable(w)) return finishChunk(fn, new Array(n).fill(c), false, out, j, w);
        out[j] = w;
      }
      return out;
    }
    i++;
  }
  const same = constantBatch(n, first);
  if (same !== null) return same;
  const out = new Array(n);
  for (let j = 0; j < n; j++) out[j] = first;
  return out;
}

/** What `runStrings` returns for a chunk whose results are its items (see `RESULT_SAME`). */
const SAME_ITEMS: unique symbol = Symbol("same items");

/**
 * Runs `fn` over a packed chunk of strings, taking each item out of the joined text as
 * it goes: while every result is its item (`===`, exact for strings, and one
 * comparison of pointers when a string is returned as is), no array of items nor of
 * results is made, and the chunk's answer is `SAME_ITEMS`. At the first other result
 * the items are unpacked and the chunk goes on as `runChunk`'s.
 */
function runStrings(fn: AnyFunction, p: PackedBatch): typeof SAME_ITEMS | unknown[] | Promise<unknown[]> {
  const n = p.n, lens = new Uint32Array(p.lens!), text = p.strs;
  for (let i = 0, pos = 0; i < n; i++) {
    const end = pos + lens[i];
    const item = text.slice(pos, end);
    const v = fn(item);
    pos = end;
    if (v === item) continue;
    const items = unpackBatch(p);
    const out = new Array(n);
    for (let j = 0; j < i; j++) out[j] = items[j];
    return goOn(fn, items, out, i, v);
  }
  return SAME_ITEMS;
}

async function finishChunk(
  fn: AnyFunction,
  items: ArrayLike<unknown>,
  star: boolean,
  out: unknown[],
  from: number,
  first: PromiseLike<unknown>,
): Promise<unknown[]> {
  out[from] = await first;
  for (let i = from + 1; i < items.length; i++) {
    out[i] = await (star ? fn(...(items[i] as unknown[])) : fn(items[i]));
  }
  return out;
}

/** Collects finished tasks and sends them to the pool in one message. */
class Outbox {
  /** Where results of numbers go (see `#toRing`), made at the first such result. */
  ring: NumberRing | null = null;
  #ringSent = false;
  meta: number[] = [];
  data: unknown[] = [];
  /** For each `data` entry, the index of its result in `meta`. */
  owners: number[] = [];
  busy = 0;
  count = 0;
  last = performance.now();

  ok(id: number, v: unknown, ms: number): void {
    if (v === undefined) this.meta.push(id, RESULT_UNDEFINED, 0, ms);
    else if (typeof v === "number") this.meta.push(id, RESULT_NUMBER, v, ms);
    else {
      if (Array.isArray(v) && allNumbers(v)) {
        if (this.#toRing(id, v, ms)) return;
        return this.#value(id, RESULT_NUMBERS, Float64Array.from(v).buffer, ms);
      }
      const packed = Array.isArray(v) ? packBatch(v) : null;
      if (packed !== null) this.#value(id, RESULT_PACKED, packed, ms);
      else this.#value(id, RESULT_VALUE, v, ms);
    }
  }

  /**
   * Puts the numbers `v` in the ring when there are at least `MIN_RING` of them and the
   * ring has room: the pool reads them there, and nothing is allocated to send them.
   */
  #toRing(id: number, v: ArrayLike<number>, ms: number): boolean {
    if (v.length < MIN_RING) return false;
    const at = (this.ring ??= new NumberRing()).write(v);
    if (at < 0) return false;
    this.inRing(id, new InRing(at, v.length), ms);
    return true;
  }

  /** A result already in the ring (see `runNumbers`). */
  inRing(id: number, r: InRing, ms: number): void {
    this.owners.push(this.meta.length);
    this.meta.push(id, RESULT_RING, r.at, ms);
    this.data.push(r.n);
  }

  /** A map chunk's results, packed already. */
  packed(id: number, p: PackedBatch, ms: number): void {
    this.#value(id, RESULT_PACKED, p, ms);
  }

  /** A map chunk of strings whose results are its items: nothing to send back but that. */
  same(id: number, ms: number): void {
    this.meta.push(id, RESULT_SAME, 0, ms);
  }

  error(id: number, e: unknown, ms: number): void {
    this.#value(id, RESULT_ERROR, errorToData(e), ms);
  }

  #value(id: number, status: number, v: unknown, ms: number): void {
    this.owners.push(this.meta.length);
    this.meta.push(id, status, 0, ms);
    this.data.push(v);
  }

  flush(): void {
    this.last = performance.now();
    if (this.meta.length === 0) return;
    const m: DoneMessage = {
      t: "done",
      meta: new Float64Array(this.meta).buffer,
      data: encode(this.data) as unknown[],
      busy: this.busy,
      count: this.count,
    };
    if (this.ring !== null && !this.#ringSent) {
      m.ring = this.ring.buffer;
      this.#ringSent = true;
    }
    try {
      postToParent(m);
    } catch {
      this.#replaceUncloneable(m);
      postToParent(m);
    }
    this.meta = [];
    this.data = [];
    this.owners = [];
    this.busy = 0;
    this.count = 0;
  }

  /** Turns each result that cannot be cloned into an error that says so. */
  #replaceUncloneable(m: DoneMessage): void {
    for (let i = 0; i < m.data.length; i++) {
      try {
        structuredClone(m.data[i]);
      } catch (cause) {
        const at = this.owners[i];
        const v = this.data[i];
        m.data[i] = errorToData(
          new ProcessError(
            `The result of the task (${describe(v)}) cannot be sent back to the pool: only ` +
              "structured-cloneable data (and this package's shared objects) can cross between processes, " +
              "so return plain data instead",
            { cause },
          ),
        );
        new Float64Array(m.meta)[at + 1] = RESULT_ERROR;
      }
    }
  }
}

/**
 * The pool worker role: gets ready by running the initializer, then works until the
 * pool stops it, `maxTasks` is reached, or a task calls `exit()`.
 */
export const role: Role = { prepare };

async function prepare(init: InitMessage): Promise<() => Promise<number>> {
  const config = init.extra as PoolWorkerConfig;
  const ctl = config.ctl!;
  const fns = new Map<number, Loaded>();
  const queue: Task[] = [];
  const out = new Outbox();
  let head = 0;
  let running = false;
  let stopping = false;
  let done = 0;
  let seq = 0;
  let current: Task | null = null;
  let finished = false;
  /** The pool's ring of map chunks of numbers (see `TasksMessage.ring`). */
  let down: NumberRing | null = null;
  // Tasks handed over early wait for the initializer: messages are handled in order after it.
  let initialized!: () => void;
  let received: Promise<void> = new Promise<void>((resolve) => (initialized = resolve));
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let end!: (code: number) => void;
  const ended = new Promise<number>((resolve) => (end = resolve));

  const finish = (code: number) => {
    finished = true;
    clearTimeout(flushTimer);
    end(code);
  };
  const flush = () => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    out.flush();
  };

  async function receive(m: TasksMessage): Promise<void> {
    if (m.ring !== undefined) down = new NumberRing(m.ring);
    for (const [id, ref] of m.fns) {
      try {
        fns.set(id, {
          fn: await load(ref, "pool function"),
          error: null,
          forked: "source" in ref ? ref.name : null,
          avg: -1,
        });
      } catch (error) {
        fns.set(id, { fn: null, error, forked: null, avg: -1 });
      }
    }
    const data = (await decode(m.data)) as unknown[];
    const meta = new Float64Array(m.meta);
    let d = 0;
    for (let i = 0; i < meta.length;) {
      const id = meta[i], fn = fns.get(meta[i + 1])!, kind = meta[i + 2], argc = meta[i + 3];
      i += 4;
      let payload: unknown;
      if (kind === KIND_APPLY_NUMBERS) {
        payload = Array.prototype.slice.call(meta, i, i + argc);
        i += argc;
      } else payload = data[d++];
      // A map chunk of numbers: its `argc` numbers in the pool's ring (at offset `payload`), or cloned.
      const ringed = kind !== KIND_APPLY_NUMBERS && argc > 0;
      if (ringed) payload = down!.view(payload as number, argc);
      else if (payload instanceof ArrayBuffer) payload = new Float64Array(payload);
      // Another packed map chunk stays packed until it runs (see `run`).
      queue.push({ id, seq: seq++, fn, kind, payload, ringed });
    }
    if (!running) void drain();
  }

  function run(task: Task): unknown {
    const fn = task.fn.fn;
    if (fn === null) throw task.fn.error;
    let p = task.payload as unknown[];
    if (isPackedBatch(p)) {
      // A chunk of one constant (`null`...) or of strings runs packed; another is unpacked
      // as it runs, so that only the running chunk's items are alive (not those of every
      // chunk the pool sent ahead: a young-generation collection copies whatever is alive).
      if (task.kind === KIND_MAP && constantOf(p) !== null) return runConstant(fn, p);
      if (task.kind === KIND_MAP && isStringBatch(p)) return runStrings(fn, p);
      p = unpackBatch(p);
      task.payload = p;
    }
    switch (task.kind) {
      case KIND_APPLY:
      case KIND_APPLY_NUMBERS:
        return fn(...p);
      default:
        return task.kind === KIND_MAP && p instanceof Float64Array && p.length >= MIN_RING
          ? runNumbers(fn, p, out.ring ??= new NumberRing())
          : runChunk(fn, p, task.kind !== KIND_MAP);
    }
  }

  async function drain(): Promise<void> {
    running = true;
    // The end of the last task, when the next one starts right after it: performance.now()
    // costs about 150 ns on Deno, as much as a no-op task, so back-to-back tasks share
    // one reading (the few atomics between them count towards the next one's run time).
    let clock = -1;
    while (head < queue.length && !finished) {
      const task = queue[head++];
      const slot = CTL_SLOTS + task.seq % CTL_RING;
      // Claim the task; the pool may have taken it back for an idle worker.
      const offered = slotTag(task.seq, SLOT_OFFERED);
      if (Atomics.compareExchange(ctl, slot, offered, slotTag(task.seq, SLOT_STARTED)) !== offered) {
        if (task.ringed) down!.release();
        continue;
      }
      Atomics.store(ctl, CTL_STARTED, task.seq + 1);
      // Results waiting here would wait for the whole task if it is slow: send them first.
      if (out.meta.length > 0 && (task.fn.avg < 0 || task.fn.avg >= SLOW_TASK_MS)) {
        flush();
        clock = -1;
      }
      current = task;
      const start = clock >= 0 ? clock : performance.now();
      let ok = true;
      let v: unknown;
      try {
        Atomics.store(ctl, CTL_SYNC, task.seq + 1);
        try {
          v = run(task);
        } finally {
          Atomics.store(ctl, CTL_SYNC, 0);
        }
        if (isThenable(v)) {
          if (out.meta.length > 0) flushTimer ??= setTimeout(flush, FLUSH_EVERY_MS);
          v = await v;
        }
      } catch (e) {
        if (e instanceof ExitSignal) {
          flush();
          postToParent({ t: "exiting", id: task.id });
          finish(e.code);
          return;
        }
        ok = false;
        v = task.fn.forked === null ? e : explainForkError(e, task.fn.forked);
      }
      const now = performance.now();
      const ms = now - start;
      if (ok && v instanceof InRing) out.inRing(task.id, v, ms); // from runNumbers
      else if (ok && task.kind === KIND_MAP && isPackedBatch(v)) out.packed(task.id, v, ms); // from runConstant
      else if (ok && v === SAME_ITEMS) out.same(task.id, ms); // from runStrings
      else if (ok) out.ok(task.id, v, ms);
      else out.error(task.id, v, ms);
      Atomics.store(ctl, slot, slotTag(task.seq, SLOT_DONE));
      if (task.ringed) {
        task.payload = null; // a view of memory the pool reuses from now on
        down!.release();
      }
      current = null;
      task.fn.avg = task.fn.avg < 0 ? ms : task.fn.avg * 0.7 + ms * 0.3;
      out.busy += ms;
      out.count++;
      if (config.maxTasks > 0 && ++done >= config.maxTasks) {
        flush();
        finish(0);
        return;
      }
      clock = now;
      if (now - start >= SLOW_TASK_MS || now - out.last >= FLUSH_EVERY_MS) {
        flush();
        clock = -1;
      }
    }
    queue.length = 0;
    head = 0;
    flush();
    running = false;
    if (stopping && !finished) finish(0);
  }

  // process.exit() / Deno.exit() in a task: send the results so far and name the task.
  trapExit(() => {
    if (finished) return;
    try {
      flush();
      if (current !== null) postToParent({ t: "exiting", id: current.id });
    } catch { /* the exit goes on regardless */ }
  });

  // An uncaught error ends this worker (worker.ts): send the results so far first.
  const flushOnCrash = () => {
    if (finished) return;
    try {
      flush();
    } catch { /* the crash goes on regardless */ }
  };
  globalThis.addEventListener("error", flushOnCrash);
  globalThis.addEventListener("unhandledrejection", flushOnCrash);

  onRoleMessage((data) => {
    const m = data as TasksMessage | StopMessage;
    if (finished) return;
    if (m.t === "tasks") {
      received = received.then(() => receive(m));
    } else if (m.t === "stop") {
      stopping = true;
      received = received.then(() => {
        if (!running && !finished) finish(0);
      });
    }
  });

  try {
    if (config.initializer !== null) {
      const fn = await load(config.initializer, "initializer");
      const args = (await decode(config.initargs)) as unknown[];
      await fn(...args);
    }
    initialized();
  } catch (e) {
    throw config.initializer && "source" in config.initializer
      ? explainForkError(e, config.initializer.name)
      : e;
  }
  return () => ended;
}
