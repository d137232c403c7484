import { and, asc, count, eq, inArray } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { instances, networkOfferings, networks, nicSecurityGroups, nics, securityGroupRules, securityGroups } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { instanceScope, securityGroupScope } from "@/server/authz/scopes";
import { conflict, isUniqueViolation, notFound, ServiceError } from "@/server/core/errors";
import { recordEvent } from "@/server/core/events";
import { accountOwner } from "@/server/core/limits";
import { formatCidr, parseCidr } from "@/lib/ipv4";
import { DEFAULT_SECURITY_GROUP, type AddSecurityGroupRuleInput, type CreateSecurityGroupInput } from "@/lib/validation/security-groups";

export type SecurityGroup = typeof securityGroups.$inferSelect;
export type SecurityGroupRule = typeof securityGroupRules.$inferSelect;
type Owner = Awaited<ReturnType<typeof accountOwner>>;

const groupEvent = (tx: DbOrTx, g: SecurityGroup, type: string, description: string, actor: string | null) =>
  recordEvent(tx, {
    type,
    description,
    actorUserId: actor,
    accountId: g.accountId,
    domainId: g.domainId,
    domainPath: g.domainPath,
    resourceType: "security_group",
    resourceId: g.id,
  });

/**
 * The account's "default" group, made on first use as CloudStack does: all egress (no egress
 * rule) and ingress from members of the same group only. Two first uses at once make one group:
 * the partial unique index refuses the second insert, which then reads the first one's.
 */
export async function ensureDefaultSecurityGroup(tx: DbOrTx, owner: Owner, actor: string | null): Promise<SecurityGroup> {
  const find = async () =>
    (
      await tx
        .select()
        .from(securityGroups)
        .where(and(eq(securityGroups.accountId, owner.id), eq(securityGroups.isDefault, 1)))
    )[0];
  const existing = await find();
  if (existing) return existing;
  const [g] = await tx
    .insert(securityGroups)
    .values({
      accountId: owner.id,
      domainId: owner.domainId,
      domainPath: owner.domainPath,
      name: DEFAULT_SECURITY_GROUP,
      description: "Default security group",
      isDefault: 1,
    })
    .onConflictDoNothing()
    .returning();
  if (!g) {
    const other = await find();
    if (!other) throw conflict(`A security group named "${DEFAULT_SECURITY_GROUP}" exists but is not the default one; rename it`);
    return other;
  }
  await tx.insert(securityGroupRules).values({ securityGroupId: g.id, direction: "ingress", protocol: "all", peerSecurityGroupId: g.id });
  await groupEvent(tx, g, "SG.CREATE", `Created the default security group of account ${owner.name}`, actor);
  return g;
}

/** A group in the caller's scope, or NOT_FOUND. */
export async function getSecurityGroupInScope(db: DbOrTx, caller: Caller, id: string): Promise<SecurityGroup> {
  const [g] = await db
    .select()
    .from(securityGroups)
    .where(and(eq(securityGroups.id, id), securityGroupScope(caller)));
  if (!g) throw notFound("Security group");
  return g;
}

export async function createSecurityGroup(db: Db, caller: Caller, input: CreateSecurityGroupInput) {
  const owner = await accountOwner(db, caller.accountId);
  try {
    return await db.transaction(async (tx) => {
      await ensureDefaultSecurityGroup(tx, owner, caller.userId);
      const [g] = await tx
        .insert(securityGroups)
        .values({
          accountId: owner.id,
          domainId: owner.domainId,
          domainPath: owner.domainPath,
          name: input.name,
          description: input.description,
        })
        .returning();
      await groupEvent(tx, g!, "SG.CREATE", `Created security group ${g!.name}`, caller.userId);
      return g!;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`A security group named "${input.name}" already exists in your account`, "name");
    throw e;
  }
}

/** Deletes a group no NIC uses (CloudStack refuses too); the default group stays. Rules naming it as their peer go with it. */
export async function deleteSecurityGroup(db: Db, caller: Caller, id: string) {
  const g = await getSecurityGroupInScope(db, caller, id);
  if (g.isDefault) throw new ServiceError("PRECONDITION_FAILED", "The default security group cannot be deleted");
  const affected = await vmsReferencing(db, [g.id]);
  await db.transaction(async (tx) => {
    const [{ n } = { n: 0 }] = await tx.select({ n: count() }).from(nicSecurityGroups).where(eq(nicSecurityGroups.securityGroupId, g.id));
    if (n > 0)
      throw new ServiceError(
        "PRECONDITION_FAILED",
        `Security group ${g.name} is used by ${n} NIC${n === 1 ? "" : "s"}; move them to other groups first`,
      );
    await tx.delete(securityGroups).where(eq(securityGroups.id, g.id));
    await groupEvent(tx, g, "SG.DELETE", `Deleted security group ${g.name}`, caller.userId);
  });
  return { affectedInstanceIds: affected };
}

/** Adds a rule; a peer group must be the same account's. Returns the rule and the VMs whose filter changes. */
export async function addSecurityGroupRule(db: Db, caller: Caller, input: AddSecurityGroupRuleInput) {
  const g = await getSecurityGroupInScope(db, caller, input.securityGroupId);
  let peer: SecurityGroup | null = null;
  if (input.peerSecurityGroupId) {
    [peer = null] = await db
      .select()
      .from(securityGroups)
      .where(and(eq(securityGroups.id, input.peerSecurityGroupId), eq(securityGroups.accountId, g.accountId)));
    if (!peer) throw new ServiceError("NOT_FOUND", "Peer security group not found in this account", "peerSecurityGroupId");
  }
  const cidr = input.cidr ? formatCidr(parseCidr(input.cidr)!) : null;
  const tcpUdp = input.protocol === "tcp" || input.protocol === "udp";
  const rule = await db.transaction(async (tx) => {
    const [r] = await tx
      .insert(securityGroupRules)
      .values({
        securityGroupId: g.id,
        direction: input.direction,
        protocol: input.protocol,
        startPort: tcpUdp ? input.startPort : null,
        endPort: tcpUdp ? input.endPort : null,
        cidr,
        peerSecurityGroupId: peer?.id ?? null,
      })
      .returning();
    await groupEvent(
      tx,
      g,
      input.direction === "ingress" ? "SG.AUTH.INGRESS" : "SG.AUTH.EGRESS",
      `Security group ${g.name}: allowed ${describeRule(r!, peer?.name)}`,
      caller.userId,
    );
    return r!;
  });
  return { rule, affectedInstanceIds: await vmsReferencing(db, [g.id]) };
}

export async function removeSecurityGroupRule(db: Db, caller: Caller, ruleId: string) {
  const [row] = await db
    .select({ r: securityGroupRules, g: securityGroups })
    .from(securityGroupRules)
    .innerJoin(securityGroups, eq(securityGroups.id, securityGroupRules.securityGroupId))
    .where(and(eq(securityGroupRules.id, ruleId), securityGroupScope(caller)));
  if (!row) throw notFound("Security group rule");
  await db.transaction(async (tx) => {
    await tx.delete(securityGroupRules).where(eq(securityGroupRules.id, ruleId));
    await groupEvent(
      tx,
      row.g,
      row.r.direction === "ingress" ? "SG.REVOKE.INGRESS" : "SG.REVOKE.EGRESS",
      `Security group ${row.g.name}: revoked ${describeRule(row.r)}`,
      caller.userId,
    );
  });
  return { affectedInstanceIds: await vmsReferencing(db, [row.g.id]) };
}

export function describeRule(r: SecurityGroupRule, peerName?: string) {
  const ports = r.startPort === null ? "" : r.startPort === r.endPort ? ` port ${r.startPort}` : ` ports ${r.startPort}-${r.endPort}`;
  const peer = r.cidr ?? `group ${peerName ?? r.peerSecurityGroupId}`;
  return `${r.direction} ${r.protocol}${ports} ${r.direction === "ingress" ? "from" : "to"} ${peer}`;
}

/**
 * The VMs whose filter depends on these groups: members of them (their rules) and members of
 * groups with a rule naming one of them as the peer (their peer addresses).
 */
export async function vmsReferencing(db: DbOrTx, groupIds: string[]): Promise<string[]> {
  if (groupIds.length === 0) return [];
  const referrers = await db
    .selectDistinct({ id: securityGroupRules.securityGroupId })
    .from(securityGroupRules)
    .where(inArray(securityGroupRules.peerSecurityGroupId, groupIds));
  const all = [...new Set([...groupIds, ...referrers.map((r) => r.id)])];
  const rows = await db
    .selectDistinct({ id: nics.instanceId })
    .from(nicSecurityGroups)
    .innerJoin(nics, eq(nics.id, nicSecurityGroups.nicId))
    .where(inArray(nicSecurityGroups.securityGroupId, all));
  return rows.map((r) => r.id).sort();
}

/** Groups of the caller's scope with rule and member counts. */
export async function listSecurityGroups(db: DbOrTx, caller: Caller) {
  const groups = await db
    .select()
    .from(securityGroups)
    .where(securityGroupScope(caller))
    .orderBy(asc(securityGroups.name), asc(securityGroups.id));
  if (groups.length === 0) return { items: [] };
  const ids = groups.map((g) => g.id);
  const rules = await db
    .select({ id: securityGroupRules.securityGroupId, n: count() })
    .from(securityGroupRules)
    .where(inArray(securityGroupRules.securityGroupId, ids))
    .groupBy(securityGroupRules.securityGroupId);
  const members = await db
    .select({ id: nicSecurityGroups.securityGroupId, n: count() })
    .from(nicSecurityGroups)
    .where(inArray(nicSecurityGroups.securityGroupId, ids))
    .groupBy(nicSecurityGroups.securityGroupId);
  const by = (rows: { id: string; n: number }[]) => new Map(rows.map((r) => [r.id, Number(r.n)]));
  const [rc, mc] = [by(rules), by(members)];
  return {
    items: groups.map((g) => ({ ...g, isDefault: g.isDefault === 1, ruleCount: rc.get(g.id) ?? 0, memberCount: mc.get(g.id) ?? 0 })),
  };
}

/** One group with its rules (peer names resolved) and its member NICs. */
export async function getSecurityGroupDetail(db: DbOrTx, caller: Caller, id: string) {
  const g = await getSecurityGroupInScope(db, caller, id);
  const rules = await db
    .select()
    .from(securityGroupRules)
    .where(eq(securityGroupRules.securityGroupId, g.id))
    .orderBy(asc(securityGroupRules.direction), asc(securityGroupRules.createdAt), asc(securityGroupRules.id));
  const peerIds = [...new Set(rules.map((r) => r.peerSecurityGroupId).filter((p): p is string => p !== null))];
  const peers = peerIds.length
    ? await db.select({ id: securityGroups.id, name: securityGroups.name }).from(securityGroups).where(inArray(securityGroups.id, peerIds))
    : [];
  const peerName = new Map(peers.map((p) => [p.id, p.name]));
  const members = await db
    .select({
      nicId: nics.id,
      ip: nics.ip,
      mac: nics.mac,
      instanceId: instances.id,
      instanceName: instances.name,
      networkName: networks.name,
    })
    .from(nicSecurityGroups)
    .innerJoin(nics, eq(nics.id, nicSecurityGroups.nicId))
    .innerJoin(instances, eq(instances.id, nics.instanceId))
    .innerJoin(networks, eq(networks.id, nics.networkId))
    .where(eq(nicSecurityGroups.securityGroupId, g.id))
    .orderBy(asc(instances.name));
  return {
    ...g,
    isDefault: g.isDefault === 1,
    rules: rules.map((r) => ({ ...r, peerName: r.peerSecurityGroupId ? (peerName.get(r.peerSecurityGroupId) ?? null) : null })),
    members,
  };
}

/** The groups a new NIC joins: the given ones (the account's own), or the account's default group. `field` names them in errors. */
export async function groupsForNewNic(tx: DbOrTx, owner: Owner, ids: string[] | undefined, actor: string | null, field: string) {
  if (!ids || ids.length === 0) return [(await ensureDefaultSecurityGroup(tx, owner, actor)).id];
  const found = await tx
    .select({ id: securityGroups.id })
    .from(securityGroups)
    .where(and(inArray(securityGroups.id, ids), eq(securityGroups.accountId, owner.id)));
  if (found.length !== new Set(ids).size) throw new ServiceError("NOT_FOUND", "Security group not found in this account", field);
  return [...new Set(ids)];
}

/** Does the network filter its NICs by security group? Shared networks do (CloudStack's security-group zones). */
export async function networkUsesSecurityGroups(db: DbOrTx, networkId: string): Promise<boolean> {
  const [row] = await db
    .select({ t: networkOfferings.guestType })
    .from(networks)
    .innerJoin(networkOfferings, eq(networkOfferings.id, networks.networkOfferingId))
    .where(eq(networks.id, networkId));
  return row?.t === "shared";
}

/** Replaces the groups of a NIC on a shared network of a stopped VM. Returns the VMs whose filter changes. */
export async function setNicSecurityGroups(db: Db, caller: Caller, input: { nicId: string; securityGroupIds: string[] }) {
  const [row] = await db
    .select({ nic: nics, vm: instances })
    .from(nics)
    .innerJoin(instances, eq(instances.id, nics.instanceId))
    .where(eq(nics.id, input.nicId));
  // The NIC is the caller's when its VM is: the VM's scope, checked through the group scope's owner rule.
  if (!row || !(await instanceVisible(db, caller, row.vm.id))) throw notFound("NIC");
  if (!(await networkUsesSecurityGroups(db, row.nic.networkId)))
    throw new ServiceError("BAD_REQUEST", "Only NICs on shared networks have security groups", "nicId");
  if (row.vm.state !== "stopped") throw new ServiceError("CONFLICT", `Stop ${row.vm.name} before changing its security groups`, "nicId");
  const before = await db.select().from(nicSecurityGroups).where(eq(nicSecurityGroups.nicId, row.nic.id));
  const owner = await accountOwner(db, row.vm.accountId);
  await db.transaction(async (tx) => {
    const ids = await groupsForNewNic(tx, owner, input.securityGroupIds, caller.userId, "securityGroupIds");
    await tx.delete(nicSecurityGroups).where(eq(nicSecurityGroups.nicId, row.nic.id));
    await tx.insert(nicSecurityGroups).values(ids.map((securityGroupId) => ({ nicId: row.nic.id, securityGroupId })));
  });
  return {
    affectedInstanceIds: await vmsReferencing(db, [...new Set([...before.map((b) => b.securityGroupId), ...input.securityGroupIds])]),
  };
}

async function instanceVisible(db: DbOrTx, caller: Caller, instanceId: string) {
  const [vm] = await db
    .select({ id: instances.id })
    .from(instances)
    .where(and(eq(instances.id, instanceId), instanceScope(caller)));
  return !!vm;
}
