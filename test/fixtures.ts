import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "@/db";
import { accounts, domains, users } from "@/db/schema";
import { seed } from "@/db/seed";
import { resolveCaller } from "@/server/auth/session";
import type { Caller } from "@/server/authz/caller";
import { createAccount } from "@/server/services/accounts";
import { createDomain } from "@/server/services/domains";
import { createCaller } from "@/server/api/root";

export async function callerFor(db: Db, username: string): Promise<Caller> {
  const [u] = await db.select({ id: users.id, sv: users.sessionVersion }).from(users).where(eq(users.username, username));
  if (!u) throw new Error(`no user ${username}`);
  const c = await resolveCaller(db, u.id, u.sv);
  if (!c) throw new Error(`user ${username} cannot act`);
  return c;
}

/**
 * The demo cloud plus a second reseller subtree, so every test has someone out of scope:
 *   ROOT ─ Acme Cloud (reseller) ─ acme-dev (tenant), Acme Cloud/Team A (sub-domain)
 *        ─ Globex (globex user)
 *        ─ Initech (reseller2) ─ initech-dev (tenant2)
 */
export async function seedTenancy(db: Db) {
  await seed(db, { demo: true });
  const admin = await callerFor(db, "admin");
  const [root] = await db.select().from(domains).where(isNull(domains.parentId));
  const [acme] = await db.select().from(domains).where(eq(domains.name, "Acme Cloud"));
  const [globex] = await db.select().from(domains).where(eq(domains.name, "Globex"));
  const initech = await createDomain(db, admin, { parentId: root!.id, name: "Initech" });
  await createAccount(db, admin, {
    domainId: initech.id,
    name: "initech-admins",
    type: "domain_admin",
    username: "reseller2",
    password: "password-reseller2",
  });
  await createAccount(db, admin, {
    domainId: initech.id,
    name: "initech-dev",
    type: "user",
    username: "tenant2",
    password: "password-tenant2",
  });
  const reseller = await callerFor(db, "reseller");
  const teamA = await createDomain(db, reseller, { parentId: acme!.id, name: "Team A" });
  const [tenantAccount] = await db
    .select()
    .from(accounts)
    .where(and(eq(accounts.name, "acme-dev"), eq(accounts.domainId, acme!.id)));
  return {
    domains: { root: root!, acme: acme!, globex: globex!, initech, teamA },
    tenantAccount: tenantAccount!,
    callers: {
      admin,
      reseller,
      tenant: await callerFor(db, "tenant"),
      globex: await callerFor(db, "globex"),
      reseller2: await callerFor(db, "reseller2"),
      tenant2: await callerFor(db, "tenant2"),
    },
  };
}

/** A tRPC caller acting as `caller`, through the real router (validation, middleware, errors). */
export const api = (db: Db, caller: Caller | null) => createCaller({ db, caller });
