import type { Metadata } from "next";
import { notFound, redirect } from "next/navigation";
import { getDb } from "@/db";
import { formatMoney } from "@/lib/money";
import { monthSchema } from "@/lib/validation/billing";
import { idSchema } from "@/lib/validation/common";
import { currentCaller } from "@/server/api/context";
import { can } from "@/server/authz/permissions";
import { ServiceError } from "@/server/core/errors";
import { statement } from "@/server/billing/statements";
import { PrintButton } from "./print-button";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Statement" };

const day = (d: Date) => d.toISOString().slice(0, 10);
const qty = (q: string) => (q.includes(".") ? q.replace(/(\.\d{3})\d+$/, "$1") : q);

/**
 * A printable statement (an invoice-like page without the portal's shell; the browser's "Print" or
 * "Save as PDF" makes the PDF): /billing/statements/2026-11?accountId=…, same scope as billing.statement.
 */
export default async function StatementPage({
  params,
  searchParams,
}: {
  params: Promise<{ month: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const caller = await currentCaller();
  if (!caller) redirect("/login");
  const { month } = await params;
  const sp = await searchParams;
  const accountId = typeof sp.accountId === "string" ? sp.accountId : undefined;
  if (
    !monthSchema.safeParse(month).success ||
    (accountId && !idSchema.safeParse(accountId).success) ||
    !can(caller.accountType, "billing.read")
  )
    notFound();
  let s;
  try {
    s = await statement(getDb(), caller, { month, accountId });
  } catch (e) {
    if (e instanceof ServiceError && e.code === "NOT_FOUND") notFound();
    throw e;
  }
  const csv = `/api/billing/statement?month=${s.month}${accountId ? `&accountId=${accountId}` : ""}`;
  return (
    <main className="statement mx-auto my-6 max-w-3xl bg-white p-6 text-sm shadow sm:p-10 print:m-0 print:max-w-none print:p-0 print:shadow-none">
      <style>{`@media print { @page { size: A4; margin: 18mm; } body { background: white; } .no-print { display: none !important; } }
        .statement table { width: 100%; border-collapse: collapse; } .statement th, .statement td { padding: 4px 6px; border-bottom: 1px solid #e2e8f0; }
        .statement td.num, .statement th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }`}</style>
      <div className="no-print mb-6 flex flex-wrap gap-2">
        <a href="/billing" className="rounded border border-slate-300 px-3 py-1.5 hover:bg-slate-50">
          ← Billing
        </a>
        <PrintButton />
        <a href={csv} className="rounded border border-slate-300 px-3 py-1.5 hover:bg-slate-50">
          Download CSV
        </a>
      </div>
      <header className="flex flex-col justify-between gap-4 border-b border-slate-300 pb-4 sm:flex-row">
        <div>
          <div className="text-xl font-semibold">Stratus</div>
          <div className="text-slate-500">Statement of account</div>
        </div>
        <dl className="grid grid-cols-[auto_auto] gap-x-4 gap-y-0.5 sm:text-right">
          <dt className="text-slate-500">Account</dt>
          <dd className="font-medium">{s.account.name}</dd>
          <dt className="text-slate-500">Domain</dt>
          <dd>{s.account.domainName}</dd>
          <dt className="text-slate-500">Period</dt>
          <dd>
            {day(s.from)} – {day(s.current ? s.to : new Date(s.to.getTime() - 1))}
            {s.current ? " (month to date)" : ""}
          </dd>
          <dt className="text-slate-500">Issued</dt>
          <dd>{day(s.generatedAt)}</dd>
        </dl>
      </header>
      {s.currencies.length === 0 && <p className="mt-6 text-slate-500">No charges or credits on this account yet.</p>}
      {s.currencies.map((c) => (
        <section key={c.currency} className="mt-6 break-inside-avoid">
          <h2 className="mb-2 text-base font-semibold">{c.currency}</h2>
          <table>
            <thead>
              <tr className="text-left text-slate-500">
                <th>Description</th>
                <th className="num">Quantity</th>
                <th className="num">Amount</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>Opening balance on {day(s.from)}</td>
                <td />
                <td className="num">{formatMoney(c.opening, c.currency)}</td>
              </tr>
              {c.byType.map((t) => (
                <tr key={t.usageType}>
                  <td>
                    {t.typeName || `Usage type ${t.usageType}`} <span className="text-slate-500">({t.lines} lines)</span>
                  </td>
                  <td className="num">
                    {qty(t.quantity)} {t.unit}
                  </td>
                  <td className="num">{formatMoney(`-${t.amount}`.replace(/^--/, ""), c.currency)}</td>
                </tr>
              ))}
              {c.credits.map((k) => (
                <tr key={k.id}>
                  <td>
                    {k.kind === "credit" ? "Credit" : "Adjustment"} {day(k.createdAt)}: {k.reason}
                  </td>
                  <td />
                  <td className="num">{formatMoney(k.amount, c.currency)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr className="text-slate-600">
                <td>Charges this period</td>
                <td />
                <td className="num">{formatMoney(`-${c.charged}`.replace(/^--/, ""), c.currency)}</td>
              </tr>
              <tr className="text-slate-600">
                <td>Credits this period</td>
                <td />
                <td className="num">{formatMoney(c.credited, c.currency)}</td>
              </tr>
              <tr className="font-semibold">
                <td>Closing balance {s.current ? "to date" : `on ${day(s.to)}`}</td>
                <td />
                <td className="num">{formatMoney(c.closing, c.currency)}</td>
              </tr>
            </tfoot>
          </table>
        </section>
      ))}
      <p className="mt-8 text-xs text-slate-500">
        Amounts are exact and rounded to cents only on this page; the CSV keeps every decimal. A negative balance is owed.
      </p>
    </main>
  );
}
