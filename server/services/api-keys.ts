import { and, desc, eq, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { accounts, apiKeys, apiRateWindows, domains, users } from "@/db/schema";
import { decryptSecret, encryptSecret, newKeyMaterial } from "@/server/auth/api-key-crypto";
import { resolveCaller } from "@/server/auth/session";
import { type Caller, isAdmin } from "@/server/authz/caller";
import { userScope } from "@/server/authz/scopes";
import { notFound } from "@/server/core/errors";
import { recordEvent } from "@/server/core/events";
import { env } from "@/server/env";
import type { CreateApiKeyInput } from "@/lib/validation/api-keys";

/**
 * API keys: several per user, named, with an optional expiry and the time of last use. The secret
 * is returned once, at creation or regeneration, and kept encrypted (see api-key-crypto.ts). A
 * user manages its own keys; admins and resellers may list and revoke the keys of users in their
 * scope (userScope); anyone else's key is NOT_FOUND.
 */

const listColumns = {
  id: apiKeys.id,
  userId: apiKeys.userId,
  name: apiKeys.name,
  apiKey: apiKeys.apiKey,
  expiresAt: apiKeys.expiresAt,
  lastUsedAt: apiKeys.lastUsedAt,
  createdAt: apiKeys.createdAt,
};

export interface IssuedKey {
  id: string;
  name: string;
  apiKey: string;
  secretKey: string;
  expiresAt: Date | null;
}

async function userEventFields(db: DbOrTx, userId: string) {
  const [u] = await db
    .select({ accountId: users.accountId, domainId: accounts.domainId, domainPath: domains.path, username: users.username })
    .from(users)
    .innerJoin(accounts, eq(accounts.id, users.accountId))
    .innerJoin(domains, eq(domains.id, accounts.domainId))
    .where(eq(users.id, userId));
  if (!u) throw notFound("User");
  return u;
}

/** A new key for a user (the caller's own, or the CLI's chosen user); the only time the secret is returned. */
export async function issueApiKey(
  db: DbOrTx,
  userId: string,
  input: { name: string; expiresAt?: Date | null },
  actorUserId: string | null,
): Promise<IssuedKey> {
  const u = await userEventFields(db, userId);
  const apiKey = newKeyMaterial();
  const secretKey = newKeyMaterial();
  const [row] = await db
    .insert(apiKeys)
    .values({ userId, name: input.name, apiKey, secretEncrypted: encryptSecret(secretKey), expiresAt: input.expiresAt ?? null })
    .returning({ id: apiKeys.id });
  await recordEvent(db, {
    type: "apikey.create",
    description: `API key "${input.name}" created for ${u.username}`,
    actorUserId,
    accountId: u.accountId,
    domainId: u.domainId,
    domainPath: u.domainPath,
    resourceType: "user",
    resourceId: userId,
  });
  return { id: row!.id, name: input.name, apiKey, secretKey, expiresAt: input.expiresAt ?? null };
}

export const createOwnApiKey = (db: DbOrTx, caller: Caller, input: CreateApiKeyInput) =>
  issueApiKey(db, caller.userId, input, caller.userId);

/**
 * A new key for a user: a user for itself, admins and resellers for users in their scope
 * (userScope); anyone else is NOT_FOUND.
 */
export async function createUserApiKey(db: DbOrTx, caller: Caller, userId: string, input: CreateApiKeyInput): Promise<IssuedKey> {
  if (userId !== caller.userId) {
    if (!isAdmin(caller)) throw notFound("User");
    const [u] = await db
      .select({ id: users.id })
      .from(users)
      .innerJoin(accounts, eq(accounts.id, users.accountId))
      .innerJoin(domains, eq(domains.id, accounts.domainId))
      .where(and(eq(users.id, userId), userScope(caller)));
    if (!u) throw notFound("User");
  }
  return issueApiKey(db, userId, input, caller.userId);
}

/** The caller's own live keys (never the secret). */
export async function listOwnApiKeys(db: DbOrTx, caller: Caller) {
  return db
    .select(listColumns)
    .from(apiKeys)
    .where(and(eq(apiKeys.userId, caller.userId), isNull(apiKeys.revokedAt)))
    .orderBy(desc(apiKeys.createdAt));
}

/** Live keys of a user in the caller's scope (admins and resellers; a tenant sees only its own). */
export async function listUserApiKeys(db: DbOrTx, caller: Caller, userId: string) {
  if (!isAdmin(caller) && userId !== caller.userId) throw notFound("User");
  return db
    .select(listColumns)
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .innerJoin(accounts, eq(accounts.id, users.accountId))
    .innerJoin(domains, eq(domains.id, accounts.domainId))
    .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt), userScope(caller)))
    .orderBy(desc(apiKeys.createdAt));
}

/** A live key the caller may manage: its own, or (admins, resellers) one of a user in scope. */
async function manageableKey(db: DbOrTx, caller: Caller, id: string, ownOnly: boolean) {
  const [k] = await db
    .select({ id: apiKeys.id, userId: apiKeys.userId, name: apiKeys.name, expiresAt: apiKeys.expiresAt })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .innerJoin(accounts, eq(accounts.id, users.accountId))
    .innerJoin(domains, eq(domains.id, accounts.domainId))
    .where(
      and(
        eq(apiKeys.id, id),
        isNull(apiKeys.revokedAt),
        ownOnly || !isAdmin(caller) ? eq(apiKeys.userId, caller.userId) : userScope(caller),
      ),
    );
  if (!k) throw notFound("API key");
  return k;
}

/** Revokes a key at once (every later request with it is 401). */
export async function revokeApiKey(db: DbOrTx, caller: Caller, id: string): Promise<void> {
  const k = await manageableKey(db, caller, id, false);
  await db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, k.id));
  const u = await userEventFields(db, k.userId);
  await recordEvent(db, {
    type: "apikey.revoke",
    description: `API key "${k.name}" of ${u.username} revoked`,
    actorUserId: caller.userId,
    accountId: u.accountId,
    domainId: u.domainId,
    domainPath: u.domainPath,
    resourceType: "user",
    resourceId: k.userId,
  });
}

/** New key material for one of the caller's own keys (same name and expiry); the old pair stops working. */
export async function regenerateApiKey(db: DbOrTx, caller: Caller, id: string): Promise<IssuedKey> {
  const k = await manageableKey(db, caller, id, true);
  await db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, k.id));
  return issueApiKey(db, caller.userId, { name: k.name, expiresAt: k.expiresAt }, caller.userId);
}

export type KeyCheck =
  { ok: true; keyId: string; secret: string; caller: Caller } | { ok: false; reason: "unknown" | "expired" | "disabled" };

/**
 * The caller behind an API key: the key live and unexpired, its user and account enabled (the
 * same rule as a session: resolveCaller with the user's current session version).
 */
export const authenticateApiKey = (db: DbOrTx, apiKey: string, now = new Date()) => checkKey(db, eq(apiKeys.apiKey, apiKey), now);

/** The same check by the key's id (a console opened with an API-key ticket, at its start and while open). */
export const checkApiKeyById = (db: DbOrTx, keyId: string, now = new Date()) => checkKey(db, eq(apiKeys.id, keyId), now);

async function checkKey(db: DbOrTx, which: SQL, now: Date): Promise<KeyCheck> {
  const [k] = await db
    .select({
      id: apiKeys.id,
      userId: apiKeys.userId,
      secretEncrypted: apiKeys.secretEncrypted,
      expiresAt: apiKeys.expiresAt,
      lastUsedAt: apiKeys.lastUsedAt,
      sv: users.sessionVersion,
    })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(and(which, isNull(apiKeys.revokedAt)));
  if (!k) return { ok: false, reason: "unknown" };
  if (k.expiresAt && k.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: "expired" };
  const secret = decryptSecret(k.secretEncrypted);
  if (secret === null) return { ok: false, reason: "unknown" };
  const caller = await resolveCaller(db, k.userId, k.sv);
  if (!caller) return { ok: false, reason: "disabled" };
  return { ok: true, keyId: k.id, secret, caller };
}

/** Records a verified use (at most once a minute per key, so a busy key costs no write per request). */
export async function touchApiKey(db: DbOrTx, keyId: string, now = new Date()) {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, new Date(now.getTime() - 60_000)))));
}

/**
 * Counts one request against the key's fixed one-minute window (shared by every process through
 * the database); false once the window's allowance (STRATUS_API_RATE_PER_MINUTE) is used up.
 */
export async function takeRateToken(db: DbOrTx, keyId: string, now = new Date()): Promise<boolean> {
  const limit = env().STRATUS_API_RATE_PER_MINUTE;
  const windowStart = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  const [row] = await db
    .insert(apiRateWindows)
    .values({ apiKeyId: keyId, windowStart, count: 1 })
    .onConflictDoUpdate({
      target: apiRateWindows.apiKeyId,
      set: {
        count: sql`case when ${apiRateWindows.windowStart} = ${windowStart.toISOString()}::timestamptz then ${apiRateWindows.count} + 1 else 1 end`,
        windowStart,
      },
    })
    .returning({ count: apiRateWindows.count });
  return (row?.count ?? 1) <= limit;
}

/** For the CLI: a user's id by username. */
export async function userIdByName(db: DbOrTx, username: string): Promise<string | null> {
  const [u] = await db.select({ id: users.id }).from(users).where(eq(users.username, username));
  return u?.id ?? null;
}

/** Removes long-revoked keys (kept 30 days for the audit trail). */
export async function purgeRevokedKeys(db: DbOrTx, now = Date.now()) {
  await db.delete(apiKeys).where(lt(apiKeys.revokedAt, new Date(now - 30 * 86_400_000)));
}
