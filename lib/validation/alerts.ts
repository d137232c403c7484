import { z } from "zod";

/** Alerts: list filters, the user's subscription and an admin's rule settings. Client-safe. */
export const alertStates = ["open", "resolved", "all"] as const;
export const alertSeverities = ["warning", "critical"] as const;

export const listAlertsInput = z.object({
  state: z.enum(alertStates, { error: "State must be open, resolved or all" }).default("open"),
  severity: z.enum(alertSeverities, { error: "Severity must be warning or critical" }).optional(),
  page: z.number().int().min(1).max(10_000).default(1),
  pageSize: z.number().int().min(1).max(200).default(50),
});
export type ListAlertsInput = z.input<typeof listAlertsInput>;

export const setAlertSubscriptionInput = z.object({
  email: z.boolean({ error: "E-mail must be on or off" }),
  minSeverity: z.enum(alertSeverities, { error: "Least severity must be warning or critical" }),
});
export type SetAlertSubscriptionInput = z.infer<typeof setAlertSubscriptionInput>;

const threshold = z.number({ error: "Threshold must be a number" }).min(0, { error: "Threshold must be 0 or more" }).max(1_000_000);

export const updateAlertRuleInput = z
  .object({
    rule: z.string().trim().min(1).max(64),
    enabled: z.boolean(),
    warning: threshold.nullable().optional(),
    critical: threshold.nullable().optional(),
  })
  .refine(
    (v) => v.warning === undefined || v.warning === null || v.critical === undefined || v.critical === null || v.warning <= v.critical,
    {
      error: "The warning threshold must not be above the critical one",
      path: ["warning"],
    },
  );
export type UpdateAlertRuleInput = z.infer<typeof updateAlertRuleInput>;
