import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { consoleTickets } from "@/db/schema";
import { RfbTestClient } from "@/test/rfb-test-client";
import { BACKGROUND, CELL_H, ROW, textMask } from "@/server/orchestrator/drivers/simulator/rfb/screen";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { codeOf, connectWs, trpcClient, type Opened, type Refused } from "@/test/http";
import { deployChoicesByName, testWorkers, waitForJob } from "@/test/orchestrator";
import { startPortalNode } from "@/test/portal-node";
import { killAllWorkers, spawnScript } from "@/test/processes";
import { signInAs, type TestLogin } from "@/test/sessions";

/**
 * Two portal processes behind one address: a console ticket taken from process A opens the
 * console through process B (tickets and sessions live in the database), a ticket is good for
 * exactly one connection whichever processes race for it, and signing out through A closes the
 * console open on B. On PostgreSQL A and B are separate processes (scripts/portal-node.ts); on
 * PGlite (one connection, one process) they are two portal servers in this process.
 */
const SECRET = "multiprocess-test-secret-0123456789abcdef";
process.env.NEXTAUTH_SECRET = SECRET;
process.env.STRATUS_CONSOLE_CHECK_MS = "200";

let h: DbHandle & { url?: string };
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let vm: { id: string; name: string };
const nodes: { name: string; http: string; ws: string; stop(): Promise<void> }[] = [];
const sockets: Opened[] = [];

async function startNode(name: string) {
  if (testDbKind() === "postgres") {
    const p = await spawnScript("scripts/portal-node.ts", h.url!, name, {
      NEXTAUTH_SECRET: SECRET,
      STRATUS_CONSOLE_CHECK_MS: "200",
      PORT: "0",
    });
    const port = Number(/ready \S+ port=(\d+)/.exec(p.output())![1]);
    return { name, http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}`, stop: () => p.kill("SIGTERM") };
  }
  const n = await startPortalNode(h.db, { log: () => undefined });
  return { name, http: `http://127.0.0.1:${n.port}`, ws: `ws://127.0.0.1:${n.port}`, stop: () => Promise.resolve(n.close()) };
}

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
  const [d] = await api(h.db, t.callers.tenant).instance.deploy({ ...(await deployChoicesByName(h.db)), name: "multi-vm" });
  expect((await waitForJob(h.db, d!.jobId)).status).toBe("succeeded");
  vm = { id: d!.id, name: "multi-vm" };
  nodes.push(...(await Promise.all([startNode("portal-a"), startNode("portal-b")])));
}, 90_000);

afterAll(async () => {
  for (const s of sockets) s.ws.terminate();
  await Promise.all(nodes.map((n) => n.stop()));
  await killAllWorkers();
  await workers?.stop();
  await h?.close();
});

const [A, B] = [0, 1];
const ticketFrom = (node: number, l: TestLogin) => trpcClient(nodes[node]!.http, l.cookie).console.ticket.mutate({ id: vm.id });
async function connectTo(node: number, path: string, l: TestLogin): Promise<Opened | Refused> {
  const r = await connectWs(`${nodes[node]!.ws}${path}`, { cookie: l.cookie });
  if (!("status" in r)) sockets.push(r);
  return r;
}

describe(`console tickets across portal processes (${testDbKind()})`, () => {
  it("a ticket from process A opens the console through process B", async () => {
    const l = await signInAs(h.db, t.callers.tenant, SECRET);
    const { ticket, path } = await ticketFrom(A, l);
    // Only a hash is stored.
    const stored = await h.db.select().from(consoleTickets);
    expect(stored.some((r) => r.tokenHash === ticket)).toBe(false);
    const r = await connectTo(B, `${path}?ticket=${ticket}`, l);
    if ("status" in r) throw new Error(`refused by B: ${r.status} ${r.body}`);
    const client = await RfbTestClient.open(r.transport);
    // (The simulator keeps display names in the memory of the process that defined the VM, so
    // another process shows the internal name: either way it is this VM's console.)
    expect(client.name).toMatch(/^(multi-vm|i-\d+) \(i-\d+\)$/);
    client.requestUpdate(false);
    await client.readUpdate();
    expect(client.showsText(textMask(`VM: ${client.name}`), 0, ROW.name * CELL_H, BACKGROUND)).toBe(true);
    r.ws.close();
  });

  it("a ticket is single-use across processes: of A and B racing for it exactly one connects", async () => {
    const l = await signInAs(h.db, t.callers.tenant, SECRET);
    for (let round = 0; round < 3; round++) {
      const { ticket, path } = await ticketFrom(round % 2 ? B : A, l);
      const results = await Promise.all([connectTo(A, `${path}?ticket=${ticket}`, l), connectTo(B, `${path}?ticket=${ticket}`, l)]);
      const opened = results.filter((x) => !("status" in x));
      const refused = results.filter((x): x is Refused => "status" in x);
      expect(opened).toHaveLength(1);
      expect(refused.map((x) => x.status)).toEqual([403]);
      // And later, on either process, it is spent.
      for (const node of [A, B]) {
        const again = await connectTo(node, `${path}?ticket=${ticket}`, l);
        expect("status" in again && again.status).toBe(403);
      }
      for (const o of opened) (o as Opened).ws.close();
    }
  });

  it("signing out through process A closes the console open on process B, and A refuses the cookie", async () => {
    const l = await signInAs(h.db, t.callers.tenant, SECRET);
    const other = await signInAs(h.db, t.callers.tenant, SECRET);
    const { ticket, path } = await ticketFrom(A, l);
    const r = await connectTo(B, `${path}?ticket=${ticket}`, l);
    if ("status" in r) throw new Error(`refused by B: ${r.status} ${r.body}`);
    await RfbTestClient.open(r.transport);
    // "Sign out all other sessions" from another sign-in, through A.
    expect((await trpcClient(nodes[A]!.http, other.cookie).session.endOthers.mutate()).ended).toBeGreaterThanOrEqual(1);
    await r.transport.closed;
    expect(r.transport.closeInfo).toEqual({ code: 4004, reason: "Signed out" });
    expect(await trpcClient(nodes[A]!.http, l.cookie).session.me.query()).toBeNull();
    expect(await codeOf(ticketFrom(B, l))).toBe("UNAUTHORIZED");
  });
});
