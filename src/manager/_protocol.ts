/**
 * What a manager's server and its clients (the proxies) both speak, neutral: the
 * description of a proxied object, the proxy kinds, the marker that stands for a proxy
 * inside a value, and the extra data of a queue proxy. The server side (`_server.ts`,
 * `_remote_server.ts`) and the client side (`proxy/`) import it; it imports neither.
 *
 * @module
 */

/** Where a proxy's object is: plain data, so that it can travel in channel bytes. */
export interface ProxyDesc {
  /** The manager's token. */
  token: number;
  /** How the proxy is built: one of {@linkcode Kind}. */
  kind: string;
  /** The type name the object was made as ("dict", "Lock", a registered type...). */
  typeid: string;
  /** The object's id in the server (0 for objects that live in shared memory). */
  id: number;
  /** Kind-specific data: the exposed methods, an arena description, a word's offset. */
  extra?: unknown;
  /**
   * A second proxy over the object of another proxy in this process (a remote Value's
   * `getLock()`): it holds no reference of its own, so it gives none back.
   */
  view?: boolean;
}

/** The proxy kinds, as the server names them in descriptions. */
export const Kind = {
  Dict: "dict",
  List: "list",
  Namespace: "namespace",
  Queue: "queue",
  JoinableQueue: "joinable",
  Shared: "shared",
  Auto: "auto",
} as const;

/**
 * Proxy kinds of remote managers beyond the local ones (the server names them, the
 * client revives them): their objects live in the server, where a local manager's
 * live in shared memory. `extra`: a queue's {@linkcode QueueExtra} `maxsize`, a
 * Value's `{ typecode }`, an Array's `{ typecode, length }`, a Barrier's `{ parties }`.
 */
export const RemoteKind = {
  Queue: "remote-queue",
  Acquirer: "remote-acquirer",
  Event: "remote-event",
  Condition: "remote-condition",
  Barrier: "remote-barrier",
  Value: "remote-value",
  Array: "remote-array",
} as const;

/**
 * The default of a remote manager's `keepAlive`: how long a connection may go without
 * sending before it sends a ping, so that the OS notices a peer that vanished (ms).
 */
export const KEEPALIVE_MS = 15_000;

/**
 * The ping a client sends its server: a request without reply (sequence 0) that an
 * older server answers with nothing, and a current one drops on arrival.
 */
export const PING_TO_SERVER: readonly unknown[] = [0, 0, "ping", []];

/**
 * The ping a server sends its client: a reply to sequence 0, which no call has (an
 * older client skips it), and a current one drops on arrival.
 */
export const PING_TO_CLIENT: readonly unknown[] = [0, 0, null];

/** What a queue proxy's description carries beyond the id. */
export interface QueueExtra {
  /** Byte offset (in the tree buffer) of the word the server bumps on each change. */
  word: number;
  /** The item limit (0: none). */
  maxsize: number;
}

/** Marks a proxy inside a value sent to, or received from, the server. */
const MARK = "\u0000mp-proxy";

/** The marker that stands for the proxy of `desc` inside a value. */
export function markerOf(desc: ProxyDesc): Record<string, ProxyDesc> {
  return { [MARK]: desc };
}

/** The description behind a marker, or `undefined` if `v` is not one. */
export function markerDesc(v: unknown): ProxyDesc | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  return (v as Record<string, ProxyDesc>)[MARK];
}
