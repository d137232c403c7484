"use client";
import { useState } from "react";
import { z } from "zod";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/page-header";
import type { ResourceType } from "@/lib/resource-types";
import type { limitsSchema } from "@/lib/validation/limits";
import { WhenLoaded } from "./filters";
import { KitFormBody } from "./form-dialog";
import { type LimitRow, LimitBars } from "./limit-bars";
import { formatLimit, LimitFields, limitFormSchema, limitFormValues, NotMetered } from "./limit-fields";

const schema = z.object({ limits: limitFormSchema });

/**
 * Limits with their use: bars to read, and (when editable) a form with a number or "Unlimited" per
 * metered resource type. Only changed limits are sent; a server refusal naming a type shows beside it.
 */
export function LimitsEditor({
  rows,
  editable,
  readOnlyReason,
  onSave,
}: {
  rows: LimitRow[];
  editable: boolean;
  readOnlyReason?: string;
  onSave: (limits: z.infer<typeof limitsSchema>) => Promise<unknown>;
}) {
  const [editing, setEditing] = useState(false);
  const current = Object.fromEntries(rows.map((r) => [r.resourceType, r.max])) as Partial<Record<ResourceType, number | null>>;
  if (!editing) {
    return (
      <div>
        <LimitBars rows={rows} />
        <div className="flex flex-wrap items-center justify-between gap-3 border-t border-slate-100 px-4 py-3">
          <div className="space-y-1">
            <p className="text-xs text-slate-600">
              {editable ? "Use counts against this limit and every ancestor domain's." : readOnlyReason}
            </p>
            <NotMetered />
          </div>
          {editable && (
            <Button variant="secondary" size="sm" onClick={() => setEditing(true)}>
              Edit limits
            </Button>
          )}
        </div>
      </div>
    );
  }
  const used = (t: ResourceType) => rows.find((r) => r.resourceType === t)?.used;
  return (
    <div className="p-4">
      <KitFormBody
        onClose={() => setEditing(false)}
        schema={schema}
        defaultValues={{ limits: limitFormValues(current) }}
        label="Edit limits"
        submitLabel="Save limits"
        onSubmit={(v) => onSave(Object.fromEntries(Object.entries(v.limits).filter(([t, max]) => current[t as ResourceType] !== max)))}
        invalidate={["limit"]}
        success={() => "Limits saved"}
      >
        {(f) => <LimitFields form={f} name="limits" hint={(t) => `In use: ${formatLimit(t, used(t) ?? 0)}`} />}
      </KitFormBody>
    </div>
  );
}

/** A card with an account's or domain's limits once they have loaded. */
export function LimitsCard({
  title,
  query,
  ...editor
}: Omit<Parameters<typeof LimitsEditor>[0], "rows"> & {
  title: string;
  query: { data: { limits: LimitRow[] } | undefined; error: { message: string } | null; refetch: () => unknown };
}) {
  return (
    <Card title={title}>
      <WhenLoaded query={query} what="limits">
        {(d) => <LimitsEditor rows={d.limits} {...editor} />}
      </WhenLoaded>
    </Card>
  );
}
