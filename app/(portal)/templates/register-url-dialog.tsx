"use client";
import { useQuery } from "@tanstack/react-query";
import { WhenLoaded } from "@/components/resource/filters";
import { FormDialog, TextField } from "@/components/resource/form-dialog";
import { toastJob } from "@/components/resource/toast";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { registerFromUrlInput } from "@/lib/validation/templates";
import { ImageFields } from "./image-fields";
import { imageChanges, type ImageKind } from "./images";

/** Register from an http(s) URL: the server downloads it in a job, whose progress a toast follows. */
export function RegisterUrlDialog({
  kind,
  open,
  onClose,
  canPublish,
}: {
  kind: ImageKind;
  open: boolean;
  onClose: () => void;
  canPublish: boolean;
}) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const zones = useQuery(trpc.instance.deployChoices.queryOptions(undefined, { select: (c) => c.zones }));
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={kind === "iso" ? "Register ISO from URL" : "Register template from URL"}
      schema={registerFromUrlInput}
      defaultValues={{
        name: "",
        osType: "Other Linux (64-bit)",
        zoneId: zones.data?.[0]?.id ?? "",
        format: kind === "iso" ? "iso" : "qcow2",
        url: "",
        checksum: "",
        isPublic: false,
        isFeatured: false,
      }}
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
