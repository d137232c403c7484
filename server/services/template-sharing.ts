import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db";
import { accounts, domains, templateShares, templates } from "@/db/schema";
import { type Caller, isRootAdmin } from "@/server/authz/caller";
import { accountScope, domainScope, templateManageScope } from "@/server/authz/scopes";
import { badRequest, forbidden, notFound, ServiceError } from "@/server/core/errors";
import { recordEvent } from "@/server/core/events";
import type { ShareTemplateInput } from "@/lib/validation/templates";

/**
 * Accounts a caller may share with: those it manages (resellers: its subtree; root: all), and for
 * a tenant the accounts of its own domain (CloudStack shares a template with accounts by name).
 */
const shareableAccounts = (c: Caller) =>
  c.accountType === "user" ? and(eq(accounts.domainId, c.domainId), isNull(accounts.removedAt)) : accountScope(c);

async function managedTemplate(db: DbOrTx, caller: Caller, id: string) {
  const [t] = await db
    .select()
    .from(templates)
    .where(and(eq(templates.id, id), templateManageScope(caller)));
  if (!t) throw notFound("Template");
  return t;
}

/** Who a template is shared with, and whom the caller could share it with (the share dialog). */
export async function templateSharing(db: Db, caller: Caller, id: string) {
  const t = await managedTemplate(db, caller, id);
  const [shares, accountRows, domainRows] = await Promise.all([
    db
      .select({
        accountId: templateShares.accountId,
        domainId: templateShares.domainId,
        accountName: accounts.name,
        domainName: domains.name,
      })
      .from(templateShares)
      .leftJoin(accounts, eq(accounts.id, templateShares.accountId))
      .leftJoin(domains, eq(domains.id, templateShares.domainId))
      .where(eq(templateShares.templateId, id)),
    db
      .select({ id: accounts.id, name: accounts.name, domainName: domains.name })
      .from(accounts)
      .innerJoin(domains, eq(domains.id, accounts.domainId))
      .where(shareableAccounts(caller))
      .orderBy(asc(accounts.name))
      .limit(500),
    caller.accountType === "user"
      ? Promise.resolve([] as { id: string; name: string; path: string }[])
      : db
          .select({ id: domains.id, name: domains.name, path: domains.path })
          .from(domains)
          .where(domainScope(caller))
          .orderBy(asc(domains.path))
          .limit(500),
  ]);
  return {
    isPublic: t.isPublic,
    isFeatured: t.isFeatured,
    accounts: shares.filter((s) => s.accountId).map((s) => ({ id: s.accountId!, name: s.accountName ?? "" })),
    domains: shares.filter((s) => s.domainId).map((s) => ({ id: s.domainId!, name: s.domainName ?? "" })),
    targets: { accounts: accountRows.filter((a) => a.id !== t.accountId), domains: domainRows },
    canPublish: isRootAdmin(caller),
  };
}

/**
 * Replaces whom a template is shared with: accounts (each one the caller could share with) and
 * domain subtrees (resellers within their own subtree, the root admin anywhere). Public and
 * featured stay the root admin's. Anything out of reach is NOT_FOUND, naming the field.
 */
export async function shareTemplate(db: Db, caller: Caller, input: ShareTemplateInput) {
  const t = await managedTemplate(db, caller, input.id);
  const publish = input.isPublic !== undefined || input.isFeatured !== undefined;
  if (publish && !isRootAdmin(caller) && (input.isPublic !== t.isPublic || input.isFeatured !== t.isFeatured))
    throw forbidden("Only the root administrator can make a template public or featured");
  if (input.domainIds.length && caller.accountType === "user") throw badRequest("Only administrators can share with a domain", "domainIds");
  const accountIds = [...new Set(input.accountIds)];
  const domainIds = [...new Set(input.domainIds)];
  const okAccounts = accountIds.length
    ? await db
        .select({ id: accounts.id })
        .from(accounts)
        .innerJoin(domains, eq(domains.id, accounts.domainId))
        .where(and(inArray(accounts.id, accountIds), shareableAccounts(caller)))
    : [];
  if (okAccounts.length !== accountIds.length) throw new ServiceError("NOT_FOUND", "Account not found", "accountIds");
  const okDomains = domainIds.length
    ? await db
        .select({ id: domains.id, path: domains.path })
        .from(domains)
        .where(and(inArray(domains.id, domainIds), domainScope(caller)))
    : [];
  if (okDomains.length !== domainIds.length) throw new ServiceError("NOT_FOUND", "Domain not found", "domainIds");
  const isFeatured = input.isFeatured ?? t.isFeatured;
  const isPublic = (input.isPublic ?? t.isPublic) || isFeatured;
  await db.transaction(async (tx) => {
    await tx.delete(templateShares).where(eq(templateShares.templateId, t.id));
    const rows = [
      ...accountIds.map((a) => ({ templateId: t.id, accountId: a })),
      ...okDomains.map((d) => ({ templateId: t.id, domainId: d.id, domainPath: d.path })),
    ];
    if (rows.length) await tx.insert(templateShares).values(rows);
    await tx.update(templates).set({ isPublic, isFeatured }).where(eq(templates.id, t.id));
    await recordEvent(tx, {
      type: "TEMPLATE.SHARE",
      description: `Sharing of ${t.name}: ${isFeatured ? "featured" : isPublic ? "public" : "private"}, ${accountIds.length} account(s), ${okDomains.length} domain(s)`,
      resourceType: "template",
      resourceId: t.id,
      accountId: t.accountId,
      domainId: t.domainId,
      domainPath: t.domainPath,
      actorUserId: caller.userId,
      details: { accountIds, domainIds },
    });
  });
  return { id: t.id, isPublic, isFeatured, accounts: accountIds.length, domains: okDomains.length };
}
