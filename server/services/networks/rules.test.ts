import { TRPCError } from "@trpc/server";
import { and, eq, inArray } from "drizzle-orm";
import { simulatorNetworks } from "@/db/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { networkRules, networks, nics, usageEvents } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, testWorkers, waitFor, waitForJob } from "@/test/orchestrator";
import { buildNetworkSpec } from "@/server/orchestrator/network/build-spec";

/**
 * Network rules on the simulator through the real router: static NAT, port forwarding, firewall,
 * egress, load balancing; validation naming the field, conflicts, offering services, cascades on
 * release and expunge, usage facts, the spec the driver gets, other tenants NOT_FOUND.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let net: typeof networks.$inferSelect;
let ips: { id: string; address: string; isSourceNat: boolean }[];
let nicA: typeof nics.$inferSelect;
let nicB: typeof nics.$inferSelect;
let vmB: string;

const tenant = () => api(h.db, t.callers.tenant);
const admin = () => api(h.db, t.callers.admin);
async function error(p: Promise<unknown>) {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(TRPCError);
  return e as TRPCError;
}
const fieldOf = (e: TRPCError) => (e.cause as { field?: string } | undefined)?.field;
/** The zod field named in a BAD_REQUEST ("field: message"), or the service's field. */
const named = (e: TRPCError) => fieldOf(e) ?? e.message.split(":")[0];
const facts = async (type: string) => h.db.select().from(usageEvents).where(eq(usageEvents.type, type));
const spec = async () => (await buildNetworkSpec(h.db, net.id))!;
async function settled<T extends { jobId: string | null }>(p: Promise<T>) {
  const r = await p;
  if (r.jobId) await waitForJob(h.db, r.jobId);
  return r;
}

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
  const choices = await deployChoicesByName(h.db);
  const [a, b] = await tenant().instance.deploy({ ...choices, name: "web", count: 2 });
  await waitForJob(h.db, a!.jobId);
  await waitForJob(h.db, b!.jobId);
  vmB = b!.id;
  nicA = (await h.db.select().from(nics).where(eq(nics.instanceId, a!.id)))[0]!;
  nicB = (await h.db.select().from(nics).where(eq(nics.instanceId, b!.id)))[0]!;
  net = (await h.db.select().from(networks).where(eq(networks.id, nicA.networkId)))[0]!;
  await admin().publicIpRange.add({
    zoneId: choices.zoneId,
    gateway: "203.0.113.1",
    prefixLength: 24,
    vlan: null,
    startIp: "203.0.113.10",
    endIp: "203.0.113.19",
  });
  ips = [];
  for (let i = 0; i < 4; i++) ips.push(await tenant().publicIp.acquire({ networkId: net.id }));
});
afterAll(async () => {
  await workers.stop();
  await h.close();
});

describe(`network rules on the simulator (${testDbKind()})`, () => {
  it("static NAT: not on the source-NAT address; one VM per address and one address per NIC; into the spec; usage", async () => {
    const [snat, ip1, ip2] = ips;
    const onSnat = await error(tenant().networkRule.enableStaticNat({ publicIpId: snat!.id, nicId: nicA.id }));
    expect([onSnat.code, fieldOf(onSnat)]).toEqual(["BAD_REQUEST", "publicIpId"]);
    const r = await settled(tenant().networkRule.enableStaticNat({ publicIpId: ip1!.id, nicId: nicA.id }));
    const again = await error(tenant().networkRule.enableStaticNat({ publicIpId: ip1!.id, nicId: nicB.id }));
    expect([again.code, fieldOf(again)]).toEqual(["CONFLICT", "publicIpId"]);
    const sameNic = await error(tenant().networkRule.enableStaticNat({ publicIpId: ip2!.id, nicId: nicA.id }));
    expect(sameNic.code).toBe("CONFLICT");
    // A static-NAT address takes no port forward nor LB.
    const pf = await error(
      tenant().networkRule.createPortForward({
        publicIpId: ip1!.id,
        protocol: "tcp",
        publicStartPort: 22,
        privateStartPort: 22,
        nicId: nicB.id,
      }),
    );
    expect([pf.code, fieldOf(pf)]).toEqual(["CONFLICT", "publicIpId"]);
    expect((await spec()).rules).toContainEqual({ kind: "staticNat", id: r.rule.id, publicIp: ip1!.address, privateIp: nicA.ip });
    expect((await facts("NET.RULEADD")).map((f) => f.resourceId)).toContain(r.rule.id);
    await settled(tenant().networkRule.delete({ id: r.rule.id }));
    expect((await facts("NET.RULEDELETE")).map((f) => f.resourceId)).toContain(r.rule.id);
    expect((await spec()).rules.find((x) => x.id === r.rule.id)).toBeUndefined();
  });

  it("port forwarding: validation names the field; ranges of equal length; no overlap per address and protocol; firewall offered", async () => {
    const ip = ips[2]!;
    const base = { publicIpId: ip.id, protocol: "tcp" as const, publicStartPort: 8000, privateStartPort: 80, nicId: nicA.id };
    const cases: [Record<string, unknown>, string][] = [
      [{ publicStartPort: 0 }, "publicStartPort"],
      [{ publicStartPort: 70000 }, "publicStartPort"],
      [{ publicEndPort: 7999 }, "publicEndPort"],
      [{ publicEndPort: 8001 }, "privateEndPort"],
      [{ protocol: "icmp" }, "protocol"],
      [{ privateIp: "10.1.1.x" }, "privateIp"],
    ];
    for (const [bad, field] of cases) {
      const e = await error(tenant().networkRule.createPortForward({ ...base, ...bad }));
      expect([e.code, named(e)], JSON.stringify(bad)).toEqual(["BAD_REQUEST", field]);
    }
    const wrongIp = await error(tenant().networkRule.createPortForward({ ...base, privateIp: "10.1.1.250" }));
    expect([wrongIp.code, fieldOf(wrongIp)]).toEqual(["BAD_REQUEST", "privateIp"]);
    const r = await settled(
      tenant().networkRule.createPortForward({ ...base, publicEndPort: 8009, privateStartPort: 9000, privateEndPort: 9009 }),
    );
    expect(r.firewall).toBeNull();
    const overlap = await error(tenant().networkRule.createPortForward({ ...base, publicStartPort: 8009, privateStartPort: 80 }));
    expect([overlap.code, fieldOf(overlap)]).toEqual(["CONFLICT", "publicStartPort"]);
    // Another protocol on the same ports is another rule.
    await settled(tenant().networkRule.createPortForward({ ...base, protocol: "udp", nicId: nicB.id }));
    // Without a firewall rule a forward is not reachable; with openFirewall the matching rule comes along.
    let list = await tenant().networkRule.list({ networkId: net.id });
    expect(list.find((x) => x.id === r.rule.id)!.reachable).toBe(false);
    const withFw = await settled(
      tenant().networkRule.createPortForward({ ...base, publicStartPort: 2222, privateStartPort: 22, openFirewall: true }),
    );
    expect(withFw.firewall).toMatchObject({ kind: "firewall", protocol: "tcp", startPort: 2222, endPort: 2222, cidrs: ["0.0.0.0/0"] });
    list = await tenant().networkRule.list({ networkId: net.id });
    expect(list.find((x) => x.id === withFw.rule.id)!.reachable).toBe(true);
    expect((await spec()).rules).toContainEqual({
      kind: "portForward",
      id: r.rule.id,
      publicIp: ip.address,
      protocol: "tcp",
      publicPorts: [8000, 8009],
      privateIp: nicA.ip,
      privatePorts: [9000, 9009],
    });
  });

  it("firewall and egress rules: ports by protocol, CIDR syntax, defaults; egress reads against the offering's default", async () => {
    const ip = ips[0]!;
    const cases: [Record<string, unknown>, string][] = [
      [{ protocol: "icmp", startPort: 1 }, "startPort"],
      [{ protocol: "tcp" }, "startPort"],
      [{ protocol: "tcp", startPort: 10, endPort: 9 }, "endPort"],
      [{ protocol: "gre" }, "protocol"],
      [{ protocol: "all", sourceCidrs: ["10.0.0.1/8"] }, "sourceCidrs.0"],
      [{ protocol: "all", sourceCidrs: ["10.0.0.0/33"] }, "sourceCidrs.0"],
    ];
    for (const [bad, field] of cases) {
      const e = await error(tenant().networkRule.createFirewall({ publicIpId: ip.id, ...bad } as never));
      expect([e.code, named(e)], JSON.stringify(bad)).toEqual(["BAD_REQUEST", field]);
    }
    const fw = await settled(tenant().networkRule.createFirewall({ publicIpId: ip.id, protocol: "icmp" }));
    expect(fw.rule.cidrs).toEqual(["0.0.0.0/0"]);
    const eg = await settled(
      tenant().networkRule.createEgress({ networkId: net.id, protocol: "tcp", startPort: 25, destCidrs: ["0.0.0.0/0"] }),
    );
    const s = await spec();
    expect(s.egressDefault).toBe("allow");
    expect(s.rules).toContainEqual({
      kind: "firewall",
      id: fw.rule.id,
      publicIp: ip.address,
      protocol: "icmp",
      ports: null,
      sourceCidrs: ["0.0.0.0/0"],
    });
    expect(s.rules).toContainEqual({ kind: "egress", id: eg.rule.id, protocol: "tcp", ports: [25, 25], destCidrs: ["0.0.0.0/0"] });
    const badEgress = await error(
      tenant().networkRule.createEgress({ networkId: net.id, protocol: "udp", startPort: 53, destCidrs: ["8.8.8"] }),
    );
    expect(named(badEgress)).toBe("destCidrs.0");
  });

  it("load balancers: members on the network, health checks, port clashes, LB.CREATE/LB.DELETE, members in the spec", async () => {
    const ip = ips[3]!;
    const noPath = await error(
      tenant().networkRule.createLoadBalancer({
        publicIpId: ip.id,
        name: "web",
        publicPort: 80,
        privatePort: 8080,
        healthCheck: { type: "http" },
      }),
    );
    expect(named(noPath)).toBe("healthCheck.path");
    const lb = await settled(
      tenant().networkRule.createLoadBalancer({
        publicIpId: ip.id,
        name: "web",
        publicPort: 80,
        privatePort: 8080,
        algorithm: "leastconn",
        nicIds: [nicA.id, nicB.id],
        healthCheck: { type: "http", path: "/health", intervalSeconds: 2, unhealthyThreshold: 4 },
      }),
    );
    expect((await facts("LB.CREATE")).map((f) => f.resourceId)).toEqual([lb.rule.id]);
    const clash = await error(
      tenant().networkRule.createPortForward({
        publicIpId: ip.id,
        protocol: "tcp",
        publicStartPort: 70,
        publicEndPort: 90,
        privateStartPort: 70,
        privateEndPort: 90,
        nicId: nicA.id,
      }),
    );
    expect([clash.code, fieldOf(clash)]).toEqual(["CONFLICT", "publicStartPort"]);
    const sorted = [nicA.ip!, nicB.ip!].sort();
    expect((await spec()).rules).toContainEqual({
      kind: "loadBalancer",
      id: lb.rule.id,
      publicIp: ip.address,
      protocol: "tcp",
      publicPort: 80,
      privatePort: 8080,
      algorithm: "leastconn",
      members: sorted.map((x) => ({ ip: x })),
      healthCheck: { path: "/health", intervalMs: 2000, unhealthyAfter: 4 },
    });
    await settled(tenant().networkRule.setLoadBalancerMembers({ id: lb.rule.id, nicIds: [nicA.id] }));
    const members = (await spec()).rules.find((x) => x.id === lb.rule.id) as { members: { ip: string }[] };
    expect(members.members).toEqual([{ ip: nicA.ip }]);
    await settled(tenant().networkRule.setLoadBalancerMembers({ id: lb.rule.id, nicIds: [nicA.id, nicB.id] }));
    // Through the apply path: the simulated router holds the rules the job applied.
    const applied = await waitFor("the router's rules", async () => {
      const [r] = await h.db
        .select()
        .from(simulatorNetworks)
        .where(and(eq(simulatorNetworks.networkId, net.id), eq(simulatorNetworks.role, "router")));
      const rules = (r?.spec as { rules: { id: string; members?: unknown[] }[] } | undefined)?.rules ?? [];
      const got = rules.find((x) => x.id === lb.rule.id);
      return got?.members?.length === 2 ? rules : null;
    });
    expect(applied.map((x) => x.id)).toEqual((await spec()).rules.map((x) => x.id));
  });

  it("offering services gate each kind, naming the service", async () => {
    const off = await admin().networkOffering.create({
      name: "NAT only",
      guestType: "isolated",
      services: ["Dhcp", "Dns", "SourceNat"],
      egressDefault: "deny",
      rateLimitMbps: null,
      domainId: null,
    });
    const choices = await deployChoicesByName(h.db);
    const other = await tenant().network.create({
      name: "natonly",
      zoneId: choices.zoneId,
      networkOfferingId: off.id,
      cidr: "10.7.0.0/24",
    });
    const ip = await tenant().publicIp.acquire({ networkId: other.id });
    const pf = await error(
      tenant().networkRule.createPortForward({
        publicIpId: ip.id,
        protocol: "tcp",
        publicStartPort: 22,
        privateStartPort: 22,
        nicId: nicA.id,
      }),
    );
    expect([pf.code, pf.message]).toEqual(["PRECONDITION_FAILED", expect.stringMatching(/PortForwarding service/)]);
    expect((await error(tenant().networkRule.createFirewall({ publicIpId: ip.id, protocol: "all" }))).message).toMatch(/Firewall service/);
    expect((await error(tenant().networkRule.createEgress({ networkId: other.id, protocol: "all" }))).message).toMatch(/Firewall service/);
    expect(
      (await error(tenant().networkRule.createLoadBalancer({ publicIpId: ip.id, name: "x", publicPort: 1, privatePort: 1 }))).message,
    ).toMatch(/Lb service/);
  });

  it("another tenant's address, NIC, network or rule is NOT_FOUND", async () => {
    const globex = api(h.db, t.callers.globex);
    const [rule] = await h.db.select().from(networkRules).where(eq(networkRules.networkId, net.id));
    expect((await error(globex.networkRule.list({ networkId: net.id }))).code).toBe("NOT_FOUND");
    expect((await error(globex.networkRule.createFirewall({ publicIpId: ips[0]!.id, protocol: "all" }))).code).toBe("NOT_FOUND");
    expect((await error(globex.networkRule.delete({ id: rule!.id }))).code).toBe("NOT_FOUND");
    expect((await error(globex.networkRule.createEgress({ networkId: net.id, protocol: "all" }))).code).toBe("NOT_FOUND");
  });

  it("rules go with their address (release) and their VM (expunge), with usage facts", async () => {
    const ip = ips[2]!;
    const onIp = await h.db.select().from(networkRules).where(eq(networkRules.publicIpId, ip.id));
    expect(onIp.length).toBeGreaterThan(0);
    await tenant().publicIp.release({ id: ip.id });
    expect(await h.db.select().from(networkRules).where(eq(networkRules.publicIpId, ip.id))).toEqual([]);
    const deleted = (await facts("NET.RULEDELETE")).map((f) => f.resourceId);
    for (const r of onIp) expect(deleted).toContain(r.id);
    // VM b: a forward aimed at it goes at expunge, and it leaves the load balancer.
    const pf = await settled(
      tenant().networkRule.createPortForward({
        publicIpId: ips[0]!.id,
        protocol: "tcp",
        publicStartPort: 5000,
        privateStartPort: 22,
        nicId: nicB.id,
      }),
    );
    const d = await tenant().instance.destroy({ id: vmB });
    await waitForJob(h.db, d.jobId);
    const x = await tenant().instance.expunge({ id: vmB });
    await waitForJob(h.db, x.jobId);
    expect(
      await h.db
        .select()
        .from(networkRules)
        .where(inArray(networkRules.id, [pf.rule.id])),
    ).toEqual([]);
    expect((await facts("NET.RULEDELETE")).map((f) => f.resourceId)).toContain(pf.rule.id);
    const lb = (await spec()).rules.find((r) => r.kind === "loadBalancer") as { members: { ip: string }[] };
    expect(lb.members).toEqual([{ ip: nicA.ip }]);
  });
});
