"use client";
import { FormDialog, SelectField } from "@/components/resource/form-dialog";
import { toastJob } from "@/components/resource/toast";
import { useTRPCClient } from "@/lib/trpc/client";
import { copyTemplateToZoneInput } from "@/lib/validation/templates";
import { useImageZones } from "./image-fields";
import { imageChanges, type ImageRow } from "./images";

/**
 * Copy a template or ISO to another zone's secondary store: a job copies the image, whose percent a
 * toast follows and the list's Zone column shows; once Ready it can be used in that zone.
 */
export function CopyDialog({ image, onClose }: { image: ImageRow | null; onClose: () => void }) {
  const client = useTRPCClient();
  const zones = useImageZones();
  // Zones where it is not yet (nor being copied to): a failed copy may be asked again.
  const taken = new Set([image?.zoneId, ...(image?.copies ?? []).filter((c) => c.status !== "error").map((c) => c.zoneId)]);
  const choices = (zones.data ?? []).filter((z) => !taken.has(z.id));
  return (
    <FormDialog
      open={image !== null}
      onClose={onClose}
      title={`Copy ${image?.name ?? ""} to another zone`}
      waitFor={{ query: zones, what: "zones" }}
      schema={copyTemplateToZoneInput}
      defaultValues={{ id: image?.id ?? "", zoneId: choices[0]?.id ?? "" }}
      submitLabel="Copy"
      onSubmit={(v) => client.template.copyToZone.mutate(v)}
      invalidate={imageChanges}
      success={() => `Copying ${image?.name ?? ""}…`}
      onSaved={(r) => toastJob(r.jobId, image?.name ?? "template")}
    >
      {(f) => (
        <SelectField
          form={f}
          name="zoneId"
          label="To zone"
          empty={choices.length ? "Choose a zone…" : "It is in every zone already"}
          options={choices.map((z) => ({ value: z.id, label: z.name }))}
        />
      )}
    </FormDialog>
  );
}
