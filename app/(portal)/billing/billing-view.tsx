"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { toast } from "@/components/resource/toast";
import { useAccountOptions, useDomainOptions } from "@/components/resource/options";
import { useCan, useCaller } from "@/components/shell/caller-context";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { Card, Fact, Facts, PageHeader } from "@/components/ui/page-header";
import { ErrorState, Loading } from "@/components/ui/states";
import { formatBalance, formatMoney } from "@/lib/money";
import { useTRPC } from "@/lib/trpc/client";

const when = (d: Date | string) => new Date(d).toISOString().replace("T", " ").slice(0, 16) + " UTC";

/**
 * Billing of one account (the caller's own, or one an admin picked): balance, month-to-date spend,
 * the low-balance policy that applies and what it would do, statements, and the credits history.
 * Admins and resellers also add credits here and set a domain's low-balance policy.
 */
export function BillingView({ accountId }: { accountId?: string }) {
  const trpc = useTRPC();
  const caller = useCaller();
  const manage = useCan("billing.manage");
  const router = useRouter();
  const input = accountId ? { accountId } : undefined;
  const overview = useQuery(trpc.billing.overview.queryOptions(input));
  const months = useQuery(trpc.billing.statementMonths.queryOptions(input));
  const credits = useQuery(trpc.billing.credits.queryOptions(input));
  const accounts = useAccountOptions("", manage);
  if (overview.error) return <ErrorState error={overview.error} onRetry={() => void overview.refetch()} />;
  if (!overview.data) return <Loading />;
  const o = overview.data;
  const s = o.standing;
  const q = accountId ? `?accountId=${accountId}` : "";
  return (
    <div className="space-y-6">
      <PageHeader
        title={`Billing · ${o.account.name}`}
        actions={
          manage ? (
            <Select
              aria-label="Account"
              value={accountId ?? caller.accountId}
              onChange={(e) => router.push(e.target.value === caller.accountId ? "/billing" : `/billing?accountId=${e.target.value}`)}
            >
              {(accounts.data ?? [{ value: caller.accountId, label: caller.accountName }]).map((a) => (
                <option key={a.value} value={a.value}>
                  {a.label}
                </option>
              ))}
            </Select>
          ) : undefined
        }
      />
      <Card title="Balance">
        <Facts testId="billing-facts">
          {o.balances.length === 0 && <Fact label="Balance">0.00 (no charges or credits yet)</Fact>}
          {o.balances.map((b) => (
            <Fact key={b.currency} label={`Balance ${b.currency}`}>
              <span data-testid={`balance-${b.currency}`} className={b.balance.startsWith("-") ? "text-red-700" : ""}>
                {formatBalance(b.balance, b.currency)}
              </span>
            </Fact>
          ))}
          {o.monthToDate.map((m) => (
            <Fact key={m.currency} label={`Spent this month ${m.currency}`}>
              {formatMoney(m.amount, m.currency)}
            </Fact>
          ))}
        </Facts>
      </Card>
      <Card title="Low-balance policy">
        {!s ? (
          <p className="px-4 py-3 text-sm text-slate-600">No low-balance policy applies to this account.</p>
        ) : (
          <div className="space-y-1 px-4 py-3 text-sm" data-testid="billing-policy">
            <p>
              Set by domain <strong>{s.policyDomainName}</strong>, in {s.currency}.
            </p>
            <ul className="list-disc pl-5">
              {s.notifyBelow !== null && (
                <li>
                  Below {formatMoney(s.notifyBelow, s.currency)}: a notification{s.belowNotify ? " (sent)" : ""}.
                </li>
              )}
              {s.refuseBelow !== null && (
                <li>
                  Below {formatMoney(s.refuseBelow, s.currency)}: new deployments and starts of stopped VMs are refused
                  {s.belowRefuse ? " — now" : ""}.
                </li>
              )}
              {s.stopBelow !== null && (
                <li>
                  Below {formatMoney(s.stopBelow, s.currency)}: running VMs are stopped {s.stopGraceMinutes} minutes later
                  {s.stopDueAt ? ` — scheduled for ${when(s.stopDueAt)}${s.stoppedAt ? " (done)" : ""}` : ""}.
                </li>
              )}
            </ul>
          </div>
        )}
      </Card>
      <Card title="Statements">
        <ul className="divide-y divide-slate-200 px-4 text-sm" data-testid="statements">
          {(months.data ?? []).map((m) => (
            <li key={m.month} className="flex flex-wrap items-center justify-between gap-2 py-2">
              <span>
                {m.month}
                {m.current ? " (month to date)" : ""}
              </span>
              <span className="flex gap-3">
                <Link className="text-brand-700 underline" href={`/billing/statements/${m.month}${q}`}>
                  View / print
                </Link>
                <a
                  className="text-brand-700 underline"
                  href={`/api/billing/statement?month=${m.month}${accountId ? `&accountId=${accountId}` : ""}`}
                >
                  CSV
                </a>
              </span>
            </li>
          ))}
        </ul>
      </Card>
      {manage && o.account.id !== caller.accountId && <CreditForm accountId={o.account.id} />}
      <Card title="Credits history">
        {credits.data?.length ? (
          <div className="overflow-x-auto px-4 py-2">
            <table className="w-full text-sm">
              <thead className="text-left text-slate-500">
                <tr>
                  <th className="py-1 pr-3">When</th>
                  <th className="py-1 pr-3">Kind</th>
                  <th className="py-1 pr-3 text-right">Amount</th>
                  <th className="py-1 pr-3">Reason</th>
                  <th className="py-1">By</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200">
                {credits.data.map((c) => (
                  <tr key={c.id}>
                    <td className="py-1 pr-3 whitespace-nowrap">{when(c.createdAt)}</td>
                    <td className="py-1 pr-3">{c.kind}</td>
                    <td className="py-1 pr-3 text-right whitespace-nowrap tabular-nums">{formatMoney(c.amount, c.currency)}</td>
                    <td className="py-1 pr-3">{c.reason}</td>
                    <td className="py-1">{c.createdByName}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="px-4 py-3 text-sm text-slate-600">No credits yet.</p>
        )}
      </Card>
      {manage && <PolicyForm />}
    </div>
  );
}

function useInvalidateBilling() {
  const qc = useQueryClient();
  const trpc = useTRPC();
  return () => qc.invalidateQueries({ queryKey: trpc.billing.pathKey() });
}

function CreditForm({ accountId }: { accountId: string }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateBilling();
  const [f, setF] = useState({ kind: "credit" as "credit" | "adjustment", currency: "EUR", amount: "", reason: "" });
  const add = useMutation(
    trpc.billing.addCredit.mutationOptions({
      onSuccess: () => {
        toast("Credit added");
        setF((x) => ({ ...x, amount: "", reason: "" }));
        void invalidate();
      },
    }),
  );
  const err = add.error?.message;
  return (
    <Card title="Add a credit or adjustment">
      <form
        className="grid gap-3 sm:grid-cols-4"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate({ accountId, ...f });
        }}
      >
        <Field label="Kind">
          {(id) => (
            <Select id={id} value={f.kind} onChange={(e) => setF({ ...f, kind: e.target.value as "credit" | "adjustment" })}>
              <option value="credit">Credit</option>
              <option value="adjustment">Adjustment (±)</option>
            </Select>
          )}
        </Field>
        <Field label="Currency">
          {(id) => <Input id={id} value={f.currency} maxLength={3} onChange={(e) => setF({ ...f, currency: e.target.value })} />}
        </Field>
        <Field label="Amount">
          {(id) => (
            <Input
              id={id}
              inputMode="decimal"
              value={f.amount}
              placeholder="25.00"
              onChange={(e) => setF({ ...f, amount: e.target.value })}
            />
          )}
        </Field>
        <Field label="Reason">
          {(id) => (
            <Input id={id} value={f.reason} placeholder="Payment received" onChange={(e) => setF({ ...f, reason: e.target.value })} />
          )}
        </Field>
        {err && (
          <p role="alert" className="text-sm text-red-700 sm:col-span-4">
            {err}
          </p>
        )}
        <div className="sm:col-span-4">
          <Button type="submit" loading={add.isPending}>
            Add
          </Button>
        </div>
      </form>
    </Card>
  );
}

function PolicyForm() {
  const trpc = useTRPC();
  const invalidate = useInvalidateBilling();
  const domains = useDomainOptions();
  const [domainId, setDomainId] = useState("");
  const current = useQuery(trpc.billing.policy.queryOptions({ domainId }, { enabled: !!domainId }));
  const [f, setF] = useState({ currency: "EUR", notifyBelow: "", refuseBelow: "", stopBelow: "", stopGraceMinutes: "4320" });
  const [loadedFor, setLoadedFor] = useState("");
  if (current.data !== undefined && loadedFor !== domainId) {
    const p = current.data;
    setLoadedFor(domainId);
    setF({
      currency: p?.currency ?? "EUR",
      notifyBelow: p?.notifyBelow ?? "",
      refuseBelow: p?.refuseBelow ?? "",
      stopBelow: p?.stopBelow ?? "",
      stopGraceMinutes: String(p?.stopGraceMinutes ?? 4320),
    });
  }
  const save = useMutation(
    trpc.billing.setPolicy.mutationOptions({
      onSuccess: () => {
        toast("Policy saved");
        void invalidate();
      },
    }),
  );
  const remove = useMutation(
    trpc.billing.removePolicy.mutationOptions({
      onSuccess: () => {
        toast("Policy removed: the domain inherits its parent's");
        void invalidate();
      },
    }),
  );
  const opt = (v: string) => (v.trim() === "" ? null : v.trim());
  return (
    <Card title="Low-balance policy of a domain">
      <form
        className="grid gap-3 sm:grid-cols-3"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate({
            domainId,
            currency: f.currency,
            notifyBelow: opt(f.notifyBelow),
            refuseBelow: opt(f.refuseBelow),
            stopBelow: opt(f.stopBelow),
            stopGraceMinutes: Number(f.stopGraceMinutes),
          });
        }}
      >
        <Field label="Domain" className="sm:col-span-3" hint="Sub-domains inherit it unless they set their own.">
          {(id) => (
            <Select id={id} value={domainId} onChange={(e) => setDomainId(e.target.value)}>
              <option value="">Choose a domain…</option>
              {(domains.data ?? []).map((d) => (
                <option key={d.value} value={d.value}>
                  {d.label}
                </option>
              ))}
            </Select>
          )}
        </Field>
        {domainId && current.error && <ErrorState error={current.error} />}
        {domainId && current.data !== undefined && (
          <>
            <Field label="Currency">
              {(id) => <Input id={id} value={f.currency} maxLength={3} onChange={(e) => setF({ ...f, currency: e.target.value })} />}
            </Field>
            <Field label="Notify below">
              {(id) => (
                <Input id={id} inputMode="decimal" value={f.notifyBelow} onChange={(e) => setF({ ...f, notifyBelow: e.target.value })} />
              )}
            </Field>
            <Field label="Refuse deployments below">
              {(id) => (
                <Input id={id} inputMode="decimal" value={f.refuseBelow} onChange={(e) => setF({ ...f, refuseBelow: e.target.value })} />
              )}
            </Field>
            <Field label="Stop running VMs below">
              {(id) => (
                <Input id={id} inputMode="decimal" value={f.stopBelow} onChange={(e) => setF({ ...f, stopBelow: e.target.value })} />
              )}
            </Field>
            <Field label="Grace before the stop (minutes)">
              {(id) => (
                <Input
                  id={id}
                  inputMode="numeric"
                  value={f.stopGraceMinutes}
                  onChange={(e) => setF({ ...f, stopGraceMinutes: e.target.value })}
                />
              )}
            </Field>
            {(save.error ?? remove.error) && (
              <p role="alert" className="text-sm text-red-700 sm:col-span-3">
                {(save.error ?? remove.error)!.message}
              </p>
            )}
            <div className="flex gap-2 sm:col-span-3">
              <Button type="submit" loading={save.isPending}>
                Save policy
              </Button>
              {current.data && (
                <Button variant="secondary" loading={remove.isPending} onClick={() => remove.mutate({ domainId })}>
                  Remove (inherit)
                </Button>
              )}
            </div>
          </>
        )}
      </form>
    </Card>
  );
}
