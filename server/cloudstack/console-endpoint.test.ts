import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConsoleProxy } from "@/server/console/proxy";
import { openConsoles } from "@/server/console/registry";
import { issueApiKey, revokeApiKey, type IssuedKey } from "@/server/services/api-keys";
import { csCall, fresh, sendPairs, signedPairs } from "@/test/cloudstack";
import { testDbKind } from "@/test/db";
import { api } from "@/test/fixtures";
import { connectWs } from "@/test/http";
import { deployChoicesByName, waitFor, waitForJob } from "@/test/orchestrator";
import { RfbTestClient } from "@/test/rfb-test-client";
import { simulatorCloud } from "@/test/simulator-cloud";

/**
 * createConsoleEndpoint end to end: a signed API request, then the answer's WebSocket opened
 * through the real console proxy (no session cookie) to the simulator's RFB server.
 */
process.env.STRATUS_CONSOLE_CHECK_MS = "150";
const cloud = simulatorCloud();
let server: Server;
let proxy: ReturnType<typeof createConsoleProxy>;
let wsBase: string;
let vm: { id: string; name: string };
let other: { id: string; name: string };
let key: IssuedKey;
const ORIGIN = "http://portal.example:3000";

type Endpoint = { success: boolean; url: string; websocket: { token: string; host: string; port: string; path: string } };

async function endpoint(k: IssuedKey, id: string) {
  const r = await csCall(cloud.h.db, k, { command: "createConsoleEndpoint", virtualmachineid: id, ...fresh() }, { origin: ORIGIN });
  return { ...r, endpoint: r.body.consoleendpoint as Endpoint };
}

async function open(path: string) {
  const r = await connectWs(`${wsBase}${path}`);
  if ("status" in r) return r;
  return { ...r, client: await RfbTestClient.open(r.transport) };
}

async function deploy(name: string) {
  const [d] = await api(cloud.h.db, cloud.t.callers.tenant).instance.deploy({ ...(await deployChoicesByName(cloud.h.db)), name });
  expect((await waitForJob(cloud.h.db, d!.jobId)).status).toBe("succeeded");
  return { id: d!.id, name };
}

beforeAll(async () => {
  vm = await deploy("cs-console-1");
  other = await deploy("cs-console-2");
  key = await issueApiKey(cloud.h.db, cloud.t.callers.tenant.userId, { name: "console" }, null);
  proxy = createConsoleProxy({ db: cloud.h.db, secret: () => "console-endpoint-test-secret-0123456789", log: () => undefined });
  server = createServer((_req, res) => res.end("not here"));
  server.on("upgrade", (req, socket, head) => {
    if (!proxy.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  wsBase = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  proxy?.close();
  server?.close();
});

describe(`createConsoleEndpoint (${testDbKind()})`, () => {
  it("answers CloudStack's console endpoint; its WebSocket opens the VM's console without a sign-in, once", async () => {
    const r = await endpoint(key, vm.id);
    expect([r.status, r.envelope]).toEqual([200, "createconsoleendpointresponse"]);
    const e = r.endpoint;
    expect(e.success).toBe(true);
    const base = process.env.STRATUS_PUBLIC_URL ?? process.env.NEXTAUTH_URL ?? ORIGIN;
    expect(e.url).toBe(`${new URL(base).origin}/console/${vm.id}#ticket=${encodeURIComponent(e.websocket.token)}`);
    expect(e.websocket.host).toBe(new URL(base).hostname);
    expect(e.websocket.port).toBe(new URL(base).port || "80");
    expect(e.websocket.path).toBe(`/api/console/${vm.id}?ticket=${encodeURIComponent(e.websocket.token)}`);

    const first = await open(e.websocket.path);
    if (!("client" in first)) throw new Error(`refused: ${first.status} ${first.body}`);
    expect(first.client.name).toMatch(/^cs-console-1 \(i-\d+\)$/);
    first.client.requestUpdate(false);
    await first.client.readUpdate(); // the simulator's screen arrives: RFB flows both ways
    first.ws.close();

    // Spent: without a sign-in, an unknown ticket is a request to sign in.
    const again = await open(e.websocket.path);
    expect("status" in again && again.status).toBe(401);
  });

  it("a ticket opens only its own VM", async () => {
    const { endpoint: e } = await endpoint(key, vm.id);
    const r = await open(`/api/console/${other.id}?ticket=${encodeURIComponent(e.websocket.token)}`);
    expect("status" in r && r.status).toBe(403);
  });

  it("revoking the key refuses its unused tickets and closes its open consoles", async () => {
    const k = await issueApiKey(cloud.h.db, cloud.t.callers.tenant.userId, { name: "to revoke" }, null);
    const opened = await open((await endpoint(k, vm.id)).endpoint.websocket.path);
    if (!("client" in opened)) throw new Error(`refused: ${opened.status}`);
    const unused = (await endpoint(k, vm.id)).endpoint;
    await revokeApiKey(cloud.h.db, cloud.t.callers.tenant, k.id);
    const refused = await open(unused.websocket.path);
    expect("status" in refused && refused.status).toBe(403);
    await opened.transport.closed;
    expect((opened.transport as unknown as { closeInfo: { code: number } }).closeInfo.code).toBe(4003);
    await waitFor("the console to be gone", () => !openConsoles().some((c) => c.sessionId === `apikey:${k.id}`));
  });

  it("another tenant's VM is not found; a stopped VM has no console", async () => {
    const k2 = await issueApiKey(cloud.h.db, cloud.t.callers.tenant2.userId, { name: "other tenant" }, null);
    const r = await endpoint(k2, vm.id);
    expect(r.status).toBe(431);
    expect(r.body.errortext).toMatch(/not found/i);
    const stop = await api(cloud.h.db, cloud.t.callers.tenant).instance.stop({ id: other.id, force: true });
    await waitForJob(cloud.h.db, stop.jobId);
    const stopped = await endpoint(key, other.id);
    expect(stopped.status).toBe(530);
    expect(stopped.body.errortext).toMatch(/start it/);
  });

  it("the same signed request cannot mint a second ticket", async () => {
    const pairs = signedPairs(key, { command: "createConsoleEndpoint", virtualmachineid: vm.id });
    expect((await sendPairs(cloud.h.db, pairs)).status).toBe(200);
    expect((await sendPairs(cloud.h.db, pairs)).status).toBe(401);
  });
});
