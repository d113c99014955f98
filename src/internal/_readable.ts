/**
 * What `mp.wait()` knows about the objects it can watch (queues, connections, network
 * connections, process sentinels): each registers how to tell that it is ready and
 * how to wait for a change. Kept apart from the channel so that any layer can
 * register. Internal to this package.
 *
 * @module
 */
import type { Channel } from "../channel/_channel.ts";

/** What `wait()` needs to know about a queue or a connection it watches. */
export interface Readable {
  /** The shared channel to watch; absent for objects fed by the event loop (sockets). */
  channel?: Channel;
  peerGone?: () => boolean;
  /** Throws if the object can no longer be read (closed). */
  check(): void;
  /** Whether something can be received at once (objects without a channel). */
  ready?(): boolean;
  /** Resolves when something changed, or after `timeout` ms (objects without a channel). */
  watch?(timeout: number): Promise<void>;
}

const readables = new WeakMap<object, Readable>();

/** Makes `obj` watchable by `wait()`. */
export function registerReadable(obj: object, readable: Readable): void {
  readables.set(obj, readable);
}

/** How `wait()` watches `obj`, or `undefined` if it cannot. */
export function readableOf(obj: unknown): Readable | undefined {
  return typeof obj === "object" && obj !== null ? readables.get(obj) : undefined;
}
