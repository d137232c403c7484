import { randomUUID } from "node:crypto";
import { isNull } from "drizzle-orm";
import type { Db } from "./index";
import {
  accounts,
  clusters,
  computeOfferings,
  diskOfferings,
  domains,
  hosts,
  networkOfferings,
  pods,
  priceListMargins,
  priceLists,
  secondaryStores,
  storagePools,
  tariffs,
  templates,
  users,
  zoneVlanRanges,
  zones,
} from "./schema";
import { hashPassword } from "../server/auth/password";
import { createCounters, defaultAccountLimits } from "../server/core/limits";

/** The demo logins, also listed in the README. Change them after first start on a shared machine. */
export const demoLogins = [
  { role: "root admin", username: "admin", password: "stratus-admin" },
  { role: "reseller (domain admin of Acme Cloud)", username: "reseller", password: "stratus-reseller" },
  { role: "tenant (account acme-dev)", username: "tenant", password: "stratus-tenant" },
] as const;

/** True when the database has no ROOT domain yet, i.e. this is the first start. */
export async function needsSeed(db: Db): Promise<boolean> {
  const root = await db.select({ id: domains.id }).from(domains).where(isNull(domains.parentId)).limit(1);
  return root.length === 0;
}

async function addDomain(tx: Db, parent: { id: string; path: string; level: number } | null, name: string) {
  const id = randomUUID();
  const row = { id, parentId: parent?.id ?? null, name, path: `${parent?.path ?? "/"}${id}/`, level: parent ? parent.level + 1 : 0 };
  await tx.insert(domains).values(row);
  await createCounters(tx, { domainId: id });
  return row;
}

async function addAccount(
  tx: Db,
  domainId: string,
  name: string,
  type: "user" | "domain_admin" | "root_admin",
  user: { username: string; passwordHash: string; firstName?: string },
) {
  const id = randomUUID();
  await tx.insert(accounts).values({ id, domainId, name, type });
  await createCounters(tx, { accountId: id }, type === "user" ? defaultAccountLimits : {});
  await tx.insert(users).values({ accountId: id, username: user.username, passwordHash: user.passwordHash, firstName: user.firstName });
  return id;
}

/**
 * Seeds ROOT and the root admin, and with `demo` a whole demo cloud: a simulator zone with 4 hosts,
 * storage, offerings, a reseller domain with a tenant account, and a sibling domain.
 */
export async function seed(db: Db, opts: { demo: boolean }) {
  // Hash before the transaction: no slow work while it is open (PGlite has one connection).
  const [adminHash, resellerHash, tenantHash, globexHash] = await Promise.all(
    [...demoLogins.map((l) => l.password), "stratus-globex"].map((p) => hashPassword(p)),
  );
  await db.transaction(async (t) => {
    const tx = t as unknown as Db;
    const root = await addDomain(tx, null, "ROOT");
    await addAccount(tx, root.id, "admin", "root_admin", { username: "admin", passwordHash: adminHash!, firstName: "Root" });
    await seedNetworkOfferings(tx);
    if (!opts.demo) return;

    const acme = await addDomain(tx, root, "Acme Cloud");
    await addAccount(tx, acme.id, "acme-admins", "domain_admin", { username: "reseller", passwordHash: resellerHash!, firstName: "Rita" });
    await addAccount(tx, acme.id, "acme-dev", "user", { username: "tenant", passwordHash: tenantHash!, firstName: "Tom" });
    const globex = await addDomain(tx, root, "Globex");
    await addAccount(tx, globex.id, "globex-ops", "user", { username: "globex", passwordHash: globexHash! });

    const [zone] = await tx.insert(zones).values({ name: "Zone 1", description: "Simulator zone" }).returning();
    await tx.insert(zoneVlanRanges).values({ zoneId: zone!.id, startId: 100, endId: 3999 });
    const [pod] = await tx.insert(pods).values({ zoneId: zone!.id, name: "Pod 1" }).returning();
    const [cluster] = await tx
      .insert(clusters)
      .values({ zoneId: zone!.id, podId: pod!.id, name: "Cluster 1", hypervisorType: "simulator", cpuOvercommit: 2, memoryOvercommit: 1 })
      .returning();
    await tx.insert(hosts).values(
      [1, 2, 3, 4].map((n) => ({
        zoneId: zone!.id,
        podId: pod!.id,
        clusterId: cluster!.id,
        name: `sim-host-${n}`,
        hypervisorType: "simulator" as const,
        address: `sim://host-${n}`,
        cpuCores: 32,
        cpuMhz: 2400,
        memoryMib: 131072,
        tags: n === 4 ? ["ssd", "gpu"] : ["ssd"],
      })),
    );
    await tx.insert(storagePools).values({
      zoneId: zone!.id,
      clusterId: cluster!.id,
      name: "primary-1",
      type: "simulator",
      path: "sim://primary-1",
      capacityGib: 10240,
      tags: ["ssd"],
    });
    await tx.insert(secondaryStores).values({ zoneId: zone!.id, name: "secondary-1", path: "sim://secondary-1", capacityGib: 20480 });
    await tx.insert(computeOfferings).values([
      { name: "Small", displayText: "1 vCPU, 1 GiB", cpuCores: 1, cpuMhz: 1000, memoryMib: 1024 },
      { name: "Medium", displayText: "2 vCPUs, 4 GiB", cpuCores: 2, cpuMhz: 2000, memoryMib: 4096 },
      { name: "Large", displayText: "4 vCPUs, 8 GiB", cpuCores: 4, cpuMhz: 2000, memoryMib: 8192 },
    ]);
    await tx.insert(templates).values([
      {
        name: "Debian 12",
        displayText: "Debian 12 Bookworm (simulated)",
        osType: "Debian GNU/Linux 12 (64-bit)",
        hypervisorType: "simulator",
        format: "simulator",
        sizeGib: 10,
        path: "sim://templates/debian-12",
      },
      {
        name: "Ubuntu 24.04",
        displayText: "Ubuntu 24.04 LTS (simulated)",
        osType: "Ubuntu 24.04 (64-bit)",
        hypervisorType: "simulator",
        format: "simulator",
        sizeGib: 10,
        path: "sim://templates/ubuntu-24.04",
      },
      {
        name: "Tiny Linux",
        displayText: "A minimal BusyBox guest (simulated)",
        osType: "Other Linux (64-bit)",
        hypervisorType: "simulator",
        format: "simulator",
        sizeGib: 1,
        path: "sim://templates/tiny",
      },
    ]);
    await tx.insert(diskOfferings).values([
      { name: "Small disk", displayText: "20 GiB", sizeGib: 20 },
      { name: "Custom disk", displayText: "Choose 1–1024 GiB", customSize: true, minGib: 1, maxGib: 1024 },
    ]);
    await seedPrices(tx, root.id, acme.id);
  });
}

/**
 * The demo's prices: a wholesale list on ROOT (EUR, sub-lists allowed) and Acme Cloud's retail list
 * at 20 % over it, in force from the hour of seeding (docs/usage.md#pricing).
 */
async function seedPrices(tx: Db, rootId: string, acmeId: string) {
  const from = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  const [wholesale] = await tx
    .insert(priceLists)
    .values({ domainId: rootId, name: "Wholesale", currency: "EUR", mode: "own", allowSubLists: true, effectiveFrom: from })
    .returning();
  const t = (usageType: number, basis: "hour" | "gib_hour" | "gib" | "vcpu_hour" | "gib_ram_hour", unitPrice: string) => ({
    priceListId: wholesale!.id,
    usageType,
    basis,
    unitPrice,
    effectiveFrom: from,
  });
  await tx
    .insert(tariffs)
    .values([
      t(1, "vcpu_hour", "0.012"),
      t(1, "gib_ram_hour", "0.004"),
      t(3, "hour", "0.005"),
      t(4, "gib", "0.02"),
      t(6, "gib_hour", "0.0001"),
      t(9, "gib_hour", "0.00005"),
      t(25, "gib_hour", "0.0001"),
      t(7, "gib_hour", "0.00005"),
      t(8, "gib_hour", "0.00005"),
    ]);
  const [retail] = await tx
    .insert(priceLists)
    .values({ domainId: acmeId, name: "Acme retail", currency: "EUR", mode: "margin", allowSubLists: false, effectiveFrom: from })
    .returning();
  await tx.insert(priceListMargins).values({ priceListId: retail!.id, marginPercent: "20", effectiveFrom: from });
}

/**
 * The network offerings every install starts with (CloudStack's defaults): the isolated one is the
 * default, used for the network an account's first deploy creates.
 */
async function seedNetworkOfferings(tx: Db) {
  await tx.insert(networkOfferings).values([
    {
      name: "Default isolated",
      displayText: "Isolated network with a virtual router: DHCP, DNS, source NAT, port forwarding, firewall, load balancing",
      guestType: "isolated",
      services: ["Dhcp", "Dns", "SourceNat", "StaticNat", "PortForwarding", "Firewall", "Lb", "UserData"],
      egressDefault: "allow",
      isDefault: true,
    },
    { name: "Shared", displayText: "Shared network with DHCP and DNS", guestType: "shared", services: ["Dhcp", "Dns", "UserData"] },
    { name: "L2", displayText: "Layer-2 network: no router, no IPAM", guestType: "l2", services: [] },
  ]);
}
