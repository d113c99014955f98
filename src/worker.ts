/**
 * The entry module of every child Worker. Exported as `./worker` so that JSR ships it
 * with everything it loads, in both of its forms (`https:` for Deno, the transpiled
 * `.js` for npm): it starts the bootstrap with the roles a child can play besides
 * running a target, a pool worker, a manager's server and a remote manager's relay
 * thread, which import it nothing back. It exports nothing.
 *
 * @module
 */
import { runBootstrap } from "./process/_bootstrap.ts";

runBootstrap({
  pool: () => import("./pool/_worker_role.ts"),
  manager: () => import("./manager/_server.ts"),
  relay: () => import("./manager/_remote_relay.ts"),
});
