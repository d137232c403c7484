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
