/**
 * Every kind of manager proxy, and how a proxy is rebuilt when it arrives in another
 * process (the codec imports this module for that).
 *
 * @module
 */
import { registerShared } from "./codec.ts";
import { Kind, registerProxyKind, reviveProxy } from "./proxy.ts";
import { autoProxy } from "./proxy_auto.ts";
import { DictProxy } from "./proxy_dict.ts";
import { ListProxy } from "./proxy_list.ts";
import { namespaceProxy } from "./proxy_namespace.ts";
import { JoinableQueueProxy, QueueProxy } from "./proxy_queue.ts";
import { sharedProxy } from "./proxy_shared.ts";

registerProxyKind(Kind.Dict, (t, desc) => new DictProxy(t, desc));
registerProxyKind(Kind.List, (t, desc) => new ListProxy(t, desc));
registerProxyKind(Kind.Namespace, namespaceProxy);
registerProxyKind(Kind.Queue, (t, desc) => new QueueProxy(t, desc));
registerProxyKind(Kind.JoinableQueue, (t, desc) => new JoinableQueueProxy(t, desc));
registerProxyKind(Kind.Shared, sharedProxy);
registerProxyKind(Kind.Auto, autoProxy);
registerShared("ManagerProxy", reviveProxy);
