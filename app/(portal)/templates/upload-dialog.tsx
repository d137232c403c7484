"use client";
import { useState } from "react";
import { WhenLoaded } from "@/components/resource/filters";
import { FormDialog } from "@/components/resource/form-dialog";
import { Field, Input } from "@/components/ui/field";
import { useTRPCClient } from "@/lib/trpc/client";
import { uploadInChunks } from "@/lib/upload/chunked-upload";
import { startUploadInput } from "@/lib/validation/templates";
import { ImageFields, type ImageDialogProps, imageDefaults, useImageZones } from "./image-fields";
import { imageChanges, type ImageKind } from "./images";

const uploadForm = startUploadInput.omit({ sizeBytes: true });
const extensions: Record<ImageKind, string[]> = { template: [".qcow2", ".img", ".raw"], iso: [".iso"] };

/** Why this file cannot be sent (null when it can): the server checks again, and checks the image itself. */
function fileProblem(file: File | null, kind: ImageKind): string | null {
  if (!file) return "Choose a file";
  if (file.size === 0) return "The file is empty";
  if (!extensions[kind].some((e) => file.name.toLowerCase().endsWith(e))) return `Choose a ${extensions[kind].join(", ")} file`;
  return null;
}

/**
 * Upload from this computer: the template is created (Uploading), then the file goes up in chunks
 * with a progress bar; a cut connection resumes where the server's copy ends. The server checks
 * the image at the last byte.
 */
export function UploadDialog({ kind, open, onClose, canPublish }: ImageDialogProps) {
  const client = useTRPCClient();
  const zones = useImageZones();
  const [file, setFile] = useState<File | null>(null);
  const [pct, setPct] = useState<number | null>(null);
  const problem = fileProblem(file, kind);
  const close = () => {
    setFile(null);
    setPct(null);
    onClose();
  };
  return (
    <FormDialog
      open={open}
      onClose={close}
      title={kind === "iso" ? "Upload ISO" : "Upload template"}
      schema={uploadForm}
      defaultValues={imageDefaults(kind, zones.data?.[0]?.id)}
      submitLabel="Upload"
      onSubmit={async (v) => {
        if (problem || !file) throw new Error(problem ?? "Choose a file");
        const { template } = await client.template.startUpload.mutate({ ...v, sizeBytes: file.size });
        setPct(0);
        const done = await uploadInChunks(template.id, file, (sent, total) => setPct(Math.floor((100 * sent) / total)));
        if (done.status === "error") throw new Error(`${template.name} was refused: ${done.error ?? "unknown reason"}`);
        return template;
      }}
      invalidate={imageChanges}
      success={(t) => `${t.name} uploaded`}
    >
      {(f) => (
        <WhenLoaded query={zones} what="zones">
          {(zs) => (
            <>
              <Field
                label="File"
                error={file ? (problem ?? undefined) : undefined}
                hint={`${extensions[kind].join(", ")}; sent in 4 MiB chunks`}
              >
                {(id) => (
                  <Input
                    id={id}
                    type="file"
                    accept={extensions[kind].join(",")}
                    onChange={(e) => {
                      const chosen = e.target.files?.[0] ?? null;
                      setFile(chosen);
                      if (chosen && !f.getValues("name"))
                        f.setValue("name", chosen.name.replace(/\.[^.]+$/, "").slice(0, 64), { shouldValidate: true });
                    }}
                  />
                )}
              </Field>
              <ImageFields form={f} kind={kind} zones={zs} canPublish={canPublish} />
              {pct !== null && (
                <div>
                  <div
                    role="progressbar"
                    aria-label="Upload progress"
                    aria-valuemin={0}
                    aria-valuemax={100}
                    aria-valuenow={pct}
                    className="h-2 w-full overflow-hidden rounded-full bg-slate-200"
                  >
                    <div className="bg-brand-600 h-full transition-[width]" style={{ width: `${pct}%` }} />
                  </div>
                  <p className="mt-1 text-sm text-slate-700 tabular-nums" data-testid="upload-percent">
                    {pct < 100 ? `Uploading… ${pct} %` : "Checking the image…"}
                  </p>
                </div>
              )}
            </>
          )}
        </WhenLoaded>
      )}
    </FormDialog>
  );
}
