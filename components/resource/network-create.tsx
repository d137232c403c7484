"use client";
import { useQuery } from "@tanstack/react-query";
import { useWatch } from "react-hook-form";
import { WhenLoaded } from "@/components/resource/filters";
import { FormDialog, type KitForm, SelectField, TextField } from "@/components/resource/form-dialog";
import { createNetworkInput } from "@/lib/validation/networks";
import type { z } from "zod";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";

type Values = z.input<typeof createNetworkInput>;

/** The network offerings of the chosen zone's choices (isolated and L2; shared networks are the admins'). */
function OfferingField({ form }: { form: KitForm<Values, z.output<typeof createNetworkInput>> }) {
  const trpc = useTRPC();
  const zoneId = useWatch({ control: form.control, name: "zoneId" });
  const choices = useQuery({ ...trpc.network.choices.queryOptions({ zoneId: zoneId ?? "" }), enabled: !!zoneId });
  if (!zoneId) return null;
  return (
    <WhenLoaded query={choices} what="network offerings">
      {(c) => (
        <SelectField
          form={form}
          name="networkOfferingId"
          label="Network offering"
          empty={c.offerings.length ? "Choose a network offering…" : "No network offering is available to you"}
          options={c.offerings.map((o) => ({
            value: o.id,
            label: `${o.name} (${o.guestType === "l2" ? "L2, no addresses" : o.guestType})`,
          }))}
        />
      )}
    </WhenLoaded>
  );
}

/** Create an isolated (or L2) network in the caller's account. */
export function CreateNetworkDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated?: (id: string) => void;
}) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const choices = useQuery({ ...trpc.instance.deployChoices.queryOptions(), enabled: open });
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title="Create network"
      schema={createNetworkInput}
      waitFor={{ query: choices, what: "zones" }}
      defaultValues={{ name: "", zoneId: choices.data?.zones[0]?.id ?? "", networkOfferingId: "", cidr: "", dnsDomain: "" }}
      submitLabel="Create network"
      onSubmit={(v) => client.network.create.mutate(v)}
      invalidate={["network", "limit"]}
      success={(n) => `Network ${n.name} created (${n.cidr ?? "L2"}); it is implemented when the first instance uses it`}
      onSaved={(n) => onCreated?.(n.id)}
    >
      {(f) => (
        <>
          <TextField form={f} name="name" label="Name" autoFocus />
          <SelectField
            form={f}
            name="zoneId"
            label="Zone"
            empty="Choose a zone…"
            options={(choices.data?.zones ?? []).map((z) => ({ value: z.id, label: z.name }))}
          />
          <OfferingField form={f} />
          <TextField
            form={f}
            name="cidr"
            label="CIDR (optional)"
            mono
            placeholder="10.1.1.0/24"
            hint="A private range, /16 to /29. Empty: the zone's default. The gateway is its first address."
          />
          <TextField form={f} name="dnsDomain" label="DNS domain (optional)" mono placeholder="acme.internal" />
        </>
      )}
    </FormDialog>
  );
}
