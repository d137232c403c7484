import { eq } from "drizzle-orm";
import type { Db } from "@/db";
import { users } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { can, type Permission } from "@/server/authz/permissions";
import type { seedTenancy } from "@/test/fixtures";

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
  "event.list": (v) => ({ resourceId: v.accountId }),
};

/** Procedures whose input names a victim object (so the refusal must be NOT_FOUND when permitted). */
const targeted = Object.keys(inputs).filter((p) => !["session.me", "domain.tree", "limit.mine", "user.changeOwnPassword"].includes(p));

/** The permission each procedure needs, for telling a permission refusal from a scope refusal. */
const permissionOf: Record<string, Permission | null> = {
  "domain.get": "domain.read",
  "account.list": "account.read",
  "account.get": "account.read",
  "limit.forAccount": "limit.read",
  "event.list": "event.read",
};

export const authzProbes = {
  inputs,
  targeted,
  permitted(caller: Caller, path: string): boolean {
    const explicit = permissionOf[path];
    if (explicit !== undefined) return explicit === null || can(caller.accountType, explicit);
    const [resource] = path.split(".");
    const manage = `${resource}.manage` as Permission;
    return can(caller.accountType, manage);
  },
  async setUp(db: Db, t: Tenancy): Promise<Victim> {
    const [u] = await db.select({ id: users.id }).from(users).where(eq(users.username, "tenant"));
    const ids = {
      domain: t.domains.acme.id,
      subDomain: t.domains.teamA.id,
      account: t.tenantAccount.id,
      user: u!.id,
    };
    return {
      domainId: ids.domain,
      subDomainId: ids.subDomain,
      accountId: ids.account,
      userId: ids.user,
      ids,
      secrets: [...Object.values(ids), "acme-dev", "Acme Cloud", "Team A"],
    };
  },
};
