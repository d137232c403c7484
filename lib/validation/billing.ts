import { z } from "zod";
import { idSchema, nameSchema, printable } from "./common";
import { webhookEvents } from "@/lib/webhook-events";

/** An exact decimal amount as typed (never a float): optional sign, up to 21 integer and 9 fraction digits. */
export const moneySchema = z
  .string()
  .trim()
  .regex(/^-?\d{1,21}(\.\d{1,9})?$/, { error: "Enter an amount like 25 or 12.50" });

/** ISO 4217 currency code. */
export const currencySchema = z
  .string()
  .trim()
  .transform((s) => s.toUpperCase())
  .pipe(z.string().regex(/^[A-Z]{3}$/, { error: "Currency must be a three-letter ISO 4217 code, like EUR" }));

export const addCreditInput = z
  .object({
    accountId: idSchema,
    kind: z.enum(["credit", "adjustment"]),
    currency: currencySchema,
    amount: moneySchema,
    reason: printable("Reason", 500).refine((r) => r.length >= 3, { error: "Say why, in a few words" }),
  })
  .refine((c) => !/^-?0*(\.0*)?$/.test(c.amount), { error: "The amount cannot be zero", path: ["amount"] })
  .refine((c) => c.kind !== "credit" || !c.amount.startsWith("-"), {
    error: "A credit is positive; use an adjustment to take money off",
    path: ["amount"],
  });
export type AddCreditInput = z.infer<typeof addCreditInput>;

const threshold = moneySchema.nullable().optional();

export const setBalancePolicyInput = z
  .object({
    domainId: idSchema,
    currency: currencySchema,
    notifyBelow: threshold,
    refuseBelow: threshold,
    stopBelow: threshold,
    /** Minutes between crossing stopBelow and the stop (shown to the tenant); at most 90 days. */
    stopGraceMinutes: z.coerce
      .number()
      .int()
      .min(1)
      .max(90 * 1440)
      .default(4320),
  })
  .refine((p) => p.notifyBelow || p.refuseBelow || p.stopBelow, { error: "Set at least one threshold", path: ["notifyBelow"] });
export type SetBalancePolicyInput = z.infer<typeof setBalancePolicyInput>;

/** A statement's month, "YYYY-MM" (UTC calendar month). */
export const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, { error: "Month must look like 2026-11" });

export const statementInput = z.object({ accountId: idSchema.optional(), month: monthSchema.optional() });

/** Stable CSV columns of a statement's lines (the export's header). */
export const statementCsvColumns = [
  "account_id",
  "account_name",
  "period_from",
  "period_to",
  "section",
  "date",
  "usage_type",
  "usage_type_name",
  "quantity",
  "unit",
  "description",
  "currency",
  "amount",
] as const;

export const webhookEventTypes = [
  "BILLING.LOWBALANCE",
  "BILLING.BALANCEOK",
  "BILLING.STOPSCHEDULED",
  "BILLING.STOPCANCELLED",
  "BILLING.VMSSTOPPED",
  "BILLING.CREDIT",
] as const;

export const createWebhookInput = z.object({
  /** Exactly one of domainId (its whole subtree's events) and accountId. */
  domainId: idSchema.optional(),
  accountId: idSchema.optional(),
  name: nameSchema,
  url: z.string().trim().max(2000),
  /** Event types, or ["*"] for all. */
  eventTypes: z
    .array(z.string().refine((t) => t === "*" || webhookEvents.some((e) => e.type === t), { error: "Unknown event type" }))
    .min(1, { error: "Pick at least one event" }),
});
export type CreateWebhookInput = z.infer<typeof createWebhookInput>;
