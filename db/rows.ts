/**
 * The rows of a raw `db.execute(sql…)`: PGlite answers `{ rows }`, postgres.js the array itself.
 * The one place that knows the difference.
 */
export function rowsOf<R = Record<string, unknown>>(result: unknown): R[] {
  if (Array.isArray(result)) return result as R[];
  return (result as { rows?: R[] }).rows ?? [];
}
