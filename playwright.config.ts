import { defineConfig, type ReporterDescription } from "@playwright/test";

/**
 * End-to-end tests in Debian's Chromium (never a downloaded browser, DESIGN.md §7). The web server is
 * a production build (`next build` must have run) on a fresh, seeded data directory.
 */
// E2E_PORT lets several checkouts run their specs at once on one machine.
const port = process.env.E2E_PORT ?? "3100";
const reporter: ReporterDescription[] = [["list"]];
if (process.env.E2E_JSON === "1")
  reporter.push(["json", { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ?? "test-results/e2e.json" }]);

export default defineConfig({
  testDir: "e2e",
  testMatch: "**/*.spec.ts",
  // Page screenshots are a tool for people, not a test: only with SCREENSHOTS=<folder>.
  testIgnore: process.env.SCREENSHOTS ? [] : ["**/screenshots.spec.ts"],
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter,
  // Two groups of specs run at once (scripts/test.ts) each with its own output folder.
  outputDir: process.env.E2E_OUTPUT_DIR ?? "test-results/e2e",
  use: {
    baseURL: `http://localhost:${port}`,
    headless: true,
    trace: "off",
    screenshot: "off",
    // Colour transitions would let axe sample a button half-way between two colours.
    contextOptions: { reducedMotion: "reduce" },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [{ name: "chromium" }],
  webServer: {
    command: "npx tsx scripts/e2e-server.ts",
    url: `http://localhost:${port}/login`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
