/**
 * `Value` and `RawValue`: one number in shared memory.
 *
 * @module
 */
import { adopt, adoptedState, registerShared, SHARE, type SharedHandle } from "../internal/_codec.ts";
import type { Lock } from "../sync/lock.ts";
import type { RLock } from "../sync/rlock.ts";
import { lockFrom, Synchronized, type SynchronizedOptions } from "./synchronized.ts";
import {
  allocate,
  checkTypecode,
  type InitOf,
  toStored,
  type Typecode,
  type TypedArrayOf,
  type ValueOf,
} from "./typecodes.ts";
import { inspectable } from "../internal/_inspect.ts";

interface ValueState {
  tc: Typecode;
  cell: TypedArrayOf<Typecode>;
  lock: Lock | RLock | null;
}

/**
 * A number in shared memory with an unsynchronized `value` (Python's
 * `sharedctypes.RawValue`), made by {@linkcode RawValue}.
 */
export interface RawValue<T extends Typecode = Typecode> {
  /** The number (a bigint for the 64-bit typecodes). */
  value: ValueOf<T>;
  /** The typecode. */
  readonly typecode: T;
}

class RawCell<T extends Typecode> implements RawValue<T> {
  readonly typecode: T;
  readonly cell: TypedArrayOf<T>;
  constructor(tc: T, cell: TypedArrayOf<T>) {
    this.typecode = tc;
    this.cell = cell;
  }
  get value(): ValueOf<T> {
    return this.cell[0] as ValueOf<T>;
  }
  set value(v: ValueOf<T>) {
    this.cell[0] = toStored(this.typecode, v, "RawValue.value") as never;
  }
  toString(): string {
    return `RawValue(${this.typecode}, ${this.cell[0]})`;
  }
  [SHARE](): SharedHandle {
    return { type: "RawValue", module: import.meta.url, state: { tc: this.typecode, cell: this.cell } };
  }
}

function newCell<T extends Typecode>(tc: T, init: unknown, where: string): TypedArrayOf<T> {
  const cell = allocate(tc, 1);
  if (init !== undefined) cell[0] = toStored(tc, init, where) as never;
  return cell;
}

/**
 * A number in shared memory without a lock (Python's `RawValue`): reads and writes of
 * `.value` are plain memory accesses, shared by every process it is passed to.
 *
 * @example
 * ```ts
 * import { RawValue } from "@mp/multiprocessing";
 * const v = RawValue("d", 1.5);
 * v.value *= 2;
 * console.log(v.value); // 3
 * ```
 *
 * @param typecode One of `b B h H i I l L q Q f d c`.
 * @param init The initial value (a bigint for `l L q Q`); 0 if omitted.
 * @returns The unsynchronized value.
 * @throws {TypeError} If `typecode` is unknown or `init` does not fit it.
 */
export function RawValue<T extends Typecode>(typecode: T, init?: InitOf<T>): RawValue<T> {
  const tc = checkTypecode(typecode, "RawValue()") as T;
  return new RawCell(tc, newCell(tc, init, "RawValue()"));
}

/**
 * A number in shared memory (Python's `multiprocessing.Value`): pass it to children in
 * `args` and they read and write the same memory. Each access of `.value` takes the
 * Value's lock; to make a read-modify-write atomic (`v.value += 1`), hold the lock
 * around it (`using _ = v.lockSync();`).
 *
 * Typecodes: `b B h H i I l L q Q f d c`; `l L q Q` hold bigints. The value starts at 0
 * unless `init` is given.
 *
 * @example A child increments a counter
 * ```ts
 * import * as mp from "@mp/multiprocessing";
 *
 * export function count(n: mp.Value<"i">) {
 *   for (let i = 0; i < 1000; i++) {
 *     using _ = n.lockSync();
 *     n.value += 1;
 *   }
 * }
 *
 * if (import.meta.main) {
 *   const n = new mp.Value("i", 0);
 *   const p = new mp.Process({ target: count, args: [n] });
 *   await p.start();
 *   await p.join();
 *   console.log(n.value); // 1000
 * }
 * ```
 *
 * @example Options
 * ```ts
 * import { Lock, Value } from "@mp/multiprocessing";
 * const big = new Value("q", 2n ** 40n); // 64-bit: bigint
 * const raw = new Value("d", 0.5, { lock: false }); // no lock
 * const lock = new Lock();
 * const a = new Value("i", 1, { lock }); // a given lock, shared with other objects
 * console.log(big.value, raw.value, a.getLock() === lock); // 1099511627776n 0.5 true
 * ```
 */
export class Value<T extends Typecode = Typecode> extends Synchronized {
  #tc: T;
  #cell: TypedArrayOf<T>;
  #raw: RawValue<T> | undefined;

  /**
   * Creates the value (0 unless `init` is given) with `options.lock` (default: a new RLock).
   *
   * @param typecode One of `b B h H i I l L q Q f d c`.
   * @param init The initial value (a bigint for `l L q Q`); 0 if omitted.
   * @param options `lock`: `true` (a new RLock), `false` (none) or the Lock / RLock to use.
   * @throws {TypeError} If `typecode` is unknown, `init` does not fit it, or
   *   `options` / `options.lock` is not one of the above.
   */
  constructor(typecode: T, init?: InitOf<T>, options?: SynchronizedOptions) {
    const state = adoptedState<ValueState>(new.target);
    super(state ? state.lock : lockFrom(options, "Value()"));
    this.#tc = state ? state.tc as T : checkTypecode(typecode, "Value()") as T;
    this.#cell = state ? state.cell as TypedArrayOf<T> : newCell(this.#tc, init, "Value()");
  }

  /**
   * The number (a bigint for the 64-bit typecodes); each access takes the lock.
   *
   * @throws {TypeError} On assignment of a value that does not fit the typecode.
   */
  get value(): ValueOf<T> {
    const lock = this.lockOrNull;
    if (lock === null) return this.#cell[0] as ValueOf<T>;
    lock.acquireSync();
    const v = this.#cell[0];
    lock.release();
    return v as ValueOf<T>;
  }
  set value(v: ValueOf<T>) {
    const stored = toStored(this.#tc, v, "Value.value");
    const lock = this.lockOrNull;
    if (lock === null) {
      this.#cell[0] = stored as never;
      return;
    }
    lock.acquireSync();
    this.#cell[0] = stored as never;
    lock.release();
  }

  /** The typecode. */
  get typecode(): T {
    return this.#tc;
  }

  /**
   * The unsynchronized value over the same memory (Python's `get_obj()`).
   *
   * @returns A {@linkcode RawValue} over the same memory.
   */
  getObj(): RawValue<T> {
    return this.#raw ??= new RawCell(this.#tc, this.#cell);
  }

  /**
   * Describes the value: `<Value(i, 3)>`.
   *
   * @returns The description.
   */
  override toString(): string {
    return `<Value(${this.#tc}, ${this.#cell[0]})>`;
  }

  /**
   * The handle this value travels as (codec).
   * @ignore
   */
  [SHARE](): SharedHandle {
    const state: ValueState = { tc: this.#tc, cell: this.#cell, lock: this.lockOrNull };
    return { type: "Value", module: import.meta.url, state };
  }
}

registerShared("Value", (state) => adopt(Value, state, () => new Value("i")));
registerShared("RawValue", (state) => {
  const { tc, cell } = state as ValueState;
  return new RawCell(tc, cell);
});

inspectable(RawCell, Value);
