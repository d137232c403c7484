"use client";
import type { FieldValues } from "react-hook-form";
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
