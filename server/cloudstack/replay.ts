import { createHash } from "node:crypto";
import { lt, lte, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { apiSeenSignatures } from "@/db/schema";

/**
 * Replayed requests: a captured signed request must not change anything a second time. A
 * state-changing command (anything but list*, query*, get*) is served once per signature while
 * the request is valid: with signatureVersion=3 until its `expires`; without it, CloudStack's
 * signed requests never expire, so for REPLAY_WINDOW_MS only (after that a replay is served
 * again: signatureVersion=3 is the real protection). Read-only commands may repeat: clients poll
 * queryAsyncJobResult with identical parameters. Only a SHA-256 of the key and the signature's
 * bytes is kept (the bytes, so re-encoding the base64 does not make a "new" signature).
 */
export const REPLAY_WINDOW_MS = 15 * 60_000;
const CLEANUP_EVERY_MS = 60_000;

export const isReadOnlyCommand = (name: string) => /^(list|query|get)/i.test(name);

const hashOf = (keyId: string, signature: string) =>
  createHash("sha256").update(keyId).update("\0").update(Buffer.from(signature, "base64")).digest("base64url");

let lastCleanup = 0;

/** Records the signature; false when it was already served and is still within its validity. */
export async function firstUseOfSignature(db: DbOrTx, keyId: string, signature: string, expires: Date | null, now = new Date()) {
  if (now.getTime() - lastCleanup > CLEANUP_EVERY_MS) {
    lastCleanup = now.getTime();
    await db.delete(apiSeenSignatures).where(lt(apiSeenSignatures.expiresAt, now));
  }
  const expiresAt = expires ?? new Date(now.getTime() + REPLAY_WINDOW_MS);
  // One statement, so of two processes seeing the same request at once exactly one serves it;
  // a row past its validity (not yet cleaned up) is taken over.
  const rows = await db
    .insert(apiSeenSignatures)
    .values({ hash: hashOf(keyId, signature), expiresAt })
    .onConflictDoUpdate({
      target: apiSeenSignatures.hash,
      set: { expiresAt: sql`excluded.expires_at` },
      setWhere: lte(apiSeenSignatures.expiresAt, now),
    })
    .returning({ hash: apiSeenSignatures.hash });
  return rows.length > 0;
}
