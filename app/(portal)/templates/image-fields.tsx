"use client";
import { useQuery } from "@tanstack/react-query";
import type { FieldValues } from "react-hook-form";
import { useTRPC } from "@/lib/trpc/client";
import { CheckboxField, type KitForm, SelectField, TextField } from "@/components/resource/form-dialog";
import type { ImageKind } from "./images";

/** The fields a URL registration and an upload share: name, OS type, zone, format, checksum, visibility. */
export function ImageFields<TIn extends FieldValues, TOut extends FieldValues>({
  form,
  kind,
  zones,
  canPublish,
}: {
  form: KitForm<TIn, TOut>;
  kind: ImageKind;
  zones: { id: string; name: string }[];
  canPublish: boolean;
}) {
  const f = form as unknown as KitForm<FieldValues>;
  return (
    <>
      <TextField form={f} name="name" label="Name" autoFocus />
      <TextField form={f} name="osType" label="OS type" />
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <SelectField
          form={f}
          name="zoneId"
          label="Zone"
          empty="Choose a zone…"
          options={zones.map((z) => ({ value: z.id, label: z.name }))}
        />
        {kind === "template" && (
          <SelectField
            form={f}
            name="format"
            label="Format"
            options={[
              { value: "qcow2", label: "qcow2" },
              { value: "raw", label: "raw (stored as qcow2)" },
            ]}
          />
        )}
      </div>
      <TextField
        form={f}
        name="checksum"
        label="Checksum (optional)"
        mono
        hint="sha256, sha512 or md5 hex, or algo:hex; checked before the image is kept"
      />
      {canPublish && (
        <div className="flex flex-wrap gap-4">
          <CheckboxField form={f} name="isPublic" label="Public (every account)" />
          <CheckboxField form={f} name="isFeatured" label="Featured" />
        </div>
      )}
    </>
  );
}

/** What the register and upload dialogs take: which kind, open or not, and whether public/featured are offered. */
export interface ImageDialogProps {
  kind: ImageKind;
  open: boolean;
  onClose: () => void;
  canPublish: boolean;
}

/** The zones an image may be registered in (those the caller may deploy to). */
export function useImageZones() {
  const trpc = useTRPC();
  return useQuery(trpc.instance.deployChoices.queryOptions(undefined, { select: (c) => c.zones }));
}

/** The shared fields' starting values. */
export const imageDefaults = (kind: ImageKind, zoneId: string | undefined) => ({
  name: "",
  osType: "Other Linux (64-bit)",
  zoneId: zoneId ?? "",
  format: kind === "iso" ? ("iso" as const) : ("qcow2" as const),
  checksum: "",
  isPublic: false,
  isFeatured: false,
});
