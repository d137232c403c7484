/**
 * Starts the Stratus server for the Playwright specs: a fresh data directory (seeded with the demo
 * cloud on start) and port 3100 (or E2E_PORT), in production mode. Run `next build` first.
 *
 * Usage records need a complete period: this server keeps the default hourly period and hourly
 * aggregation (the specs expect a fresh cloud without records or charges). e2e/bill.spec.ts starts
 * a second one through this script (E2E_PORT + 1, E2E_DATA_DIR + "-bill") with
 * STRATUS_USAGE_PERIOD_MINUTES=1 and STRATUS_USAGE_AGGREGATE_MINUTES=0.05 (every 3 s): both are
 * passed through from the environment, like every variable not set below.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const dataDir = path.resolve(process.env.E2E_DATA_DIR ?? ".test-data/e2e");
fs.rmSync(dataDir, { recursive: true, force: true });
fs.mkdirSync(dataDir, { recursive: true });

// Always PGlite in the fresh folder: a DATABASE_URL from the shell would point the specs at a shared database.
const { DATABASE_URL: _ignored, ...inherited } = process.env;

const child = spawn("npx", ["tsx", "server.ts"], {
  stdio: "inherit",
  env: {
    ...inherited,
    PORT: process.env.E2E_PORT ?? "3100",
    DATA_DIR: dataDir,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    SEED_DEMO: "1",
    // Metrics every 5 s instead of 30 s, so e2e/libvirt.spec.ts sees a VM's charts without a long wait.
    STRATUS_METRICS_INTERVAL_MS: process.env.STRATUS_METRICS_INTERVAL_MS ?? "5000",
    // Alerts evaluated every 2 s instead of 30 s, so e2e/alerts.spec.ts sees a host failure open one soon.
    STRATUS_ALERT_INTERVAL_MS: process.env.STRATUS_ALERT_INTERVAL_MS ?? "2000",
    // A line per request would drown the test report; warnings and errors still show.
    STRATUS_LOG_LEVEL: process.env.STRATUS_LOG_LEVEL ?? "warn",
    // e2e/templates.spec.ts serves images from a server it starts on 127.0.0.1.
    STRATUS_TEMPLATE_URL_ALLOW_CIDRS: process.env.STRATUS_TEMPLATE_URL_ALLOW_CIDRS ?? "127.0.0.1/32",
    // e2e/webhooks.spec.ts receives deliveries on a server it starts on 127.0.0.1.
    STRATUS_WEBHOOK_ALLOW_CIDRS: process.env.STRATUS_WEBHOOK_ALLOW_CIDRS ?? "127.0.0.1/32",
  },
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    child.kill(signal);
  });
}
child.on("exit", (code, signal) => {
  process.exit(code ?? (signal ? 1 : 0));
});
