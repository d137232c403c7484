"use client";
import { zodResolver } from "@hookform/resolvers/zod";
import { useEffect, useState } from "react";
import { useForm, useWatch } from "react-hook-form";
import { z } from "zod";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { resourceTypes, type ResourceType } from "@/lib/resource-types";
import { limitsSchema } from "@/lib/validation/limits";
import { LimitBars } from "./limit-bars";
import { errorMessage } from "./router-types";

interface LimitRow {
  resourceType: ResourceType;
  label: string;
  max: number | null;
  used: number;
}

/** One limit as a form holds it: the number as typed (undefined while disabled), or the "Unlimited" box. */
const limitField = z.object({ unlimited: z.boolean(), max: z.string() }).superRefine((v, ctx) => {
  if (v.unlimited) return;
  const text = (v.max ?? "").trim();
  const n = Number(text);
  if (text === "") ctx.addIssue({ code: "custom", path: ["max"], message: "Enter a limit or tick Unlimited" });
  else if (!Number.isInteger(n)) ctx.addIssue({ code: "custom", path: ["max"], message: "Must be a whole number" });
  else if (n < 0) ctx.addIssue({ code: "custom", path: ["max"], message: "Cannot be negative" });
});
const formSchema = z.object({ limits: z.record(z.enum(resourceTypes), limitField) });
type FormValues = z.infer<typeof formSchema>;

const toForm = (rows: LimitRow[]): FormValues => ({
  limits: Object.fromEntries(
    resourceTypes.map((t) => {
      const r = rows.find((x) => x.resourceType === t);
      return [t, { unlimited: r?.max == null, max: r?.max == null ? "" : String(r.max) }];
    }),
  ) as FormValues["limits"],
});

/**
 * Limits with their use: bars to read, and (when editable) a form with a number or "Unlimited" per
 * resource type. Only changed limits are sent; a server refusal naming a type shows beside it.
 */
export function LimitsEditor({
  rows,
  editable,
  readOnlyReason,
  onSave,
  saving,
}: {
  rows: LimitRow[];
  editable: boolean;
  readOnlyReason?: string;
  onSave: (limits: z.infer<typeof limitsSchema>) => Promise<unknown>;
  saving?: boolean;
}) {
  const [editing, setEditing] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const form = useForm<FormValues>({ resolver: zodResolver(formSchema), defaultValues: toForm(rows) });
  const { register, handleSubmit, control, reset, setError, formState } = form;
  const watched = useWatch({ control, name: "limits" });
  useEffect(() => {
    if (!editing) reset(toForm(rows));
  }, [rows, editing, reset]);

  if (!editing) {
    return (
      <div>
        <LimitBars rows={rows} />
        <div className="flex items-center justify-between gap-3 border-t border-slate-100 px-4 py-3">
          <p className="text-xs text-slate-600">
            {editable ? "Use counts against this limit and every ancestor domain's." : readOnlyReason}
          </p>
          {editable && (
            <Button variant="secondary" size="sm" onClick={() => setEditing(true)}>
              Edit limits
            </Button>
          )}
        </div>
      </div>
    );
  }

  const submit = handleSubmit(async (values) => {
    setFormError(null);
    const changed: Record<string, number | null> = {};
    for (const t of resourceTypes) {
      const v = values.limits[t];
      const next = v.unlimited ? null : Number((v.max ?? "").trim());
      const current = rows.find((r) => r.resourceType === t)?.max ?? null;
      if (next !== current) changed[t] = next;
    }
    const parsed = limitsSchema.safeParse(changed);
    if (!parsed.success) {
      setFormError(parsed.error.issues[0]?.message ?? "Invalid limits");
      return;
    }
    if (Object.keys(parsed.data).length === 0) {
      setEditing(false);
      return;
    }
    try {
      await onSave(parsed.data);
      setEditing(false);
    } catch (err) {
      const field = (err as { data?: { field?: string } | null }).data?.field;
      const type = field?.startsWith("limits.") ? field.slice("limits.".length) : undefined;
      if (type && (resourceTypes as readonly string[]).includes(type)) {
        setError(`limits.${type as ResourceType}.max`, { type: "server", message: errorMessage(err) });
      } else setFormError(errorMessage(err));
    }
  });

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-label="Edit limits">
      <div className="grid gap-x-6 gap-y-4 p-4 sm:grid-cols-2 lg:grid-cols-3">
        {rows.map((r) => {
          const unlimited = watched[r.resourceType].unlimited;
          const err = formState.errors.limits?.[r.resourceType]?.max?.message;
          return (
            <Field key={r.resourceType} label={r.label} error={err} hint={`In use: ${r.used.toLocaleString()}`}>
              {(id) => (
                <div className="flex items-center gap-3">
                  <Input
                    id={id}
                    type="number"
                    min={0}
                    step={1}
                    inputMode="numeric"
                    disabled={unlimited}
                    invalid={Boolean(err)}
                    placeholder={unlimited ? "Unlimited" : ""}
                    {...register(`limits.${r.resourceType}.max`)}
                  />
                  <label className="flex shrink-0 items-center gap-1.5 text-sm text-slate-600">
                    <input
                      type="checkbox"
                      className="size-4 rounded border-slate-300"
                      {...register(`limits.${r.resourceType}.unlimited`)}
                    />
                    Unlimited<span className="sr-only"> {r.label}</span>
                  </label>
                </div>
              )}
            </Field>
          );
        })}
      </div>
      {formError && (
        <p role="alert" className="mx-4 mb-3 rounded-md bg-red-50 p-2 text-sm text-red-700">
          {formError}
        </p>
      )}
      <div className="flex justify-end gap-2 border-t border-slate-100 px-4 py-3">
        <Button
          variant="secondary"
          size="sm"
          onClick={() => {
            setEditing(false);
            setFormError(null);
          }}
        >
          Cancel
        </Button>
        <Button type="submit" size="sm" loading={saving || formState.isSubmitting}>
          Save limits
        </Button>
      </div>
    </form>
  );
}
