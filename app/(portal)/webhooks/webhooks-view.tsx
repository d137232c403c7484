"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { z } from "zod";
import { When } from "@/components/resource/cells";
import { useConfirm } from "@/components/resource/confirm";
import { KitFormBody, SelectField, TextField } from "@/components/resource/form-dialog";
import { useResourceMutation } from "@/components/resource/mutations";
import { useCaller } from "@/components/shell/caller-context";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/field";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { nameSchema } from "@/lib/validation/common";
import { webhookEvents } from "@/lib/webhook-events";

const createForm = z.object({
  name: nameSchema,
  url: z.string().trim().min(1, { message: "Enter the URL that receives the events" }).max(2000),
  scope: z.enum(["account", "domain"]),
  // A group of checkboxes gives false when none is ticked.
  eventTypes: z.preprocess(
    (v): unknown[] => (Array.isArray(v) ? (v as unknown[]) : v ? [v] : []),
    z.array(z.string()).min(1, { message: "Pick at least one event" }),
  ),
});

/** Webhooks: subscriptions to Stratus's events, each signed with its own secret, with a test delivery and a delivery log. */
export function WebhooksView() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const caller = useCaller();
  const list = useQuery(trpc.webhook.list.queryOptions());
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const [round, setRound] = useState(0);
  const admin = caller.accountType !== "user";
  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Stratus POSTs each chosen event as JSON to your URL, signed with HMAC-SHA256 (X-Stratus-Signature over the timestamp and body), and retries with backoff until your server answers 2xx."
      />
      <div className="space-y-6">
        <Card title="New webhook">
          <div className="space-y-4 p-4">
            {secret && (
              <div role="status" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm">
                <p className="font-medium text-amber-900">Copy the signing secret of “{secret.name}” now: it is not shown again.</p>
                <p className="mt-2 font-mono break-all text-slate-900" data-testid="webhook-secret">
                  {secret.secret}
                </p>
                <Button variant="secondary" size="sm" className="mt-2" onClick={() => setSecret(null)}>
                  I have copied it
                </Button>
              </div>
            )}
            <KitFormBody
              key={round}
              label="New webhook"
              onClose={() => setRound((r) => r + 1)}
              cancelLabel={null}
              schema={createForm}
              defaultValues={{ name: "", url: "", scope: "account", eventTypes: [] }}
              submitLabel="Create webhook"
              onSubmit={({ name, url, scope, eventTypes }) =>
                client.webhook.create.mutate({
                  name,
                  url,
                  eventTypes,
                  ...(scope === "domain" ? { domainId: caller.domainId } : { accountId: caller.accountId }),
                })
              }
              invalidate={["webhook"]}
              success={(w) => `Webhook ${w.name} created`}
              onSaved={(w) => setSecret({ name: w.name, secret: w.secret })}
            >
              {(f) => (
                <div className="space-y-3">
                  <div className="grid gap-3 sm:grid-cols-2">
                    <TextField form={f} name="name" label="Name" placeholder="ops-pager" />
                    <TextField form={f} name="url" label="URL" placeholder="https://hooks.example.com/stratus" />
                  </div>
                  {admin && (
                    <SelectField
                      form={f}
                      name="scope"
                      label="Events of"
                      options={[
                        { value: "account", label: `Your account (${caller.accountName})` },
                        { value: "domain", label: "Your whole domain: every account and sub-domain below it" },
                      ]}
                    />
                  )}
                  <fieldset>
                    <legend className="text-sm font-medium text-slate-700">Events</legend>
                    <div className="mt-2 grid gap-2 sm:grid-cols-2">
                      <Checkbox label="Every event (*)" value="*" {...f.register("eventTypes")} />
                      {webhookEvents
                        .filter((e) => e.type !== "WEBHOOK.PING")
                        .map((e) => (
                          <Checkbox key={e.type} label={`${e.type}: ${e.label}`} value={e.type} {...f.register("eventTypes")} />
                        ))}
                    </div>
                  </fieldset>
                </div>
              )}
            </KitFormBody>
          </div>
        </Card>
        <Card title="Your webhooks">
          {list.isPending ? (
            <Loading label="Loading webhooks…" />
          ) : list.isError ? (
            <ErrorState error={list.error} onRetry={() => void list.refetch()} />
          ) : list.data.length === 0 ? (
            <EmptyState title="No webhooks" hint="Create one above to receive alerts and billing events at your URL." />
          ) : (
            <ul aria-label="Webhooks" className="divide-y divide-slate-100">
              {list.data.map((w) => (
                <WebhookRow key={w.id} webhook={w} />
              ))}
            </ul>
          )}
        </Card>
      </div>
    </>
  );
}

interface Webhook {
  id: string;
  name: string;
  url: string;
  accountId: string | null;
  eventTypes: string[];
  enabled: boolean;
  createdAt: Date;
}

function WebhookRow({ webhook: w }: { webhook: Webhook }) {
  const client = useTRPCClient();
  const confirm = useConfirm();
  const [showLog, setShowLog] = useState(false);
  const ping = useResourceMutation({
    run: (v: { id: string }) => client.webhook.ping.mutate(v),
    invalidate: ["webhook"],
    success: () => "Test delivery queued: see the log below",
    onDone: () => setShowLog(true),
  });
  const toggle = useResourceMutation({
    run: (v: { id: string; enabled: boolean }) => client.webhook.setEnabled.mutate(v),
    invalidate: ["webhook"],
    success: (r) => (r.enabled ? `${r.name} enabled` : `${r.name} disabled: no deliveries until enabled again`),
  });
  const remove = useResourceMutation({
    run: (v: { id: string }) => client.webhook.delete.mutate(v),
    invalidate: ["webhook"],
    success: () => `Webhook ${w.name} deleted`,
  });
  return (
    <li className="space-y-3 px-4 py-3" data-testid={`webhook-${w.name}`}>
      <div className="flex flex-col gap-2 sm:flex-row sm:items-start sm:justify-between">
        <div className="min-w-0 text-sm">
          <p className="flex flex-wrap items-center gap-2 font-medium text-slate-900">
            {w.name}
            <Badge tone={w.enabled ? "green" : "gray"}>{w.enabled ? "enabled" : "disabled"}</Badge>
            <Badge tone="blue">{w.accountId ? "account" : "domain subtree"}</Badge>
          </p>
          <p className="truncate font-mono text-xs text-slate-600" title={w.url}>
            {w.url}
          </p>
          <p className="text-slate-600">
            {w.eventTypes.includes("*") ? "every event" : w.eventTypes.join(", ")} · created <When at={w.createdAt} />
          </p>
        </div>
        <div className="flex flex-wrap gap-2 self-start">
          <Button size="sm" variant="secondary" loading={ping.isPending} disabled={!w.enabled} onClick={() => ping.mutate({ id: w.id })}>
            Send test
          </Button>
          <Button size="sm" variant="secondary" aria-expanded={showLog} onClick={() => setShowLog((s) => !s)}>
            {showLog ? "Hide log" : "Delivery log"}
          </Button>
          <Button size="sm" variant="secondary" loading={toggle.isPending} onClick={() => toggle.mutate({ id: w.id, enabled: !w.enabled })}>
            {w.enabled ? "Disable" : "Enable"}
          </Button>
          <Button
            size="sm"
            variant="secondary"
            aria-label={`Delete ${w.name}`}
            onClick={() =>
              confirm.ask({
                title: `Delete “${w.name}”?`,
                message: "No more events are sent to its URL; its delivery log goes with it.",
                confirmLabel: "Delete",
                danger: true,
                run: () => remove.mutateAsync({ id: w.id }),
              })
            }
          >
            Delete
          </Button>
        </div>
      </div>
      {showLog && <DeliveryLog subscriptionId={w.id} />}
      {confirm.dialog}
    </li>
  );
}

const statusTone = { succeeded: "green", failed: "red", pending: "amber" } as const;

/** The latest deliveries of one webhook; refreshed every few seconds while one is still pending. */
function DeliveryLog({ subscriptionId }: { subscriptionId: string }) {
  const trpc = useTRPC();
  const log = useQuery({
    ...trpc.webhook.deliveries.queryOptions({ subscriptionId }),
    refetchInterval: (q) => (q.state.data?.some((d) => d.status === "pending") ? 3_000 : false),
  });
  if (log.isPending) return <Loading label="Loading deliveries…" />;
  if (log.isError) return <ErrorState error={log.error} onRetry={() => void log.refetch()} />;
  if (log.data.length === 0) return <EmptyState title="No deliveries yet" hint="Send a test, or wait for one of its events." />;
  return (
    <div className="overflow-x-auto rounded-md border border-slate-200">
      <table className="min-w-full text-sm" aria-label="Deliveries">
        <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
          <tr>
            <th className="px-3 py-2">Event</th>
            <th className="px-3 py-2">Status</th>
            <th className="hidden px-3 py-2 sm:table-cell">Attempts</th>
            <th className="px-3 py-2">Answer</th>
            <th className="hidden px-3 py-2 md:table-cell">Queued</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {log.data.map((d) => (
            <tr key={d.id}>
              <td className="px-3 py-2 font-mono text-xs">{d.event}</td>
              <td className="px-3 py-2">
                <Badge tone={statusTone[d.status]}>{d.status}</Badge>
              </td>
              <td className="hidden px-3 py-2 tabular-nums sm:table-cell">
                {d.attempts} / {d.maxAttempts}
              </td>
              <td className="max-w-xs truncate px-3 py-2" title={d.lastError ?? undefined}>
                {d.responseCode ? `HTTP ${d.responseCode}` : (d.lastError ?? "—")}
              </td>
              <td className="hidden px-3 py-2 md:table-cell">
                <When at={d.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
