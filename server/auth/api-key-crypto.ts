import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { env } from "@/server/env";

/**
 * Encryption of API-key secrets at rest: AES-256-GCM with a server key. CloudStack's signature is
 * an HMAC-SHA1 keyed by the secret itself, so the server needs the secret, not a hash of it; a
 * stolen database alone still yields no usable secret. The key is STRATUS_API_KEY_ENCRYPTION_KEY,
 * or derived from NEXTAUTH_SECRET (one secret to keep, which server.ts already generates).
 */
function serverKey(): Buffer {
  const e = env();
  const material = e.STRATUS_API_KEY_ENCRYPTION_KEY ?? e.NEXTAUTH_SECRET;
  if (!material) throw new Error("No key to encrypt API-key secrets: set STRATUS_API_KEY_ENCRYPTION_KEY or NEXTAUTH_SECRET");
  return createHash("sha256").update(`stratus-api-key-secret:${material}`).digest();
}

export function encryptSecret(secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", serverKey(), iv);
  const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

/** The secret, or null when it was encrypted under another server key (or tampered with). */
export function decryptSecret(stored: string): string | null {
  try {
    const raw = Buffer.from(stored, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", serverKey(), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}

/** CloudStack-looking key material: 64 random bytes, base64url (86 characters, URL-safe). */
export const newKeyMaterial = () => randomBytes(64).toString("base64url");
