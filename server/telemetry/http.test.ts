import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, testWorkers, waitFor, waitForJob } from "@/test/orchestrator";
import { jobs } from "@/db/schema";
import { eq } from "drizzle-orm";
import { instrumentRequests } from "./http";
import { workerStopped } from "./health";

/**
 * /metrics and /api/health through a real HTTP server with the custom server's request wrapper:
 * off without a token, refused without the right one, Prometheus text that a parser reads; the
 * health answer says only what a load balancer needs; request ids reach the jobs a request queues.
 */
let h: DbHandle;
let server: Server;
let base = "";
let workers: ReturnType<typeof testWorkers>;
let tenant: Awaited<ReturnType<typeof seedTenancy>>["callers"]["tenant"];
const TOKEN = "metrics-token-for-the-test-0123456789";
const saved = process.env.STRATUS_METRICS_TOKEN;

beforeAll(async () => {
  h = await openTestDb();
  tenant = (await seedTenancy(h.db)).callers.tenant;
  workers = testWorkers(h);
  // Stands for Next.js: a request that queues a deploy job.
  const deploy = async (res: ServerResponse) => {
    const [vm] = await api(h.db, tenant).instance.deploy({ ...(await deployChoicesByName(h.db)), name: "metrics-vm", count: 1 });
    res.end(vm!.jobId);
  };
  const serve = instrumentRequests({ db: h.db, dbKind: h.kind, dbPoolMax: 1, consoleSessions: () => 0 }, (req, res) => {
    if (req.url === "/deploy") return void deploy(res);
    res.statusCode = 404;
    res.end();
  });
  server = createServer(serve);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  if (saved === undefined) delete process.env.STRATUS_METRICS_TOKEN;
  else process.env.STRATUS_METRICS_TOKEN = saved;
  await workers.stop();
  await new Promise<void>((r) => server.close(() => r()));
  await h.close();
});

describe(`telemetry endpoints (${testDbKind()})`, () => {
  it("/metrics is off (404) without a configured token", async () => {
    delete process.env.STRATUS_METRICS_TOKEN;
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
  });

  it("refuses a missing or wrong bearer token", async () => {
    process.env.STRATUS_METRICS_TOKEN = TOKEN;
    const none = await fetch(`${base}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await none.text()).not.toContain("stratus_");
    expect((await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { Authorization: `Basic ${TOKEN}` } })).status).toBe(401);
  });

  it("serves Prometheus text that a parser reads, with the cloud's and the process's figures", async () => {
    process.env.STRATUS_METRICS_TOKEN = TOKEN;
    // A request that queues a job: its id is carried into the job row.
    const deploy = await fetch(`${base}/deploy`, { headers: { "X-Request-Id": "req-test-0001" } });
    expect(deploy.headers.get("x-request-id")).toBe("req-test-0001");
    const jobId = await deploy.text();
    await waitForJob(h.db, jobId);
    expect((await h.db.select().from(jobs).where(eq(jobs.id, jobId)))[0]!.requestId).toBe("req-test-0001");
    // A made-up id that is not a plain token is replaced.
    const odd = await fetch(`${base}/nothing`, { headers: { "X-Request-Id": "<script>" } });
    expect(odd.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);

    // The runner observes the attempt just after it records the job's end.
    const families = await waitFor("the deploy in the job histogram", async () => {
      const res = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
      const parsed = parsePrometheusTextFormat(await res.text());
      return parsed.find((f) => f.name === "stratus_deploys_total")?.metrics.length ? parsed : null;
    });
    const family = (name: string) => {
      const f = families.find((x) => x.name === name);
      if (!f) throw new Error(`no metric ${name}`);
      return f;
    };
    const value = (name: string, labels: Record<string, string>) =>
      Number(family(name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? NaN);

    expect(family("stratus_hosts").type).toBe("GAUGE");
    expect(value("stratus_hosts", { state: "enabled", status: "up" })).toBeGreaterThan(0);
    expect(value("stratus_vms", { state: "running" })).toBe(1);
    expect(value("stratus_jobs", { type: "vm.deploy", state: "succeeded" })).toBe(1);
    const durations = family("stratus_job_duration_seconds");
    expect(durations.type).toBe("HISTOGRAM");
    expect(durations.metrics.some((m) => Number(m.buckets?.["+Inf"]) >= 1)).toBe(true);
    expect(value("stratus_deploys_total", { outcome: "succeeded" })).toBeGreaterThanOrEqual(1);
    expect(family("stratus_http_request_duration_seconds").metrics.some((m) => Number(m.buckets?.["+Inf"]) >= 1)).toBe(true);
    expect(value("stratus_db_up", {})).toBe(1);
    expect(value("stratus_db_pool_max_connections", { kind: h.kind })).toBe(1);
    expect(value("stratus_console_sessions", {})).toBe(0);
    expect(value("stratus_alerts_open", { severity: "critical" })).toBe(0);
    expect(family("stratus_reconcile_cycle_seconds").type).toBe("HISTOGRAM");
    expect(family("stratus_process_resident_memory_bytes").type).toBe("GAUGE");
  });

  it("/api/health says database, migrations and worker, and nothing else", async () => {
    const ok = await fetch(`${base}/api/health`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, database: true, migrations: true, worker: true });
    // This process's workers stopped: the load balancer takes it out.
    workerStopped();
    const down = await fetch(`${base}/api/health`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ ok: false, database: true, migrations: true, worker: false });
  });
});
