"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { FieldValues } from "react-hook-form";
import { None, Tags } from "@/components/resource/cells";
import { CheckboxField, type KitForm, NumberField, TagsField, TextField } from "@/components/resource/form-dialog";
import { formatMib } from "@/components/resource/format";
import { OfferingPage, useOfferingList } from "@/components/resource/offerings";
import { Badge } from "@/components/ui/badge";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { createComputeOfferingInput, updateComputeOfferingInput } from "@/lib/validation/offerings";

export function ComputeOfferings() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const state = useOfferingList();
  const list = useQuery(trpc.computeOffering.list.queryOptions(state.input, { placeholderData: keepPreviousData }));
  return (
    <OfferingPage
      kind="computeOffering"
      noun="Compute offering"
      crumb="Compute"
      description="Instance sizes: vCPUs, CPU speed, memory and host tags. Public offerings are visible to every domain; scoped ones to a domain and its sub-domains."
      emptyHint="Add an offering so users can deploy instances of that size."
      state={state}
      query={list}
      api={client.computeOffering}
      columns={[
        {
          key: "cpuCores",
          header: "CPU",
          sortable: true,
          cell: (o) => (
            <span className="whitespace-nowrap">
              {o.cpuCores} vCPU × {o.cpuMhz} MHz
            </span>
          ),
        },
        { key: "memoryMib", header: "Memory", sortable: true, cell: (o) => formatMib(o.memoryMib) },
        { key: "flags", header: "Options", hideBelow: "lg", cell: (o) => (o.cpuCap ? <Badge tone="amber">CPU cap</Badge> : <None />) },
        { key: "hostTags", header: "Host tags", hideBelow: "lg", cell: (o) => <Tags tags={o.hostTags} /> },
      ]}
      createSchema={createComputeOfferingInput}
      newValues={{ displayText: "", cpuCores: 1, cpuMhz: 1000, memoryMib: 1024, cpuCap: false, hostTags: [] }}
      updateSchema={updateComputeOfferingInput}
      editValues={(o) => ({ ...o, displayText: o.displayText ?? "" })}
      fields={(f) => <SizeFields form={f} />}
    />
  );
}

type Size = { displayText?: string; cpuCores: number; cpuMhz: number; memoryMib: number; cpuCap: boolean; hostTags: string[] };

function SizeFields({ form }: { form: KitForm<FieldValues, FieldValues> }) {
  const f = form as unknown as KitForm<Size, Size>;
  return (
    <>
      <TextField form={f} name="displayText" label="Description" placeholder="e.g. 2 vCPUs, 4 GiB" className="sm:col-span-2" />
      <NumberField form={f} name="cpuCores" label="vCPUs" min={1} max={256} step={1} />
      <NumberField form={f} name="cpuMhz" label="CPU speed (MHz)" min={100} step={100} />
      <NumberField form={f} name="memoryMib" label="Memory (MiB)" min={64} step={64} hint="1024 MiB = 1 GiB" />
      <TagsField form={f} name="hostTags" label="Host tags" hint="Comma-separated; instances only go to hosts with every tag." />
      <CheckboxField form={f} name="cpuCap" label="Cap CPU use at the offered speed" className="sm:col-span-2" />
    </>
  );
}
