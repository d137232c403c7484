import { z } from "zod";
import type { Db } from "@/db";
import { getDb } from "@/db";
import { statementCsvColumns, statementInput } from "@/lib/validation/billing";
import { contextFromHeaders } from "@/server/api/context";
import { INTERNAL_MESSAGE } from "@/server/api/trpc";
import { can } from "@/server/authz/permissions";
import { ServiceError } from "@/server/core/errors";
import { statement, type Statement } from "@/server/billing/statements";

/** A CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
function csvField(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

type Column = (typeof statementCsvColumns)[number];

/** A statement as CSV lines with statementCsvColumns: per currency, opening, usage by type, credits, closing. Amounts exact (9 decimals kept). */
export function statementCsv(s: Statement): string {
  const base = { account_id: s.account.id, account_name: s.account.name, period_from: s.from.toISOString(), period_to: s.to.toISOString() };
  const rows: Partial<Record<Column, string | number>>[] = [];
  for (const c of s.currencies) {
    rows.push({ ...base, section: "opening_balance", date: s.from.toISOString(), currency: c.currency, amount: c.opening });
    for (const t of c.byType)
      rows.push({
        ...base,
        section: "charge",
        usage_type: t.usageType,
        usage_type_name: t.typeName,
        quantity: t.quantity,
        unit: t.unit,
        currency: c.currency,
        amount: `-${t.amount}`.replace(/^--/, ""),
      });
    for (const k of c.credits)
      rows.push({
        ...base,
        section: k.kind,
        date: k.createdAt.toISOString(),
        description: k.reason,
        currency: c.currency,
        amount: k.amount,
      });
    rows.push({ ...base, section: "closing_balance", date: s.to.toISOString(), currency: c.currency, amount: c.closing });
  }
  return (
    [statementCsvColumns.join(","), ...rows.map((r) => statementCsvColumns.map((col) => csvField(r[col])).join(","))].join("\r\n") + "\r\n"
  );
}

const query = statementInput.extend({ format: z.enum(["csv"], { error: "format must be csv" }).default("csv") });

/**
 * GET /api/billing/statement?month=YYYY-MM&accountId=…: the statement as CSV, with the session and
 * scope rules of billing.statement (another tenant's account is 404).
 */
export async function handleStatementExport(req: Request, db: Db = getDb()): Promise<Response> {
  try {
    const ctx = await contextFromHeaders(db, req.headers);
    if (!ctx.caller) return Response.json({ error: "Sign in to export statements" }, { status: 401 });
    if (!can(ctx.caller.accountType, "billing.read")) return Response.json({ error: "Not allowed" }, { status: 403 });
    const params = Object.fromEntries([...new URL(req.url).searchParams].filter(([, v]) => v !== ""));
    const q = query.safeParse(params);
    if (!q.success) {
      const bad = q.error.issues[0];
      return Response.json({ error: `${bad?.path.join(".")}: ${bad?.message}`, field: bad?.path.join(".") }, { status: 400 });
    }
    const s = await statement(db, ctx.caller, q.data);
    return new Response(statementCsv(s), {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="statement-${s.account.name.replace(/[^\w.-]/g, "_")}-${s.month}.csv"`,
        "cache-control": "no-store",
      },
    });
  } catch (e) {
    if (e instanceof ServiceError && e.code === "NOT_FOUND") return Response.json({ error: e.message }, { status: 404 });
    console.error("[statement export] failed", e);
    return Response.json({ error: INTERNAL_MESSAGE }, { status: 500 });
  }
}
