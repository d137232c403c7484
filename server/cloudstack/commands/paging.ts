import { isAdmin } from "@/server/authz/caller";
import type { CsContext } from "./types";

/** Stratus lists page by at most 200; CloudStack without pagesize answers everything. */
const STRATUS_MAX_PAGE = 200;
/** A safety bound for "everything". */
const ALL_CAP = 10_000;

export interface PageOf<T> {
  items: T[];
  total: number;
}

/**
 * One CloudStack page (page/pagesize) from a Stratus list taking {page, pageSize}: a CloudStack
 * page larger than Stratus's is read in Stratus pages; no pagesize means every row.
 */
export async function csPage<T>(
  p: { page?: number; pagesize?: number },
  fetch: (page: number, pageSize: number) => Promise<PageOf<T>>,
): Promise<PageOf<T>> {
  const size = p.pagesize ?? ALL_CAP;
  const start = ((p.page ?? 1) - 1) * size;
  const items: T[] = [];
  let total = 0;
  let stratusPage = Math.floor(start / STRATUS_MAX_PAGE) + 1;
  let skip = start % STRATUS_MAX_PAGE;
  while (items.length < size) {
    const r = await fetch(stratusPage, STRATUS_MAX_PAGE);
    total = r.total;
    items.push(...r.items.slice(skip, skip + (size - items.length)));
    skip = 0;
    if (r.items.length < STRATUS_MAX_PAGE) break;
    stratusPage += 1;
  }
  return { items, total };
}

/**
 * CloudStack's listall: an admin or reseller sees only its own account's objects unless it asks
 * for listall=true (or names an account or domain); Stratus lists the whole scope, so the own
 * account becomes a filter otherwise.
 */
export function ownAccountUnlessListAll(ctx: CsContext, p: { listall?: boolean; domainid?: string; account?: string }) {
  if (!isAdmin(ctx.caller) || p.listall || p.domainid || p.account) return undefined;
  return ctx.caller.accountId;
}

/** An account named by CloudStack's (account, domainid) pair, resolved in the caller's scope. */
export async function accountIdOf(ctx: CsContext, account: string | undefined, domainid: string | undefined): Promise<string | undefined> {
  if (!account) return undefined;
  if (account === ctx.caller.accountName && (!domainid || domainid === ctx.caller.domainId)) return ctx.caller.accountId;
  if (!isAdmin(ctx.caller)) return "00000000-0000-0000-0000-000000000000";
  // As CloudStack: the account of that name in `domainid`, else in the caller's own domain (never a
  // same-named account of a sub-domain).
  const r = await ctx.api.account.list({
    search: account,
    domainId: domainid ?? ctx.caller.domainId,
    includeSubdomains: false,
    pageSize: 200,
  });
  const hit = (r.items as { id: string; name: string }[]).find((a) => a.name === account);
  return hit?.id ?? "00000000-0000-0000-0000-000000000000";
}
