import type { FieldValues, Path, UseFormSetError } from "react-hook-form";

interface ServerErrorShape {
  message: string;
  data?: { field?: string; fieldErrors?: Record<string, string> } | null;
}

/**
 * Puts a tRPC error next to the field it names (zod or service error); returns the message to show
 * at form level when it names no field of this form.
 */
export function applyServerError<T extends FieldValues>(
  err: unknown,
  setError: UseFormSetError<T>,
  fields: readonly string[],
): string | null {
  const e = err as ServerErrorShape;
  const fieldErrors = e.data?.fieldErrors ?? (e.data?.field ? { [e.data.field]: e.message } : {});
  let placed = false;
  for (const [field, message] of Object.entries(fieldErrors)) {
    // "limits.vcpus" belongs to a form field "limits" that holds one value per type.
    if (fields.some((f) => field === f || field.startsWith(`${f}.`))) {
      setError(field as Path<T>, { type: "server", message });
      placed = true;
    }
  }
  return placed ? null : (e.message ?? "Something went wrong");
}
