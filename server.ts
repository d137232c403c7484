import { createServer } from "node:http";
import path from "node:path";
import next from "next";
import { dbHandle } from "./db";
import { DataDirLockedError } from "./db/lock";
import { demoLogins, needsSeed, seed } from "./db/seed";
import { ensureAuthSecret } from "./server/auth/auth-secret";
import { stampClientIp, trustedProxies } from "./server/auth/client-ip";
import { closeAllConsoles, openConsoles } from "./server/console/registry";
import { createConsoleProxy } from "./server/console/proxy";
import { env } from "./server/env";
import { startOrchestrator } from "./server/orchestrator";
import { serviceHooks, serviceJobs, serviceSchedules } from "./server/services/background";
import { upgradeRouter } from "./server/upgrade";
import { instrumentRequests } from "./server/telemetry/http";

/**
 * The Stratus server: migrates and (on first start) seeds the database, then serves Next.js.
 * The orchestrator (job workers, reconciler, expunge scheduler) runs in this same process; the
 * console WebSocket will hang on its upgrade event.
 */

async function main() {
  const e = env();
  const dataDir = path.resolve(e.DATA_DIR);
  ensureAuthSecret(dataDir);
  // next-auth v4 needs an origin; without NEXTAUTH_URL take it from the request's Host header.
  // (Written, not read: next-auth reads these itself.)
  if (!e.NEXTAUTH_URL && !e.AUTH_TRUST_HOST) process.env.AUTH_TRUST_HOST = "true";

  const handle = dbHandle();
  console.log(`[stratus] database: ${handle.kind === "pglite" ? `PGlite in ${dataDir}` : "PostgreSQL (DATABASE_URL)"}`);
  await handle.migrate();
  if (await needsSeed(handle.db)) {
    await seed(handle.db, { demo: e.SEED_DEMO === "1" });
    console.log("[stratus] first start: seeded the database. Logins:");
    for (const l of e.SEED_DEMO === "1" ? demoLogins : demoLogins.slice(0, 1)) {
      console.log(`  ${l.role.padEnd(40)} ${l.username} / ${l.password}`);
    }
  }

  // The services' jobs and sweeps (account cleanup, expunge) run beside the orchestrator's own.
  const orchestrator = startOrchestrator(handle, { jobs: serviceJobs, schedules: serviceSchedules, ...serviceHooks });

  const dev = e.NODE_ENV !== "production";
  const app = next({ dev, hostname: "localhost", port: e.PORT });
  await app.prepare();
  const requestHandler = app.getRequestHandler();
  const upgradeHandler = app.getUpgradeHandler();

  const proxies = trustedProxies(e.STRATUS_TRUSTED_PROXIES);
  const serve = instrumentRequests(
    { db: handle.db, dbKind: handle.kind, dbPoolMax: handle.kind === "pglite" ? 1 : 10, consoleSessions: () => openConsoles().length },
    (req, res) => void requestHandler(req, res),
  );
  const server = createServer((req, res) => {
    // The login throttle keys on this; overwrite whatever the client sent.
    stampClientIp(req, proxies);
    serve(req, res);
  });
  const consoles = createConsoleProxy({ db: handle.db });
  // Route handlers cannot take upgrades: consoles are handled here, hot reload (dev) by Next, the rest 404.
  server.on("upgrade", upgradeRouter({ consoles, dev, next: upgradeHandler }));

  server.listen(e.PORT, e.HOSTNAME, () => {
    console.log(`[stratus] ready on http://localhost:${e.PORT} (${dev ? "development" : "production"})`);
  });

  const shutdown = (signal: string) => {
    console.log(`[stratus] ${signal}: shutting down`);
    server.close();
    closeAllConsoles();
    consoles.close();
    void orchestrator
      .stop()
      .then(() => handle.close())
      .finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((err) => {
  // A data directory held by another process is an operator's situation, not a crash: no stack.
  console.error("[stratus] failed to start:", err instanceof DataDirLockedError ? err.message : err);
  process.exit(1);
});
