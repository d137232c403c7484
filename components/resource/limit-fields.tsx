"use client";
import type { FieldValues } from "react-hook-form";
import { useWatch } from "react-hook-form";
import { z } from "zod";
import { Field, Input } from "@/components/ui/field";
import { limitUnits, meteredResourceTypes, resourceLabels, resourceTypes, type ResourceType } from "@/lib/resource-types";
import { limitsSchema } from "@/lib/validation/limits";
import { firstMessage, type KitForm } from "./form-dialog";

/**
 * Limits as a form holds them: one number (in the unit people read: memory in GiB) or "Unlimited"
 * per metered resource type. The schema turns them into the server's limits (memory in MiB).
 * Types nothing consumes yet are not offered (see `meteredResourceTypes`).
 */
const unitOf = (t: ResourceType) => limitUnits[t] ?? { label: resourceLabels[t], unit: "", perUnit: 1 };
export const limitLabel = (t: ResourceType) => unitOf(t).label;
/** "Memory", "Primary storage": the label without its unit. */
export const plainLabel = (t: ResourceType) => resourceLabels[t].replace(/ \(.*\)$/, "");

const limitField = (t: ResourceType) =>
  z.object({ unlimited: z.boolean(), max: z.string().optional() }).superRefine((v, ctx) => {
    if (v.unlimited) return;
    const text = (v.max ?? "").trim();
    const n = Number(text);
    const issue = (message: string) => ctx.addIssue({ code: "custom", path: ["max"], message: `${limitLabel(t)}: ${message}` });
    if (text === "") issue("enter a limit or tick Unlimited");
    else if (!Number.isFinite(n)) issue("must be a number");
    else if (n < 0) issue("cannot be negative");
    else if (unitOf(t).perUnit === 1 && !Number.isInteger(n)) issue("must be a whole number");
  });

export const limitFormSchema = z
  .partialRecord(z.enum(resourceTypes), z.object({ unlimited: z.boolean(), max: z.string().optional() }))
  .superRefine((v, ctx) => {
    for (const t of meteredResourceTypes) {
      const r = limitField(t).safeParse(v[t]);
      if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: "custom", path: [t, ...i.path], message: i.message });
    }
  })
  .transform((v) =>
    limitsSchema.parse(
      Object.fromEntries(
        Object.entries(v).map(([t, f]) => [t, f.unlimited ? null : Math.round(Number(f.max ?? "") * unitOf(t as ResourceType).perUnit)]),
      ),
    ),
  );
export type LimitFormValues = z.input<typeof limitFormSchema>;

/** Form values from stored limits (MiB shown as GiB); a type with no value is unlimited. */
export const limitFormValues = (limits: Partial<Record<ResourceType, number | null>>): LimitFormValues =>
  Object.fromEntries(
    meteredResourceTypes.map((t) => {
      const max = limits[t] ?? null;
      return [t, { unlimited: max === null, max: max === null ? "" : String(max / unitOf(t).perUnit) }];
    }),
  );

/** A limit as people read it: "80 GiB", "20", "Unlimited". */
export const formatLimit = (t: ResourceType, v: number | null) => {
  if (v === null) return "Unlimited";
  const u = unitOf(t);
  return `${(v / u.perUnit).toLocaleString("en-US", { maximumFractionDigits: 2 })}${u.unit ? ` ${u.unit}` : ""}`;
};

/** The inputs of the metered limits, under `name` in a kit form; `hint` per type (e.g. what is in use). */
export function LimitFields<TIn extends FieldValues, TOut extends FieldValues>({
  form,
  name,
  hint,
}: {
  form: KitForm<TIn, TOut>;
  name: string;
  hint?: (t: ResourceType) => string | undefined;
}) {
  const f = form as unknown as KitForm<Record<string, LimitFormValues>, FieldValues>;
  const values = useWatch({ control: f.control, name }) as LimitFormValues | undefined;
  return (
    <div className="grid gap-x-6 gap-y-4 sm:grid-cols-2 lg:grid-cols-3">
      {meteredResourceTypes.map((t) => {
        const unlimited = values?.[t]?.unlimited ?? false;
        const path = (k: string) => `${name}.${t}.${k}`;
        const error = firstMessage((f.formState.errors[name] as Record<string, unknown> | undefined)?.[t]);
        return (
          <Field key={t} label={limitLabel(t)} error={error} hint={hint?.(t)}>
            {(id) => (
              <div className="flex items-center gap-3">
                <Input
                  id={id}
                  type="number"
                  min={0}
                  step={unitOf(t).perUnit === 1 ? 1 : "any"}
                  inputMode="decimal"
                  disabled={unlimited}
                  invalid={Boolean(error)}
                  placeholder={unlimited ? "Unlimited" : ""}
                  {...f.register(path("max"))}
                />
                <label className="flex shrink-0 items-center gap-1.5 text-sm text-slate-600">
                  <input type="checkbox" className="size-4 rounded border-slate-300" {...f.register(path("unlimited"))} />
                  Unlimited<span className="sr-only"> {limitLabel(t)}</span>
                </label>
              </div>
            )}
          </Field>
        );
      })}
    </div>
  );
}

/** "Volumes, Snapshots, … are not metered yet": said once under limits, so no row promises what nothing counts. */
export function NotMetered() {
  const rest = resourceTypes.filter((t) => !meteredResourceTypes.includes(t)).map(plainLabel);
  if (rest.length === 0) return null;
  return <p className="text-xs text-slate-600">Not metered yet, so not limited: {rest.join(", ")}.</p>;
}
