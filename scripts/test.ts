/**
 * `npm test`: every suite, in order, with one summary at the end.
 *   typecheck         tsc --noEmit
 *   lint              ESLint (zero warnings) and Prettier's check
 *   vitest (PGlite)   unit and integration tests on embedded PostgreSQL
 *   vitest (Postgres) the same against a real server, when TEST_DATABASE_URL is set
 *   libvirt           real VMs: the libvirt integration tests, when `virsh -c qemu:///system version` answers
 *   networks          real traffic: routers (namespace, dnsmasq, nftables, haproxy) and tiny guests, as root
 *   e2e (Chromium)    next build, then Playwright against the built app in two groups at once, when Chromium is installed
 * A suite that cannot run says why and is skipped; with REQUIRE_ALL=1 (CI) a skip is a failure.
 * TEST_SUITES=typecheck,lint,pglite,postgres,libvirt,networks,e2e picks suites.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { playwrightCounts, vitestCounts } from "./test-reports";

const requireAll = process.env.REQUIRE_ALL === "1";
const chosen = process.env.TEST_SUITES?.split(",").map((s) => s.trim());
const resultsDir = path.resolve(".test-results");
fs.rmSync(resultsDir, { recursive: true, force: true });
fs.mkdirSync(resultsDir, { recursive: true });

interface Outcome {
  suite: string;
  status: "passed" | "failed" | "skipped";
  passed: number;
  failed: number;
  skipped: number;
  note?: string;
  seconds?: number;
  /** Each failed test with its error (test-reports.ts). */
  failures?: string[];
}
const outcomes: Outcome[] = [];

function run(cmd: string, args: string[], env: Record<string, string> = {}): number {
  console.log(`\n$ ${[cmd, ...args].join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env } });
  return r.status ?? 1;
}

function suite(name: string, key: string, body: () => Omit<Outcome, "suite"> | string) {
  if (chosen && !chosen.includes(key)) return;
  console.log(`\n━━ ${name} ━━`);
  const started = Date.now();
  const r = body();
  const seconds = Math.round((Date.now() - started) / 1000);
  if (typeof r === "string") {
    console.log(`SKIPPED ${name}: ${r}`);
    outcomes.push({
      suite: name,
      status: requireAll ? "failed" : "skipped",
      passed: 0,
      failed: requireAll ? 1 : 0,
      skipped: 1,
      note: r,
      seconds,
    });
  } else {
    outcomes.push({ suite: name, ...r, seconds });
  }
}

suite("typecheck", "typecheck", () => {
  const code = run("npx", ["tsc", "--noEmit"]);
  return { status: code === 0 ? "passed" : "failed", passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0 };
});

suite("lint", "lint", () => {
  const code = run("npx", ["eslint", "--max-warnings", "0", "."]) || run("npx", ["prettier", "--check", "--log-level", "warn", "."]);
  return { status: code === 0 ? "passed" : "failed", passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0 };
});

function vitest(key: string, env: Record<string, string>, files: string[] = []) {
  const out = path.join(resultsDir, `vitest-${key}.json`);
  const code = run("npx", ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile=${out}`, ...files], env);
  const c = vitestCounts(out);
  if (code !== 0 && c.failed === 0) c.failed = 1;
  if (c.skipped > 0 && requireAll) c.failed += c.skipped;
  return { status: code === 0 && c.failed === 0 ? "passed" : "failed", ...c } as const;
}

suite("vitest on PGlite", "pglite", () => vitest("pglite", { TEST_DB: "pglite" }));

suite("vitest on PostgreSQL", "postgres", () => {
  if (!process.env.TEST_DATABASE_URL) return "TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres)";
  return vitest("postgres", { TEST_DB: "postgres" });
});

// The e2e suite's production build, started in the background when the real-VM suites begin: they
// leave a core mostly idle (tiny guests booting under TCG), which the build fills.
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const buildLog = path.join(resultsDir, "next-build.log");
const buildRc = path.join(resultsDir, "next-build.rc");
let buildStarted = false;
function startBuildEarly() {
  if (buildStarted || (chosen && !chosen.includes("e2e")) || !fs.existsSync(chromiumPath)) return;
  buildStarted = true;
  console.log(`\n$ npx next build (in the background for the e2e suite; output in ${buildLog})`);
  spawn("bash", ["-c", `npx next build > '${buildLog}' 2>&1; echo $? > '${buildRc}.tmp' && mv '${buildRc}.tmp' '${buildRc}'`], {
    stdio: "ignore",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  }).unref();
}
/** The build's exit code: the early one's when it was started, else a build now. */
function awaitBuild(): number {
  if (!buildStarted) return run("npx", ["next", "build"]);
  console.log(`\n$ npx next build (started earlier)`);
  while (!fs.existsSync(buildRc)) spawnSync("sleep", ["2"]);
  process.stdout.write(fs.readFileSync(buildLog, "utf8"));
  return Number(fs.readFileSync(buildRc, "utf8").trim());
}

suite("libvirt (real VMs)", "libvirt", () => {
  startBuildEarly();
  const probe = spawnSync("virsh", ["-c", "qemu:///system", "version"], { encoding: "utf8", timeout: 30_000 });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? `virsh is not installed (${probe.error.message})` : (probe.stderr || "").trim().split("\n")[0];
    return `libvirtd is not reachable at qemu:///system: ${why} (apt-get install libvirt-daemon-system qemu-system-x86, then virtlogd -d && libvirtd -d as root)`;
  }
  if (run("bash", ["scripts/build-test-image.sh"]) !== 0)
    return { status: "failed", passed: 0, failed: 1, skipped: 0, note: "building the test image failed" };
  // One file at a time: each test file has its own database, so two files running at once would
  // both name their first VM i-1 on the one libvirtd.
  const onPglite = vitest("libvirt", { TEST_DB: "pglite", STRATUS_LIBVIRT_TESTS: "1" }, [
    "--no-file-parallelism",
    "server/orchestrator/drivers/libvirt/",
    "server/console/libvirt-console",
  ]);
  // Tests of several processes sharing PostgreSQL on real VMs (kill -9 mid-copy): only with a server.
  if (!process.env.TEST_DATABASE_URL) {
    console.log("libvirt on PostgreSQL: TEST_DATABASE_URL is not set; *.postgres.integration.test.ts not run");
    if (requireAll) return { ...onPglite, status: "failed", failed: onPglite.failed + 1, note: "TEST_DATABASE_URL is not set" };
    return onPglite;
  }
  const onPostgres = vitest("libvirt-postgres", { TEST_DB: "postgres", STRATUS_LIBVIRT_TESTS: "1" }, [
    "--no-file-parallelism",
    "postgres.integration",
  ]);
  return {
    status: onPglite.status === "passed" && onPostgres.status === "passed" ? "passed" : "failed",
    passed: onPglite.passed + onPostgres.passed,
    failed: onPglite.failed + onPostgres.failed,
    skipped: onPglite.skipped + onPostgres.skipped,
    failures: [...onPglite.failures, ...onPostgres.failures],
  };
});

suite("networks (real traffic)", "networks", () => {
  startBuildEarly();
  // Routers are namespaces, bridges, dnsmasq, nftables and haproxy; the guests run under libvirt.
  if (process.getuid?.() !== 0) return "the network tests need root (network namespaces, bridges, nftables)";
  const packages: Record<string, string> = {
    ip: "iproute2",
    nft: "nftables",
    dnsmasq: "dnsmasq-base",
    haproxy: "haproxy",
    busybox: "busybox",
    curl: "curl",
  };
  const missing = Object.keys(packages).filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
  if (missing.length) return `${missing.join(", ")} missing (apt-get install ${missing.map((t) => packages[t]).join(" ")})`;
  if (spawnSync("virsh", ["-c", "qemu:///system", "version"], { timeout: 30_000 }).status !== 0)
    return "libvirtd is not reachable at qemu:///system (the network tests boot tiny guests)";
  if (run("bash", ["scripts/build-test-image.sh"]) !== 0)
    return { status: "failed", passed: 0, failed: 1, skipped: 0, note: "building the test image failed" };
  return vitest("networks", { TEST_DB: "pglite", STRATUS_NETWORK_TESTS: "1" }, ["--no-file-parallelism", ".network.test.ts"]);
});

suite("e2e in Chromium", "e2e", () => {
  if (!fs.existsSync(chromiumPath)) return `Chromium not found at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`;
  // e2e/libvirt.spec.ts runs a real VM from the tiny test image: the libvirt suite above builds it;
  // when only this suite runs, build it here (the spec fails, never skips, without it or libvirtd).
  const image = path.resolve(process.env.STRATUS_TEST_IMAGE ?? ".cache/test-image/tiny.qcow2");
  if (!fs.existsSync(image) && spawnSync("virsh", ["-c", "qemu:///system", "version"], { timeout: 30_000 }).status === 0)
    run("bash", ["scripts/build-test-image.sh"]);
  if (awaitBuild() !== 0) return { status: "failed", passed: 0, failed: 1, skipped: 0, note: "next build failed" };
  // Two groups of specs at once, each with its own server and database (scripts/e2e-groups.ts).
  const code = run("npx", ["tsx", "scripts/e2e-groups.ts", "--json-dir", resultsDir]);
  const reports = fs.readdirSync(resultsDir).filter((f) => /^e2e-\d+\.json$/.test(f));
  const c = { passed: 0, failed: reports.length ? 0 : 1, skipped: 0, failures: [] as string[] };
  for (const f of reports) {
    const r = playwrightCounts(path.join(resultsDir, f));
    c.passed += r.passed;
    c.failed += r.failed;
    c.skipped += r.skipped;
    c.failures.push(...r.failures);
  }
  if (code !== 0 && c.failed === 0) c.failed = 1;
  if (c.skipped > 0 && requireAll) c.failed += c.skipped;
  return { status: code === 0 && c.failed === 0 ? "passed" : "failed", ...c };
});

console.log("\n━━ summary ━━");
for (const o of outcomes) {
  console.log(
    `${o.status.toUpperCase().padEnd(8)} ${o.suite.padEnd(24)} ${o.passed} passed, ${o.failed} failed, ${o.skipped} skipped in ${o.seconds ?? 0} s${o.note ? ` (${o.note})` : ""}`,
  );
  for (const f of o.failures ?? []) console.log(`         ✗ ${f}`);
}
const total = outcomes.reduce((a, o) => ({ passed: a.passed + o.passed, failed: a.failed + o.failed, skipped: a.skipped + o.skipped }), {
  passed: 0,
  failed: 0,
  skipped: 0,
});
console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(outcomes.some((o) => o.status === "failed") ? 1 : 0);
