import { eq } from "drizzle-orm";
import type { Db } from "@/db";
import {
  alerts,
  clusters,
  diskOfferings,
  hosts,
  nics,
  pods,
  priceLists,
  publicIpRanges,
  secondaryStores,
  snapshotPolicies,
  snapshots,
  vmSnapshots,
  storagePools,
  templates,
  users,
  zoneVlanRanges,
  balancePolicies,
  credits,
  webhookDeliveries,
  webhookSubscriptions,
} from "@/db/schema";
import { createComputeOffering } from "@/server/services/offerings/compute";
import { createDiskOffering } from "@/server/services/offerings/disk";
import { createNetworkOffering } from "@/server/services/offerings/network";
import { acquirePublicIp, addPublicIpRange } from "@/server/services/networks/public-ips";
import { createFirewallRule, createLoadBalancer } from "@/server/services/networks/rules";
import { addSecurityGroupRule, createSecurityGroup } from "@/server/services/security-groups/groups";
import { deployInstances } from "@/server/services/instances/operations";
import { createVolume } from "@/server/services/volumes/operations";
import { startSession } from "@/server/auth/session";
import { issueApiKey } from "@/server/services/api-keys";
import { deployChoicesByName } from "@/test/orchestrator";
import type { Caller } from "@/server/authz/caller";
import { can, type Permission } from "@/server/authz/permissions";
import type { seedTenancy } from "@/test/fixtures";
import { aggregateUsage } from "@/server/usage/aggregate";
import { rateUsage } from "@/server/billing/rate";

/** The objects an attacker aims at, and the strings that must never appear in its results. */
export interface Victim {
  domainId: string;
  subDomainId: string;
  accountId: string;
  userId: string;
  ids: Record<string, string>;
  secrets: string[];
}

type Tenancy = Awaited<ReturnType<typeof seedTenancy>>;
type Probe = (v: Victim) => unknown;

/**
 * One probe per tRPC procedure: an input aimed at the victim's objects (tenant acme-dev in domain
 * Acme Cloud). Keep in step with the router; authz.test.ts fails on a procedure without a probe.
 */
const inputs: Record<string, Probe> = {
  "session.me": () => undefined,
  "apiKey.mine": () => undefined,
  // An expiry in the past: refused before anything is written (an attacker's own new key is no leak, but would change the tables).
  "apiKey.create": () => ({ name: "intruder", expiresAt: new Date(0) }),
  "apiKey.regenerate": (v) => ({ id: v.ids.apiKey }),
  "apiKey.revoke": (v) => ({ id: v.ids.apiKey }),
  "apiKey.ofUser": (v) => ({ userId: v.userId }),
  "apiKey.createForUser": (v) => ({ userId: v.userId, name: "intruder" }),
  "session.list": () => undefined,
  "session.end": (v) => ({ id: v.ids.session }),
  "session.endOthers": () => undefined,
  "domain.tree": () => undefined,
  "domain.get": (v) => ({ id: v.domainId }),
  "domain.create": (v) => ({ parentId: v.domainId, name: "intruder" }),
  "domain.rename": (v) => ({ id: v.subDomainId, name: "hijacked" }),
  "domain.move": (v) => ({ id: v.subDomainId, parentId: v.subDomainId }),
  "domain.delete": (v) => ({ id: v.subDomainId }),
  "account.list": (v) => ({ domainId: v.domainId }),
  "account.get": (v) => ({ id: v.accountId }),
  "account.create": (v) => ({ domainId: v.domainId, name: "intruder", type: "user", username: "intruder", password: "password-intruder" }),
  "account.rename": (v) => ({ id: v.accountId, name: "hijacked" }),
  "account.setState": (v) => ({ id: v.accountId, state: "disabled" }),
  "account.delete": (v) => ({ id: v.accountId }),
  "account.deletionPreview": (v) => ({ id: v.accountId }),
  "user.list": (v) => ({ accountId: v.accountId }),
  "user.create": (v) => ({ accountId: v.accountId, username: "intruder2", password: "password-intruder" }),
  "user.update": (v) => ({ id: v.userId, email: "evil@example.com" }),
  "user.setState": (v) => ({ id: v.userId, state: "locked" }),
  "user.resetPassword": (v) => ({ id: v.userId, password: "password-hijack" }),
  "user.delete": (v) => ({ id: v.userId }),
  "user.changeOwnPassword": () => ({ currentPassword: "not-my-password", newPassword: "password-whatever" }),
  "limit.mine": () => undefined,
  "limit.forAccount": (v) => ({ accountId: v.accountId }),
  "limit.forDomain": (v) => ({ domainId: v.domainId }),
  "limit.setForAccount": (v) => ({ accountId: v.accountId, limits: { instances: 0 } }),
  "limit.setForDomain": (v) => ({ domainId: v.subDomainId, limits: { instances: 0 } }),
  "event.list": (v) => ({ accountId: v.accountId, domainId: v.domainId, userId: v.userId }),
  // No account filter: the scope alone must keep the victim's records (aggregated in setUp) out.
  "usage.records": (v) => ({ resourceId: v.ids.instance }),
  "usage.summary": () => ({}),
  "priceList.list": () => undefined,
  "priceList.get": (v) => ({ id: v.ids.priceList }),
  "priceList.create": (v) => ({ domainId: v.subDomainId, name: "intruder", mode: "margin", marginPercent: "50" }),
  "priceList.update": (v) => ({ id: v.ids.priceList, name: "hijacked", allowSubLists: true }),
  "priceList.setMargin": (v) => ({ id: v.ids.priceList, marginPercent: "90" }),
  "priceList.remove": (v) => ({ id: v.ids.priceList }),
  "tariff.set": (v) => ({ priceListId: v.ids.priceList, usageType: 1, basis: "hour", unitPrice: "9" }),
  "pricing.quote": (v) => ({ offeringId: v.ids.computeOffering, rootDiskGib: 10 }),
  "pricing.costRevenue": (v) => ({ domainId: v.domainId }),
  "alert.list": () => ({ state: "all" }),
  "alert.counts": () => undefined,
  "alert.markRead": () => undefined,
  "alert.subscription": () => undefined,
  "alert.subscribe": () => ({ email: true, minSeverity: "warning" }),
  "alert.rules": () => undefined,
  "alert.updateRule": () => ({ rule: "capacity.cpu", enabled: false }),
  "billing.overview": (v) => ({ accountId: v.accountId }),
  "billing.credits": (v) => ({ accountId: v.accountId }),
  "billing.statement": (v) => ({ accountId: v.accountId, month: "2026-11" }),
  "billing.statementMonths": (v) => ({ accountId: v.accountId }),
  "billing.addCredit": (v) => ({ accountId: v.accountId, kind: "credit", currency: "EUR", amount: "5", reason: "intruder" }),
  "billing.policy": (v) => ({ domainId: v.subDomainId }),
  "billing.setPolicy": (v) => ({ domainId: v.subDomainId, currency: "EUR", notifyBelow: "1" }),
  "billing.removePolicy": (v) => ({ domainId: v.subDomainId }),
  "webhook.list": () => undefined,
  "webhook.create": (v) => ({ accountId: v.accountId, name: "intruder", url: "https://203.0.113.9/x", eventTypes: ["*"] }),
  "webhook.setEnabled": (v) => ({ id: v.ids.webhook, enabled: false }),
  "webhook.delete": (v) => ({ id: v.ids.webhook }),
  "webhook.ping": (v) => ({ id: v.ids.webhook }),
  "webhook.deliveries": (v) => ({ subscriptionId: v.ids.webhook }),
  "simulator.get": () => undefined,
  "simulator.setLatency": () => ({ operation: "start", ms: 5 }),
  "simulator.addFault": () => ({ operation: "start", probability: 1, transient: false, message: "intruder" }),
  "simulator.removeFault": (v) => ({ id: v.accountId }),
  "simulator.reset": () => ({ latency: true }),
  "capacity.summary": () => undefined,
  "dashboard.vmStates": () => undefined,
  "dashboard.recentInstances": () => undefined,
  "dashboard.limits": () => undefined,
  "dashboard.events": () => undefined,
  "dashboard.spend": () => undefined,
  "dashboard.health": () => undefined,
  "dashboard.capacity": () => undefined,
  "dashboard.topAccounts": () => undefined,
  "dashboard.subtree": () => undefined,
  "dashboard.revenue": () => undefined,
  ...offeringProbes("computeOffering", { cpuCores: 1, cpuMhz: 1000, memoryMib: 512 }),
  ...offeringProbes("diskOffering", { sizeGib: 5 }),
  ...offeringProbes("networkOffering", { guestType: "isolated" }),
  "network.list": () => ({ search: "acme" }),
  "network.get": (v) => ({ id: v.ids.network }),
  "network.choices": (v) => ({ zoneId: v.ids.zone }),
  "network.create": (v) => ({ name: "intruder", zoneId: v.ids.zone, networkOfferingId: v.ids.networkOffering, accountId: v.ids.account }),
  "network.delete": (v) => ({ id: v.ids.network }),
  "network.restart": (v) => ({ id: v.ids.network }),
  "nic.list": (v) => ({ instanceId: v.ids.instance }),
  "nic.add": (v) => ({ instanceId: v.ids.instance, networkId: v.ids.network }),
  "nic.remove": (v) => ({ instanceId: v.ids.instance, nicId: v.ids.nic }),
  "nic.updateIp": (v) => ({ instanceId: v.ids.instance, nicId: v.ids.nic, ip: "10.1.1.200" }),
  "publicIp.list": (v) => ({ networkId: v.ids.network }),
  "publicIp.acquire": (v) => ({ networkId: v.ids.network }),
  "publicIp.release": (v) => ({ id: v.ids.publicIp }),
  "networkRule.list": (v) => ({ networkId: v.ids.network }),
  "networkRule.enableStaticNat": (v) => ({ publicIpId: v.ids.publicIp, nicId: v.ids.nic }),
  "networkRule.createPortForward": (v) => ({
    publicIpId: v.ids.publicIp,
    protocol: "tcp",
    publicStartPort: 2222,
    privateStartPort: 22,
    nicId: v.ids.nic,
  }),
  "networkRule.createFirewall": (v) => ({ publicIpId: v.ids.publicIp, protocol: "tcp", startPort: 3333, sourceCidrs: ["0.0.0.0/0"] }),
  "networkRule.createEgress": (v) => ({ networkId: v.ids.network, protocol: "all", destCidrs: ["0.0.0.0/0"] }),
  "networkRule.createLoadBalancer": (v) => ({
    publicIpId: v.ids.publicIp,
    name: "intruder",
    publicPort: 4444,
    privatePort: 80,
    nicIds: [v.ids.nic],
  }),
  "networkRule.setLoadBalancerMembers": (v) => ({ id: v.ids.loadBalancer, nicIds: [] }),
  "networkRule.delete": (v) => ({ id: v.ids.networkRule }),
  "securityGroup.list": () => undefined,
  "securityGroup.get": (v) => ({ id: v.ids.securityGroup }),
  // No target: a group is always made in the caller's own account; the reserved name makes it a refusal.
  "securityGroup.create": () => ({ name: "default" }),
  "securityGroup.delete": (v) => ({ id: v.ids.securityGroup }),
  "securityGroup.addRule": (v) => ({
    securityGroupId: v.ids.securityGroup,
    direction: "ingress",
    protocol: "tcp",
    startPort: 22,
    endPort: 22,
    cidr: "0.0.0.0/0",
  }),
  "securityGroup.removeRule": (v) => ({ id: v.ids.securityGroupRule }),
  "securityGroup.setNicGroups": (v) => ({ nicId: v.ids.nic, securityGroupIds: [v.ids.securityGroup] }),
  "sharedNetwork.list": () => undefined,
  "sharedNetwork.create": (v) => ({
    name: "intruder",
    zoneId: v.ids.zone,
    networkOfferingId: v.ids.networkOffering,
    cidr: "203.0.113.0/24",
    gateway: "203.0.113.1",
    ipRangeStart: "203.0.113.10",
    ipRangeEnd: "203.0.113.20",
  }),
  "publicIpRange.list": (v) => ({ zoneId: v.ids.zone }),
  "publicIpRange.add": (v) => ({
    zoneId: v.ids.zone,
    gateway: "203.0.113.1",
    prefixLength: 24,
    startIp: "203.0.113.200",
    endIp: "203.0.113.210",
  }),
  "publicIpRange.remove": (v) => ({ id: v.ids.publicIpRange }),
  "zoneNetwork.get": (v) => ({ zoneId: v.ids.zone }),
  "zoneNetwork.update": (v) => ({ zoneId: v.ids.zone, guestCidr: "10.9.0.0/24" }),
  "zoneNetwork.addVlanRange": (v) => ({ zoneId: v.ids.zone, startId: 4000, endId: 4010 }),
  "zoneNetwork.removeVlanRange": (v) => ({ id: v.ids.vlanRange }),
  "instance.list": (v) => ({ accountId: v.accountId }),
  "instance.get": (v) => ({ id: v.ids.instance }),
  "instance.deployChoices": () => undefined,
  "instance.deploy": (v) => ({
    zoneId: v.ids.zone,
    templateId: v.ids.template,
    computeOfferingId: v.ids.computeOffering,
    name: "intruder",
  }),
  "instance.start": (v) => ({ id: v.ids.instance }),
  "instance.stop": (v) => ({ id: v.ids.instance, force: true }),
  "instance.reboot": (v) => ({ id: v.ids.instance }),
  "instance.destroy": (v) => ({ id: v.ids.instance }),
  "instance.recover": (v) => ({ id: v.ids.instance }),
  "instance.expunge": (v) => ({ id: v.ids.instance }),
  "instance.changeOffering": (v) => ({ id: v.ids.instance, computeOfferingId: v.ids.computeOffering }),
  "instance.isoChoices": (v) => ({ id: v.ids.instance }),
  "instance.attachIso": (v) => ({ id: v.ids.instance, isoId: v.ids.privateTemplate }),
  "instance.detachIso": (v) => ({ id: v.ids.instance }),
  "instance.bulk": (v) => ({ ids: [v.ids.instance], action: "destroy" }),
  "volume.list": (v) => ({ accountId: v.accountId }),
  "volume.get": (v) => ({ id: v.ids.volume }),
  "volume.create": (v) => ({ name: "intruder", zoneId: v.ids.zone, diskOfferingId: v.ids.diskOffering, instanceId: v.ids.instance }),
  "volume.attach": (v) => ({ id: v.ids.volume, instanceId: v.ids.instance }),
  "volume.detach": (v) => ({ id: v.ids.volume }),
  "volume.resize": (v) => ({ id: v.ids.volume, sizeGib: 100 }),
  "volume.destroy": (v) => ({ id: v.ids.volume }),
  "volume.recover": (v) => ({ id: v.ids.volume }),
  "volume.expunge": (v) => ({ id: v.ids.volume }),
  "volume.migrate": (v) => ({ id: v.ids.volume, storagePoolId: v.ids.storagePool }),
  "volume.createTemplate": (v) => ({ volumeId: v.ids.volume, name: "intruder", osType: "Linux" }),
  "snapshot.list": (v) => ({ volumeId: v.ids.volume }),
  "snapshot.take": (v) => ({ volumeId: v.ids.volume, name: "intruder" }),
  "snapshot.revert": (v) => ({ id: v.ids.snapshot }),
  "snapshot.delete": (v) => ({ id: v.ids.snapshot }),
  "snapshot.policies": (v) => ({ volumeId: v.ids.volume }),
  "snapshot.createPolicy": (v) => ({ volumeId: v.ids.volume, frequency: "daily", minute: 0, hour: 3, timeZone: "UTC", retention: 2 }),
  "snapshot.deletePolicy": (v) => ({ id: v.ids.snapshotPolicy }),
  "snapshot.deletePolicies": (v) => ({ ids: [v.ids.snapshotPolicy] }),
  "vmSnapshot.list": (v) => ({ instanceId: v.ids.instance }),
  "vmSnapshot.take": (v) => ({ instanceId: v.ids.instance, name: "intruder", type: "disk_and_memory" }),
  "vmSnapshot.revert": (v) => ({ id: v.ids.vmSnapshot }),
  "vmSnapshot.delete": (v) => ({ id: v.ids.vmSnapshot }),
  "snapshot.createVolume": (v) => ({ snapshotId: v.ids.snapshot, name: "intruder" }),
  "snapshot.createTemplate": (v) => ({ snapshotId: v.ids.snapshot, name: "intruder", osType: "Linux" }),
  "job.get": (v) => ({ id: v.ids.job }),
  "job.list": (v) => ({ accountId: v.accountId }),
  "console.ticket": (v) => ({ id: v.ids.instance }),
  "metrics.forInstance": (v) => ({ id: v.ids.instance, minutes: 60 }),
  "metrics.forHost": (v) => ({ id: v.ids.host, minutes: 60 }),
  "template.list": () => ({ search: "" }),
  "template.register": (v) => ({
    name: "intruder",
    osType: "Linux",
    hypervisorType: "simulator",
    format: "simulator",
    secondaryStoreId: v.ids.secondaryStore,
    path: "intruder",
  }),
  "template.update": (v) => ({ id: v.ids.template, name: "hijacked" }),
  "template.delete": (v) => ({ id: v.ids.privateTemplate }),
  "template.listImages": () => ({ filter: "all" }),
  "template.get": (v) => ({ id: v.ids.privateTemplate }),
  "template.sharing": (v) => ({ id: v.ids.privateTemplate }),
  "template.copyToZone": (v) => ({ id: v.ids.privateTemplate, zoneId: v.ids.zone }),
  "template.copies": (v) => ({ id: v.ids.privateTemplate }),
  "template.share": (v) => ({ id: v.ids.privateTemplate, accountIds: [v.accountId], domainIds: [v.domainId] }),
  // They name no victim object (a new template is the caller's own): asked to make it public, which
  // only the root admin may, they must refuse without creating anything.
  "template.registerFromUrl": (v) => ({ ...newImage(v), url: "http://192.0.2.10/intruder.qcow2" }),
  "template.startUpload": (v) => ({ ...newImage(v), sizeBytes: 1024 }),
  // Infrastructure: root admin only; the probes aim at real objects so a missing check would show.
  ...infraProbes("zone", "zone", { name: "intruder" }, { state: "disabled" }),
  "zone.capacity": () => undefined,
  ...infraProbes("pod", "pod", { zoneId: "zone", name: "intruder" }, { state: "disabled" }),
  ...infraProbes("cluster", "cluster", { podId: "pod", name: "intruder", hypervisorType: "simulator" }, { state: "disabled" }),
  ...infraProbes(
    "host",
    "host",
    {
      clusterId: "cluster",
      hypervisorType: "simulator",
      name: "intruder",
      address: "sim://intruder",
      cpuCores: 1,
      cpuMhz: 1000,
      memoryMib: 1024,
    },
    { state: "maintenance" },
  ),
  ...infraProbes(
    "storagePool",
    "storagePool",
    { zoneId: "zone", name: "intruder", type: "simulator", path: "sim://x", capacityGib: 1 },
    { state: "maintenance" },
  ),
  "storagePool.measure": (v) => ({ id: v.ids.storagePool }),
  ...infraProbes("secondaryStore", "secondaryStore", { zoneId: "zone", name: "intruder", path: "sim://x", capacityGib: 1 }, null),
};

const newImage = (v: Victim) => ({ name: "intruder", osType: "Linux", zoneId: v.ids.zone, format: "qcow2", isPublic: true });

/** The six offering procedures, aimed at an offering scoped to the victim's domain. */
function offeringProbes(r: "computeOffering" | "diskOffering" | "networkOffering", size: Record<string, unknown>): Record<string, Probe> {
  return {
    [`${r}.list`]: () => ({ search: "acme" }),
    [`${r}.get`]: (v) => ({ id: v.ids[r] }),
    [`${r}.create`]: (v) => ({ name: "intruder", domainId: v.domainId, ...size }),
    [`${r}.update`]: (v) => ({ id: v.ids[r], name: "hijacked", ...size }),
    [`${r}.setState`]: (v) => ({ id: v.ids[r], state: "inactive" }),
    [`${r}.delete`]: (v) => ({ id: v.ids[r] }),
  };
}

/** list/get/create/update/setState/delete of an infrastructure resource; `refs` name ids in Victim.ids. */
function infraProbes(
  r: string,
  idKey: string,
  create: Record<string, unknown>,
  state: Record<string, unknown> | null,
): Record<string, Probe> {
  const resolve = (v: Victim, o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).map(([k, val]) => [k, k.endsWith("Id") && typeof val === "string" ? v.ids[val] : val]));
  return {
    [`${r}.list`]: () => ({}),
    [`${r}.get`]: (v) => ({ id: v.ids[idKey] }),
    [`${r}.create`]: (v) => resolve(v, create),
    [`${r}.update`]: (v) => ({ id: v.ids[idKey], name: "hijacked" }),
    ...(state ? { [`${r}.setState`]: (v: Victim) => ({ id: v.ids[idKey], ...state }) } : {}),
    [`${r}.delete`]: (v) => ({ id: v.ids[idKey] }),
  };
}

/** Procedures whose input names a victim object (so the refusal must be NOT_FOUND when permitted). */
const targeted = Object.keys(inputs).filter(
  (p) =>
    ![
      "session.me",
      "session.list",
      "apiKey.mine",
      "apiKey.create",
      "session.endOthers",
      "domain.tree",
      "limit.mine",
      "user.changeOwnPassword",
      "simulator.get",
      "simulator.setLatency",
      "simulator.addFault",
      "simulator.reset",
      "capacity.summary",
      "dashboard.vmStates",
      "dashboard.recentInstances",
      "dashboard.limits",
      "dashboard.events",
      "dashboard.spend",
      "dashboard.health",
      "dashboard.capacity",
      "dashboard.topAccounts",
      "dashboard.subtree",
      "dashboard.revenue",
      "alert.list",
      "alert.counts",
      "alert.markRead",
      "alert.subscription",
      "alert.subscribe",
      "alert.rules",
      "alert.updateRule",
      "webhook.list",
      "template.registerFromUrl",
      "template.startUpload",
      "priceList.list",
    ].includes(p),
);

/** The permission each procedure needs, for telling a permission refusal from a scope refusal. */
const permissionOf: Record<string, Permission | null | undefined> = {
  "domain.get": "domain.read",
  "account.list": "account.read",
  "account.get": "account.read",
  "limit.forAccount": "limit.read",
  "event.list": "event.read",
  "usage.records": "usage.read",
  "usage.summary": "usage.read",
  "alert.list": null,
  "alert.counts": null,
  "alert.markRead": null,
  "alert.subscription": null,
  "alert.subscribe": null,
  "alert.rules": "infra.read",
  "alert.updateRule": "infra.manage",
  "billing.overview": "billing.read",
  "billing.credits": "billing.read",
  "billing.statement": "billing.read",
  "billing.statementMonths": "billing.read",
  "computeOffering.get": "offering.read",
  "diskOffering.get": "offering.read",
  "computeOffering.list": "offering.read",
  "diskOffering.list": "offering.read",
  "networkOffering.get": "offering.read",
  "networkOffering.list": "offering.read",
  "network.list": null,
  "network.choices": null,
  "network.create": null,
  "sharedNetwork.list": "infra.read",
  "sharedNetwork.create": "infra.manage",
  "publicIpRange.list": "infra.read",
  "publicIpRange.add": "infra.manage",
  "publicIpRange.remove": "infra.manage",
  "zoneNetwork.get": "infra.read",
  "zoneNetwork.update": "infra.manage",
  "zoneNetwork.addVlanRange": "infra.manage",
  "zoneNetwork.removeVlanRange": "infra.manage",
  "zone.get": "infra.read",
  "pod.get": "infra.read",
  "cluster.get": "infra.read",
  "host.get": "infra.read",
  "storagePool.get": "infra.read",
  "secondaryStore.get": "infra.read",
  "simulator.removeFault": "infra.manage",
  "metrics.forInstance": null,
  "metrics.forHost": "infra.read",
  "template.list": null,
  "template.register": "infra.manage",
  "template.update": "infra.manage",
  "template.delete": null,
  "template.listImages": null,
  "template.get": null,
  "template.sharing": null,
  "template.copyToZone": null,
  "template.copies": null,
  "template.share": null,
  "template.registerFromUrl": null,
  "template.startUpload": null,
  "priceList.list": "pricing.manage",
  "priceList.get": "pricing.manage",
  "priceList.create": "pricing.manage",
  "priceList.update": "pricing.manage",
  "priceList.setMargin": "pricing.manage",
  "priceList.remove": "pricing.manage",
  "tariff.set": "pricing.manage",
  "pricing.quote": "usage.read",
  "pricing.costRevenue": "pricing.manage",
};
// Instances, volumes and jobs need no permission beyond being signed in: out of scope is always NOT_FOUND.
for (const p of Object.keys(inputs))
  if (
    [
      "instance.",
      "volume.",
      "snapshot.",
      "vmSnapshot.",
      "job.",
      "console.",
      "session.",
      "apiKey.",
      "network.",
      "nic.",
      "publicIp.",
      "networkRule.",
      "securityGroup.",
    ].some((prefix) => p.startsWith(prefix))
  )
    permissionOf[p] = null;
// Moving a volume between pools is the root admin's (pools are infrastructure).
permissionOf["volume.migrate"] = "infra.manage";

export const authzProbes = {
  inputs,
  targeted,
  permitted(caller: Caller, path: string): boolean {
    const explicit = permissionOf[path];
    if (explicit !== undefined) return explicit === null || can(caller.accountType, explicit);
    const [resource] = path.split(".");
    const manage = (
      resource === "computeOffering" || resource === "diskOffering" || resource === "networkOffering"
        ? "offering.manage"
        : ["zone", "pod", "cluster", "host", "storagePool", "secondaryStore"].includes(resource!)
          ? "infra.manage"
          : `${resource}.manage`
    ) as Permission;
    return can(caller.accountType, manage);
  },
  async setUp(db: Db, t: Tenancy): Promise<Victim> {
    const [u] = await db.select({ id: users.id }).from(users).where(eq(users.username, "tenant"));
    const admin = t.callers.admin;
    const compute = await createComputeOffering(db, admin, {
      name: "Acme secret compute",
      domainId: t.domains.acme.id,
      cpuCores: 1,
      cpuMhz: 1000,
      memoryMib: 512,
      cpuCap: false,
      hostTags: [],
    });
    const disk = await createDiskOffering(db, admin, {
      name: "Acme secret disk",
      domainId: t.domains.acme.id,
      sizeGib: 5,
      customSize: false,
      storageTags: [],
    });
    const network = await createNetworkOffering(db, admin, {
      name: "Acme secret network",
      domainId: t.domains.acme.id,
      guestType: "isolated",
      services: ["Dhcp"],
      egressDefault: "allow",
      rateLimitMbps: null,
    });
    const choices = await deployChoicesByName(db);
    await addPublicIpRange(db, admin, {
      zoneId: choices.zoneId,
      gateway: "198.51.100.1",
      prefixLength: 24,
      vlan: null,
      startIp: "198.51.100.10",
      endIp: "198.51.100.20",
    });
    const [vm] = await deployInstances(db, t.callers.tenant, { ...choices, name: "acme-secret-vm", count: 1 });
    const [publicDisk] = await db.select({ id: diskOfferings.id }).from(diskOfferings).where(eq(diskOfferings.name, "Small disk"));
    const volume = await createVolume(db, t.callers.tenant, {
      name: "acme-secret-volume",
      zoneId: choices.zoneId,
      diskOfferingId: publicDisk!.id,
    });
    const one = async <T extends { id: string }>(rows: Promise<T[]>) => (await rows)[0]!.id;
    const ids: Record<string, string> = {
      domain: t.domains.acme.id,
      subDomain: t.domains.teamA.id,
      account: t.tenantAccount.id,
      user: u!.id,
      computeOffering: compute.id,
      diskOffering: disk.id,
      networkOffering: network.id,
      network: await one(db.select({ id: nics.networkId }).from(nics).where(eq(nics.instanceId, vm!.id))),
      nic: await one(db.select({ id: nics.id }).from(nics).where(eq(nics.instanceId, vm!.id))),
      vlanRange: await one(db.select({ id: zoneVlanRanges.id }).from(zoneVlanRanges)),
      publicIpRange: await one(db.select({ id: publicIpRanges.id }).from(publicIpRanges)),
      instance: vm!.id,
      job: vm!.jobId,
      volume: volume.id,
      zone: choices.zoneId,
      template: choices.templateId,
      pod: await one(db.select({ id: pods.id }).from(pods)),
      cluster: await one(db.select({ id: clusters.id }).from(clusters)),
      host: await one(db.select({ id: hosts.id }).from(hosts)),
      storagePool: await one(db.select({ id: storagePools.id }).from(storagePools)),
      secondaryStore: await one(db.select({ id: secondaryStores.id }).from(secondaryStores)),
      privateTemplate: await one(
        db
          .insert(templates)
          .values({
            name: "acme-secret-template",
            hypervisorType: "kvm",
            format: "qcow2",
            sizeGib: 1,
            path: "",
            isPublic: false,
            accountId: t.tenantAccount.id,
            domainId: t.domains.acme.id,
            domainPath: t.domains.acme.path,
            zoneId: choices.zoneId,
          })
          .returning({ id: templates.id }),
      ),
      snapshot: await one(
        db
          .insert(snapshots)
          .values({
            name: "acme-secret-snapshot",
            volumeId: volume.id,
            accountId: t.tenantAccount.id,
            domainId: t.domains.acme.id,
            domainPath: t.domains.acme.path,
            zoneId: choices.zoneId,
            state: "ready",
          })
          .returning({ id: snapshots.id }),
      ),
      vmSnapshot: await one(
        db
          .insert(vmSnapshots)
          .values({
            name: "acme-secret-vm-snapshot",
            instanceId: vm!.id,
            accountId: t.tenantAccount.id,
            domainId: t.domains.acme.id,
            domainPath: t.domains.acme.path,
            zoneId: choices.zoneId,
            type: "disk_and_memory",
            state: "ready",
            current: true,
          })
          .returning({ id: vmSnapshots.id }),
      ),
      snapshotPolicy: await one(
        db
          .insert(snapshotPolicies)
          .values({ volumeId: volume.id, frequency: "weekly", minute: 5, hour: 1, weekday: 2, timeZone: "Europe/Berlin", retention: 3 })
          .returning({ id: snapshotPolicies.id }),
      ),
      session: await startSession(db, { userId: u!.id, sessionVersion: 0, ip: "192.0.2.1", userAgent: "victim" }),
    };
    const victimKey = await issueApiKey(db, u!.id, { name: "acme-secret-key" }, u!.id);
    ids.apiKey = victimKey.id;
    ids.apiKeyPublic = victimKey.apiKey;
    ids.publicIp = (await acquirePublicIp(db, t.callers.tenant, ids.network!)).id;
    ids.networkRule = (
      await createFirewallRule(db, t.callers.tenant, {
        publicIpId: ids.publicIp,
        protocol: "tcp",
        startPort: 22,
        endPort: 22,
        sourceCidrs: ["0.0.0.0/0"],
      })
    ).rule.id;
    ids.loadBalancer = (
      await createLoadBalancer(db, t.callers.tenant, {
        publicIpId: ids.publicIp,
        name: "acme-secret-lb",
        publicPort: 80,
        privatePort: 8080,
        algorithm: "roundrobin",
        nicIds: [ids.nic!],
        openFirewall: false,
      })
    ).rule.id;
    // The victim's usage facts (deploy, volume) made into records, which the usage probes must not reveal.
    await aggregateUsage(db, { now: new Date(Date.now() + 2 * 3_600_000) });
    // …and priced (charges), at Acme Cloud's retail list (seeded), whose id is the pricing probes' target.
    await rateUsage(db);
    ids.priceList = (await db.select({ id: priceLists.id }).from(priceLists).where(eq(priceLists.domainId, t.domains.acme.id)))[0]!.id;
    ids.securityGroup = (await createSecurityGroup(db, t.callers.tenant, { name: "acme-secret-group" })).id;
    ids.securityGroupRule = (
      await addSecurityGroupRule(db, t.callers.tenant, {
        securityGroupId: ids.securityGroup,
        direction: "ingress",
        protocol: "tcp",
        startPort: 8443,
        endPort: 8443,
        cidr: null,
        peerSecurityGroupId: ids.securityGroup,
      })
    ).rule.id;
    // The victim's billing: a credit, a policy on its sub-domain, a webhook with a delivery in its log.
    await db.insert(credits).values({
      accountId: t.tenantAccount.id,
      domainId: t.domains.acme.id,
      domainPath: t.domains.acme.path,
      kind: "credit",
      currency: "EUR",
      amount: "12.5",
      reason: "acme-secret-credit",
    });
    await db.insert(balancePolicies).values({ domainId: t.domains.teamA.id, currency: "EUR", notifyBelow: "3" });
    ids.webhook = await one(
      db
        .insert(webhookSubscriptions)
        .values({
          domainId: t.domains.acme.id,
          domainPath: t.domains.acme.path,
          accountId: t.tenantAccount.id,
          name: "acme-secret-hook",
          url: "https://203.0.113.9/acme-secret-hook",
          secret: "whsec_acme-secret",
          eventTypes: ["*"],
        })
        .returning({ id: webhookSubscriptions.id }),
    );
    await db.insert(webhookDeliveries).values({
      subscriptionId: ids.webhook,
      accountId: t.tenantAccount.id,
      domainPath: t.domains.acme.path,
      event: "BILLING.CREDIT",
      payload: { reason: "acme-secret-credit" },
      maxAttempts: 1,
      status: "failed",
    });
    const secretIds = [
      ids.domain,
      ids.subDomain,
      ids.account,
      ids.user,
      ids.computeOffering,
      ids.diskOffering,
      ids.networkOffering,
      ids.network,
      ids.nic,
      ids.publicIp,
      ids.networkRule,
      ids.loadBalancer,
      ids.securityGroup,
      ids.securityGroupRule,
      ids.priceList,
      ids.instance,
      ids.job,
      ids.volume,
      ids.session,
      ids.apiKey,
      ids.apiKeyPublic,
      ids.privateTemplate,
      ids.snapshot,
      ids.snapshotPolicy,
      ids.vmSnapshot,
      ids.webhook,
    ] as string[];
    // An alert about the victim's VMs (a host failure), which only its account and resellers above may see.
    const [alert] = await db
      .insert(alerts)
      .values({
        rule: "vm.host_failure",
        subjectType: "account",
        subjectKey: `00000000-0000-4000-8000-00000000a1e7:${t.tenantAccount.id}`,
        subjectName: "acme-secret-vm",
        severity: "critical",
        title: "1 VM stopped by a host failure (acme-secret-alert)",
        description: "The host running acme-secret-vm went down",
        accountId: t.tenantAccount.id,
        domainPath: t.domains.acme.path,
      })
      .returning();
    secretIds.push(alert!.id);
    return {
      domainId: t.domains.acme.id,
      subDomainId: t.domains.teamA.id,
      accountId: t.tenantAccount.id,
      userId: u!.id,
      ids,
      secrets: [
        ...secretIds,
        "acme-dev",
        "Acme Cloud",
        "Team A",
        "Acme secret compute",
        "Acme retail",
        "Acme secret disk",
        "Acme secret network",
        "acme-secret-group",
        "acme-secret-vm",
        "acme-secret-volume",
        "acme-secret-template",
        "acme-secret-snapshot",
        "acme-secret-vm-snapshot",
        "acme-secret-key",
        "acme-secret-alert",
        "192.0.2.1",
        "198.51.100.10",
        "acme-secret-credit",
        "acme-secret-hook",
        "whsec_acme-secret",
      ],
    };
  },
};
