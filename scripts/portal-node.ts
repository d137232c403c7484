/**
 * A bare portal process for the multi-process tests (test/portal-node.ts: the tRPC API and the
 * console proxy, no Next.js pages) against the PostgreSQL database at DATABASE_URL. Two of these
 * on one database stand for two portal processes behind a load balancer:
 *   DATABASE_URL=postgres://… NEXTAUTH_SECRET=… STRATUS_WORKER_OWNER=a npx tsx scripts/portal-node.ts
 * Prints "ready <owner> port=<port>" once it listens (PORT; 0: any free port).
 */
import { openDb } from "@/db";
import { closeAllConsoles } from "@/server/console/registry";
import { registerOrchestrator } from "@/server/orchestrator";
import { env } from "@/server/env";
import { startPortalNode } from "@/test/portal-node";

async function main() {
  const e = env();
  const url = e.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is required (the process shares a PostgreSQL database with others)");
  if (!e.NEXTAUTH_SECRET) throw new Error("NEXTAUTH_SECRET is required (every process must share it)");
  const owner = e.STRATUS_WORKER_OWNER ?? `portal:${process.pid}`;
  const handle = openDb({ url, max: 8 });
  // The simulator driver, for the VMs' consoles (its truth is in the database, shared by all processes).
  registerOrchestrator(handle);
  const node = await startPortalNode(handle.db, { port: e.PORT, log: (m) => console.log(`[${owner}] ${m}`) });
  console.log(`ready ${owner} port=${node.port}`);
  const stop = () => {
    closeAllConsoles();
    node.close();
    void handle.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e: unknown) => {
  console.error("[portal-node] failed to start:", e);
  process.exit(1);
});
