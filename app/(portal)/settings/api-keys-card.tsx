"use client";
import { useQuery } from "@tanstack/react-query";
import { ApiKeySummary } from "@/components/resource/api-key-summary";
import { useState } from "react";
import { z } from "zod";
import { useConfirm } from "@/components/resource/confirm";
import { KitFormBody, TextField } from "@/components/resource/form-dialog";
import { useResourceMutation } from "@/components/resource/mutations";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { apiKeyNameSchema } from "@/lib/validation/api-keys";

const createForm = z.object({
  name: apiKeyNameSchema,
  /** A date (yyyy-mm-dd) from the date input, or empty for no expiry. */
  expires: z
    .string()
    .trim()
    .refine((v) => v === "" || /^\d{4}-\d{2}-\d{2}$/.test(v), { message: "Expiry must be a date like 2027-01-31" })
    .refine((v) => v === "" || !/^\d{4}-\d{2}-\d{2}$/.test(v) || new Date(`${v}T23:59:59`).getTime() > Date.now(), {
      message: "Expiry must be in the future",
    }),
});

interface Issued {
  name: string;
  apiKey: string;
  secretKey: string;
}

/** Copies `text` to the clipboard and says so on the button for a moment. */
function CopyButton({ label, text }: { label: string; text: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <Button
      variant="secondary"
      size="sm"
      onClick={() =>
        void navigator.clipboard.writeText(text).then(() => {
          setCopied(true);
          setTimeout(() => setCopied(false), 2000);
        })
      }
    >
      {copied ? "Copied" : label}
    </Button>
  );
}

/** The user's API keys for the CloudStack-compatible API: create (the secret is shown once), regenerate, revoke. */
export function ApiKeysCard() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const list = useQuery(trpc.apiKey.mine.queryOptions());
  const confirm = useConfirm();
  const [issued, setIssued] = useState<Issued | null>(null);
  const [round, setRound] = useState(0);
  const revoke = useResourceMutation({
    run: (v: { id: string }) => client.apiKey.revoke.mutate(v),
    invalidate: ["apiKey"],
    success: () => "API key revoked",
  });
  const regenerate = useResourceMutation({
    run: (v: { id: string }) => client.apiKey.regenerate.mutate(v),
    invalidate: ["apiKey"],
    success: () => "New key made; the old one no longer works",
    onDone: (k) => setIssued(k),
  });
  return (
    <Card title="API keys">
      <div className="space-y-4 p-4">
        <p className="text-sm text-slate-600">
          Keys for the CloudStack-compatible API at <code className="font-mono">/client/api</code> (cmk, Terraform, the cs client). They act
          as you, with your permissions.
        </p>
        {issued && (
          <div role="status" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm">
            <p className="font-medium text-amber-900">Copy the secret key of “{issued.name}” now: it is not shown again.</p>
            <dl className="mt-2 space-y-1">
              <dt className="text-slate-600">API key</dt>
              <dd className="font-mono break-all text-slate-900" data-testid="issued-api-key">
                {issued.apiKey}
              </dd>
              <dt className="text-slate-600">Secret key</dt>
              <dd className="font-mono break-all text-slate-900" data-testid="issued-secret-key">
                {issued.secretKey}
              </dd>
            </dl>
            <div className="mt-2 flex flex-wrap gap-2">
              <CopyButton label="Copy API key" text={issued.apiKey} />
              <CopyButton label="Copy secret key" text={issued.secretKey} />
              <Button variant="secondary" size="sm" onClick={() => setIssued(null)}>
                I have copied it
              </Button>
            </div>
          </div>
        )}
        <KitFormBody
          key={round}
          label="New API key"
          onClose={() => setRound((r) => r + 1)}
          cancelLabel={null}
          schema={createForm}
          defaultValues={{ name: "", expires: "" }}
          submitLabel="Create key"
          onSubmit={({ name, expires }) =>
            client.apiKey.create.mutate({ name, expiresAt: expires ? new Date(`${expires}T23:59:59`) : undefined })
          }
          invalidate={["apiKey"]}
          success={() => "API key created"}
          onSaved={(k) => setIssued(k)}
        >
          {(f) => (
            <div className="grid gap-3 sm:grid-cols-2">
              <TextField form={f} name="name" label="Name" placeholder="terraform" />
              <TextField form={f} name="expires" label="Expires (optional)" placeholder="yyyy-mm-dd" hint="Empty: never" />
            </div>
          )}
        </KitFormBody>
        {list.isPending ? (
          <Loading label="Loading API keys…" />
        ) : list.isError ? (
          <ErrorState error={list.error} onRetry={() => void list.refetch()} />
        ) : list.data.length === 0 ? (
          <EmptyState title="No API keys" hint="Create one to use the API." />
        ) : (
          <ul aria-label="API keys" className="divide-y divide-slate-100 rounded-md border border-slate-200">
            {list.data.map((k) => (
              <li key={k.id} className="flex flex-col gap-2 px-4 py-3 sm:flex-row sm:items-center sm:justify-between">
                <ApiKeySummary k={k} />
                <div className="flex gap-2 self-start sm:self-auto">
                  <Button
                    variant="secondary"
                    size="sm"
                    aria-label={`Regenerate ${k.name}`}
                    onClick={() =>
                      confirm.ask({
                        title: `Regenerate “${k.name}”?`,
                        message: "A new key and secret replace this one; tools using the old pair stop working at once.",
                        confirmLabel: "Regenerate",
                        danger: true,
                        run: () => regenerate.mutateAsync({ id: k.id }),
                      })
                    }
                  >
                    Regenerate
                  </Button>
                  <Button
                    variant="secondary"
                    size="sm"
                    aria-label={`Revoke ${k.name}`}
                    onClick={() =>
                      confirm.ask({
                        title: `Revoke “${k.name}”?`,
                        message: "Every request signed with it is refused from now on.",
                        confirmLabel: "Revoke",
                        danger: true,
                        run: () => revoke.mutateAsync({ id: k.id }),
                      })
                    }
                  >
                    Revoke
                  </Button>
                </div>
              </li>
            ))}
          </ul>
        )}
      </div>
      {confirm.dialog}
    </Card>
  );
}
