import { TRPCError } from "@trpc/server";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { instances, networkOfferings, nicSecurityGroups, nics, simulatorSecurityGroups } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, testWorkers, waitForJob } from "@/test/orchestrator";
import { buildVmFirewallSpec } from "@/server/orchestrator/network/build-firewall-spec";
import { reconcileSecurityGroups } from "@/server/orchestrator/network/security-groups";
import { buildNetworkSpec } from "@/server/orchestrator/network/build-spec";

/**
 * Shared networks and security groups on the simulator, through the real router: the admin's
 * shared network (validation naming the field, domain scope), deploys on it with the default
 * group made on first use, group peers resolved into the driver's spec, live rule changes applied,
 * the reconciler's repair, and other tenants' groups NOT_FOUND.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let zoneId: string;
let sharedOffering: string;
let isolatedOffering: string;
let sharedId: string;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
  zoneId = (await deployChoicesByName(h.db)).zoneId;
  const byName = async (n: string) => (await h.db.select().from(networkOfferings).where(eq(networkOfferings.name, n)))[0]!.id;
  sharedOffering = await byName("Shared");
  isolatedOffering = await byName("Default isolated");
});
afterAll(async () => {
  await workers.stop();
  await h.close();
});

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
/** The field a refusal names: a service's `field`, or the path of zod's first issue. */
function fieldOf(e: TRPCError): string | undefined {
  const cause = e.cause as { field?: string; issues?: { path: (string | number)[] }[] } | undefined;
  return cause?.field ?? cause?.issues?.[0]?.path.join(".");
}
const base = () => ({
  name: "campus",
  zoneId,
  networkOfferingId: sharedOffering,
  vlan: 300,
  cidr: "198.51.100.0/24",
  gateway: "198.51.100.1",
  ipRangeStart: "198.51.100.100",
  ipRangeEnd: "198.51.100.199",
});
async function deploy(name: string, networks: { networkId: string; securityGroupIds?: string[] }[]) {
  const choices = await deployChoicesByName(h.db);
  const [vm] = await tenant().instance.deploy({ ...choices, name, networks });
  const job = await waitForJob(h.db, vm!.jobId);
  expect(job.status, job.error ?? "").toBe("succeeded");
  const [nic] = await h.db.select().from(nics).where(eq(nics.instanceId, vm!.id));
  return { id: vm!.id, nic: nic! };
}

describe(`shared networks and security groups on the simulator (${testDbKind()})`, () => {
  it("the root admin creates a shared network; mistakes are refused naming the field; others may not create one", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ gateway: "198.51.100.150" }, "gateway"],
      [{ gateway: "192.0.2.1" }, "gateway"],
      [{ ipRangeEnd: "198.51.100.50" }, "ipRangeEnd"],
      [{ ipRangeStart: "198.51.99.1" }, "ipRangeStart"],
      [{ routerIp: "198.51.100.120" }, "routerIp"],
      [{ routerIp: "198.51.100.1" }, "routerIp"],
      [{ cidr: "198.51.100.1/24" }, "cidr"],
      [{ networkOfferingId: isolatedOffering }, "networkOfferingId"],
    ];
    for (const [patch, field] of cases) {
      const e = await error(admin().sharedNetwork.create({ ...base(), ...patch }));
      expect([e.code, fieldOf(e)], JSON.stringify(patch)).toEqual(["BAD_REQUEST", field]);
    }
    expect((await error(api(h.db, t.callers.reseller).sharedNetwork.create(base()))).code).toBe("FORBIDDEN");
    const n = await admin().sharedNetwork.create({ ...base(), domainId: t.domains.acme.id });
    sharedId = n.id;
    expect([n.vlan, n.routerIp, n.ipRangeStart]).toEqual([300, "198.51.100.254", "198.51.100.100"]);
    const again = await error(admin().sharedNetwork.create({ ...base(), name: "campus-2" }));
    expect([again.code, fieldOf(again)]).toEqual(["CONFLICT", "vlan"]);
    // The spec: a router serving DHCP/DNS at routerIp, the gateway outside Stratus, no public side.
    const spec = (await buildNetworkSpec(h.db, n.id))!;
    expect([spec.type, spec.guest?.gateway, spec.guest?.routerIp, spec.public]).toEqual(["shared", "198.51.100.1", "198.51.100.254", null]);
    expect((await admin().sharedNetwork.list()).items.map((i) => i.name)).toEqual(["campus"]);
  });

  it("accounts of the network's subtree see it at deploy; others do not and cannot deploy on it", async () => {
    const mine = await tenant().network.choices({ zoneId });
    expect(mine.sharedNetworks.map((s) => [s.name, s.nextIp])).toEqual([["campus", "198.51.100.100"]]);
    const other = await api(h.db, t.callers.tenant2).network.choices({ zoneId });
    expect(other.sharedNetworks).toEqual([]);
    const choices = await deployChoicesByName(h.db);
    const e = await error(api(h.db, t.callers.tenant2).instance.deploy({ ...choices, name: "x", networks: [{ networkId: sharedId }] }));
    expect([e.code, fieldOf(e)]).toEqual(["NOT_FOUND", "networks.0.networkId"]);
  });

  it("a first NIC on a shared network makes the account's default group (ingress from its members, all egress) and joins it", async () => {
    const a = await deploy("sg-a", [{ networkId: sharedId }]);
    expect(a.nic.ip).toBe("198.51.100.100");
    const groups = (await tenant().securityGroup.list()).items;
    expect(groups.map((g) => [g.name, g.isDefault, g.memberCount, g.ruleCount])).toEqual([["default", true, 1, 1]]);
    const def = await tenant().securityGroup.get({ id: groups[0]!.id });
    expect(def.rules.map((r) => [r.direction, r.protocol, r.peerName])).toEqual([["ingress", "all", "default"]]);
    // Its filter: ingress from the group's members (itself), no egress rule.
    expect(await buildVmFirewallSpec(h.db, a.id)).toMatchObject({
      nics: [
        {
          mac: a.nic.mac,
          ip: "198.51.100.100",
          rules: [{ direction: "ingress", protocol: "all", ports: null, cidrs: ["198.51.100.100/32"] }],
        },
      ],
    });
    // The simulated host holds what was applied before the VM started.
    const [applied] = await h.db.select().from(simulatorSecurityGroups);
    expect(applied!.spec).toEqual(await buildVmFirewallSpec(h.db, a.id));
  });

  it("group peers resolve to their members' addresses; a rule change is applied live to every VM it concerns", async () => {
    const def = (await tenant().securityGroup.list()).items.find((g) => g.isDefault)!;
    const web = await tenant().securityGroup.create({ name: "web", description: "HTTP from the documentation net" });
    const bad = await error(
      tenant().securityGroup.addRule({
        securityGroupId: web.id,
        direction: "ingress",
        protocol: "icmp",
        startPort: 1,
        endPort: 2,
        cidr: "0.0.0.0/0",
      }),
    );
    expect([bad.code, fieldOf(bad)]).toEqual(["BAD_REQUEST", "startPort"]);
    const noPeer = await error(tenant().securityGroup.addRule({ securityGroupId: web.id, direction: "ingress", protocol: "all" }));
    expect(fieldOf(noPeer)).toBe("cidr");
    await tenant().securityGroup.addRule({
      securityGroupId: web.id,
      direction: "ingress",
      protocol: "tcp",
      startPort: 80,
      endPort: 80,
      cidr: "203.0.113.0/24",
    });
    const fromDefault = await tenant().securityGroup.addRule({
      securityGroupId: web.id,
      direction: "ingress",
      protocol: "tcp",
      startPort: 22,
      endPort: 22,
      peerSecurityGroupId: def.id,
    });
    const b = await deploy("sg-b", [{ networkId: sharedId, securityGroupIds: [web.id] }]);
    const a = (await h.db.select().from(instances).where(eq(instances.name, "sg-a")))[0]!;
    const specB = (await buildVmFirewallSpec(h.db, b.id))!;
    expect(specB.nics[0]!.rules).toEqual([
      { direction: "ingress", protocol: "tcp", ports: [80, 80], cidrs: ["203.0.113.0/24"] },
      { direction: "ingress", protocol: "tcp", ports: [22, 22], cidrs: ["198.51.100.100/32"] },
    ]);
    // A new member of the default group changes B's peers: applied to B's host at once.
    const c = await deploy("sg-c", [{ networkId: sharedId }]);
    await tenant().securityGroup.addRule({
      securityGroupId: def.id,
      direction: "egress",
      protocol: "udp",
      startPort: 53,
      endPort: 53,
      cidr: "0.0.0.0/0",
    });
    const specBNow = (await buildVmFirewallSpec(h.db, b.id))!;
    expect(specBNow.nics[0]!.rules[1]!.cidrs).toEqual(["198.51.100.100/32", `${c.nic.ip}/32`]);
    const appliedA = await h.db
      .select()
      .from(simulatorSecurityGroups)
      .where(eq(simulatorSecurityGroups.vmName, `i-${a.number}`));
    expect(appliedA[0]!.spec).toEqual(await buildVmFirewallSpec(h.db, a.id));
    // Revoking is live too.
    await tenant().securityGroup.removeRule({ id: fromDefault.id });
    const specBAfter = (await buildVmFirewallSpec(h.db, b.id))!;
    expect(specBAfter.nics[0]!.rules).toHaveLength(1);
    // A group with members cannot go; the default group never.
    expect((await error(tenant().securityGroup.delete({ id: web.id }))).code).toBe("PRECONDITION_FAILED");
    expect((await error(tenant().securityGroup.delete({ id: def.id }))).code).toBe("PRECONDITION_FAILED");
  });

  it("the reconciler applies again what differs on the host", async () => {
    await h.db.delete(simulatorSecurityGroups).where(sql`true`);
    const repairs = await reconcileSecurityGroups(h.db);
    expect(repairs.length).toBe(3);
    expect(await reconcileSecurityGroups(h.db)).toEqual([]);
  });

  it("a stopped VM's NIC changes groups; another account's group is NOT_FOUND as a peer, a target or a member", async () => {
    const b = (await h.db.select().from(instances).where(eq(instances.name, "sg-b")))[0]!;
    const [nic] = await h.db.select().from(nics).where(eq(nics.instanceId, b.id));
    const def = (await tenant().securityGroup.list()).items.find((g) => g.isDefault)!;
    const running = await error(tenant().securityGroup.setNicGroups({ nicId: nic!.id, securityGroupIds: [def.id] }));
    expect(running.code).toBe("CONFLICT");
    const stop = await tenant().instance.stop({ id: b.id });
    await waitForJob(h.db, stop.jobId);
    await tenant().securityGroup.setNicGroups({ nicId: nic!.id, securityGroupIds: [def.id] });
    const member = await h.db.select().from(nicSecurityGroups).where(eq(nicSecurityGroups.nicId, nic!.id));
    expect(member.map((m) => m.securityGroupId)).toEqual([def.id]);

    const other = api(h.db, t.callers.tenant2);
    const theirs = await other.securityGroup.create({ name: "theirs" });
    const peer = await error(
      tenant().securityGroup.addRule({ securityGroupId: def.id, direction: "ingress", protocol: "all", peerSecurityGroupId: theirs.id }),
    );
    expect([peer.code, fieldOf(peer)]).toEqual(["NOT_FOUND", "peerSecurityGroupId"]);
    expect((await error(tenant().securityGroup.get({ id: theirs.id }))).code).toBe("NOT_FOUND");
    expect(
      (await error(other.securityGroup.addRule({ securityGroupId: def.id, direction: "ingress", protocol: "all", cidr: "0.0.0.0/0" })))
        .code,
    ).toBe("NOT_FOUND");
    const join = await error(tenant().securityGroup.setNicGroups({ nicId: nic!.id, securityGroupIds: [theirs.id] }));
    expect([join.code, fieldOf(join)]).toEqual(["NOT_FOUND", "securityGroupIds"]);
    expect((await error(other.securityGroup.setNicGroups({ nicId: nic!.id, securityGroupIds: [theirs.id] }))).code).toBe("NOT_FOUND");
    expect((await other.securityGroup.list()).items.map((g) => g.name)).toEqual(["default", "theirs"]);
  });

  it("security groups are refused on NICs of isolated networks", async () => {
    const def = (await tenant().securityGroup.list()).items.find((g) => g.isDefault)!;
    const net = await tenant().network.create({ name: "iso-sg", zoneId, networkOfferingId: isolatedOffering, cidr: "10.77.0.0/24" });
    const choices = await deployChoicesByName(h.db);
    const e = await error(
      tenant().instance.deploy({ ...choices, name: "sg-iso", networks: [{ networkId: net.id, securityGroupIds: [def.id] }] }),
    );
    expect(e.code).toBe("BAD_REQUEST");
    expect(
      await h.db
        .select()
        .from(instances)
        .where(and(eq(instances.name, "sg-iso"))),
    ).toEqual([]);
  });
});
