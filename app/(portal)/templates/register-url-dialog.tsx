"use client";
import { WhenLoaded } from "@/components/resource/filters";
import { FormDialog, TextField } from "@/components/resource/form-dialog";
import { toastJob } from "@/components/resource/toast";
import { useTRPCClient } from "@/lib/trpc/client";
import { registerFromUrlInput } from "@/lib/validation/templates";
import { ImageFields, type ImageDialogProps, imageDefaults, useImageZones } from "./image-fields";
import { imageChanges } from "./images";

/** Register from an http(s) URL: the server downloads it in a job, whose progress a toast follows. */
export function RegisterUrlDialog({ kind, open, onClose, canPublish }: ImageDialogProps) {
  const client = useTRPCClient();
  const zones = useImageZones();
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={kind === "iso" ? "Register ISO from URL" : "Register template from URL"}
      schema={registerFromUrlInput}
      defaultValues={{ ...imageDefaults(kind, zones.data?.[0]?.id), url: "" }}
      submitLabel="Register"
      onSubmit={(v) => client.template.registerFromUrl.mutate(v)}
      invalidate={imageChanges}
      success={(r) => `Downloading ${r.template.name}…`}
      onSaved={(r) => toastJob(r.jobId, r.template.name)}
    >
      {(f) => (
        <WhenLoaded query={zones} what="zones">
          {(zs) => (
            <>
              <TextField form={f} name="url" label="URL" mono hint="http:// or https://; the server fetches it (at most 3 redirects)" />
              <ImageFields form={f} kind={kind} zones={zs} canPublish={canPublish} />
            </>
          )}
        </WhenLoaded>
      )}
    </FormDialog>
  );
}
