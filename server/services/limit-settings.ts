import type { Db } from "@/db";
import { type Caller, isRootAdmin } from "@/server/authz/caller";
import { checkCeiling } from "./limit-ceiling";
import { badRequest } from "@/server/core/errors";
import { getAccountInScope } from "./accounts";
import { getDomainInScope } from "./domains";
import { recordEvent } from "@/server/core/events";
import { accountLimits, domainLimits, type Limits, writeLimits } from "@/server/core/limits";

export async function getAccountLimits(db: Db, caller: Caller, accountId: string) {
  const a = await getAccountInScope(db, caller, accountId);
  return { account: { id: a.id, name: a.name, domainName: a.domainName }, limits: await accountLimits(db, a.id) };
}

export async function getDomainLimits(db: Db, caller: Caller, domainId: string) {
  const d = await getDomainInScope(db, caller, domainId);
  return { domain: { id: d.id, name: d.name }, limits: await domainLimits(db, d.id) };
}

export async function setAccountLimits(db: Db, caller: Caller, input: { accountId: string; limits: Limits }) {
  const a = await getAccountInScope(db, caller, input.accountId);
  await checkCeiling(db, caller, input.limits);
  await db.transaction(async (tx) => {
    await writeLimits(tx, { accountId: a.id }, input.limits);
    await recordEvent(tx, {
      type: "LIMIT.UPDATE",
      description: `Updated limits of account ${a.name}`,
      actorUserId: caller.userId,
      accountId: a.id,
      domainId: a.domainId,
      domainPath: a.domainPath,
      resourceType: "account",
      resourceId: a.id,
      details: input.limits,
    });
  });
  return accountLimits(db, a.id);
}

export async function setDomainLimits(db: Db, caller: Caller, input: { domainId: string; limits: Limits }) {
  const d = await getDomainInScope(db, caller, input.domainId);
  if (!isRootAdmin(caller) && d.id === caller.domainId) {
    throw badRequest("Your own domain's limits are set by your parent domain's administrator", "domainId");
  }
  if (d.parentId === null) throw badRequest("The ROOT domain is always unlimited", "domainId");
  await checkCeiling(db, caller, input.limits);
  await db.transaction(async (tx) => {
    await writeLimits(tx, { domainId: d.id }, input.limits);
    await recordEvent(tx, {
      type: "LIMIT.UPDATE",
      description: `Updated limits of domain ${d.name}`,
      actorUserId: caller.userId,
      domainId: d.id,
      domainPath: d.path,
      resourceType: "domain",
      resourceId: d.id,
      details: input.limits,
    });
  });
  return domainLimits(db, d.id);
}
