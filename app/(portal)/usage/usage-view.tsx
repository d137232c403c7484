"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { AccountLink } from "@/components/resource/cells";
import { FilterSelect, idOrEmpty, useFilters } from "@/components/resource/filters";
import { formatDateTime, formatMoney } from "@/components/resource/format";
import { useAccountOptions, useDomainOptions } from "@/components/resource/options";
import type { UsageRecordRow, UsageSummary } from "@/components/resource/router-types";
import { useCaller } from "@/components/shell/caller-context";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { Input } from "@/components/ui/field";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { useTRPC } from "@/lib/trpc/client";
import { describeEvery, describeMinutes } from "@/lib/usage-period";
import { usageTypeNames } from "@/lib/validation/usage";

export interface UsageFilter {
  accountId?: string;
  domainId?: string;
  resourceId?: string;
}

const DAY_MS = 86_400_000;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
/** The current month (UTC) as inclusive days: the range a report opens with. */
function thisMonth(now = new Date()) {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0));
  return { from: isoDay(first), to: isoDay(last) };
}
function lastMonth(now = new Date()) {
  return thisMonth(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)));
}
const typeOptions = Object.entries(usageTypeNames).map(([n, name]) => ({ value: n, label: `${n} ${name}` }));
const typeLabel = (n: number) => usageTypeNames[n] ?? String(n);
/** Quantities are exact decimals from the server; shown with up to three decimals. */
const qty = (q: string | number) => Number(q).toLocaleString("en-GB", { maximumFractionDigits: 3 });

/**
 * Usage of the caller's scope (own account, subtree, everything): totals by type, a chart over
 * time of one type, top accounts and resources of that type, and the records, for the current
 * month unless other days are picked. Export as CSV or JSON with the same filters.
 */
/** The usage period's length and how often usage is aggregated (minutes; the server's settings). */
export interface UsageTiming {
  periodMinutes: number;
  aggregateMinutes: number;
}

export function UsageView({ initial = {}, timing }: { initial?: UsageFilter; timing: UsageTiming }) {
  const period = describeMinutes(timing.periodMinutes);
  const every = describeEvery(timing.aggregateMinutes);
  const trpc = useTRPC();
  const caller = useCaller();
  const admin = caller.accountType !== "user";
  const table = useTableState({ sort: "periodStart", dir: "desc" });
  const [days, setDays] = useState(thisMonth);
  const filters = useFilters(
    {
      usageType: "",
      domainId: idOrEmpty(initial.domainId),
      accountId: idOrEmpty(initial.accountId),
      resourceId: idOrEmpty(initial.resourceId),
    },
    () => table.setPage(1),
  );
  const from = new Date(`${days.from}T00:00:00Z`);
  const to = new Date(new Date(`${days.to}T00:00:00Z`).getTime() + DAY_MS);
  const validRange = !Number.isNaN(from.getTime()) && !Number.isNaN(to.getTime()) && from < to;
  const { usageType, ...ids } = filters.query;
  const base = { from, to, ...ids, usageType: usageType ? Number(usageType) : undefined };
  const summary = useQuery(trpc.usage.summary.queryOptions(base, { enabled: validRange, placeholderData: keepPreviousData }));
  const records = useQuery(
    trpc.usage.records.queryOptions({ ...table.query, ...base }, { enabled: validRange, placeholderData: keepPreviousData }),
  );
  const domains = useDomainOptions(admin);
  const accounts = useAccountOptions(filters.values.domainId, admin);
  const [chartType, setChartType] = useState<number | null>(null);

  const exportHref = (format: "csv" | "json") => {
    const p = new URLSearchParams({ format, from: from.toISOString(), to: to.toISOString() });
    for (const [k, v] of Object.entries({ ...ids, usageType })) if (v) p.set(k, String(v));
    return `/api/usage/export?${p.toString()}`;
  };

  const columns: Column<UsageRecordRow>[] = [
    {
      key: "periodStart",
      header: "Period",
      sortable: true,
      // On a phone the period goes under the resource's name with the type (below).
      hideBelow: "sm",
      className: "whitespace-nowrap",
      cell: (r) => <span className="tabular-nums text-slate-700">{formatDateTime(r.periodStart)}</span>,
    },
    {
      key: "usageType",
      header: "Type",
      sortable: true,
      // On a phone the type and period go under the resource's name, so the amount fits without panning.
      hideBelow: "sm",
      cell: (r) => (
        <code className="text-xs text-slate-800">
          {r.usageType} {r.typeName}
        </code>
      ),
    },
    {
      key: "resourceName",
      header: "Resource",
      sortable: true,
      cell: (r) => (
        <>
          <button
            type="button"
            className="text-left wrap-anywhere text-brand-700 hover:underline"
            onClick={() => filters.set("resourceId", r.resourceId)}
          >
            {r.resourceName ?? r.resourceId}
            <span className="sr-only"> (show its records only)</span>
          </button>
          <span className="block text-xs wrap-anywhere text-slate-600 sm:hidden">
            {r.typeName} · <span className="whitespace-nowrap tabular-nums">{formatDateTime(r.periodStart)}</span>
          </span>
        </>
      ),
    },
    ...(admin
      ? [
          {
            key: "account",
            header: "Account",
            hideBelow: "lg",
            cell: (r) => <AccountLink id={r.accountId} name={r.accountName} />,
          } satisfies Column<UsageRecordRow>,
        ]
      : []),
    {
      key: "dimensions",
      header: "Details",
      hideBelow: "md",
      cell: (r) => (
        <span className="text-xs text-slate-600">
          {Object.entries(r.dimensions)
            .filter(([, v]) => v !== null)
            .map(([k, v]) => `${k} ${String(v as string)}`)
            .join(" · ")}
        </span>
      ),
    },
    {
      key: "quantity",
      header: "Quantity",
      sortable: true,
      className: "text-right whitespace-nowrap",
      cell: (r) => (
        <>
          <span className="tabular-nums" title={`${r.seconds} s × ${r.size}`}>
            {qty(r.quantity)} {r.unit}
          </span>
          {/* On a phone the amount goes under the quantity, so a row fits without panning. */}
          <span className="block text-xs text-slate-600 tabular-nums sm:hidden" data-testid="record-amount-phone">
            {formatMoney(r.amount, r.currency)}
          </span>
        </>
      ),
    },
    {
      key: "amount",
      header: "Amount",
      hideBelow: "sm",
      className: "text-right whitespace-nowrap",
      cell: (r) => (
        <span className="tabular-nums" title={r.amount ? `${r.amount} ${r.currency}` : "Not priced"}>
          {formatMoney(r.amount, r.currency)}
        </span>
      ),
    },
  ];
  const canPrice = caller.permissions.includes("pricing.manage");

  return (
    <>
      <PageHeader
        title="Usage"
        crumbs={[{ label: "Usage" }]}
        description={`What was used, in periods of ${period}: aggregated from the usage facts ${every}.`}
        actions={
          <>
            <a
              className="rounded-md px-3 py-1.5 text-sm font-medium text-brand-700 ring-1 ring-slate-300 hover:bg-slate-50"
              href={exportHref("csv")}
              download
            >
              Export CSV
            </a>
            <a
              className="rounded-md px-3 py-1.5 text-sm font-medium text-brand-700 ring-1 ring-slate-300 hover:bg-slate-50"
              href={exportHref("json")}
              download
            >
              Export JSON
            </a>
          </>
        }
      />
      <div className="mb-4 flex flex-wrap items-end gap-2" role="group" aria-label="Range and filters">
        <label className="text-xs text-slate-600">
          From
          <Input
            type="date"
            aria-label="From"
            value={days.from}
            onChange={(e) => setDays((d) => ({ ...d, from: e.target.value }))}
            className="block w-40"
          />
        </label>
        <label className="text-xs text-slate-600">
          To
          <Input
            type="date"
            aria-label="To"
            value={days.to}
            onChange={(e) => setDays((d) => ({ ...d, to: e.target.value }))}
            className="block w-40"
          />
        </label>
        <button
          type="button"
          className="rounded-md px-2 py-1.5 text-sm ring-1 ring-slate-300 hover:bg-slate-50"
          onClick={() => setDays(thisMonth())}
        >
          This month
        </button>
        <button
          type="button"
          className="rounded-md px-2 py-1.5 text-sm ring-1 ring-slate-300 hover:bg-slate-50"
          onClick={() => setDays(lastMonth())}
        >
          Last month
        </button>
        <FilterSelect
          label="Usage type"
          allLabel="All types"
          value={filters.values.usageType}
          onChange={(v) => filters.set("usageType", v)}
          options={typeOptions}
        />
        {admin && (
          <>
            <FilterSelect
              label="Domain"
              allLabel="All domains"
              value={filters.values.domainId}
              onChange={(v) => filters.set("domainId", v, { accountId: "" })}
              options={domains.data ?? []}
            />
            <FilterSelect
              label="Account"
              allLabel="All accounts"
              value={filters.values.accountId}
              onChange={(v) => filters.set("accountId", v)}
              options={accounts.data ?? []}
            />
          </>
        )}
        {filters.values.resourceId && (
          <button
            type="button"
            className="rounded-md px-2 py-1.5 text-sm text-brand-700 ring-1 ring-slate-300 hover:bg-slate-50"
            onClick={() => filters.set("resourceId", "")}
          >
            One resource only ×<span className="sr-only"> show every resource</span>
          </button>
        )}
      </div>
      {!validRange ? (
        <ErrorState error={{ message: "Pick a From day on or before the To day." }} />
      ) : (
        <SummaryPanels
          summary={summary}
          chartType={chartType}
          setChartType={setChartType}
          onAccount={(id) => filters.set("accountId", id)}
          onResource={(id) => filters.set("resourceId", id)}
          admin={admin}
          period={period}
          every={every}
        />
      )}
      {validRange && canPrice && <CostRevenueCard from={from} to={to} domainId={ids.domainId} />}
      <h2 className="mt-6 mb-2 text-sm font-semibold text-slate-800">Records</h2>
      <DataTable
        label="usage records"
        noun={["record", "records"]}
        columns={columns}
        query={records}
        table={table}
        rowKey={(r) => `${r.accountId}:${r.usageType}:${r.resourceId}:${String(r.periodStart)}:${r.dimensionsKey}`}
        searchPlaceholder="Search resources…"
        emptyTitle="No usage records in this range"
        emptyHint={`Records of what was running, allocated or stored appear once their period of ${period} is complete, at the next aggregation (${every}).`}
      />
    </>
  );
}

function SummaryPanels({
  summary,
  chartType,
  setChartType,
  onAccount,
  onResource,
  admin,
  period,
  every,
}: {
  period: string;
  every: string;
  summary: { data?: UsageSummary; isPending: boolean; error: { message: string } | null; refetch: () => unknown };
  chartType: number | null;
  setChartType: (n: number) => void;
  onAccount: (id: string) => void;
  onResource: (id: string) => void;
  admin: boolean;
}) {
  if (summary.isPending) return <Loading label="Loading usage…" />;
  if (summary.error || !summary.data) return <ErrorState error={summary.error} onRetry={() => void summary.refetch()} />;
  const s = summary.data;
  if (s.byType.length === 0)
    return (
      <Card>
        <EmptyState
          title="No usage in this range"
          hint={`Nothing was recorded between ${formatDateTime(s.range.from)} and ${formatDateTime(s.range.to)}. Usage is aggregated ${every}; running VMs, volumes and snapshots appear once their first period of ${period} is complete.`}
        />
      </Card>
    );
  const shown = s.byType.find((t) => t.usageType === chartType) ?? s.byType[0]!;
  const data = s.overTime
    .filter((b) => b.usageType === shown.usageType)
    .map((b) => ({ bucket: b.bucket.slice(0, s.bucket === "hour" ? 16 : 10).replace("T", " "), quantity: Number(b.quantity) }));
  const topAccounts = s.topAccounts.filter((a) => a.usageType === shown.usageType);
  const topResources = s.topResources.filter((a) => a.usageType === shown.usageType);
  return (
    <div className="space-y-4">
      <ul className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4" aria-label="Totals by type" data-testid="usage-totals">
        {s.byType.map((t) => (
          <li key={t.usageType}>
            <button
              type="button"
              aria-pressed={t.usageType === shown.usageType}
              onClick={() => setChartType(t.usageType)}
              className={`w-full rounded-lg border bg-white p-3 text-left shadow-xs ${t.usageType === shown.usageType ? "border-brand-600 ring-1 ring-brand-600" : "border-slate-200 hover:border-slate-300"}`}
            >
              <span className="block text-xs text-slate-600">
                {t.usageType} {t.typeName}
              </span>
              <span className="block text-lg font-semibold tabular-nums text-slate-900">
                {qty(t.quantity)} <span className="text-sm font-normal text-slate-600">{t.unit}</span>
              </span>
              <span className="block text-xs text-slate-600">
                {t.resources} {t.resources === 1 ? "resource" : "resources"}
              </span>
            </button>
          </li>
        ))}
      </ul>
      <Card title={`${typeLabel(shown.usageType)} per ${s.bucket} (${shown.unit})`}>
        <figure className="h-56 p-3" aria-label={`${typeLabel(shown.usageType)} over time`} data-testid="usage-chart">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              <XAxis dataKey="bucket" tick={{ fontSize: 10, fill: "#475569" }} minTickGap={16} />
              <YAxis tick={{ fontSize: 10, fill: "#475569" }} width={56} />
              <Tooltip formatter={(v) => `${qty(Number(v))} ${shown.unit}`} />
              <Bar dataKey="quantity" name={shown.unit} fill="#2563eb" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </figure>
      </Card>
      <ChargesCard s={s} />
      <div className={`grid grid-cols-1 gap-4 ${admin ? "lg:grid-cols-2" : ""}`}>
        {admin && (
          <Card title={`Top accounts · ${typeLabel(shown.usageType)}`}>
            <ol className="divide-y divide-slate-100 text-sm" data-testid="usage-top-accounts">
              {topAccounts.map((a) => (
                <li key={a.accountId} className="flex items-center justify-between gap-2 px-4 py-2">
                  <button type="button" className="truncate text-brand-700 hover:underline" onClick={() => onAccount(a.accountId)}>
                    {a.accountName ?? a.accountId}
                  </button>
                  <span className="tabular-nums text-slate-700">
                    {qty(a.quantity)} {shown.unit}
                  </span>
                </li>
              ))}
            </ol>
          </Card>
        )}
        <Card title={`Top resources · ${typeLabel(shown.usageType)}`}>
          <ol className="divide-y divide-slate-100 text-sm" data-testid="usage-top-resources">
            {topResources.map((r) => (
              <li key={r.resourceId} className="flex items-center justify-between gap-2 px-4 py-2">
                <button type="button" className="truncate text-brand-700 hover:underline" onClick={() => onResource(r.resourceId)}>
                  {r.resourceName ?? r.resourceId}
                  {admin && r.accountName ? <span className="text-slate-500"> · {r.accountName}</span> : null}
                </button>
                <span className="tabular-nums text-slate-700">
                  {qty(r.quantity)} {shown.unit}
                </span>
              </li>
            ))}
          </ol>
        </Card>
      </div>
    </div>
  );
}

/** What the range costs (the charges of its records), per currency, and over time. */
function ChargesCard({ s }: { s: UsageSummary }) {
  if (s.amountTotals.length === 0)
    return (
      <Card title="Charges">
        <EmptyState title="No charges in this range" hint="Usage is priced at your price list right after each aggregation." />
      </Card>
    );
  const currency = s.amountTotals[0]!.currency;
  const data = s.amountOverTime
    .filter((b) => b.currency === currency)
    .map((b) => ({ bucket: b.bucket.slice(0, s.bucket === "hour" ? 16 : 10).replace("T", " "), amount: Number(b.amount) }));
  return (
    <Card title={`Charges per ${s.bucket} (${currency})`}>
      <div className="flex flex-wrap gap-x-6 gap-y-1 px-4 pt-3 text-sm" data-testid="usage-charges-total">
        {s.amountTotals.map((t) => (
          <span key={t.currency}>
            Total <strong className="tabular-nums">{formatMoney(t.amount, t.currency)}</strong>
          </span>
        ))}
        {s.amountByType
          .filter((t) => t.currency === currency)
          .map((t) => (
            <span key={t.usageType} className="text-slate-600">
              {typeLabel(t.usageType)} <span className="tabular-nums">{formatMoney(t.amount, t.currency)}</span>
            </span>
          ))}
      </div>
      {/* The chart draws amounts as numbers (a picture); every figure shown as text is the exact decimal. */}
      <figure className="h-48 p-3" aria-label={`Charges over time in ${currency}`} data-testid="usage-charges-chart">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
            <XAxis dataKey="bucket" tick={{ fontSize: 10, fill: "#475569" }} minTickGap={16} />
            <YAxis tick={{ fontSize: 10, fill: "#475569" }} width={56} />
            <Tooltip formatter={(v) => `${Number(v).toFixed(4)} ${currency}`} />
            <Bar dataKey="amount" name={currency} fill="#059669" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </figure>
    </Card>
  );
}

/** A reseller's cost (its usage at the list above it) beside its revenue (at its own list), per day. */
function CostRevenueCard({ from, to, domainId }: { from: Date; to: Date; domainId?: string }) {
  const trpc = useTRPC();
  const q = useQuery(
    trpc.pricing.costRevenue.queryOptions({ from, to, domainId: domainId || undefined }, { placeholderData: keepPreviousData }),
  );
  return (
    <div className="mt-4">
      <Card title={q.data ? `Cost and revenue · ${q.data.domainName}` : "Cost and revenue"}>
        {q.isPending ? (
          <Loading label="Loading cost and revenue…" />
        ) : q.error ? (
          <ErrorState error={q.error} onRetry={() => void q.refetch()} />
        ) : q.data.totals.length === 0 ? (
          <EmptyState
            title="No priced usage in this range"
            hint="Revenue is your subtree's usage at your list; cost the same usage at the list above you."
          />
        ) : (
          <>
            <dl className="flex flex-wrap gap-x-6 gap-y-1 px-4 pt-3 text-sm" data-testid="cost-revenue-totals">
              {q.data.totals.map((t) => (
                <div key={t.currency} className="flex gap-4">
                  <div>
                    <dt className="text-xs text-slate-600">Revenue</dt>
                    <dd className="font-semibold tabular-nums">{formatMoney(t.revenue, t.currency)}</dd>
                  </div>
                  <div>
                    <dt className="text-xs text-slate-600">Cost</dt>
                    <dd className="font-semibold tabular-nums">{formatMoney(t.cost, t.currency)}</dd>
                  </div>
                </div>
              ))}
            </dl>
            <figure className="h-48 p-3" aria-label="Cost and revenue per day" data-testid="cost-revenue-chart">
              <ResponsiveContainer width="100%" height="100%">
                <BarChart
                  data={q.data.days.map((d) => ({ day: d.day, revenue: Number(d.revenue), cost: Number(d.cost) }))}
                  margin={{ top: 4, right: 8, bottom: 0, left: 0 }}
                >
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                  <XAxis dataKey="day" tick={{ fontSize: 10, fill: "#475569" }} minTickGap={16} />
                  <YAxis tick={{ fontSize: 10, fill: "#475569" }} width={56} />
                  <Tooltip formatter={(v) => Number(v).toFixed(4)} />
                  <Legend wrapperStyle={{ fontSize: 12 }} />
                  <Bar dataKey="revenue" name="Revenue" fill="#2563eb" isAnimationActive={false} />
                  <Bar dataKey="cost" name="Cost" fill="#94a3b8" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </figure>
          </>
        )}
      </Card>
    </div>
  );
}
