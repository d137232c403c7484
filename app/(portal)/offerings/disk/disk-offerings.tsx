"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { FieldValues } from "react-hook-form";
import { Tags } from "@/components/resource/cells";
import { CheckboxField, type KitForm, NumberField, TagsField, TextField } from "@/components/resource/form-dialog";
import { OfferingPage, useOfferingList } from "@/components/resource/offerings";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { createDiskOfferingInput, updateDiskOfferingInput } from "@/lib/validation/offerings";

export function DiskOfferings() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const state = useOfferingList();
  const list = useQuery(trpc.diskOffering.list.queryOptions(state.input, { placeholderData: keepPreviousData }));
  return (
    <OfferingPage
      kind="diskOffering"
      noun="Disk offering"
      crumb="Disk"
      description="Volume sizes, fixed or chosen within bounds, and the storage tags that would place them. Nothing uses disk offerings yet: instances get their root disk from the template."
      emptyHint="Disk offerings are not used by anything yet: Stratus has no data volumes, and instances get their root disk from the template."
      state={state}
      query={list}
      api={client.diskOffering}
      columns={[
        {
          key: "sizeGib",
          header: "Size",
          sortable: true,
          cell: (o) => (o.customSize ? `Custom, ${o.minGib}–${o.maxGib} GiB` : `${o.sizeGib} GiB`),
        },
        { key: "storageTags", header: "Storage tags", hideBelow: "lg", cell: (o) => <Tags tags={o.storageTags} /> },
      ]}
      createSchema={createDiskOfferingInput}
      newValues={{ displayText: "", customSize: false, sizeGib: 20, minGib: 1, maxGib: 1024, storageTags: [] }}
      updateSchema={updateDiskOfferingInput}
      editValues={(o) => ({ ...o, displayText: o.displayText ?? "" })}
      fields={(f) => <SizeFields form={f} />}
    />
  );
}

type Size = {
  displayText?: string;
  customSize: boolean;
  sizeGib?: number | null;
  minGib?: number | null;
  maxGib?: number | null;
  storageTags: string[];
};

/** The size fields not shown drop out of the values (`nullable`). */
function SizeFields({ form }: { form: KitForm<FieldValues, FieldValues> }) {
  const f = form as unknown as KitForm<Size, Size>;
  return (
    <>
      <TextField form={f} name="displayText" label="Description" placeholder="e.g. 100 GiB SSD" className="sm:col-span-2" />
      <CheckboxField form={f} name="customSize" label="Custom size (the user chooses a size within bounds)" className="sm:col-span-2" />
      {f.watch("customSize") ? (
        <>
          <NumberField form={f} name="minGib" label="Minimum size (GiB)" min={1} nullable />
          <NumberField form={f} name="maxGib" label="Maximum size (GiB)" min={1} nullable />
        </>
      ) : (
        <NumberField form={f} name="sizeGib" label="Size (GiB)" min={1} nullable />
      )}
      <TagsField
        form={f}
        name="storageTags"
        label="Storage tags"
        className="sm:col-span-2"
        hint="Comma-separated; volumes would only go to storage pools with every tag."
      />
    </>
  );
}
