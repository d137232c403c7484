"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatGib, formatMhz, formatMib } from "@/components/resource/format";
import type { RouterOutputs } from "@/components/resource/router-types";
import { useTRPC } from "@/lib/trpc/client";
import { QueryCard } from "./query-card";
import { ThresholdBar } from "./threshold-bar";

type Meter = RouterOutputs["dashboard"]["capacity"][number]["meters"][number];
const formatOf: Record<Meter["unit"], (n: number) => string> = {
  MHz: formatMhz,
  MiB: formatMib,
  GiB: formatGib,
  "": (n) => n.toLocaleString("en-GB"),
};

function Meters({ meters, of }: { meters: Meter[]; of: string }) {
  return (
    <div className="grid gap-x-6 gap-y-3 sm:grid-cols-2 lg:grid-cols-3">
      {meters.map((m) => (
        <ThresholdBar
          key={m.key}
          label={`${m.label} of ${of}`}
          caption={m.label}
          format={formatOf[m.unit]}
          used={m.used}
          total={m.total}
          warning={m.warning}
          critical={m.critical}
        />
      ))}
    </div>
  );
}

/** Root admin: capacity per zone and cluster, with the alert rules' warning and critical marks. */
export function CapacityCard() {
  const trpc = useTRPC();
  const q = useQuery(trpc.dashboard.capacity.queryOptions());
  return (
    <QueryCard
      title="Capacity"
      href="/infrastructure/capacity"
      linkLabel="Details"
      query={q}
      testId="card-capacity"
      isEmpty={(z) => z.length === 0}
      empty={{ title: "No zones yet", hint: "Add a zone on the Infrastructure page." }}
    >
      {(zones) => (
        <div className="divide-y divide-slate-100">
          <p className="px-4 pt-3 text-xs text-slate-600">
            Marks: the capacity alert rules&apos; warning
            <span className="mx-1 inline-block h-3 w-0.5 bg-amber-600 align-middle" aria-hidden="true" /> and critical
            <span className="mx-1 inline-block h-3 w-0.5 bg-red-700 align-middle" aria-hidden="true" /> thresholds (
            <Link href="/alerts" className="text-brand-700 underline hover:no-underline">
              editable
            </Link>
            ).
          </p>
          {zones.map((z) => (
            <section key={z.id} className="space-y-3 p-4" aria-label={`Zone ${z.name}`} data-testid={`capacity-zone-${z.name}`}>
              <h3 className="text-sm font-semibold text-slate-800">
                <Link href={`/infrastructure/hosts?zoneId=${z.id}`} className="hover:underline">
                  {z.name}
                </Link>{" "}
                <span className="font-normal text-slate-600">
                  · {z.vms.toLocaleString("en-GB")} VM{z.vms === 1 ? "" : "s"} placed
                </span>
              </h3>
              <Meters meters={z.meters} of={`zone ${z.name}`} />
              {z.clusters.length > 0 && (
                <ul className="space-y-3 border-l-2 border-slate-100 pl-3">
                  {z.clusters.map((c) => (
                    <li key={c.id}>
                      <Link href={`/infrastructure/hosts?clusterId=${c.id}`} className="text-xs font-medium text-brand-700 hover:underline">
                        {c.name}
                      </Link>
                      <span className="text-xs text-slate-600">
                        {" "}
                        · {c.podName} · {c.hostCount} host{c.hostCount === 1 ? "" : "s"}
                      </span>
                      <div className="mt-1">
                        <Meters meters={c.meters} of={`cluster ${c.name}`} />
                      </div>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          ))}
        </div>
      )}
    </QueryCard>
  );
}
