"use client";
import { useState } from "react";
import { Select } from "@/components/ui/field";
import { ErrorState, Loading } from "@/components/ui/states";

/** Filters above a list: their values, what to send to the API, and a reset of the page on change. */
/** An unset filter ("") that may later hold a T: types the initial value without an assertion. */
export const unset = <T extends string>(): T | "" => "";

export function useFilters<T extends Record<string, string>>(initial: T, onChange?: () => void) {
  const [values, setValues] = useState<T>(initial);
  const set = <K extends keyof T>(key: K, value: T[K], also?: Partial<T>) => {
    setValues((v) => ({ ...v, [key]: value, ...also }));
    onChange?.();
  };
  /** The filters for the API: empty ones left out. */
  const query = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v || undefined])) as { [K in keyof T]?: Exclude<T[K], ""> };
  return { values, set, query, active: Object.values(values).some(Boolean) };
}

/** A filter select above a table ("All zones" + options). */
export function FilterSelect({
  label,
  allLabel,
  value,
  onChange,
  options,
}: {
  label: string;
  allLabel: string;
  value: string;
  onChange: (v: string) => void;
  options: readonly { value: string; label: string }[];
}) {
  return (
    <Select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)} className="w-full sm:w-44">
      <option value="">{allLabel}</option>
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </Select>
  );
}

const stateOptions = {
  allocation: [
    { value: "enabled", label: "Enabled" },
    { value: "disabled", label: "Disabled" },
  ],
  host: [
    { value: "enabled", label: "Enabled" },
    { value: "disabled", label: "Disabled" },
    { value: "maintenance", label: "Maintenance" },
  ],
  offering: [
    { value: "active", label: "Active" },
    { value: "inactive", label: "Inactive" },
  ],
} as const;

/** The state filter of a kind of resource. */
export function StateFilter({ kind, value, onChange }: { kind: keyof typeof stateOptions; value: string; onChange: (v: string) => void }) {
  return <FilterSelect label="Filter by state" allLabel="All states" value={value} onChange={onChange} options={stateOptions[kind]} />;
}

/** A filter id from the address bar, or "" when it is not an id (so the API never sees junk). */
export const idOrEmpty = (v: string | undefined) =>
  v && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ? v : "";

/** Renders `children` once the options a form needs are loaded (so selects start on real values). */
export function WhenLoaded<T>({
  query,
  what,
  children,
}: {
  query: { data: T | undefined; error: { message: string } | null; refetch: () => unknown };
  what: string;
  children: (data: T) => React.ReactNode;
}) {
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  if (query.data === undefined) return <Loading label={`Loading ${what}…`} />;
  return <>{children(query.data)}</>;
}
