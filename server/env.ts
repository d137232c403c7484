import { z } from "zod";

/** The usage period lengths allowed (minutes): those that divide a day evenly. */
export const USAGE_PERIOD_MINUTES = [1, 5, 10, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440] as const;

/** Environment, validated once. Everything optional has a default that works on a fresh machine. */
const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /** Port to listen on (0: any free port, for test processes). */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOSTNAME: z.string().default("0.0.0.0"),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default(".data"),
  NEXTAUTH_SECRET: z.string().min(16).optional(),
  NEXTAUTH_URL: z.string().url().optional(),
  /** Set by server.ts when NEXTAUTH_URL is not: next-auth then takes the origin from the Host header. */
  AUTH_TRUST_HOST: z.enum(["true", "false"]).optional(),
  /** 1: the first start seeds the demo cloud (zones, offerings, a reseller, a tenant); 0: the admin only. */
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
  /** Seconds an unused console ticket stays valid. */
  STRATUS_CONSOLE_TICKET_TTL_SECONDS: z.coerce.number().int().min(1).max(60).default(30),
  /** Seconds without keyboard or mouse input before a console session is closed. */
  STRATUS_CONSOLE_IDLE_SECONDS: z.coerce.number().int().min(1).default(1800),
  /** How often (ms) an open console re-checks its session, account and VM. */
  STRATUS_CONSOLE_CHECK_MS: z.coerce.number().int().min(100).default(3000),
  /** Jobs one process runs at once. */
  STRATUS_JOB_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  /**
   * For the bare worker and portal processes of the multi-process tests (scripts/orchestrator-worker.ts,
   * scripts/portal-node.ts): a job's lease (ms), how often an idle worker polls besides NOTIFY, and the
   * owner id the process records. `npm start` keeps its own defaults (30 s, 1 s, host:pid:random).
   */
  STRATUS_LEASE_MS: z.coerce.number().int().min(500).default(30_000),
  STRATUS_POLL_MS: z.coerce.number().int().min(10).default(200),
  STRATUS_WORKER_OWNER: z.string().min(1).optional(),
  /** How often (ms) the reconciler compares every host's VMs with the database. */
  STRATUS_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  /** How often (ms) host and VM metrics are sampled, and how many hours samples are kept. */
  STRATUS_METRICS_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  STRATUS_METRICS_RETENTION_HOURS: z.coerce
    .number()
    .min(0.01)
    .default(24 * 7),
  /** Seconds a destroyed VM stays recoverable before it is expunged (CloudStack: expunge.delay). */
  STRATUS_EXPUNGE_DELAY_SECONDS: z.coerce.number().int().min(0).default(86_400),
  /** 1: a stopped VM gives its host capacity back (CloudStack's default); 0: it stays reserved. */
  STRATUS_RELEASE_ON_STOP: z.enum(["0", "1"]).default("1"),
  /** VM snapshots one VM may have (CloudStack: vmsnapshot.max). */
  STRATUS_VMSNAPSHOT_MAX: z.coerce.number().int().min(1).max(100).default(10),
  /** Graceful stop timeout (ms) before a forced one. */
  STRATUS_STOP_TIMEOUT_MS: z.coerce.number().int().min(0).default(60_000),
  /** A libvirt VM's network card: user (QEMU's user networking), none, network:<name> or bridge:<name>. */
  STRATUS_LIBVIRT_NIC: z
    .string()
    .regex(/^(user|none|(network|bridge):[^\s:]+)$/, { error: "must be user, none, network:<name> or bridge:<name>" })
    .default("user"),
  /** Address a libvirt VM's VNC server listens on (default: 127.0.0.1 for a local host, 0.0.0.0 for a remote one). */
  STRATUS_LIBVIRT_VNC_LISTEN: z.union([z.ipv4(), z.ipv6()], { error: "must be an IP address" }).optional(),
  /**
   * Directory holding the ssh keys and known_hosts files that KVM host URIs may name
   * (qemu+ssh://…/system?keyfile=<dir>/<file>). Unset: URIs cannot name key files.
   */
  STRATUS_LIBVIRT_KEY_DIR: z
    .string()
    .regex(/^\/[^\0]*$/, { error: "must be an absolute path" })
    .transform((d) => d.replace(/\/+$/, ""))
    .optional(),
  /**
   * Template and ISO registration from a URL: addresses or CIDR ranges (comma-separated) that may
   * be fetched although private, loopback or link-local (e.g. an internal mirror, "10.1.2.0/24").
   * Empty (the default): only public addresses.
   */
  STRATUS_TEMPLATE_URL_ALLOW_CIDRS: z.string().default(""),
  /** Largest template or ISO (MiB) a download or upload may store; default 50 GiB. */
  STRATUS_TEMPLATE_MAX_MIB: z.coerce.number().int().min(1).default(51_200),
  /** Minutes an upload may stay without a new chunk before it is given up and its file removed. */
  STRATUS_UPLOAD_ABANDON_MINUTES: z.coerce.number().min(0.01).default(60),
  /**
   * Key that encrypts API-key secrets at rest (CloudStack signs with HMAC-SHA1 keyed by the secret,
   * so the server must be able to read it; a hash would not do). Unset: derived from NEXTAUTH_SECRET
   * (which server.ts generates into the data directory). Changing it makes existing keys unusable.
   */
  STRATUS_API_KEY_ENCRYPTION_KEY: z.string().min(16).optional(),
  /** CloudStack API requests one API key may make per minute (answered 429 beyond, as CloudStack's api.throttling). */
  STRATUS_API_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  /** How often (minutes) usage facts are aggregated into usage records (a usage.aggregate job). */
  STRATUS_USAGE_AGGREGATE_MINUTES: z.coerce.number().min(0.01).default(60),
  /** Connections that compute the usage types of an aggregation back-fill side by side (PostgreSQL; 1: none). */
  STRATUS_USAGE_PARALLEL: z.coerce.number().int().min(1).max(16).default(2),
  /**
   * Length (minutes) of a usage record's period (CloudStack: usage.stats.job.aggregation.range):
   * one of the lengths that divide a day evenly, so periods start on the UTC day and never straddle
   * midnight. Quantities stay in hours (GiB-hours, VM hours) whatever the period.
   */
  STRATUS_USAGE_PERIOD_MINUTES: z
    .string()
    .default("60")
    .refine((m) => /^\d+$/.test(m.trim()) && (USAGE_PERIOD_MINUTES as readonly number[]).includes(Number(m)), {
      error: `must be one of ${USAGE_PERIOD_MINUTES.join(", ")} (minutes that divide a day evenly)`,
    })
    .transform(Number),
  /** Log level of the JSON logs (pino); "silent" turns them off. Default: info (warn under tests). */
  STRATUS_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional(),
  /** 1: readable coloured logs (the default in development); 0: one JSON object a line (the default otherwise). */
  STRATUS_LOG_PRETTY: z.enum(["0", "1"]).optional(),
  /** Bearer token that `/metrics` (Prometheus) requires; unset: `/metrics` is off (404). */
  STRATUS_METRICS_TOKEN: z.string().min(16, { error: "must be at least 16 characters" }).optional(),
  /** How often (ms) alert rules are evaluated and pending alert e-mails sent. */
  STRATUS_ALERT_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  /** SMTP server for alert e-mails; unset: no e-mail is sent (alerts stay in the portal). */
  STRATUS_SMTP_HOST: z.string().min(1).optional(),
  STRATUS_SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(587),
  /** 1: TLS from the first byte (port 465); 0: plain, upgraded with STARTTLS when the server offers it. */
  STRATUS_SMTP_SECURE: z.enum(["0", "1"]).default("0"),
  /** 1: refuse to send unless STARTTLS succeeds (recommended when the server is not on this machine). */
  STRATUS_SMTP_REQUIRE_TLS: z.enum(["0", "1"]).default("0"),
  STRATUS_SMTP_USER: z.string().optional(),
  STRATUS_SMTP_PASSWORD: z.string().optional(),
  STRATUS_SMTP_FROM: z.string().default("Stratus <stratus@localhost>"),
  /** The portal's address, for links in alert e-mails (default: NEXTAUTH_URL, else none). */
  STRATUS_PUBLIC_URL: z.string().url().optional(),
  /** How often (minutes) every account's balance is checked against its domain's low-balance policy. */
  STRATUS_BALANCE_EVALUATE_MINUTES: z.coerce.number().min(0.01).default(15),
  /**
   * Webhook URLs: addresses or CIDR ranges (comma-separated) that may be called although private,
   * loopback or link-local (e.g. an internal receiver, "10.1.2.0/24"). Empty (the default): only
   * public addresses.
   */
  STRATUS_WEBHOOK_ALLOW_CIDRS: z.string().default(""),
  /** Attempts per webhook delivery, the first retry's delay (ms; doubled each time, at most 6 h), and the request timeout (ms). */
  STRATUS_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  STRATUS_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).default(30_000),
  STRATUS_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
});

export type Env = z.infer<typeof envSchema>;

const names = Object.keys(envSchema.shape) as (keyof Env)[];
let cached: { key: string; env: Env } | undefined;

/**
 * The environment, parsed. The one place that reads process.env (build tooling and test harnesses
 * aside). Parsed again only when one of its variables changed: server.ts writes NEXTAUTH_SECRET at
 * start, and tests change settings between cases. A malformed variable throws, naming it.
 */
export function env(): Env {
  const key = names.map((n) => process.env[n] ?? "\u0000").join("\u0001");
  if (cached?.key !== key) {
    const parsed = envSchema.safeParse(process.env);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      throw new Error(`Invalid environment variable ${fields} (see .env.example)`);
    }
    cached = { key, env: parsed.data };
  }
  return cached.env;
}

/** The key directory host URIs may name files in; "" when none is configured (key files refused). */
export const libvirtKeyDir = () => env().STRATUS_LIBVIRT_KEY_DIR ?? "";
