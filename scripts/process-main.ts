import type { DbHandle } from "@/db";

/**
 * The life of a bare orchestrator process (scripts/orchestrator-node.ts, orchestrator-worker.ts):
 * start it, print "ready <owner>" (what the multi-process tests wait for), and on SIGTERM or SIGINT
 * stop it after its running jobs, close the database and exit (at the latest after 5 s).
 */
export function runProcess(name: string, start: () => { owner: string; handle: DbHandle; stop: () => Promise<void> }) {
  try {
    const { owner, handle, stop } = start();
    console.log(`ready ${owner}`);
    const onSignal = () => {
      void stop()
        .then(() => handle.close())
        .finally(() => process.exit(0));
      setTimeout(() => process.exit(0), 5000).unref();
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  } catch (e) {
    console.error(`[${name}] failed to start:`, e);
    process.exit(1);
  }
}
