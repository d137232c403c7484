import { When } from "./cells";
import { formatDateTime } from "./format";

/** One API key as lists show it: name, the key's start, created, expiry and last use (never its secret). */
export function ApiKeySummary({
  k,
}: {
  k: { name: string; apiKey: string; createdAt: Date; expiresAt: Date | null; lastUsedAt: Date | null };
}) {
  return (
    <div className="min-w-0 text-sm">
      <p className="font-medium text-slate-900">{k.name}</p>
      <p className="truncate font-mono text-xs text-slate-600" title={k.apiKey}>
        {k.apiKey.slice(0, 16)}…
      </p>
      <p className="text-slate-600">
        created {formatDateTime(k.createdAt)} · {k.expiresAt ? `expires ${formatDateTime(k.expiresAt)}` : "no expiry"} · last used{" "}
        {k.lastUsedAt ? <When at={k.lastUsedAt} /> : "never"}
      </p>
    </div>
  );
}
