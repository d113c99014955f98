/**
 * `mp.connection`: Python's `multiprocessing.connection` across machines. A
 * {@linkcode Listener} accepts connections from {@linkcode Client}s over TCP or Unix
 * sockets, with Python's framing and authentication handshake, so that raw bytes
 * (`sendBytes` / `recvBytes`) pass to and from Python programs too.
 *
 * @module
 */
export { type Address, type NetOptions } from "./address.ts";
export type { Authkey } from "./auth.ts";
export { Client, type ClientOptions } from "./client.ts";
export { Listener, type ListenerOptions } from "./listener.ts";
export { SocketConnection } from "./socket_connection.ts";
export { wait } from "../channel/wait.ts";
