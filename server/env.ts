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
  /** A session ends after this many minutes without a request. */
  STRATUS_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).default(120),
  /** A session ends this many hours after sign-in, however active (the JWT's lifetime too). */
  STRATUS_SESSION_MAX_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
  /**
   * Addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed (comma-separated,
   * e.g. "127.0.0.1,10.0.0.0/8"). Empty (the default): the socket's address is the client's.
   */
  STRATUS_TRUSTED_PROXIES: z.string().default(""),
  /** Login throttle window, and the failed attempts allowed in it per (username, address) and per address. */
  STRATUS_LOGIN_WINDOW_MINUTES: z.coerce.number().int().min(1).default(15),
  STRATUS_LOGIN_MAX_PER_USER_ADDRESS: z.coerce.number().int().min(1).default(10),
  STRATUS_LOGIN_MAX_PER_ADDRESS: z.coerce.number().int().min(1).default(50),
  /** Past this many failures for one username (from all addresses), unknown addresses are slowed down, never locked out. */
  STRATUS_LOGIN_USER_BACKSTOP: z.coerce.number().int().min(1).default(200),
  STRATUS_LOGIN_BACKSTOP_DELAY_MS: z.coerce.number().int().min(0).max(30_000).default(3000),
  /** Open console sessions allowed per user (per portal process). */
  STRATUS_CONSOLE_MAX_PER_USER: z.coerce.number().int().min(1).default(8),
  /**
   * Origins (scheme://host[:port], comma-separated) besides the portal's own that may send tRPC
   * mutations, e.g. a second hostname behind the same proxy. Empty: same origin only.
   */
  STRATUS_ALLOWED_ORIGINS: z
    .string()
    .default("")
    .transform((s) =>
      s
        .split(",")
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .string()
          .url()
          .transform((o) => new URL(o).origin),
      ),
    ),
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
