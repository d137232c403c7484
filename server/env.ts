import { z } from "zod";

/** Environment, validated once. Everything optional has a default that works on a fresh machine. */
const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOSTNAME: z.string().default("0.0.0.0"),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default(".data"),
  NEXTAUTH_SECRET: z.string().min(16).optional(),
  NEXTAUTH_URL: z.string().url().optional(),
  SEED_DEMO: z.enum(["0", "1"]).default("1"),
  /**
   * Origins (scheme://host[:port], comma-separated) besides the portal's own that may send tRPC
   * mutations, e.g. a second hostname behind the same proxy. Empty: same origin only.
   */
  STRATUS_ALLOWED_ORIGINS: z
    .string()
    .default("")
    .transform((s) => s.split(",").map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.string().url().transform((o) => new URL(o).origin))),
  /**
   * Directory holding the ssh keys and known_hosts files that KVM host URIs may name
   * (qemu+ssh://…/system?keyfile=<dir>/<file>). Unset: URIs cannot name key files.
   */
  STRATUS_LIBVIRT_KEY_DIR: z
    .string()
    .regex(/^\/[^\0]*$/, { error: "must be an absolute path" })
    .transform((d) => d.replace(/\/+$/, ""))
    .optional(),
});

export type Env = z.infer<typeof envSchema>;

let cached: Env | undefined;
export function env(): Env {
  if (!cached) {
    const parsed = envSchema.safeParse(process.env);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      throw new Error(`Invalid environment: ${fields}`);
    }
    cached = parsed.data;
  }
  return cached;
}

/** The key directory host URIs may name files in; "" when none is configured (key files refused). */
export const libvirtKeyDir = () => env().STRATUS_LIBVIRT_KEY_DIR ?? "";
