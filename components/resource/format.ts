/** Dates as admins read them: "2026-11-22 14:03" in the browser's zone; "—" when absent. */
export function formatDateTime(d: Date | string | null | undefined): string {
  if (!d) return "—";
  const date = typeof d === "string" ? new Date(d) : d;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** "2 min ago", "3 h ago", "5 d ago"; older than 30 days: the date. */
export function formatRelative(d: Date | string | null | undefined, now = Date.now()): string {
  if (!d) return "Never";
  const date = typeof d === "string" ? new Date(d) : d;
  const s = Math.round((now - date.getTime()) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 30 * 86400) return `${Math.floor(s / 86400)} d ago`;
  return formatDateTime(date).slice(0, 10);
}

export const accountTypeLabel = { root_admin: "Root admin", domain_admin: "Domain admin", user: "User" } as const;

const num = (n: number, digits = 1) => n.toLocaleString("en-US", { maximumFractionDigits: digits });

/** 2400 → "2,400 MHz"; 153600 → "153.6 GHz". */
export const formatMhz = (mhz: number) => (mhz >= 10_000 ? `${num(mhz / 1000)} GHz` : `${num(mhz, 0)} MHz`);
/** Memory as people read it: "512 MiB", "4 GiB", "1.5 GiB", "1.5 TiB" (one rule for every page). */
export const formatMib = (mib: number) =>
  mib >= 1024 * 1024 ? `${num(mib / 1024 / 1024)} TiB` : mib >= 1024 ? `${num(mib / 1024)} GiB` : `${num(mib, 0)} MiB`;
/** GiB of storage: "500 GiB", "10 TiB". */
export const formatGib = (gib: number) => (gib >= 1024 ? `${num(gib / 1024)} TiB` : `${num(gib, 0)} GiB`);
/** An over-provisioning factor: "× 2", "× 1.25". */
/** Bytes in binary units ("90.8 MiB"); "—" while unknown. */
export function formatBytes(b: number | null): string {
  if (b === null) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = b;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export const formatFactor = (f: number) => `× ${num(f, 2)}`;

export { count } from "@/lib/count";

/** Timestamps written into text by the server ("…until 2026-11-30T05:40:00.000Z") as people read them. */
export const humanizeTimes = (text: string) =>
  text.replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})\b/g, (iso) => formatDateTime(iso));

/**
 * An exact decimal amount (text from the server) in its currency, 2 to 4 decimals, formatted from
 * the string itself (Intl formats decimal strings exactly; never through a float's rounding).
 */
export function formatMoney(amount: string | null | undefined, currency: string | null | undefined, maxDecimals = 4): string {
  if (amount === null || amount === undefined || !currency) return "—";
  const f = new Intl.NumberFormat("en-GB", { style: "currency", currency, minimumFractionDigits: 2, maximumFractionDigits: maxDecimals });
  return f.format(amount as unknown as number);
}
