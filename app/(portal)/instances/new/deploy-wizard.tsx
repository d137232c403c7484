"use client";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { fits, type LimitUse } from "@/components/resource/instance-fit";
import { offeringSize, useDiskOfferings } from "@/components/resource/volume-create";
import { DeployNetworks, describeNics, type NicPick, useNetworkChoices } from "@/components/resource/deploy-networks";
import { Select } from "@/components/ui/field";
import { formatMemory, formatSize } from "@/components/resource/instance-state";
import { errorMessage, type RouterOutputs } from "@/components/resource/router-types";
import { formatMoney } from "@/components/resource/format";
import { toast, toastJob } from "@/components/resource/toast";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { Field, Input } from "@/components/ui/field";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { useTRPC } from "@/lib/trpc/client";
import { vmNameSchema } from "@/lib/validation/instances";

type Choices = RouterOutputs["instance"]["deployChoices"];
type FieldName = "zoneId" | "templateId" | "computeOfferingId" | "name" | "count" | "rootDiskGib" | "dataDisk" | "networks";
const fieldNames: readonly string[] = ["zoneId", "templateId", "computeOfferingId", "name", "count", "rootDiskGib", "dataDisk", "networks"];

interface ServerError {
  message: string;
  data?: { field?: string; fieldErrors?: Record<string, string> } | null;
}

/** The deploy wizard: zone → template → size → name, with a live summary and what fits the limits. */
/** A template is offered in a zone where it lives, in every zone when it has none, or where it has a Ready copy. */
const inZone = (t: { zoneId: string | null; copyZoneIds: string[] }, zoneId: string | null | undefined) =>
  t.zoneId === null || t.zoneId === zoneId || (zoneId != null && t.copyZoneIds.includes(zoneId));

export function DeployWizard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const choices = useQuery(trpc.instance.deployChoices.queryOptions());
  const limits = useQuery(trpc.limit.mine.queryOptions());
  const [chosenZoneId, setZoneId] = useState<string | null>(null);
  const [chosenTemplateId, setTemplateId] = useState<string | null>(null);
  const [offeringId, setOfferingId] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [countText, setCountText] = useState("1");
  const [rootText, setRootText] = useState("");
  const [dataOfferingId, setDataOfferingId] = useState("");
  const [dataText, setDataText] = useState("");
  const diskOfferings = useDiskOfferings();
  const [nicPicks, setNicPicks] = useState<NicPick[]>([]);
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);

  // Until you choose, the first zone is chosen for you (the only one, usually).
  const zoneId = chosenZoneId ?? choices.data?.zones[0]?.id ?? null;

  const count = Number(countText);
  const countOk = Number.isInteger(count) && count >= 1 && count <= 20;
  const templates = (choices.data?.templates ?? []).filter((t) => inZone(t, zoneId));
  const zone = choices.data?.zones.find((z) => z.id === zoneId);
  const networkChoices = useNetworkChoices(zoneId);
  // Networks of another zone are dropped when the zone changes.
  const picks = nicPicks.filter(
    (p) =>
      networkChoices.data?.networks.some((n) => n.id === p.networkId) ||
      networkChoices.data?.sharedNetworks.some((n) => n.id === p.networkId),
  );
  // A template that is not offered in the chosen zone is dropped.
  const templateId = templates.some((t) => t.id === chosenTemplateId) ? chosenTemplateId : null;
  const template = templates.find((t) => t.id === templateId);
  const offering = choices.data?.offerings.find((o) => o.id === offeringId);
  const offeringFit = offering ? fits(limits.data, offering, countOk ? count : 1) : null;
  // Storage: a larger root disk than the template's, and an optional data disk from a disk offering.
  const rootGib = rootText.trim() === "" ? undefined : Number(rootText);
  const dataOffering = diskOfferings.data?.items.find((o) => o.id === dataOfferingId);
  const dataGib = dataOffering?.customSize ? (dataText.trim() === "" ? undefined : Number(dataText)) : undefined;

  const deploy = useMutation(
    trpc.instance.deploy.mutationOptions({
      onSuccess: async (made) => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.instance.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.limit.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.network.pathKey() }),
        ]);
        // One toast that follows the job to its end; several deploys are followed in the list's rows.
        if (made.length === 1) toastJob(made[0]!.jobId, made[0]!.name);
        else toast(`${made.length} instances queued: the list shows their progress`);
        if (made.length === 1) router.push(`/instances/${made[0]!.id}`);
        else router.push("/instances");
      },
      onError: (err) => {
        const e = err as ServerError;
        const fe = e.data?.fieldErrors ?? (e.data?.field ? { [e.data.field]: e.message } : {});
        const placed: Partial<Record<FieldName, string>> = {};
        for (const [f, m] of Object.entries(fe)) {
          const top = f.split(".")[0]!; // dataDisk.sizeGib is shown beside the data disk
          if (fieldNames.includes(top)) placed[top as FieldName] = m;
        }
        setErrors(placed);
        setFormError(Object.keys(placed).length ? null : errorMessage(err));
      },
    }),
  );

  // What keeps the form from being deployed, checked as the user types (the same rules the server applies).
  const problems: Partial<Record<FieldName, string>> = {};
  if (!zoneId) problems.zoneId = "Choose a zone";
  if (!templateId) problems.templateId = "Choose a template";
  if (!offeringId) problems.computeOfferingId = "Choose a compute offering";
  else if (offeringFit && !offeringFit.ok) problems.computeOfferingId = `${offering?.name} does not fit your limits: ${offeringFit.reason}`;
  const n = vmNameSchema.safeParse(name);
  if (!n.success) problems.name = n.error.issues[0]?.message ?? "Invalid name";
  if (!countOk) problems.count = "Deploy between 1 and 20 at once";
  if (rootGib !== undefined && (!Number.isInteger(rootGib) || rootGib < (template?.sizeGib ?? 1)))
    problems.rootDiskGib = `The root disk must be a whole number of GiB, at least ${template?.sizeGib ?? 1}`;
  if (
    dataOffering?.customSize &&
    (dataGib === undefined ||
      !Number.isInteger(dataGib) ||
      dataGib < (dataOffering.minGib ?? 1) ||
      dataGib > (dataOffering.maxGib ?? Infinity))
  )
    problems.dataDisk = `The data disk must be between ${dataOffering.minGib} and ${dataOffering.maxGib} GiB`;
  if (countOk && count > 1 && picks.some((p) => p.ip.trim()))
    problems.networks = "A fixed address can only be asked for when deploying one instance";
  /** An error beside its field: the server's, or the live check once the user has typed there. */
  const shown = (f: FieldName, typed: boolean) => errors[f] ?? (typed ? problems[f] : undefined);
  const nameValid = n.success;
  /** A field's server error goes once the user changes that field. */
  const edited =
    <T,>(f: FieldName, set: (v: T) => void) =>
    (v: T) => {
      set(v);
      setErrors((e) => ({ ...e, [f]: undefined }));
    };

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    if (Object.keys(problems).length > 0 || !zoneId || !templateId || !offeringId) return;
    deploy.mutate({
      zoneId,
      templateId,
      computeOfferingId: offeringId,
      name: name.trim(),
      count,
      rootDiskGib: rootGib,
      dataDisk: dataOffering ? { diskOfferingId: dataOffering.id, sizeGib: dataGib } : undefined,
      networks: picks.length
        ? picks.map((p) => ({ networkId: p.networkId, ip: p.ip.trim() || undefined, securityGroupIds: p.securityGroupIds }))
        : undefined,
    });
  };

  const crumbs = [{ label: "Compute" }, { label: "Instances", href: "/instances" }, { label: "Deploy" }];
  if (choices.isPending) {
    return (
      <>
        <PageHeader title="Deploy instance" crumbs={crumbs} />
        <Loading label="Loading zones, templates and offerings…" />
      </>
    );
  }
  if (choices.error) {
    return (
      <>
        <PageHeader title="Deploy instance" crumbs={crumbs} />
        <Card>
          <ErrorState error={choices.error} onRetry={() => void choices.refetch()} />
        </Card>
      </>
    );
  }
  const c: Choices = choices.data;
  if (c.zones.length === 0 || c.offerings.length === 0) {
    return (
      <>
        <PageHeader title="Deploy instance" crumbs={crumbs} />
        <Card>
          <EmptyState
            title={c.zones.length === 0 ? "No zone is open for new instances" : "No compute offering is available to you"}
            hint="Ask your administrator to enable a zone and offer compute offerings to your domain."
          />
        </Card>
      </>
    );
  }

  return (
    <>
      <PageHeader
        title="Deploy instance"
        crumbs={crumbs}
        description="Choose where it runs, what it runs and how big it is. It starts as soon as it is deployed."
      />
      <form onSubmit={submit} noValidate aria-label="Deploy instance" className="grid gap-6 lg:grid-cols-[1fr_20rem]">
        <div className="space-y-6">
          <Step n={1} title="Zone" error={errors.zoneId}>
            <RadioCards
              label="Zone"
              name="zoneId"
              value={zoneId}
              onChange={edited("zoneId", (v: string) => {
                setZoneId(v);
                // Dropped for good, not just hidden: coming back to this zone does not bring it back.
                if (!c.templates.some((t) => t.id === chosenTemplateId && inZone(t, v))) setTemplateId(null);
              })}
              items={c.zones.map((z) => ({ id: z.id, title: z.name, body: z.description ?? undefined }))}
            />
          </Step>

          <Step n={2} title="Template" error={errors.templateId}>
            {templates.length === 0 ? (
              <p className="text-sm text-slate-600">No template is available in this zone.</p>
            ) : (
              <RadioCards
                label="Template"
                name="templateId"
                value={templateId}
                onChange={edited("templateId", setTemplateId)}
                items={templates.map((t) => ({
                  id: t.id,
                  title: t.name,
                  icon: <OsIcon name={t.name} />,
                  body: t.displayText ?? undefined,
                  meta: `${t.osType} · ${t.sizeGib} GiB disk`,
                }))}
              />
            )}
          </Step>

          <Step
            n={3}
            title="Compute offering"
            error={errors.computeOfferingId}
            aside={limits.data ? <LeftSummary limits={limits.data} /> : null}
          >
            <RadioCards
              label="Compute offering"
              name="computeOfferingId"
              value={offeringId}
              onChange={edited("computeOfferingId", setOfferingId)}
              items={c.offerings.map((o) => {
                const fit = fits(limits.data, o, countOk ? count : 1);
                return {
                  id: o.id,
                  title: o.name,
                  body: formatSize(o.cpuCores, o.memoryMib),
                  meta: `${o.cpuMhz} MHz${o.displayText ? ` · ${o.displayText}` : ""}`,
                  disabledReason: fit.ok ? undefined : `Does not fit: ${fit.reason}`,
                };
              })}
            />
          </Step>

          <Step n={4} title="Name and count">
            <div className="grid gap-4 sm:grid-cols-[1fr_8rem]">
              <Field
                label="Name"
                error={shown("name", name !== "")}
                hint="Becomes the hostname: letters, digits and hyphens, starting with a letter."
              >
                {(id) => (
                  <Input
                    id={id}
                    value={name}
                    invalid={!!shown("name", name !== "")}
                    autoComplete="off"
                    placeholder="web-1"
                    onChange={(e) => edited("name", setName)(e.target.value)}
                  />
                )}
              </Field>
              <Field label="Count" error={shown("count", true)} hint={count > 1 ? "Named name-1, name-2…" : "1 to 20"}>
                {(id) => (
                  <Input
                    id={id}
                    type="number"
                    min={1}
                    max={20}
                    value={countText}
                    invalid={!!shown("count", true)}
                    onChange={(e) => edited("count", setCountText)(e.target.value)}
                  />
                )}
              </Field>
            </div>
          </Step>

          <Step n={5} title="Storage" error={errors.rootDiskGib ?? errors.dataDisk}>
            <div className="grid gap-4 sm:grid-cols-3">
              <Field
                label="Root disk (GiB)"
                error={shown("rootDiskGib", rootText !== "")}
                hint={
                  template
                    ? `The template's ${template.sizeGib} GiB unless you ask for more`
                    : "The template's size unless you ask for more"
                }
              >
                {(id) => (
                  <Input
                    id={id}
                    type="number"
                    min={template?.sizeGib ?? 1}
                    value={rootText}
                    placeholder={template ? String(template.sizeGib) : undefined}
                    invalid={!!shown("rootDiskGib", rootText !== "")}
                    onChange={(e) => {
                      setRootText(e.target.value);
                      setErrors((er) => ({ ...er, rootDiskGib: undefined }));
                    }}
                  />
                )}
              </Field>
              <Field label="Data disk" hint="Attached as vdb; optional">
                {(id) => (
                  <Select
                    id={id}
                    value={dataOfferingId}
                    onChange={(e) => {
                      setDataOfferingId(e.target.value);
                      setErrors((er) => ({ ...er, dataDisk: undefined }));
                    }}
                  >
                    <option value="">No data disk</option>
                    {(diskOfferings.data?.items ?? []).map((o) => (
                      <option key={o.id} value={o.id}>
                        {o.name} ({offeringSize(o)})
                      </option>
                    ))}
                  </Select>
                )}
              </Field>
              {dataOffering?.customSize && (
                <Field label="Data disk size (GiB)" error={shown("dataDisk", dataText !== "")} hint={offeringSize(dataOffering)}>
                  {(id) => (
                    <Input
                      id={id}
                      type="number"
                      min={dataOffering.minGib ?? 1}
                      max={dataOffering.maxGib ?? undefined}
                      value={dataText}
                      invalid={!!shown("dataDisk", dataText !== "")}
                      onChange={(e) => {
                        setDataText(e.target.value);
                        setErrors((er) => ({ ...er, dataDisk: undefined }));
                      }}
                    />
                  )}
                </Field>
              )}
            </div>
          </Step>

          <Step n={6} title="Network" error={errors.networks}>
            <DeployNetworks
              query={networkChoices}
              picks={picks}
              count={countOk ? count : 1}
              error={problems.networks}
              onChange={(p) => {
                setNicPicks(p);
                setErrors((er) => ({ ...er, networks: undefined }));
              }}
            />
          </Step>
        </div>

        <aside aria-label="Deploy summary" className="lg:sticky lg:top-6 lg:self-start">
          <Card title="Summary">
            <dl className="space-y-2.5 p-4 text-sm">
              <SummaryRow label="Zone" value={zone?.name} />
              <SummaryRow label="Template" value={template?.name} />
              <SummaryRow
                label="Offering"
                value={offering ? `${offering.name} (${formatSize(offering.cpuCores, offering.memoryMib)})` : undefined}
              />
              <SummaryRow
                label="Disks"
                value={
                  template
                    ? `${rootGib ?? template.sizeGib} GiB root${dataOffering ? ` + ${dataOffering.customSize ? (dataGib ?? "?") : dataOffering.sizeGib} GiB data` : ""}`
                    : undefined
                }
              />
              <SummaryRow label="Network" value={describeNics(networkChoices.data, picks, countOk ? count : 1)} />
              <SummaryRow
                label="Name"
                value={nameValid ? (countOk && count > 1 ? `${name.trim()}-1 … ${name.trim()}-${count}` : name.trim()) : undefined}
              />
            </dl>
            {offering && template && (
              <PriceBox
                offeringId={offering.id}
                rootDiskGib={rootGib !== undefined && Number.isInteger(rootGib) && rootGib >= 1 ? rootGib : template.sizeGib}
                dataDiskGib={dataOffering ? ((dataOffering.customSize ? dataGib : dataOffering.sizeGib) ?? 0) : 0}
                count={countOk ? count : 1}
              />
            )}
            {offering && countOk && limits.data && (
              <div className="border-t border-slate-100 p-4">
                <p className="mb-2 text-xs font-medium uppercase tracking-wide text-slate-600">Your limits after this</p>
                <AfterBars
                  limits={limits.data}
                  add={{ instances: count, vcpus: offering.cpuCores * count, memory_mib: offering.memoryMib * count }}
                />
              </div>
            )}
            <div className="space-y-3 border-t border-slate-200 bg-slate-50 p-4">
              {formError && (
                <p role="alert" className="rounded-md border border-red-200 bg-red-50 p-2 text-sm text-red-700">
                  {formError}
                </p>
              )}
              {Object.keys(problems).length > 0 && (
                <ul
                  id="deploy-reasons"
                  aria-label="Before you can deploy"
                  className="list-inside list-disc text-sm text-red-700"
                  data-testid="submit-reason"
                >
                  {Object.values(problems).map((p) => (
                    <li key={p}>{p}</li>
                  ))}
                </ul>
              )}
              <Button
                type="submit"
                className="w-full"
                loading={deploy.isPending}
                disabled={Object.keys(problems).length > 0}
                aria-describedby={Object.keys(problems).length > 0 ? "deploy-reasons" : undefined}
              >
                {countOk && count > 1 ? `Deploy ${count} instances` : "Deploy"}
              </Button>
              <Link href="/instances" className="block text-center text-sm text-slate-600 hover:text-slate-900 hover:underline">
                Cancel
              </Link>
            </div>
          </Card>
        </aside>
      </form>
    </>
  );
}

function Step({
  n,
  title,
  error,
  aside,
  children,
}: {
  n: number;
  title: string;
  error?: string;
  aside?: React.ReactNode;
  children: React.ReactNode;
}) {
  const id = `step-${n}`;
  return (
    <section aria-labelledby={id} className="rounded-lg border border-slate-200 bg-white p-4 shadow-xs">
      <div className="mb-3 flex flex-wrap items-center gap-3">
        <span
          className="flex size-6 items-center justify-center rounded-full bg-brand-600 text-xs font-semibold text-white"
          aria-hidden="true"
        >
          {n}
        </span>
        <h2 id={id} className="text-sm font-semibold text-slate-800">
          {title}
        </h2>
        {aside && <div className="ml-auto">{aside}</div>}
      </div>
      {children}
      {error && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {error}
        </p>
      )}
    </section>
  );
}

interface CardItem {
  id: string;
  title: string;
  body?: string;
  meta?: string;
  icon?: React.ReactNode;
  badge?: React.ReactNode;
  disabledReason?: string;
}

/** A radio group drawn as cards; each radio is named by its card's title (getByRole("radio", { name })). */
function RadioCards({
  label,
  name,
  value,
  onChange,
  items,
}: {
  label: string;
  name: string;
  value: string | null;
  onChange: (id: string) => void;
  items: CardItem[];
}) {
  return (
    <div role="radiogroup" aria-label={label} className="grid gap-3 sm:grid-cols-2 xl:grid-cols-3">
      {items.map((it) => {
        const checked = value === it.id;
        const disabled = !!it.disabledReason;
        return (
          <label
            key={it.id}
            className={cn(
              "relative flex cursor-pointer gap-3 rounded-lg border p-3 text-sm transition-colors has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-brand-600",
              checked
                ? "border-brand-600 bg-brand-50/70 ring-1 ring-brand-600"
                : "border-slate-200 hover:border-slate-300 hover:bg-slate-50",
              disabled && "cursor-not-allowed bg-slate-50 opacity-70 hover:border-slate-200",
            )}
          >
            <input
              type="radio"
              name={name}
              value={it.id}
              checked={checked}
              disabled={disabled}
              onChange={() => onChange(it.id)}
              className="absolute inset-0 size-full cursor-pointer appearance-none opacity-0 disabled:cursor-not-allowed"
              aria-label={it.title}
            />
            {it.icon}
            <span className="min-w-0 flex-1">
              <span className="flex items-center gap-2">
                <span className="font-medium text-slate-900">{it.title}</span>
                {it.badge}
                {checked && (
                  <span
                    aria-hidden="true"
                    className="ml-auto flex size-4 items-center justify-center rounded-full bg-brand-600 text-[10px] text-white"
                  >
                    ✓
                  </span>
                )}
              </span>
              {it.body && <span className="mt-0.5 block text-slate-700">{it.body}</span>}
              {it.meta && <span className="mt-0.5 block text-xs text-slate-600">{it.meta}</span>}
              {it.disabledReason && <span className="mt-1 block text-xs font-medium text-red-700">{it.disabledReason}</span>}
            </span>
          </label>
        );
      })}
    </div>
  );
}

/** A small coloured monogram for a template's OS. */
function OsIcon({ name }: { name: string }) {
  const n = name.toLowerCase();
  const tone = n.includes("debian")
    ? "bg-rose-100 text-rose-700"
    : n.includes("ubuntu")
      ? "bg-orange-100 text-orange-700"
      : "bg-slate-200 text-slate-700";
  return (
    <span aria-hidden="true" className={cn("flex size-9 shrink-0 items-center justify-center rounded-md text-sm font-semibold", tone)}>
      {name.slice(0, 1).toUpperCase()}
    </span>
  );
}

function SummaryRow({ label, value }: { label: string; value: string | undefined }) {
  return (
    <div className="flex justify-between gap-3">
      <dt className="text-slate-600">{label}</dt>
      <dd className={cn("text-right", value ? "font-medium text-slate-800" : "text-slate-500")}>{value ?? "Not chosen"}</dd>
    </div>
  );
}

const shown = [
  { type: "instances", label: "Instances", noun: "instances", fmt: (n: number) => String(n) },
  { type: "vcpus", label: "vCPUs", noun: "vCPUs", fmt: (n: number) => String(n) },
  { type: "memory_mib", label: "Memory", noun: "memory", fmt: formatMemory },
] as const;

/** "3 vCPUs left · 2 GiB left" next to the offering step. */
function LeftSummary({ limits }: { limits: LimitUse[] }) {
  const parts = shown
    .map((s) => {
      const row = limits.find((l) => l.resourceType === s.type);
      if (!row || row.max === null) return null;
      return `${s.fmt(Math.max(0, row.max - row.used))} ${s.noun} left`;
    })
    .filter(Boolean);
  if (parts.length === 0) return null;
  return <span className="text-xs text-slate-600">{parts.join(" · ")}</span>;
}

/** Use after the deploy, against each limit: the new part drawn lighter. */
function AfterBars({ limits, add }: { limits: LimitUse[]; add: Record<(typeof shown)[number]["type"], number> }) {
  return (
    <ul className="space-y-2.5">
      {shown.map((s) => {
        const row = limits.find((l) => l.resourceType === s.type);
        const used = row?.used ?? 0;
        const max = row?.max ?? null;
        const after = used + add[s.type];
        const over = max !== null && after > max;
        const pct = (v: number) => (max === null || max === 0 ? 0 : Math.min(100, (v / max) * 100));
        return (
          <li key={s.type}>
            <div className="flex justify-between text-xs">
              <span className="text-slate-600">{s.label}</span>
              <span className={cn("tabular-nums", over ? "font-medium text-red-700" : "text-slate-600")}>
                {s.fmt(after)} / {max === null ? "Unlimited" : s.fmt(max)}
              </span>
            </div>
            <div className="mt-1 flex h-1.5 overflow-hidden rounded-full bg-slate-100" aria-hidden="true">
              <div className="h-full bg-slate-400" style={{ width: `${pct(used)}%` }} />
              <div className={cn("h-full", over ? "bg-red-500" : "bg-brand-500")} style={{ width: `${pct(after) - pct(used)}%` }} />
            </div>
          </li>
        );
      })}
    </ul>
  );
}

/** The price of what is chosen, at the caller's own price list (the rating's own resolution, server-side). */
function PriceBox({
  offeringId,
  rootDiskGib,
  dataDiskGib,
  count,
}: {
  offeringId: string;
  rootDiskGib: number;
  dataDiskGib: number;
  count: number;
}) {
  const trpc = useTRPC();
  const dataGib = Number.isInteger(dataDiskGib) && dataDiskGib >= 0 && dataDiskGib <= 65536 ? dataDiskGib : 0;
  const q = useQuery(
    trpc.pricing.quote.queryOptions(
      { offeringId, rootDiskGib: Math.min(rootDiskGib, 65536), dataDiskGib: dataGib, count },
      { placeholderData: keepPreviousData },
    ),
  );
  return (
    <div className="border-t border-slate-100 p-4" data-testid="deploy-price" aria-live="polite">
      <p className="mb-2 text-xs font-medium uppercase tracking-wide text-slate-600">Price</p>
      {q.isPending ? (
        <p className="text-sm text-slate-600">Pricing…</p>
      ) : q.error ? (
        <p className="text-sm text-red-700">The price could not be worked out: {q.error.message}</p>
      ) : !q.data ? (
        <p className="text-sm text-slate-600">No price list applies to your account.</p>
      ) : (
        <>
          <p className="text-sm">
            <strong className="tabular-nums" data-testid="deploy-price-hourly">
              {formatMoney(q.data.hourly, q.data.currency)}
            </strong>{" "}
            per hour ·{" "}
            <strong className="tabular-nums" data-testid="deploy-price-monthly">
              {formatMoney(q.data.monthly, q.data.currency, 2)}
            </strong>{" "}
            per month{count > 1 ? ` for ${count} instances` : ""}
          </p>
          <p className="mt-1 text-xs text-slate-600">
            {q.data.lines
              .filter((l) => l.hourly !== "0")
              .map((l) => `${l.label} ${formatMoney(l.hourly, q.data!.currency)}/h`)
              .join(" · ") || "Nothing chosen is priced."}{" "}
            A month is {q.data.hoursPerMonth} hours; usage is billed by the second.
          </p>
        </>
      )}
    </div>
  );
}
