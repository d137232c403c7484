import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { env } from "@/server/env";

/**
 * A stable auth secret without configuration: NEXTAUTH_SECRET, or one generated once into the data
 * directory. The server and the admin CLI both call this, so the CLI encrypts API-key secrets with
 * the key the server decrypts them with (server/auth/api-key-crypto.ts).
 */
export function ensureAuthSecret(dataDir: string) {
  if (env().NEXTAUTH_SECRET) return;
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, "auth-secret");
  if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
  process.env.NEXTAUTH_SECRET = fs.readFileSync(file, "utf8").trim();
}
