/**
 * Every kind of manager proxy, and how a proxy is rebuilt when it arrives in another
 * process (the codec imports this module for that).
 *
 * @module
 */
import { registerShared } from "../../internal/_codec.ts";
import { registerProxyKind, reviveProxy } from "./base.ts";
import { Kind } from "../_protocol.ts";
import { autoProxy } from "./auto.ts";
import { DictProxy } from "./dict.ts";
import { ListProxy } from "./list.ts";
import { namespaceProxy } from "./namespace.ts";
import { JoinableQueueProxy, QueueProxy } from "./queue.ts";
import { sharedProxy } from "./shared.ts";
import "../_remote.ts";

registerProxyKind(Kind.Dict, (t, desc) => new DictProxy(t, desc));
registerProxyKind(Kind.List, (t, desc) => new ListProxy(t, desc));
registerProxyKind(Kind.Namespace, namespaceProxy);
registerProxyKind(Kind.Queue, (t, desc) => new QueueProxy(t, desc));
registerProxyKind(Kind.JoinableQueue, (t, desc) => new JoinableQueueProxy(t, desc));
registerProxyKind(Kind.Shared, sharedProxy);
registerProxyKind(Kind.Auto, autoProxy);
registerShared("ManagerProxy", reviveProxy);
