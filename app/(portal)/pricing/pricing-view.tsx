"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { formatDateTime, formatMoney } from "@/components/resource/format";
import { useResourceMutation } from "@/components/resource/mutations";
import { useDomainOptions } from "@/components/resource/options";
import { errorMessage, type RouterOutputs } from "@/components/resource/router-types";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Checkbox, Field, Input, Select } from "@/components/ui/field";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { basisFits, tariffBases, tariffBasisLabels, type TariffBasis } from "@/lib/validation/pricing";
import { usageTypeNames } from "@/lib/validation/usage";

type ListRow = RouterOutputs["priceList"]["list"]["items"][number];
type ListDetail = RouterOutputs["priceList"]["get"];

/** A datetime-local value (read as UTC, on the hour) to an ISO time, or undefined when empty. */
const utcHour = (v: string) => (v ? new Date(`${v.slice(0, 13)}:00:00Z`) : undefined);

/**
 * Price lists (root: wholesale and any domain's; resellers: their subtree's where the list above
 * allows it): a list's currency, mode or margin, and its tariffs with their history. A change takes
 * effect now (the current hour, or usage period if shorter) or on a later whole hour, and never
 * rewrites a price already charged.
 */
export function PricingView() {
  const trpc = useTRPC();
  const lists = useQuery(trpc.priceList.list.queryOptions());
  const [selected, setSelected] = useState<string | null>(null);
  const current = lists.data?.items.find((l) => l.id === selected) ?? lists.data?.items.find((l) => l.inForce) ?? null;
  return (
    <>
      <PageHeader
        title="Pricing"
        crumbs={[{ label: "Pricing" }]}
        description="Price lists and tariffs. An account is billed at the list of its nearest domain that has one; changes apply from now or from a later whole hour, never to the past."
      />
      {lists.data?.upstream && (
        <p className="mb-4 text-sm text-slate-700" data-testid="pricing-upstream">
          You buy at <strong>{lists.data.upstream.name}</strong> ({lists.data.upstream.domainName}, {lists.data.upstream.currency}): that is
          your cost.
        </p>
      )}
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-3">
        <div className="space-y-4 lg:col-span-1">
          <Card title="Price lists">
            {lists.isPending ? (
              <Loading label="Loading price lists…" />
            ) : lists.error ? (
              <ErrorState error={lists.error} onRetry={() => void lists.refetch()} />
            ) : lists.data.items.length === 0 ? (
              <EmptyState
                title="No price lists yet"
                hint="Your accounts are billed at the list above your domain. Make one below to set your own prices."
              />
            ) : (
              <ul className="divide-y divide-slate-100 text-sm" aria-label="Price lists">
                {lists.data.items.map((l) => (
                  <li key={l.id}>
                    <button
                      type="button"
                      aria-pressed={current?.id === l.id}
                      onClick={() => setSelected(l.id)}
                      className={`flex w-full flex-col px-4 py-2 text-left hover:bg-slate-50 ${current?.id === l.id ? "bg-brand-50" : ""}`}
                    >
                      <span className="font-medium text-slate-900">
                        {l.name} <span className="font-normal text-slate-600">· {l.domainName}</span>
                      </span>
                      <span className="text-xs text-slate-600">
                        {l.currency} · {l.mode === "own" ? "own prices" : `margin ${Number(l.marginPercent ?? 0)} %`}
                        {l.inForce
                          ? ""
                          : l.effectiveUntil
                            ? ` · ended ${formatDateTime(l.effectiveUntil)}`
                            : ` · from ${formatDateTime(l.effectiveFrom)}`}
                      </span>
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </Card>
          <CreateListCard />
        </div>
        <div className="lg:col-span-2">{current ? <ListCard row={current} key={current.id} /> : null}</div>
      </div>
    </>
  );
}

function CreateListCard() {
  const client = useTRPCClient();
  const domains = useDomainOptions();
  const [v, setV] = useState({
    domainId: "",
    name: "",
    mode: "margin" as "own" | "margin",
    currency: "EUR",
    marginPercent: "20",
    allowSubLists: false,
    from: "",
  });
  const [error, setError] = useState<string | null>(null);
  const create = useResourceMutation({
    run: (i: typeof v) =>
      client.priceList.create.mutate({
        domainId: i.domainId,
        name: i.name,
        mode: i.mode,
        currency: i.mode === "own" ? i.currency : undefined,
        marginPercent: i.mode === "margin" ? i.marginPercent : undefined,
        allowSubLists: i.allowSubLists,
        effectiveFrom: utcHour(i.from),
      }),
    invalidate: ["priceList"],
    success: (l) => `Price list ${l.name} created`,
    quietErrors: true,
    onDone: () => setError(null),
  });
  return (
    <Card title="New price list">
      <form
        className="space-y-3 p-4"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate(v, { onError: (err) => setError(errorMessage(err)) });
        }}
      >
        <Field label="Domain">
          {(id) => (
            <Select id={id} value={v.domainId} onChange={(e) => setV({ ...v, domainId: e.target.value })} required>
              <option value="">Choose a domain…</option>
              {(domains.data ?? []).map((d) => (
                <option key={d.value} value={d.value}>
                  {d.label}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Name">
          {(id) => <Input id={id} value={v.name} onChange={(e) => setV({ ...v, name: e.target.value })} required maxLength={80} />}
        </Field>
        <Field label="Prices">
          {(id) => (
            <Select id={id} value={v.mode} onChange={(e) => setV({ ...v, mode: e.target.value as "own" | "margin" })}>
              <option value="margin">A margin over the list above</option>
              <option value="own">Its own prices</option>
            </Select>
          )}
        </Field>
        {v.mode === "own" ? (
          <Field label="Currency" hint="ISO 4217, e.g. EUR">
            {(id) => <Input id={id} value={v.currency} onChange={(e) => setV({ ...v, currency: e.target.value })} maxLength={3} />}
          </Field>
        ) : (
          <Field label="Margin (%)">
            {(id) => (
              <Input id={id} inputMode="decimal" value={v.marginPercent} onChange={(e) => setV({ ...v, marginPercent: e.target.value })} />
            )}
          </Field>
        )}
        <Checkbox
          label="Sub-domains may set their own lists"
          checked={v.allowSubLists}
          onChange={(e) => setV({ ...v, allowSubLists: e.target.checked })}
        />
        <Field label="Effective from (UTC, on the hour)" hint="Empty: from now (the current hour, or usage period if shorter)">
          {(id) => (
            <Input id={id} type="datetime-local" step={3600} value={v.from} onChange={(e) => setV({ ...v, from: e.target.value })} />
          )}
        </Field>
        {error && (
          <p role="alert" className="text-sm text-red-700">
            {error}
          </p>
        )}
        <Button type="submit" loading={create.isPending}>
          Create price list
        </Button>
      </form>
    </Card>
  );
}

function ListCard({ row }: { row: ListRow }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const detail = useQuery(trpc.priceList.get.queryOptions({ id: row.id }));
  const update = useResourceMutation({
    run: (allowSubLists: boolean) => client.priceList.update.mutate({ id: row.id, allowSubLists }),
    invalidate: ["priceList"],
    success: () => "Price list updated",
  });
  const end = useResourceMutation({
    run: () => client.priceList.remove.mutate({ id: row.id }),
    invalidate: ["priceList"],
    success: () => "Price list ended from now (the current hour, or usage period if shorter)",
  });
  if (detail.isPending) return <Loading label="Loading the price list…" />;
  if (detail.error) return <ErrorState error={detail.error} onRetry={() => void detail.refetch()} />;
  const d = detail.data;
  const open = !d.effectiveUntil;
  return (
    <div className="space-y-4">
      <Card
        title={`${d.name} · ${d.domainName}`}
        actions={
          open ? (
            <div className="flex flex-wrap gap-2">
              <Button size="sm" variant="secondary" loading={update.isPending} onClick={() => update.mutate(!d.allowSubLists)}>
                {d.allowSubLists ? "Forbid sub-lists" : "Allow sub-lists"}
              </Button>
              <Button size="sm" variant="danger" loading={end.isPending} onClick={() => end.mutate()}>
                End list
              </Button>
            </div>
          ) : undefined
        }
      >
        <dl className="grid grid-cols-2 gap-3 p-4 text-sm sm:grid-cols-4" data-testid="price-list-facts">
          <div>
            <dt className="text-xs text-slate-600">Currency</dt>
            <dd className="font-medium">{d.currency}</dd>
          </div>
          <div>
            <dt className="text-xs text-slate-600">Prices</dt>
            <dd className="font-medium">{d.mode === "own" ? "Own" : `Margin ${Number(row.marginPercent ?? 0)} %`}</dd>
          </div>
          <div>
            <dt className="text-xs text-slate-600">Sub-domain lists</dt>
            <dd className="font-medium">{d.allowSubLists ? "Allowed" : "Not allowed"}</dd>
          </div>
          <div>
            <dt className="text-xs text-slate-600">In force</dt>
            <dd className="font-medium">
              {formatDateTime(d.effectiveFrom)}
              {d.effectiveUntil ? ` – ${formatDateTime(d.effectiveUntil)}` : " →"}
            </dd>
          </div>
        </dl>
      </Card>
      {d.mode === "margin" ? <MarginCard d={d} open={open} /> : <TariffsCard d={d} open={open} />}
    </div>
  );
}

const status = (from: Date | string, until: Date | string | null) => {
  const now = Date.now();
  if (new Date(from).getTime() > now) return <Badge tone="blue">scheduled</Badge>;
  if (until && new Date(until).getTime() <= now) return <Badge tone="gray">past</Badge>;
  return <Badge tone="green">current</Badge>;
};

function MarginCard({ d, open }: { d: ListDetail; open: boolean }) {
  const client = useTRPCClient();
  const [v, setV] = useState({ marginPercent: "", from: "" });
  const [error, setError] = useState<string | null>(null);
  const set = useResourceMutation({
    run: (i: typeof v) => client.priceList.setMargin.mutate({ id: d.id, marginPercent: i.marginPercent, effectiveFrom: utcHour(i.from) }),
    invalidate: ["priceList"],
    success: () => "Margin changed",
    quietErrors: true,
    onDone: () => setError(null),
  });
  return (
    <Card title="Margin over the list above (history)">
      <table className="w-full text-sm" aria-label="Margins">
        <thead className="text-left text-xs text-slate-600">
          <tr>
            <th className="px-4 py-2 font-medium">Margin</th>
            <th className="px-4 py-2 font-medium">From</th>
            <th className="px-4 py-2 font-medium">Until</th>
            <th className="px-4 py-2 font-medium">
              <span className="sr-only">Status</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {d.margins.map((m) => (
            <tr key={m.id}>
              <td className="px-4 py-2 tabular-nums">{Number(m.marginPercent)} %</td>
              <td className="px-4 py-2">{formatDateTime(m.effectiveFrom)}</td>
              <td className="px-4 py-2">{m.effectiveUntil ? formatDateTime(m.effectiveUntil) : "—"}</td>
              <td className="px-4 py-2">{status(m.effectiveFrom, m.effectiveUntil)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {open && (
        <form
          className="flex flex-wrap items-end gap-3 border-t border-slate-100 p-4"
          onSubmit={(e) => {
            e.preventDefault();
            set.mutate(v, { onError: (err) => setError(errorMessage(err)) });
          }}
        >
          <Field label="New margin (%)">
            {(id) => (
              <Input
                id={id}
                inputMode="decimal"
                value={v.marginPercent}
                onChange={(e) => setV({ ...v, marginPercent: e.target.value })}
                required
                className="w-32"
              />
            )}
          </Field>
          <Field label="From (UTC, on the hour)">
            {(id) => (
              <Input id={id} type="datetime-local" step={3600} value={v.from} onChange={(e) => setV({ ...v, from: e.target.value })} />
            )}
          </Field>
          <Button type="submit" loading={set.isPending}>
            Change margin
          </Button>
          {error && (
            <p role="alert" className="w-full text-sm text-red-700">
              {error}
            </p>
          )}
        </form>
      )}
    </Card>
  );
}

const typeEntries = Object.entries(usageTypeNames).map(([n, name]) => ({ n: Number(n), name }));

function TariffsCard({ d, open }: { d: ListDetail; open: boolean }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const offerings = useQuery(trpc.computeOffering.list.queryOptions({ pageSize: 100, sort: "name" }, { select: (p) => p.items }));
  const [v, setV] = useState({ usageType: 1, basis: "hour" as TariffBasis, offeringId: "", unitPrice: "", from: "" });
  const [error, setError] = useState<string | null>(null);
  const set = useResourceMutation({
    run: (i: typeof v) =>
      client.tariff.set.mutate({
        priceListId: d.id,
        usageType: i.usageType,
        basis: i.basis,
        offeringId: i.offeringId || undefined,
        unitPrice: i.unitPrice.trim() === "" ? null : i.unitPrice,
        effectiveFrom: utcHour(i.from),
      }),
    invalidate: ["priceList"],
    success: (t) => (t ? "Price set" : "Price ended"),
    quietErrors: true,
    onDone: () => setError(null),
  });
  const bases = tariffBases.filter((b) => basisFits(v.usageType, b));
  return (
    <Card title={`Tariffs (${d.currency}, with history)`}>
      {d.tariffs.length === 0 ? (
        <EmptyState title="No tariffs yet" hint="Usage without a tariff is charged 0. Set a price below." />
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-sm" aria-label="Tariffs">
            <thead className="text-left text-xs text-slate-600">
              <tr>
                <th className="px-4 py-2 font-medium">Usage type</th>
                <th className="px-4 py-2 font-medium">Price</th>
                <th className="px-4 py-2 font-medium">From</th>
                <th className="hidden px-4 py-2 font-medium sm:table-cell">Until</th>
                <th className="px-4 py-2 font-medium">
                  <span className="sr-only">Status</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {d.tariffs.map((t) => (
                <tr key={t.id}>
                  <td className="px-4 py-2">
                    <code className="text-xs">
                      {t.usageType} {t.typeName}
                    </code>
                    {t.offeringName ? <span className="block text-xs text-slate-600">{t.offeringName} only</span> : null}
                  </td>
                  <td className="px-4 py-2 whitespace-nowrap tabular-nums">
                    {formatMoney(t.unitPrice, d.currency, 9)} <span className="text-xs text-slate-600">{tariffBasisLabels[t.basis]}</span>
                  </td>
                  <td className="px-4 py-2">{formatDateTime(t.effectiveFrom)}</td>
                  <td className="hidden px-4 py-2 sm:table-cell">{t.effectiveUntil ? formatDateTime(t.effectiveUntil) : "—"}</td>
                  <td className="px-4 py-2">{status(t.effectiveFrom, t.effectiveUntil)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {open && (
        <form
          className="grid grid-cols-1 gap-3 border-t border-slate-100 p-4 sm:grid-cols-2"
          aria-label="Set a price"
          onSubmit={(e) => {
            e.preventDefault();
            set.mutate(v, { onError: (err) => setError(errorMessage(err)) });
          }}
        >
          <Field label="Usage type">
            {(id) => (
              <Select
                id={id}
                value={v.usageType}
                onChange={(e) => {
                  const usageType = Number(e.target.value);
                  setV({ ...v, usageType, basis: tariffBases.find((b) => basisFits(usageType, b))!, offeringId: "" });
                }}
              >
                {typeEntries.map((t) => (
                  <option key={t.n} value={t.n}>
                    {t.n} {t.name}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field label="Basis">
            {(id) => (
              <Select id={id} value={v.basis} onChange={(e) => setV({ ...v, basis: e.target.value as TariffBasis })}>
                {bases.map((b) => (
                  <option key={b} value={b}>
                    {tariffBasisLabels[b]}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          {(v.usageType === 1 || v.usageType === 2) && (
            <Field label="Compute offering" hint="Empty: every offering without its own price">
              {(id) => (
                <Select id={id} value={v.offeringId} onChange={(e) => setV({ ...v, offeringId: e.target.value })}>
                  <option value="">All offerings</option>
                  {(offerings.data ?? []).map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.name}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
          )}
          <Field label={`Unit price (${d.currency})`} hint="Empty ends the price">
            {(id) => (
              <Input
                id={id}
                inputMode="decimal"
                value={v.unitPrice}
                onChange={(e) => setV({ ...v, unitPrice: e.target.value })}
                placeholder="0.05"
              />
            )}
          </Field>
          <Field label="From (UTC, on the hour)" hint="Empty: from now (the current hour, or usage period if shorter)">
            {(id) => (
              <Input id={id} type="datetime-local" step={3600} value={v.from} onChange={(e) => setV({ ...v, from: e.target.value })} />
            )}
          </Field>
          <div className="flex items-end">
            <Button type="submit" loading={set.isPending}>
              Set price
            </Button>
          </div>
          {error && (
            <p role="alert" className="text-sm text-red-700 sm:col-span-2">
              {error}
            </p>
          )}
        </form>
      )}
    </Card>
  );
}
