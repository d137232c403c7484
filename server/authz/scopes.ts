import { and, eq, isNull, or, sql, type SQL } from "drizzle-orm";
import {
  accounts,
  domains,
  events,
  instances,
  jobs,
  networks,
  publicIps,
  securityGroups,
  snapshots,
  templateShares,
  templates,
  usageRecords,
  users,
  vmSnapshots,
  volumes,
} from "@/db/schema";
import { type Caller, domainPathCondition, isRootAdmin, ownedCondition } from "./caller";

/**
 * What a caller may see of each table, written once as a SQL condition and used by lists and by
 * get-by-id alike (`WHERE id = $1 AND <scope>`, no row → NOT_FOUND). Undefined: no restriction.
 * Users see their own account's rows, resellers their domain's subtree, the root admin everything.
 */

/** Instances (expunged ones are filtered separately: lists may ask for them). */
export const instanceScope = (c: Caller): SQL | undefined =>
  ownedCondition(c, { accountId: instances.accountId, domainPath: instances.domainPath });

/** Volumes (expunged ones are filtered separately, as for instances). */
export const volumeScope = (c: Caller): SQL | undefined =>
  ownedCondition(c, { accountId: volumes.accountId, domainPath: volumes.domainPath });

/** Volume snapshots (destroyed ones are filtered separately). */
export const snapshotScope = (c: Caller): SQL | undefined =>
  ownedCondition(c, { accountId: snapshots.accountId, domainPath: snapshots.domainPath });

/** VM snapshots (deleted ones are filtered separately). */
export const vmSnapshotScope = (c: Caller): SQL | undefined =>
  ownedCondition(c, { accountId: vmSnapshots.accountId, domainPath: vmSnapshots.domainPath });

/** Guest networks (an account's own; resellers their subtree's). */
export const networkScope = (c: Caller): SQL | undefined =>
  ownedCondition(c, { accountId: networks.accountId, domainPath: networks.domainPath });

/** Public IPs acquired by networks (the network's account). */
export const publicIpScope = (c: Caller): SQL | undefined =>
  ownedCondition(c, { accountId: publicIps.accountId, domainPath: publicIps.domainPath });

export const jobScope = (c: Caller): SQL | undefined => ownedCondition(c, { accountId: jobs.accountId, domainPath: jobs.domainPath });

/** Usage records: a tenant its account's, a reseller its subtree's, the root admin all. */
export const usageScope = (c: Caller): SQL | undefined =>
  ownedCondition(c, { accountId: usageRecords.accountId, domainPath: usageRecords.domainPath });

export const eventScope = (c: Caller): SQL | undefined => ownedCondition(c, { accountId: events.accountId, domainPath: events.domainPath });

/** Live domains of the caller's subtree; a tenant sees none. A removed domain is gone for everyone. */
export function domainScope(c: Caller): SQL | undefined {
  if (c.accountType === "user") return sql`false`;
  return and(domainPathCondition(c, domains.path), isNull(domains.removedAt));
}

/** Live accounts (the query joins `domains` on `accounts.domain_id`). A removed account is gone for everyone. */
export function accountScope(c: Caller): SQL | undefined {
  const live = isNull(accounts.removedAt);
  if (isRootAdmin(c)) return live;
  if (c.accountType === "user") return and(eq(accounts.id, c.accountId), live);
  return and(domainPathCondition(c, domains.path), live);
}

/** Users (the query joins `accounts` and `domains`). */
export function userScope(c: Caller): SQL | undefined {
  if (isRootAdmin(c)) return undefined;
  if (c.accountType === "user") return eq(users.accountId, c.accountId);
  return domainPathCondition(c, domains.path);
}

/**
 * Templates and ISOs: the caller's own (users: its account's; resellers: its subtree's, any
 * status), and, once Ready and active, those public, shared with its account, or shared with a
 * domain whose subtree holds the caller's domain.
 */
export function templateScope(c: Caller): SQL | undefined {
  if (isRootAdmin(c)) return undefined;
  const own = ownedCondition(c, { accountId: templates.accountId, domainPath: templates.domainPath });
  return or(own, templateOffered({ accountId: c.accountId, domainPath: c.domainPath }));
}

/** Templates the caller may change (delete, share): its account's, its subtree's for resellers, all for the root admin. */
export const templateManageScope = (c: Caller): SQL | undefined =>
  ownedCondition(c, { accountId: templates.accountId, domainPath: templates.domainPath });

/** Ready and active, and public or shared with the account or a domain above it (not its own: see templateUsableBy). */
function templateOffered(a: { accountId: string; domainPath: string }): SQL | undefined {
  const shared = sql`exists (select 1 from ${templateShares} where ${templateShares.templateId} = ${templates.id} and (${templateShares.accountId} = ${a.accountId} or starts_with(${a.domainPath}, ${templateShares.domainPath})))`;
  return and(eq(templates.status, "ready"), eq(templates.state, "active"), or(eq(templates.isPublic, true), shared));
}

/** Templates an account may deploy from: its own and those offered to it, Ready and active. */
export const templateUsableBy = (a: { accountId: string; domainPath: string }): SQL | undefined =>
  or(and(eq(templates.accountId, a.accountId), eq(templates.status, "ready"), eq(templates.state, "active")), templateOffered(a));

/** Security groups (an account's own; resellers their subtree's). */
export const securityGroupScope = (c: Caller): SQL | undefined =>
  ownedCondition(c, { accountId: securityGroups.accountId, domainPath: securityGroups.domainPath });
