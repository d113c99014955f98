/**
 * A pool's settings: what `Pool` and `ProcessPoolExecutor` are given, checked with
 * Python's errors for misuse (naming the setting as the class calls it), into the
 * engine's options.
 *
 * @module
 */
import { describe } from "../internal/_codec.ts";
import { ProcessError } from "../internal/errors.ts";
import { cpuCount } from "../internal/runtime.ts";
import { callerModules } from "../process/_resolve.ts";
import { assertNotImporting, type StartMethod, thisProcess } from "../process/_state.ts";
import type { AnyFunction } from "../internal/_types.ts";

/** Settings of an engine. */
export interface EngineOptions {
  processes: number;
  initializer: AnyFunction | undefined;
  initargs: unknown[];
  /** 0: no limit. */
  maxTasksPerChild: number;
  method: StartMethod;
  /** The caller's modules, for finding the initializer by reference. */
  callers: string[];
  /** "Pool" or "ProcessPoolExecutor", for messages. */
  owner: string;
  /** Most tasks waiting to start before submissions reject with `Full` or wait (0: no limit). */
  maxQueue: number;
}

/** The settings a pool class takes, with the names it uses in messages. */
export interface PoolSettings {
  owner: string;
  countName: string;
  count: unknown;
  initializer: unknown;
  initargs: unknown;
  maxTasksPerChild: unknown;
  maxQueue?: unknown;
  method: StartMethod;
}

/** `value` if it is `undefined`/`null` or a positive integer; else throws a RangeError saying `what`. */
function positiveOrNone(value: unknown, owner: string, what: string): number {
  if (value === undefined || value === null) return 0;
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new RangeError(`${owner}: ${what}, got ${String(value)}`);
  }
  return value as number;
}

/**
 * Checks a pool's settings and returns the engine's options. Throws as Python does for
 * misuse: in a daemonic process, while a module is being imported, for a worker count,
 * `maxTasksPerChild` or `maxQueue` that is not a positive integer, an initializer that
 * is not a function, initargs that are not an array. Call it synchronously from the
 * constructor: the initializer is looked for in the caller's modules.
 */
export function checkSettings(s: PoolSettings): EngineOptions {
  assertNotImporting(`a ${s.owner}`);
  if (thisProcess.daemon) {
    throw new ProcessError(
      `new ${s.owner}(): daemonic processes are not allowed to have children: ${thisProcess.name} is daemonic (a pool worker, ` +
        `or a Process with daemon: true), so it cannot create a ${s.owner}`,
    );
  }
  const count = s.count ?? cpuCount();
  if (!Number.isInteger(count) || (count as number) < 1) {
    throw new RangeError(`${s.owner}: ${s.countName} must be an integer of at least 1, got ${String(count)}`);
  }
  const maxTasksPerChild = positiveOrNone(
    s.maxTasksPerChild,
    s.owner,
    "maxTasksPerChild must be a positive integer or undefined",
  );
  if (s.initializer !== undefined && s.initializer !== null && typeof s.initializer !== "function") {
    throw new TypeError(`${s.owner}: initializer must be a function, got ${describe(s.initializer)}`);
  }
  if (s.initargs !== undefined && !Array.isArray(s.initargs)) {
    throw new TypeError(`${s.owner}: initargs must be an array, got ${describe(s.initargs)}`);
  }
  const maxQueue = positiveOrNone(
    s.maxQueue,
    s.owner,
    "maxQueue must be a positive integer (the most tasks waiting to start) or undefined for no limit",
  );
  return {
    processes: count as number,
    initializer: (s.initializer ?? undefined) as AnyFunction | undefined,
    initargs: (s.initargs ?? []) as unknown[],
    maxTasksPerChild,
    method: s.method,
    callers: callerModules(),
    owner: s.owner,
    maxQueue,
  };
}
