import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { loadBalancerMembers, networkRules, networks, publicIps } from "@/db/schema";
import { testDbKind } from "@/test/db";
import { api } from "@/test/fixtures";
import { deployChoicesByName } from "@/test/orchestrator";
import { simulatorCloud } from "@/test/simulator-cloud";
import { csTestClient, type CsTestBody as Body } from "@/test/cloudstack";
import { issueApiKey, type IssuedKey } from "@/server/services/api-keys";

/**
 * CloudStack's network commands end to end on the simulator cloud (PGlite and PostgreSQL): network
 * offerings, networks, public IPs, firewall, port forwarding, static NAT, load balancing; bad
 * parameters answered 431 naming the parameter; another tenant's ids answered as not found.
 */
const cloud = simulatorCloud();
const { call, run } = csTestClient(() => cloud.h.db);

let tenantKey: IssuedKey;
let tenant2Key: IssuedKey;
let choice: Awaited<ReturnType<typeof deployChoicesByName>>;
let isolatedOffering: Body;

async function deployIn(networkId: string, name: string) {
  const r = await run(tenantKey, {
    command: "deployVirtualMachine",
    zoneid: choice.zoneId,
    templateid: choice.templateId,
    serviceofferingid: choice.computeOfferingId,
    networkids: networkId,
    name,
  });
  return (r.jobresult.virtualmachine as Body).id as string;
}
const rulesOf = async (networkId: string) => cloud.h.db.select().from(networkRules).where(eq(networkRules.networkId, networkId));
const ipsOf = async (networkId: string) => cloud.h.db.select().from(publicIps).where(eq(publicIps.networkId, networkId));

beforeAll(async () => {
  const { h, t } = cloud;
  tenantKey = await issueApiKey(h.db, t.callers.tenant.userId, { name: "ci" }, t.callers.tenant.userId);
  tenant2Key = await issueApiKey(h.db, t.callers.tenant2.userId, { name: "ci" }, t.callers.tenant2.userId);
  choice = await deployChoicesByName(h.db);
  await api(h.db, t.callers.admin).publicIpRange.add({
    zoneId: choice.zoneId,
    gateway: "203.0.113.1",
    prefixLength: 24,
    vlan: null,
    startIp: "203.0.113.10",
    endIp: "203.0.113.40",
  });
  const offerings = await call(tenantKey, { command: "listNetworkOfferings", guestiptype: "Isolated" });
  isolatedOffering = (offerings.body.networkoffering as Body[]).find((o) => o.isdefault)!;
});

describe(`CloudStack network commands (${testDbKind()})`, () => {
  it("a network's whole life: offering, network, VM, addresses, firewall, port forward, static NAT, load balancer, teardown", async () => {
    expect(isolatedOffering).toMatchObject({ guestiptype: "Isolated", traffictype: "Guest", state: "Enabled", specifyvlan: false });
    const services = (isolatedOffering.service as Body[]).map((s) => s.name);
    expect(services).toEqual(expect.arrayContaining(["Dhcp", "Dns", "SourceNat", "StaticNat", "PortForwarding", "Firewall", "Lb"]));
    const shared = await call(tenantKey, { command: "listNetworkOfferings", guestiptype: "Shared" });
    expect((shared.body.networkoffering as Body[]).every((o) => o.guestiptype === "Shared")).toBe(true);

    const created = await call(tenantKey, {
      command: "createNetwork",
      name: "cs-net",
      networkofferingid: isolatedOffering.id as string,
      zoneid: choice.zoneId,
      gateway: "10.20.0.1",
      netmask: "255.255.255.0",
    });
    expect(created.status).toBe(200);
    expect(created.envelope).toBe("createnetworkresponse");
    const net = (created.body as { network: Body }).network;
    expect(net).toMatchObject({
      name: "cs-net",
      displaytext: "cs-net",
      cidr: "10.20.0.0/24",
      gateway: "10.20.0.1",
      netmask: "255.255.255.0",
      state: "Allocated",
      type: "Isolated",
      zoneid: choice.zoneId,
      networkofferingid: isolatedOffering.id,
      networkofferingname: isolatedOffering.name,
      account: "acme-dev",
      domain: "Acme Cloud",
    });
    expect(typeof net.zonename).toBe("string");
    expect(typeof net.domainid).toBe("string");
    expect((net.service as Body[]).map((s) => s.name)).toEqual(services);
    const netId = net.id as string;

    const vmId = await deployIn(netId, "cs-lb-1");
    const listed = await call(tenantKey, { command: "listNetworks", id: netId });
    expect(listed.body).toMatchObject({ count: 1, network: [{ id: netId, state: "Implemented" }] });

    // The first address is the network's source NAT; the second is free for static NAT.
    const first = await run(tenantKey, { command: "associateIpAddress", networkid: netId });
    expect(first.cmd).toBe("org.apache.cloudstack.api.command.user.address.AssociateIPAddrCmd");
    const ip1 = (first.jobresult as { ipaddress: Body }).ipaddress;
    expect(ip1).toMatchObject({
      issourcenat: true,
      isstaticnat: false,
      associatednetworkid: netId,
      associatednetworkname: "cs-net",
      state: "Allocated",
    });
    expect(ip1.id).toBe(first.answer.id);
    expect(ip1.ipaddress).toMatch(/^203\.0\.113\./);
    const second = await run(tenantKey, { command: "associateIpAddress", zoneid: choice.zoneId, networkid: netId });
    const ip2 = (second.jobresult as { ipaddress: Body }).ipaddress;
    expect(ip2.issourcenat).toBe(false);

    const fw = await run(tenantKey, {
      command: "createFirewallRule",
      ipaddressid: ip1.id as string,
      protocol: "TCP",
      startport: "22",
      endport: "22",
      cidrlist: "198.51.100.0/24,192.0.2.0/24",
    });
    const fwRule = (fw.jobresult as { firewallrule: Body }).firewallrule;
    expect(fwRule).toMatchObject({
      protocol: "tcp",
      startport: 22,
      endport: 22,
      ipaddressid: ip1.id,
      ipaddress: ip1.ipaddress,
      cidrlist: "198.51.100.0/24,192.0.2.0/24",
      networkid: netId,
    });
    expect(["Active", "Add"]).toContain(fwRule.state);

    const pf = await run(tenantKey, {
      command: "createPortForwardingRule",
      ipaddressid: ip1.id as string,
      protocol: "tcp",
      publicport: "2222",
      privateport: "22",
      virtualmachineid: vmId,
      openfirewall: "false",
    });
    const pfRule = (pf.jobresult as { portforwardingrule: Body }).portforwardingrule;
    expect(pfRule).toMatchObject({
      publicport: "2222",
      publicendport: "2222",
      privateport: "22",
      privateendport: "22",
      protocol: "tcp",
      virtualmachineid: vmId,
      virtualmachinename: "cs-lb-1",
      ipaddressid: ip1.id,
      ipaddress: ip1.ipaddress,
    });
    expect(typeof pfRule.vmguestip).toBe("string");

    const nat = await call(tenantKey, { command: "enableStaticNat", ipaddressid: ip2.id as string, virtualmachineid: vmId });
    expect([nat.status, nat.body]).toEqual([200, { success: true }]);
    const natIps = await call(tenantKey, { command: "listPublicIpAddresses", isstaticnat: "true" });
    expect(natIps.body).toMatchObject({
      count: 1,
      publicipaddress: [{ id: ip2.id, isstaticnat: true, virtualmachineid: vmId, virtualmachinename: "cs-lb-1" }],
    });
    const allIps = await call(tenantKey, { command: "listPublicIpAddresses", associatednetworkid: netId });
    expect(allIps.body.count).toBe(2);
    expect(
      (await call(tenantKey, { command: "listPublicIpAddresses", issourcenat: "true", associatednetworkid: netId })).body,
    ).toMatchObject({
      count: 1,
      publicipaddress: [{ id: ip1.id }],
    });
    const paged = await call(tenantKey, { command: "listPublicIpAddresses", associatednetworkid: netId, page: "2", pagesize: "1" });
    expect(paged.body).toMatchObject({ count: 2 });
    expect((paged.body.publicipaddress as Body[]).length).toBe(1);

    // A load balancer on the source-NAT address (port 80; openfirewall by default adds its firewall rule).
    const lb = await run(tenantKey, {
      command: "createLoadBalancerRule",
      publicipid: ip1.id as string,
      name: "web",
      algorithm: "leastconn",
      publicport: "80",
      privateport: "8080",
    });
    const lbRule = (lb.jobresult as { loadbalancer: Body }).loadbalancer;
    expect(lbRule).toMatchObject({
      name: "web",
      publicipid: ip1.id,
      publicip: ip1.ipaddress,
      publicport: "80",
      privateport: "8080",
      algorithm: "leastconn",
      zoneid: choice.zoneId,
      account: "acme-dev",
    });
    const lbId = lbRule.id as string;
    const assign = await run(tenantKey, { command: "assignToLoadBalancerRule", id: lbId, virtualmachineids: vmId });
    expect(assign.jobresult).toEqual({ success: true });
    expect(await cloud.h.db.select().from(loadBalancerMembers).where(eq(loadBalancerMembers.ruleId, lbId))).toHaveLength(1);
    expect((await call(tenantKey, { command: "listLoadBalancerRules", virtualmachineid: vmId })).body).toMatchObject({
      count: 1,
      loadbalancerrule: [{ id: lbId }],
    });

    const fws = await call(tenantKey, { command: "listFirewallRules", ipaddressid: ip1.id as string });
    expect(fws.body.count).toBe(2);
    expect((fws.body.firewallrule as Body[]).map((r) => r.startport).sort()).toEqual([22, 80]);
    expect((await call(tenantKey, { command: "listPortForwardingRules" })).body).toMatchObject({
      count: 1,
      portforwardingrule: [{ id: pfRule.id }],
    });
    expect((await call(tenantKey, { command: "listLoadBalancerRules", publicipid: ip1.id as string })).body.count).toBe(1);

    // Teardown, each step visible in the database.
    await run(tenantKey, { command: "removeFromLoadBalancerRule", id: lbId, virtualmachineids: vmId });
    expect(await cloud.h.db.select().from(loadBalancerMembers).where(eq(loadBalancerMembers.ruleId, lbId))).toHaveLength(0);
    expect(await rulesOf(netId)).toHaveLength(5);
    expect((await run(tenantKey, { command: "deleteLoadBalancerRule", id: lbId })).jobresult).toEqual({ success: true });
    await run(tenantKey, { command: "deletePortForwardingRule", id: pfRule.id as string });
    await run(tenantKey, { command: "deleteFirewallRule", id: fwRule.id as string });
    expect((await rulesOf(netId)).map((r) => r.kind).sort()).toEqual(["firewall", "static_nat"]);
    await run(tenantKey, { command: "disableStaticNat", ipaddressid: ip2.id as string });
    expect((await call(tenantKey, { command: "listPublicIpAddresses", isstaticnat: "true" })).body).toEqual({});
    await run(tenantKey, { command: "disassociateIpAddress", id: ip2.id as string });
    await run(tenantKey, { command: "disassociateIpAddress", id: ip1.id as string });
    expect(await ipsOf(netId)).toHaveLength(0);
    expect(await rulesOf(netId)).toHaveLength(0);

    await run(tenantKey, { command: "destroyVirtualMachine", id: vmId, expunge: "true" });
    const del = await run(tenantKey, { command: "deleteNetwork", id: netId });
    expect(del.cmd).toBe("org.apache.cloudstack.api.command.user.network.DeleteNetworkCmd");
    expect(del.jobresult).toEqual({ success: true });
    expect(await cloud.h.db.select().from(networks).where(eq(networks.id, netId))).toHaveLength(0);
    expect((await call(tenantKey, { command: "listNetworks", id: netId })).body).toEqual({});
  });

  it("an admin creates a network in an account of its scope (account + domainid); listall shows it to the admin", async () => {
    const { t, h } = cloud;
    const adminKey = await issueApiKey(h.db, t.callers.admin.userId, { name: "ci" }, t.callers.admin.userId);
    const made = await call(adminKey, {
      command: "createNetwork",
      name: "made-by-admin",
      networkofferingid: isolatedOffering.id as string,
      zoneid: choice.zoneId,
      account: "acme-dev",
      domainid: t.domains.acme.id,
    });
    expect(made.status).toBe(200);
    const id = (made.body.network as Body).id as string;
    expect(made.body.network).toMatchObject({ account: "acme-dev", domainid: t.domains.acme.id });
    expect((await call(tenantKey, { command: "listNetworks", id })).body.count).toBe(1);
    expect(JSON.stringify((await call(adminKey, { command: "listNetworks" })).body)).not.toContain(id);
    expect(JSON.stringify((await call(adminKey, { command: "listNetworks", listall: "true" })).body)).toContain(id);
    const own = await call(adminKey, { command: "listNetworks", account: "acme-dev", domainid: t.domains.acme.id });
    expect((own.body.network as Body[]).every((n) => n.account === "acme-dev")).toBe(true);
    expect((await run(tenantKey, { command: "deleteNetwork", id })).jobresult).toEqual({ success: true });
    expect(await h.db.select().from(networks).where(eq(networks.id, id))).toHaveLength(0);
  });

  describe("with a network holding addresses and rules", () => {
    const f = {} as { net: string; vm: string; ip1: string; ip2: string; ip3: string; fw: string; pf: string; lb: string };
    beforeAll(async () => {
      const created = await call(tenantKey, {
        command: "createNetwork",
        name: "cs-fixture",
        networkofferingid: isolatedOffering.id as string,
        zoneid: choice.zoneId,
      });
      f.net = (created.body.network as Body).id as string;
      f.vm = await deployIn(f.net, "cs-fixture-vm");
      const ip = async () =>
        ((await run(tenantKey, { command: "associateIpAddress", networkid: f.net })).jobresult.ipaddress as Body).id as string;
      f.ip1 = await ip();
      f.ip2 = await ip();
      f.ip3 = await ip();
      const id = async (params: Record<string, string>) => (await run(tenantKey, params)).answer.id as string;
      f.fw = await id({ command: "createFirewallRule", ipaddressid: f.ip1, protocol: "icmp" });
      f.pf = await id({
        command: "createPortForwardingRule",
        ipaddressid: f.ip1,
        protocol: "tcp",
        publicport: "22",
        privateport: "22",
        virtualmachineid: f.vm,
      });
      f.lb = await id({
        command: "createLoadBalancerRule",
        publicipid: f.ip3,
        name: "fx",
        algorithm: "roundrobin",
        publicport: "80",
        privateport: "80",
      });
      expect((await call(tenantKey, { command: "enableStaticNat", ipaddressid: f.ip2, virtualmachineid: f.vm })).status).toBe(200);
    });

    it("a second tenant's key sees and changes nothing of the first's (not found, never forbidden)", async () => {
      const before = { rules: await rulesOf(f.net), ips: await ipsOf(f.net) };
      for (const [command, key] of [
        ["listNetworks", "network"],
        ["listPublicIpAddresses", "publicipaddress"],
        ["listFirewallRules", "firewallrule"],
        ["listPortForwardingRules", "portforwardingrule"],
        ["listLoadBalancerRules", "loadbalancerrule"],
      ] as const) {
        const all = await call(tenant2Key, { command, listall: "true" });
        expect(all.status, command).toBe(200);
        expect(JSON.stringify(all.body), command).not.toContain(f.net);
        expect(all.body[key], command).toBeUndefined();
      }
      const lookups: Record<string, string>[] = [
        { command: "listNetworks", id: f.net },
        { command: "listPublicIpAddresses", id: f.ip1 },
        { command: "listPublicIpAddresses", associatednetworkid: f.net },
        { command: "listFirewallRules", ipaddressid: f.ip1 },
        { command: "listFirewallRules", id: f.fw },
        { command: "listPortForwardingRules", id: f.pf },
        { command: "listLoadBalancerRules", publicipid: f.ip3 },
      ];
      for (const params of lookups) expect((await call(tenant2Key, params)).body, JSON.stringify(params)).toEqual({});
      const tenant2Net = (
        (
          await call(tenant2Key, {
            command: "createNetwork",
            name: "t2-net",
            networkofferingid: isolatedOffering.id as string,
            zoneid: choice.zoneId,
          })
        ).body.network as Body
      ).id as string;
      const attempts: Record<string, string>[] = [
        { command: "deleteNetwork", id: f.net },
        { command: "associateIpAddress", networkid: f.net },
        { command: "disassociateIpAddress", id: f.ip1 },
        { command: "enableStaticNat", ipaddressid: f.ip1, virtualmachineid: f.vm },
        { command: "disableStaticNat", ipaddressid: f.ip2 },
        { command: "createFirewallRule", ipaddressid: f.ip1, protocol: "tcp", startport: "80" },
        {
          command: "createPortForwardingRule",
          ipaddressid: f.ip1,
          protocol: "tcp",
          publicport: "8080",
          privateport: "80",
          virtualmachineid: f.vm,
        },
        { command: "createLoadBalancerRule", publicipid: f.ip1, name: "x", algorithm: "source", publicport: "443", privateport: "443" },
        { command: "assignToLoadBalancerRule", id: f.lb, virtualmachineids: f.vm },
        { command: "removeFromLoadBalancerRule", id: f.lb, virtualmachineids: f.vm },
        { command: "deleteFirewallRule", id: f.fw },
        { command: "deletePortForwardingRule", id: f.pf },
        { command: "deleteLoadBalancerRule", id: f.lb },
        // Not in the other tenant's account either.
        {
          command: "createNetwork",
          name: "x",
          networkofferingid: isolatedOffering.id as string,
          zoneid: choice.zoneId,
          account: "acme-dev",
        },
      ];
      for (const params of attempts) {
        const r = await call(tenant2Key, params);
        expect(r.status, params.command).toBe(431);
        expect(r.body.errortext, params.command).toMatch(/not found/i);
      }
      expect(tenant2Net).toBeTruthy();
      const after = { rules: await rulesOf(f.net), ips: await ipsOf(f.net) };
      expect(after.rules.map((r) => r.id).sort()).toEqual(before.rules.map((r) => r.id).sort());
      expect(after.ips.map((r) => r.id).sort()).toEqual(before.ips.map((r) => r.id).sort());
      const [lbRow] = await cloud.h.db.select().from(loadBalancerMembers).where(eq(loadBalancerMembers.ruleId, f.lb));
      expect(lbRow).toBeUndefined();
      // The fixture's jobs are the tenant's: tenant2 cannot read them.
      const mine = await call(tenantKey, { command: "associateIpAddress", networkid: f.net });
      expect((await call(tenant2Key, { command: "queryAsyncJobResult", jobid: mine.body.jobid as string })).status).toBe(431);
      await run(tenantKey, { command: "disassociateIpAddress", id: mine.body.id as string });
    });

    it("bad or unsupported parameters are answered 431 naming the parameter, changing nothing", async () => {
      const before = { rules: (await rulesOf(f.net)).length, ips: (await ipsOf(f.net)).length };
      const off = isolatedOffering.id as string;
      const cases: [Record<string, string>, string][] = [
        [{ command: "listNetworkOfferings", guestiptype: "Bogus" }, "guestiptype"],
        [{ command: "listNetworkOfferings", id: "nope" }, "id"],
        [{ command: "listNetworks", zoneid: "nope" }, "zoneid"],
        [{ command: "createNetwork", networkofferingid: off, zoneid: choice.zoneId }, "name"],
        [{ command: "createNetwork", name: "x", zoneid: choice.zoneId }, "networkofferingid"],
        [{ command: "createNetwork", name: "x", networkofferingid: off, zoneid: choice.zoneId, gateway: "10.30.0.1" }, "netmask"],
        [
          {
            command: "createNetwork",
            name: "x",
            networkofferingid: off,
            zoneid: choice.zoneId,
            gateway: "10.30.0.9",
            netmask: "255.255.255.0",
          },
          "gateway",
        ],
        [
          {
            command: "createNetwork",
            name: "x",
            networkofferingid: off,
            zoneid: choice.zoneId,
            gateway: "10.30.0.1",
            netmask: "255.0.255.0",
          },
          "netmask",
        ],
        [{ command: "createNetwork", name: "x", networkofferingid: off, zoneid: choice.zoneId, vlan: "100" }, "vlan"],
        [
          { command: "createNetwork", name: "x", networkofferingid: off, zoneid: choice.zoneId, domainid: cloud.t.domains.initech.id },
          "account",
        ],
        [{ command: "deleteNetwork" }, "id"],
        [{ command: "deleteNetwork", id: f.net, forced: "true" }, "forced"],
        [{ command: "listPublicIpAddresses", isstaticnat: "maybe" }, "isstaticnat"],
        [{ command: "listPublicIpAddresses", allocatedonly: "false" }, "allocatedonly"],
        [{ command: "associateIpAddress" }, "networkid"],
        [{ command: "associateIpAddress", networkid: "x" }, "networkid"],
        [{ command: "associateIpAddress", networkid: f.net, isportable: "true" }, "isportable"],
        [{ command: "disassociateIpAddress", id: "12" }, "id"],
        [{ command: "enableStaticNat", ipaddressid: f.ip1 }, "virtualmachineid"],
        [{ command: "enableStaticNat", ipaddressid: f.ip3, virtualmachineid: f.vm, vmguestip: "10.9.9.9" }, "vmguestip"],
        [{ command: "disableStaticNat", ipaddressid: f.ip3 }, "ipaddressid"],
        [{ command: "createFirewallRule", ipaddressid: f.ip1, protocol: "gre" }, "protocol"],
        [{ command: "createFirewallRule", ipaddressid: f.ip1, protocol: "tcp", startport: "70000" }, "startport"],
        [{ command: "createFirewallRule", ipaddressid: f.ip1, protocol: "tcp", startport: "80", cidrlist: "300.1.1.0/24" }, "cidrlist"],
        [{ command: "createFirewallRule", ipaddressid: f.ip1, protocol: "icmp", icmptype: "8" }, "icmptype"],
        [{ command: "createFirewallRule", protocol: "tcp", startport: "80" }, "ipaddressid"],
        [
          { command: "createPortForwardingRule", ipaddressid: f.ip1, protocol: "tcp", publicport: "9", virtualmachineid: f.vm },
          "privateport",
        ],
        [
          {
            command: "createPortForwardingRule",
            ipaddressid: f.ip1,
            protocol: "icmp",
            publicport: "9",
            privateport: "9",
            virtualmachineid: f.vm,
          },
          "protocol",
        ],
        [
          {
            command: "createPortForwardingRule",
            ipaddressid: f.ip1,
            protocol: "tcp",
            publicport: "9",
            privateport: "9",
            virtualmachineid: f.vm,
            cidrlist: "10.0.0.0/8",
          },
          "cidrlist",
        ],
        [
          { command: "createLoadBalancerRule", publicipid: f.ip3, name: "y", algorithm: "random", publicport: "81", privateport: "81" },
          "algorithm",
        ],
        [{ command: "createLoadBalancerRule", name: "y", algorithm: "source", publicport: "81", privateport: "81" }, "publicipid"],
        [
          {
            command: "createLoadBalancerRule",
            publicipid: f.ip3,
            name: "y",
            algorithm: "source",
            publicport: "81",
            privateport: "81",
            description: "d",
          },
          "description",
        ],
        [{ command: "assignToLoadBalancerRule", id: f.lb }, "virtualmachineids"],
        [{ command: "assignToLoadBalancerRule", id: f.lb, virtualmachineids: "a,b" }, "virtualmachineids"],
        [{ command: "removeFromLoadBalancerRule", id: f.lb, vmidipmap: "x" }, "vmidipmap"],
        [{ command: "listFirewallRules", ipaddressid: "x" }, "ipaddressid"],
        [{ command: "listPortForwardingRules", id: "x" }, "id"],
        [{ command: "listLoadBalancerRules", publicipid: "x" }, "publicipid"],
        [{ command: "deleteFirewallRule" }, "id"],
        [{ command: "deletePortForwardingRule", id: "x" }, "id"],
        [{ command: "deleteLoadBalancerRule", id: "x" }, "id"],
      ];
      for (const [params, param] of cases) {
        const r = await call(tenantKey, params);
        expect(r.status, JSON.stringify(params)).toBe(431);
        expect(r.body.errortext, JSON.stringify(params)).toContain(param);
      }
      // A rule id of another kind is not found as this kind.
      expect((await call(tenantKey, { command: "deleteFirewallRule", id: f.pf })).body.errortext).toMatch(/not found/i);
      expect({ rules: (await rulesOf(f.net)).length, ips: (await ipsOf(f.net)).length }).toEqual(before);
      expect((await call(tenantKey, { command: "listNetworks", id: f.net })).body.count).toBe(1);
    });

    it("listApis lists the network commands; listNetworks filters by type and zone", async () => {
      const names = ((await call(tenantKey, { command: "listApis" })).body.api as Body[]).map((a) => a.name);
      for (const n of ["createNetwork", "associateIpAddress", "createLoadBalancerRule", "listFirewallRules", "deleteLoadBalancerRule"])
        expect(names).toContain(n);
      expect((await call(tenantKey, { command: "listNetworks", type: "Shared" })).body).toEqual({});
      const isolated = await call(tenantKey, { command: "listNetworks", type: "Isolated", zoneid: choice.zoneId });
      expect((isolated.body.network as Body[]).map((n) => n.name)).toContain("cs-fixture");
    });
  });
});
