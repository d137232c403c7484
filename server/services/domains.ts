import { randomUUID } from "node:crypto";
import { and, asc, count, eq, inArray, isNull, like, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import {
  accounts,
  computeOfferings,
  diskOfferings,
  domains,
  events,
  instances,
  jobs,
  resourceCounters,
  snapshots,
  templateShares,
  templates,
  volumes,
} from "@/db/schema";
import { type Caller, escapeLike, isRootAdmin } from "@/server/authz/caller";
import { domainScope } from "@/server/authz/scopes";
import type { CreateDomainInput } from "@/lib/validation/identity";
import { badRequest, conflict, isUniqueViolation, notFound } from "@/server/core/errors";
import { recordEvent } from "@/server/core/events";
import { createCounters, LimitExceededError, pathIds } from "@/server/core/limits";

export type Domain = typeof domains.$inferSelect;

/** A domain the caller may see, or NOT_FOUND (never FORBIDDEN: do not reveal it exists). A removed domain is gone. */
export async function getDomainInScope(db: DbOrTx, caller: Caller, id: string): Promise<Domain> {
  const [d] = await db
    .select()
    .from(domains)
    .where(and(eq(domains.id, id), domainScope(caller)));
  if (!d) throw notFound("Domain");
  return d;
}

/**
 * A domain the caller may change: strictly below its own domain for a reseller (it manages
 * sub-domains, not its own), anything but ROOT for the root admin.
 */
async function getManagedSubdomain(db: DbOrTx, caller: Caller, id: string): Promise<Domain> {
  const d = await getDomainInScope(db, caller, id);
  if (d.parentId === null) throw badRequest("The ROOT domain cannot be changed", "id");
  if (!isRootAdmin(caller) && d.id === caller.domainId)
    throw badRequest("You cannot change your own domain; ask your parent domain's administrator", "id");
  return d;
}

export interface DomainNode extends Domain {
  accountCount: number;
  childCount: number;
}

/** The caller's whole visible tree, ordered by path, with account and child counts. */
export async function listDomainTree(db: DbOrTx, caller: Caller): Promise<DomainNode[]> {
  const rows = await db.select().from(domains).where(domainScope(caller)).orderBy(asc(domains.level), asc(domains.name)).limit(5000);
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const accountCounts = await db
    .select({ domainId: accounts.domainId, n: count() })
    .from(accounts)
    .where(and(inArray(accounts.domainId, ids), isNull(accounts.removedAt)))
    .groupBy(accounts.domainId);
  const byDomain = new Map(accountCounts.map((a) => [a.domainId, a.n]));
  const children = new Map<string, number>();
  for (const r of rows) if (r.parentId) children.set(r.parentId, (children.get(r.parentId) ?? 0) + 1);
  return rows.map((r) => ({ ...r, accountCount: byDomain.get(r.id) ?? 0, childCount: children.get(r.id) ?? 0 }));
}

/** Human-readable path "ROOT/reseller/sub" for a materialised id path. */
export async function domainDisplayPaths(db: DbOrTx, paths: string[]): Promise<Map<string, string>> {
  const ids = [...new Set(paths.flatMap(pathIds))];
  if (ids.length === 0) return new Map();
  const rows = await db.select({ id: domains.id, name: domains.name }).from(domains).where(inArray(domains.id, ids));
  const names = new Map(rows.map((r) => [r.id, r.name]));
  return new Map(
    paths.map((p) => [
      p,
      pathIds(p)
        .map((i) => names.get(i) ?? "?")
        .join("/"),
    ]),
  );
}

export async function createDomain(db: Db, caller: Caller, input: CreateDomainInput): Promise<Domain> {
  const parent = await getDomainInScope(db, caller, input.parentId);
  const id = randomUUID();
  try {
    return await db.transaction(async (tx) => {
      await lockLiveDomain(tx, parent.id);
      const [d] = await tx
        .insert(domains)
        .values({ id, parentId: parent.id, name: input.name, path: `${parent.path}${id}/`, level: parent.level + 1 })
        .returning();
      await createCounters(tx, { domainId: id });
      await recordEvent(tx, {
        type: "DOMAIN.CREATE",
        description: `Created domain ${input.name} under ${parent.name}`,
        actorUserId: caller.userId,
        domainId: id,
        domainPath: d!.path,
        resourceType: "domain",
        resourceId: id,
      });
      return d!;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`A domain named "${input.name}" already exists under ${parent.name}`, "name");
    throw e;
  }
}

export async function renameDomain(db: Db, caller: Caller, input: { id: string; name: string }): Promise<Domain> {
  const d = await getManagedSubdomain(db, caller, input.id);
  try {
    return await db.transaction(async (tx) => {
      const [updated] = await tx.update(domains).set({ name: input.name }).where(eq(domains.id, d.id)).returning();
      await recordEvent(tx, {
        type: "DOMAIN.UPDATE",
        description: `Renamed domain ${d.name} to ${input.name}`,
        actorUserId: caller.userId,
        domainId: d.id,
        domainPath: d.path,
        resourceType: "domain",
        resourceId: d.id,
      });
      return updated!;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`A sibling domain named "${input.name}" already exists`, "name");
    throw e;
  }
}

/**
 * Moves a domain (with its subtree) under a new parent in the caller's scope. Rewrites the
 * materialised paths of the subtree and of its events, and moves the subtree's resource use from
 * the old ancestors to the new ones, checking the new ancestors' limits.
 */
export async function moveDomain(db: Db, caller: Caller, input: { id: string; parentId: string }): Promise<Domain> {
  const d = await getManagedSubdomain(db, caller, input.id);
  const parent = await getDomainInScope(db, caller, input.parentId);
  if (parent.path.startsWith(d.path)) throw badRequest("A domain cannot be moved into itself or its own sub-domains", "parentId");
  if (parent.id === d.parentId) return d;
  const oldPrefix = d.path;
  const newPrefix = `${parent.path}${d.id}/`;
  const levelShift = parent.level + 1 - d.level;
  try {
    return await db.transaction(async (tx) => {
      await transferSubtreeUse(tx, d, pathIds(d.path).slice(0, -1), pathIds(parent.path));
      const subtree = like(domains.path, `${escapeLike(oldPrefix)}%`);
      await tx
        .update(domains)
        .set({
          path: sql`${newPrefix} || substr(${domains.path}, ${oldPrefix.length + 1})`,
          level: sql`${domains.level} + ${levelShift}`,
        })
        .where(subtree);
      await tx.update(domains).set({ parentId: parent.id }).where(eq(domains.id, d.id));
      // Copies of the path kept for scope filters follow the subtree.
      for (const t of [events, instances, jobs, volumes, snapshots, templates, templateShares] as const) {
        await tx
          .update(t)
          .set({ domainPath: sql`${newPrefix} || substr(${t.domainPath}, ${oldPrefix.length + 1})` })
          .where(like(t.domainPath, `${escapeLike(oldPrefix)}%`));
      }
      await recordEvent(tx, {
        type: "DOMAIN.MOVE",
        description: `Moved domain ${d.name} under ${parent.name}`,
        actorUserId: caller.userId,
        domainId: d.id,
        domainPath: newPrefix,
        resourceType: "domain",
        resourceId: d.id,
      });
      const [moved] = await tx.select().from(domains).where(eq(domains.id, d.id));
      return moved!;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`${parent.name} already has a sub-domain named "${d.name}"`, "parentId");
    throw e;
  }
}

/** Subtracts the subtree's use from ancestors it leaves and adds it (limit-checked) to those it joins. */
async function transferSubtreeUse(tx: DbOrTx, d: Domain, oldAncestors: string[], newAncestors: string[]) {
  const leaving = oldAncestors.filter((id) => !newAncestors.includes(id));
  const joining = newAncestors.filter((id) => !oldAncestors.includes(id));
  const own = await tx.select().from(resourceCounters).where(eq(resourceCounters.domainId, d.id));
  const use = new Map(own.filter((r) => r.used > 0).map((r) => [r.resourceType, r.used]));
  if (use.size === 0) return;
  const locked = await tx
    .select()
    .from(resourceCounters)
    .where(and(inArray(resourceCounters.domainId, [...leaving, ...joining]), inArray(resourceCounters.resourceType, [...use.keys()])))
    .orderBy(asc(resourceCounters.id))
    .for("update");
  for (const r of locked) {
    const amount = use.get(r.resourceType) ?? 0;
    const joins = joining.includes(r.domainId!);
    if (joins && r.max !== null && r.used + amount > r.max) {
      const [anc] = await tx.select({ name: domains.name }).from(domains).where(eq(domains.id, r.domainId!));
      throw new LimitExceededError(r.resourceType, { kind: "domain", name: anc?.name ?? "?" }, r.max, r.used, amount);
    }
    await tx
      .update(resourceCounters)
      .set({ used: joins ? r.used + amount : r.used - amount })
      .where(eq(resourceCounters.id, r.id));
  }
}

/**
 * Deletes an empty domain: no sub-domains, no accounts (an account being deleted still counts until
 * its cleanup is done), no offerings. The row is marked removed, not deleted: removed accounts and
 * the history (events, usage facts, expunged instances) still point at it; its name is free again.
 */
export async function deleteDomain(db: Db, caller: Caller, id: string): Promise<void> {
  const d = await getManagedSubdomain(db, caller, id);
  await db.transaction(async (tx) => {
    // FOR UPDATE: an account or sub-domain being created here (lockLiveDomain, FOR SHARE) either
    // committed before the counts below see it, or waits and then finds the domain removed.
    const [locked] = await tx
      .select({ id: domains.id })
      .from(domains)
      .where(and(eq(domains.id, d.id), isNull(domains.removedAt)))
      .for("update");
    if (!locked) throw notFound("Domain");
    const [[children], [accts], [offers], [disks]] = await Promise.all([
      tx
        .select({ n: count() })
        .from(domains)
        .where(and(eq(domains.parentId, d.id), isNull(domains.removedAt))),
      tx
        .select({ n: count() })
        .from(accounts)
        .where(and(eq(accounts.domainId, d.id), isNull(accounts.removedAt))),
      tx.select({ n: count() }).from(computeOfferings).where(eq(computeOfferings.domainId, d.id)),
      tx.select({ n: count() }).from(diskOfferings).where(eq(diskOfferings.domainId, d.id)),
    ]);
    const blockers = [
      children!.n ? `${children!.n} sub-domain(s)` : "",
      accts!.n ? `${accts!.n} account(s)` : "",
      offers!.n + disks!.n ? `${offers!.n + disks!.n} offering(s)` : "",
    ].filter(Boolean);
    if (blockers.length) throw badRequest(`Domain ${d.name} still has ${blockers.join(", ")}; delete them first`, "id");
    await tx.update(domains).set({ removedAt: new Date() }).where(eq(domains.id, d.id));
    await recordEvent(tx, {
      type: "DOMAIN.DELETE",
      description: `Deleted domain ${d.name}`,
      actorUserId: caller.userId,
      domainId: d.parentId,
      domainPath: d.path.slice(0, d.path.length - d.id.length - 1),
      resourceType: "domain",
      resourceId: d.id,
    });
  });
}

/** Inside a creating transaction: the domain still exists (not removed meanwhile), locked FOR SHARE until commit. */
export async function lockLiveDomain(tx: DbOrTx, id: string): Promise<void> {
  const [d] = await tx
    .select({ id: domains.id })
    .from(domains)
    .where(and(eq(domains.id, id), isNull(domains.removedAt)))
    .for("share");
  if (!d) throw notFound("Domain");
}
