import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["**/*.test.ts", "**/*.test.tsx"],
    // Tests against a real libvirtd run only in npm test's "libvirt" suite (STRATUS_LIBVIRT_TESTS=1).
    // `*.postgres.test.ts` need several connections (deadlocks, lock waits): only on PostgreSQL, so a
    // PGlite run leaves them out rather than counting a skip. `*.postgres.integration.test.ts` need
    // both (worker processes sharing PostgreSQL, on a real libvirtd).
    exclude: [
      "node_modules/**",
      "e2e/**",
      ".next/**",
      ".next-*/**",
      ...(process.env.STRATUS_LIBVIRT_TESTS === "1" ? [] : ["**/*.integration.test.ts"]),
      // Real-traffic network tests (namespaces, bridges, guests) run only in npm test's "networks" suite.
      ...(process.env.STRATUS_NETWORK_TESTS === "1" ? [] : ["**/*.network.test.ts"]),
      ...(process.env.TEST_DB === "postgres" ? [] : ["**/*.postgres.test.ts", "**/*.postgres.integration.test.ts"]),
    ],
    environment: "node",
    // Makes the migrated template every test database is copied from, once per run (test/db.ts).
    globalSetup: ["test/global-setup.ts"],
    // API-key secrets are encrypted with a server key (server/auth/api-key-crypto.ts); tests use this one.
    env: { STRATUS_API_KEY_ENCRYPTION_KEY: "vitest-only-api-key-encryption-key" },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
