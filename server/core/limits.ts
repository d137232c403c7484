import { and, asc, eq, inArray, or, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { accounts, domains, resourceCounters } from "@/db/schema";
import { defaultAccountLimits, resourceLabels, resourceTypes, type ResourceType } from "@/lib/resource-types";

export { defaultAccountLimits, resourceLabels, resourceTypes, type ResourceType };
import { ServiceError, badRequest, notFound } from "./errors";

export type Deltas = Partial<Record<ResourceType, number>>;
export type Limits = Partial<Record<ResourceType, number | null>>;

export class LimitExceededError extends ServiceError {
  constructor(
    readonly resourceType: ResourceType,
    readonly owner: { kind: "account" | "domain"; name: string },
    readonly max: number,
    readonly used: number,
    readonly requested: number,
  ) {
    super(
      "PRECONDITION_FAILED",
      `${resourceLabels[resourceType]} limit reached for ${owner.kind} ${owner.name}: ${used} of ${max} in use, ${requested} more requested`,
      resourceType,
    );
  }
}

/** Creates the counter rows of a new account or domain (call in the creating transaction). */
export async function createCounters(db: DbOrTx, owner: { accountId: string } | { domainId: string }, limits: Limits = {}) {
  await db.insert(resourceCounters).values(
    resourceTypes.map((t) => ({
      accountId: "accountId" in owner ? owner.accountId : null,
      domainId: "domainId" in owner ? owner.domainId : null,
      resourceType: t,
      max: limits[t] ?? null,
    })),
  );
}

/** Ids of a domain and its ancestors, from its materialised path. */
export function pathIds(path: string): string[] {
  return path.split("/").filter(Boolean);
}

/** An account with its domain (id and materialised path): who owns, and whose limits count. */
export async function accountOwner(db: DbOrTx, accountId: string) {
  const [row] = await db
    .select({ id: accounts.id, name: accounts.name, domainId: domains.id, domainPath: domains.path })
    .from(accounts)
    .innerJoin(domains, eq(domains.id, accounts.domainId))
    .where(eq(accounts.id, accountId));
  if (!row) throw notFound("Account");
  return row;
}

/**
 * Nothing new is created in an account being deleted. Locks its row FOR SHARE, so either a deletion
 * waits for this transaction (and its cleanup then finds what it created) or this transaction
 * waits for the deletion and sees it. Call inside the creating transaction.
 */
export async function lockOpenAccount(tx: DbOrTx, accountId: string) {
  const [a] = await tx.select({ name: accounts.name, state: accounts.state }).from(accounts).where(eq(accounts.id, accountId)).for("share");
  if (!a) throw notFound("Account");
  if (a.state === "removing" || a.state === "removed") {
    throw new ServiceError("PRECONDITION_FAILED", `Account ${a.name} is being deleted; nothing new can be created in it`);
  }
}

async function ownerChain(db: DbOrTx, accountId: string) {
  const owner = await accountOwner(db, accountId);
  return { accountName: owner.name, domainIds: pathIds(owner.domainPath) };
}

/**
 * Consumes `deltas` from an account and every ancestor domain, atomically, in one conditional
 * update: every counter row of the owner chain is incremented only if it stays within its limit
 * (PostgreSQL re-checks the condition after waiting for a concurrent consumer's lock). If any row
 * refused, fewer rows come back than exist; the refusal is explained and thrown, and the caller's
 * transaction rolls the other increments back. Must run inside the caller's transaction.
 */
export async function consume(tx: DbOrTx, accountId: string, deltas: Deltas, known?: { accountName: string; domainPath: string }) {
  for (const t of Object.keys(deltas) as ResourceType[])
    if ((deltas[t] ?? 0) < 0) throw badRequest(`Cannot consume a negative amount of ${t}`);
  await adjust(tx, accountId, deltas, known);
}

/**
 * Consumes the positive deltas and gives back the negative ones, in ONE call (one conditional
 * update of the owner chain's counters, locked in id order): a change that takes more of one thing
 * and less of another (a VM's new offering: more memory, fewer vCPUs) is one counter step in its
 * transaction. Only an increase is checked against its limit; a decrease always goes through.
 */
export async function adjust(tx: DbOrTx, accountId: string, deltas: Deltas, known?: { accountName: string; domainPath: string }) {
  const types = (Object.keys(deltas) as ResourceType[]).filter((t) => (deltas[t] ?? 0) !== 0);
  if (types.length === 0) return;
  // Nothing new is taken in an account being deleted; giving back is always allowed.
  if (types.some((t) => (deltas[t] ?? 0) > 0)) await lockOpenAccount(tx, accountId);
  // Callers that already know the owner's domain path save a query while the locks are held.
  const { accountName, domainIds } = known
    ? { accountName: known.accountName, domainIds: pathIds(known.domainPath) }
    : await ownerChain(tx, accountId);
  const owners = or(eq(resourceCounters.accountId, accountId), inArray(resourceCounters.domainId, domainIds));
  const delta = sql`(case ${resourceCounters.resourceType} ${sql.join(
    types.map((t) => sql`when ${t}::resource_type then ${deltas[t]}::bigint`),
    sql` `,
  )} else 0 end)`;
  // The sub-select locks the rows in id order, so concurrent consumers never deadlock.
  const locked = tx
    .select({ id: resourceCounters.id })
    .from(resourceCounters)
    .where(and(owners, inArray(resourceCounters.resourceType, types)))
    .orderBy(asc(resourceCounters.id))
    .for("update");
  const updated = await tx
    .update(resourceCounters)
    .set({ used: sql`${resourceCounters.used} + ${delta}` })
    .where(
      and(
        inArray(resourceCounters.id, locked),
        sql`(${delta} <= 0 or ${resourceCounters.max} is null or ${resourceCounters.used} + ${delta} <= ${resourceCounters.max})`,
      ),
    )
    .returning({ id: resourceCounters.id });
  const expected = (1 + domainIds.length) * types.length;
  if (updated.length === expected) return;
  // Refused: say which limit, reading the counters as they are now (after our own increments).
  const rows = await tx
    .select()
    .from(resourceCounters)
    .where(and(owners, inArray(resourceCounters.resourceType, types)));
  const mine = new Set(updated.map((u) => u.id));
  for (const r of rows) {
    if (mine.has(r.id) || r.max === null) continue;
    const owner = r.accountId
      ? { kind: "account" as const, name: accountName }
      : { kind: "domain" as const, name: await domainName(tx, r.domainId!) };
    throw new LimitExceededError(r.resourceType, owner, r.max, r.used, deltas[r.resourceType] ?? 0);
  }
  throw new ServiceError("CONFLICT", "Resource counters are missing for this account; ask an administrator to recount them");
}

/** Gives back what `consume` took (on release, destroy, or a failed allocation's cleanup). */
export async function release(tx: DbOrTx, accountId: string, deltas: Deltas) {
  const types = (Object.keys(deltas) as ResourceType[]).filter((t) => (deltas[t] ?? 0) !== 0);
  if (types.length === 0) return;
  const { domainIds } = await ownerChain(tx, accountId);
  const rows = await tx
    .select({ id: resourceCounters.id })
    .from(resourceCounters)
    .where(
      and(
        or(eq(resourceCounters.accountId, accountId), inArray(resourceCounters.domainId, domainIds)),
        inArray(resourceCounters.resourceType, types),
      ),
    )
    .orderBy(asc(resourceCounters.id))
    .for("update");
  await applyDeltas(
    tx,
    rows.map((r) => r.id),
    deltas,
    -1,
  );
}

async function applyDeltas(tx: DbOrTx, ids: string[], deltas: Deltas, sign: 1 | -1) {
  if (ids.length === 0) return;
  const cases = sql.join(
    (Object.entries(deltas) as [ResourceType, number][]).map(([t, d]) => sql`when ${t}::resource_type then ${sign * d}::bigint`),
    sql` `,
  );
  await tx
    .update(resourceCounters)
    .set({ used: sql`${resourceCounters.used} + (case ${resourceCounters.resourceType} ${cases} else 0 end)` })
    .where(inArray(resourceCounters.id, ids));
}

async function domainName(db: DbOrTx, id: string) {
  const [d] = await db.select({ name: domains.name }).from(domains).where(eq(domains.id, id));
  return d?.name ?? id;
}

export interface LimitRow {
  resourceType: ResourceType;
  label: string;
  max: number | null;
  used: number;
}

function toRows(rows: { resourceType: ResourceType; max: number | null; used: number }[]): LimitRow[] {
  const byType = new Map(rows.map((r) => [r.resourceType, r]));
  return resourceTypes.map((t) => ({
    resourceType: t,
    label: resourceLabels[t],
    max: byType.get(t)?.max ?? null,
    used: byType.get(t)?.used ?? 0,
  }));
}

export async function accountLimits(db: DbOrTx, accountId: string): Promise<LimitRow[]> {
  const rows = await db.select().from(resourceCounters).where(eq(resourceCounters.accountId, accountId));
  return toRows(rows);
}

export async function domainLimits(db: DbOrTx, domainId: string): Promise<LimitRow[]> {
  const rows = await db.select().from(resourceCounters).where(eq(resourceCounters.domainId, domainId));
  return toRows(rows);
}

/** Sets limits on one owner's counters (NULL = unlimited). Authorisation is the caller's job. */
export async function writeLimits(db: DbOrTx, owner: { accountId: string } | { domainId: string }, limits: Limits) {
  for (const [t, max] of Object.entries(limits) as [ResourceType, number | null | undefined][]) {
    if (max === undefined) continue;
    const ownerCond =
      "accountId" in owner ? eq(resourceCounters.accountId, owner.accountId) : eq(resourceCounters.domainId, owner.domainId);
    await db
      .update(resourceCounters)
      .set({ max })
      .where(and(ownerCond, eq(resourceCounters.resourceType, t)));
  }
}
