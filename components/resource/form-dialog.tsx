"use client";
import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { type DefaultValues, type FieldValues, get, type Path, useForm, type UseFormReturn, useWatch } from "react-hook-form";
import type { z } from "zod";
import { type RouterKey, useResourceMutation } from "@/components/resource/mutations";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { Dialog } from "@/components/ui/dialog";
import { Checkbox, Field, Input, Select } from "@/components/ui/field";
import { applyServerError } from "@/lib/form-errors";
import { renameInput } from "@/lib/validation/identity";
import { WhenLoaded } from "./filters";

/** A form of the kit: values as typed (TIn) and as the schema outputs them (TOut). */
export type KitForm<TIn extends FieldValues, TOut extends FieldValues = TIn> = UseFormReturn<TIn, unknown, TOut>;

/**
 * A dialog with a form driven by the same zod schema as the server. It validates as the user types
 * (the error beside its field), keeps the submit button disabled with the reason beside it while the
 * values are invalid, puts the server's refusal beside the field it names (or above the buttons),
 * and on success refetches what changed and says so in a toast.
 */
export function FormDialog<TIn extends FieldValues, TOut extends FieldValues, TData>({
  open,
  onClose,
  title,
  wide,
  waitFor,
  ...form
}: FormProps<TIn, TOut, TData> & {
  open: boolean;
  title: string;
  wide?: boolean;
  /** Options the form needs before it starts (its defaults may come from them): a loading state until then. */
  waitFor?: { query: { data: unknown; error: { message: string } | null; refetch: () => unknown }; what: string };
}) {
  return (
    <Dialog open={open} onClose={onClose} title={title} wide={wide}>
      {open &&
        (waitFor ? (
          <WhenLoaded query={waitFor.query} what={waitFor.what}>
            {() => <KitFormBody onClose={onClose} {...form} />}
          </WhenLoaded>
        ) : (
          <KitFormBody onClose={onClose} {...form} />
        ))}
    </Dialog>
  );
}

export interface FormProps<TIn extends FieldValues, TOut extends FieldValues, TData> {
  onClose: () => void;
  schema: z.ZodType<TOut, TIn>;
  defaultValues: DefaultValues<TIn>;
  submitLabel: string;
  onSubmit: (values: TOut) => Promise<TData>;
  invalidate: readonly RouterKey[];
  success: (data: TData) => string;
  /** Called after a successful save (the dialog closes by itself). */
  onSaved?: (data: TData) => void;
  /** The form's accessible name, for a form in a page (a dialog's form is named by the dialog). */
  label?: string;
  /** The cancel button's label; null for a form in a page that has nothing to cancel. */
  cancelLabel?: string | null;
  children: (form: KitForm<TIn, TOut>) => React.ReactNode;
}

/** The form of `FormDialog` without the dialog, for a form in a page (Cancel calls `onClose`). */
export function KitFormBody<TIn extends FieldValues, TOut extends FieldValues, TData>({
  onClose,
  schema,
  defaultValues,
  submitLabel,
  onSubmit,
  invalidate,
  success,
  onSaved,
  label,
  cancelLabel = "Cancel",
  children,
}: FormProps<TIn, TOut, TData>) {
  const [formError, setFormError] = useState<string | null>(null);
  const form = useForm<TIn, unknown, TOut>({ resolver: zodResolver(schema), defaultValues, mode: "all" });
  const save = useResourceMutation({
    run: onSubmit,
    invalidate,
    success,
    quietErrors: true,
    onDone: (data) => {
      onSaved?.(data);
      onClose();
    },
  });
  // The first problem of the current values, shown beside the disabled submit button.
  const values = useWatch({ control: form.control });
  const check = schema.safeParse(values);
  const reason = check.success ? null : (check.error.issues[0]?.message ?? "Some values are not valid");
  const reasonId = `${title(submitLabel)}-reason`;
  // Before anything is typed the reason is what to do next, not an error: grey until the form is touched.
  const { isDirty, touchedFields, submitCount } = form.formState;
  const untouched = !isDirty && submitCount === 0 && Object.keys(touchedFields).length === 0;
  return (
    <form
      noValidate
      aria-label={label}
      className="space-y-4"
      onSubmit={(e) =>
        void form.handleSubmit((v) => {
          setFormError(null);
          save.mutate(v, { onError: (err) => setFormError(applyServerError(err, form.setError, Object.keys(defaultValues))) });
        })(e)
      }
    >
      {children(form)}
      {formError && (
        <p role="alert" className="rounded-md bg-red-50 p-2 text-sm text-red-800">
          {formError}
        </p>
      )}
      <div className="flex flex-wrap items-center justify-end gap-2 border-t border-slate-200 pt-4">
        {reason && (
          <p id={reasonId} className={cn("mr-auto text-sm", untouched ? "text-slate-600" : "text-red-700")} data-testid="submit-reason">
            {reason}
          </p>
        )}
        {cancelLabel !== null && (
          <Button variant="secondary" onClick={onClose}>
            {cancelLabel}
          </Button>
        )}
        <Button type="submit" loading={save.isPending} disabled={!!reason} aria-describedby={reason ? reasonId : undefined}>
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}

const title = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-");

/** The message of a field's error, whether the field or one element of an array field failed. */
export function firstMessage(err: unknown): string | undefined {
  if (!err || typeof err !== "object") return undefined;
  if ("message" in err && typeof err.message === "string" && err.message) return err.message;
  for (const v of Object.values(err)) {
    if (v && typeof v === "object" && v !== err) {
      const m = firstMessage(v);
      if (m) return m;
    }
  }
  return undefined;
}

interface FieldProps<TIn extends FieldValues, TOut extends FieldValues> {
  form: KitForm<TIn, TOut>;
  name: Path<TIn>;
  label: string;
  hint?: string;
  className?: string;
}

const errorOf = <TIn extends FieldValues, TOut extends FieldValues>(form: KitForm<TIn, TOut>, name: Path<TIn>) =>
  firstMessage(get(form.formState.errors, name));

export function TextField<TIn extends FieldValues, TOut extends FieldValues>({
  form,
  name,
  label,
  hint,
  className,
  mono,
  placeholder,
  autoFocus,
  type,
  autoComplete,
}: FieldProps<TIn, TOut> & {
  mono?: boolean;
  placeholder?: string;
  autoFocus?: boolean;
  type?: "email" | "password";
  autoComplete?: string;
}) {
  const error = errorOf(form, name);
  return (
    <Field label={label} error={error} hint={hint} className={className}>
      {(id) => (
        <Input
          id={id}
          type={type}
          autoComplete={autoComplete}
          autoFocus={autoFocus}
          placeholder={placeholder}
          spellCheck={mono ? false : undefined}
          className={mono ? "font-mono" : undefined}
          invalid={!!error}
          {...form.register(name)}
        />
      )}
    </Field>
  );
}

export function NumberField<TIn extends FieldValues, TOut extends FieldValues>({
  form,
  name,
  label,
  hint,
  className,
  min,
  max,
  step,
  nullable,
  optional,
}: FieldProps<TIn, TOut> & { min?: number; max?: number; step?: number; nullable?: boolean; optional?: boolean }) {
  const error = errorOf(form, name);
  // An empty input is null (`nullable`, and the field drops out of the values while hidden) or absent (`optional`).
  const empty = nullable ? null : undefined;
  const options =
    nullable || optional
      ? { setValueAs: (v: unknown) => (v === "" || v == null ? empty : Number(v)), shouldUnregister: nullable }
      : { valueAsNumber: true as const };
  return (
    <Field label={label} error={error} hint={hint} className={className}>
      {(id) => (
        <Input
          id={id}
          type="number"
          inputMode="decimal"
          min={min}
          max={max}
          step={step}
          invalid={!!error}
          {...form.register(name, options)}
        />
      )}
    </Field>
  );
}

export interface Option {
  value: string;
  label: string;
}

/** A select; `empty` adds a first option with the value "" (`emptyIsNull` sends it as null). */
export function SelectField<TIn extends FieldValues, TOut extends FieldValues>({
  form,
  name,
  label,
  hint,
  className,
  options,
  empty,
  emptyIsNull,
  onChange,
}: FieldProps<TIn, TOut> & { options: Option[]; empty?: string; emptyIsNull?: boolean; onChange?: (value: string) => void }) {
  const error = errorOf(form, name);
  return (
    <Field label={label} error={error} hint={hint} className={className}>
      {(id) => (
        <Select
          id={id}
          invalid={!!error}
          {...form.register(name, {
            setValueAs: emptyIsNull ? (v: unknown) => (v === "" || v == null ? null : v) : undefined,
            onChange: onChange ? (e: React.ChangeEvent<HTMLSelectElement>) => onChange(e.target.value) : undefined,
          })}
        >
          {empty !== undefined && <option value="">{empty}</option>}
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </Select>
      )}
    </Field>
  );
}

/** "ssd, gpu" → ["ssd", "gpu"]: what tag inputs register with (the schema reports bad tags). */
export const parseTags = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === "string" ? [...new Set(v.split(/[\s,]+/).filter(Boolean))] : [];

export function TagsField<TIn extends FieldValues, TOut extends FieldValues>({
  form,
  name,
  label,
  hint,
  className,
}: FieldProps<TIn, TOut>) {
  const error = errorOf(form, name);
  return (
    <Field label={label} error={error} hint={hint ?? "Comma-separated, e.g. ssd, gpu"} className={className}>
      {(id) => <Input id={id} placeholder="ssd, gpu" invalid={!!error} {...form.register(name, { setValueAs: parseTags })} />}
    </Field>
  );
}

export function CheckboxField<TIn extends FieldValues, TOut extends FieldValues>({
  form,
  name,
  label,
  className,
}: Omit<FieldProps<TIn, TOut>, "hint">) {
  return (
    <div className={className}>
      <Checkbox label={label} {...form.register(name)} />
    </div>
  );
}

/** A value shown in a form that cannot change there (a host's cluster, an offering's scope). */
export function ReadOnlyField({ label, value, hint, className }: { label: string; value: string; hint?: string; className?: string }) {
  return (
    <Field label={label} hint={hint} className={className}>
      {(id) => <Input id={id} value={value} disabled readOnly />}
    </Field>
  );
}

/** "Rename …": one name field, prefilled; `run` saves it and names what it renamed. */
export function RenameDialog({
  target,
  onClose,
  noun,
  run,
  invalidate,
}: {
  target: { id: string; name: string } | null;
  onClose: () => void;
  /** "Account", "Domain" */
  noun: string;
  run: (v: { id: string; name: string }) => Promise<{ name: string }>;
  invalidate: readonly RouterKey[];
}) {
  return (
    <FormDialog
      open={target !== null}
      onClose={onClose}
      title={`Rename ${target?.name ?? noun.toLowerCase()}`}
      schema={renameInput}
      defaultValues={{ id: target?.id ?? "", name: target?.name ?? "" }}
      submitLabel="Rename"
      onSubmit={run}
      invalidate={invalidate}
      success={(r) => `${noun} renamed to ${r.name}`}
    >
      {(f) => <TextField form={f} name="name" label="New name" autoFocus autoComplete="off" />}
    </FormDialog>
  );
}
