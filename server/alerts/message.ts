import { env } from "@/server/env";
import type { Alert } from "./types";

/** An alert's e-mail, rendered when the alert changes (what was true then). */
export function alertEmail(alert: Alert, transition: string): { subject: string; text: string } {
  const e = env();
  const base = e.STRATUS_PUBLIC_URL ?? e.NEXTAUTH_URL;
  const tag = transition === "resolved" ? "RESOLVED" : alert.severity.toUpperCase();
  const lines = [
    alert.description,
    "",
    `Severity: ${alert.severity}`,
    `State: ${transition === "resolved" ? "resolved" : "open"}`,
    `Opened: ${alert.openedAt.toISOString()}`,
    ...(alert.resolvedAt ? [`Resolved: ${alert.resolvedAt.toISOString()}`] : []),
    ...(base ? ["", `${base.replace(/\/$/, "")}/alerts`] : []),
  ];
  return { subject: `[Stratus ${tag}] ${alert.title}`, text: lines.join("\n") + "\n" };
}
