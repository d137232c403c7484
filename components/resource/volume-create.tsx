"use client";
import { useQuery } from "@tanstack/react-query";
import { useWatch } from "react-hook-form";
import { WhenLoaded } from "@/components/resource/filters";
import { FormDialog, type KitForm, NumberField, ReadOnlyField, SelectField, TextField } from "@/components/resource/form-dialog";
import type { RouterOutputs } from "@/components/resource/router-types";
import { toastJob } from "@/components/resource/toast";
import { createVolumeInput, type CreateVolumeInput } from "@/lib/validation/volumes";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";

type DiskOffering = RouterOutputs["diskOffering"]["list"]["items"][number];

/** "20 GiB" or "custom 1–1024 GiB": what an offering gives. */
export const offeringSize = (o: Pick<DiskOffering, "customSize" | "sizeGib" | "minGib" | "maxGib">) =>
  o.customSize ? `custom ${o.minGib}–${o.maxGib} GiB` : `${o.sizeGib} GiB`;

/** The active disk offerings the caller may use (public or of its domain's ancestors). */
export function useDiskOfferings() {
  const trpc = useTRPC();
  return useQuery(trpc.diskOffering.list.queryOptions({ activeOnly: true, pageSize: 200 }));
}

/** The size field, shown only for a custom-size offering (a fixed one decides the size). */
function SizeField({ form, offerings }: { form: KitForm<CreateVolumeInput>; offerings: DiskOffering[] }) {
  const id = useWatch({ control: form.control, name: "diskOfferingId" });
  const o = offerings.find((x) => x.id === id);
  if (!o) return null;
  if (!o.customSize) return <ReadOnlyField label="Size" value={`${o.sizeGib} GiB`} hint="Fixed by the offering." />;
  return (
    <NumberField
      form={form}
      name="sizeGib"
      label="Size (GiB)"
      optional
      min={o.minGib ?? 1}
      max={o.maxGib ?? undefined}
      hint={`Between ${o.minGib} and ${o.maxGib} GiB.`}
    />
  );
}

/**
 * Create a data volume from a disk offering. With `instance` (the instance page's Storage tab) it
 * is created in the instance's zone and attached to it at once; otherwise it starts unattached.
 */
export function CreateVolumeDialog({
  open,
  onClose,
  instance,
}: {
  open: boolean;
  onClose: () => void;
  instance?: { id: string; name: string; zoneId: string; zoneName: string };
}) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const choices = useQuery({ ...trpc.instance.deployChoices.queryOptions(), enabled: open && !instance });
  const offerings = useDiskOfferings();
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={instance ? `Add a volume to ${instance.name}` : "Create volume"}
      schema={createVolumeInput}
      defaultValues={{ name: "", zoneId: instance?.zoneId ?? "", diskOfferingId: "", instanceId: instance?.id }}
      submitLabel={instance ? "Create and attach" : "Create volume"}
      onSubmit={(v) => client.volume.create.mutate(v)}
      invalidate={["volume", "instance", "limit"]}
      success={(r) => {
        if (instance) {
          toastJob(r.jobId, `volume for ${instance.name}`);
          return "";
        }
        return "Volume created; attach it to an instance to use it";
      }}
    >
      {(f) => (
        <WhenLoaded query={offerings} what="disk offerings">
          {(page) => (
            <>
              <TextField form={f} name="name" label="Name" autoFocus />
              {instance ? (
                <ReadOnlyField label="Zone" value={instance.zoneName} hint={`The zone of ${instance.name}.`} />
              ) : (
                <WhenLoaded query={choices} what="zones">
                  {(c) => (
                    <SelectField
                      form={f}
                      name="zoneId"
                      label="Zone"
                      empty="Choose a zone…"
                      options={c.zones.map((z) => ({ value: z.id, label: z.name }))}
                    />
                  )}
                </WhenLoaded>
              )}
              <SelectField
                form={f}
                name="diskOfferingId"
                label="Disk offering"
                empty={page.items.length ? "Choose a disk offering…" : "No disk offering is available to you"}
                options={page.items.map((o) => ({ value: o.id, label: `${o.name} (${offeringSize(o)})` }))}
              />
              <SizeField form={f} offerings={page.items} />
            </>
          )}
        </WhenLoaded>
      )}
    </FormDialog>
  );
}
