/**
 * The events Stratus delivers to webhooks, with what each means (the subscription form lists
 * them; a subscription may also take "*", every event). WEBHOOK.PING is sent only on request.
 */
export const webhookEvents = [
  { type: "ALERT.OPENED", label: "An alert opened" },
  { type: "ALERT.ESCALATED", label: "An open alert became critical" },
  { type: "ALERT.RESOLVED", label: "An alert resolved by itself" },
  { type: "BILLING.LOWBALANCE", label: "An account's balance fell below its domain's threshold" },
  { type: "BILLING.BALANCEOK", label: "An account's balance is back above the threshold" },
  { type: "BILLING.STOPSCHEDULED", label: "Running VMs will be stopped for a low balance" },
  { type: "BILLING.STOPCANCELLED", label: "A scheduled low-balance stop was cancelled" },
  { type: "BILLING.VMSSTOPPED", label: "VMs were stopped for a low balance" },
  { type: "BILLING.CREDIT", label: "An account was credited" },
  { type: "WEBHOOK.PING", label: "A test delivery, sent with “Send test”" },
] as const;

export type WebhookEventType = (typeof webhookEvents)[number]["type"];
