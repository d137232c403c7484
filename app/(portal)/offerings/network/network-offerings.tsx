"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { FieldValues } from "react-hook-form";
import { Controller } from "react-hook-form";
import { None, Tags } from "@/components/resource/cells";
import { type KitForm, NumberField, SelectField, TextField } from "@/components/resource/form-dialog";
import { OfferingPage, useOfferingList } from "@/components/resource/offerings";
import { Badge } from "@/components/ui/badge";
import { Checkbox, Field } from "@/components/ui/field";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import {
  createNetworkOfferingInput,
  guestTypeLabels,
  networkGuestTypes,
  networkServices,
  type NetworkService,
  updateNetworkOfferingInput,
} from "@/lib/validation/networks";

export function NetworkOfferings() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const state = useOfferingList();
  const list = useQuery(trpc.networkOffering.list.queryOptions(state.input, { placeholderData: keepPreviousData }));
  return (
    <OfferingPage
      kind="networkOffering"
      noun="Network offering"
      crumb="Network"
      description="What a guest network gives: isolated (own router), shared or L2 (no router, no addresses); its services, egress by default and rate limit. The default isolated offering is used for the network an account's first deploy creates."
      state={state}
      query={list}
      api={client.networkOffering}
      columns={[
        {
          key: "guestType",
          header: "Guest type",
          sortable: true,
          cell: (o) => (
            <span className="whitespace-nowrap">
              {guestTypeLabels[o.guestType]}
              {o.isDefault && (
                <Badge tone="green" className="ml-2">
                  Default
                </Badge>
              )}
            </span>
          ),
        },
        {
          key: "services",
          header: "Services",
          hideBelow: "lg",
          cell: (o) => (o.services.length ? <Tags tags={o.services} /> : <None>None</None>),
        },
        { key: "egressDefault", header: "Egress", hideBelow: "md", cell: (o) => (o.egressDefault === "allow" ? "Allow" : "Deny") },
        {
          key: "rateLimitMbps",
          header: "Rate",
          hideBelow: "xl",
          cell: (o) => (o.rateLimitMbps ? `${o.rateLimitMbps} Mbit/s` : <None>None</None>),
        },
      ]}
      createSchema={createNetworkOfferingInput}
      newValues={{
        displayText: "",
        guestType: "isolated",
        services: ["Dhcp", "Dns", "SourceNat"],
        egressDefault: "allow",
        rateLimitMbps: null,
      }}
      updateSchema={updateNetworkOfferingInput}
      editValues={(o) => ({ ...o, displayText: o.displayText ?? "" })}
      fields={(f) => <NetworkFields form={f} />}
    />
  );
}

type Values = {
  displayText?: string;
  guestType: (typeof networkGuestTypes)[number];
  services: NetworkService[];
  egressDefault: "allow" | "deny";
  rateLimitMbps: number | null;
};

function NetworkFields({ form }: { form: KitForm<FieldValues, FieldValues> }) {
  const f = form as unknown as KitForm<Values, Values>;
  const l2 = f.watch("guestType") === "l2";
  return (
    <>
      <TextField form={f} name="displayText" label="Description" className="sm:col-span-2" />
      <SelectField
        form={f}
        name="guestType"
        label="Guest type"
        options={networkGuestTypes.map((t) => ({ value: t, label: guestTypeLabels[t] }))}
        hint="The guest type of a used offering cannot change."
      />
      <SelectField
        form={f}
        name="egressDefault"
        label="Egress by default"
        options={[
          { value: "allow", label: "Allow (egress rules deny)" },
          { value: "deny", label: "Deny (egress rules allow)" },
        ]}
      />
      <NumberField form={f} name="rateLimitMbps" label="Rate limit (Mbit/s)" min={1} nullable hint="Empty: no limit." />
      <Controller
        control={f.control}
        name="services"
        render={({ field, fieldState }) => (
          <Field
            label="Services"
            className="sm:col-span-2"
            error={fieldState.error?.message}
            hint={l2 ? "L2 networks have no router: no services." : undefined}
          >
            {() => (
              <div className="grid grid-cols-2 gap-1 sm:grid-cols-4">
                {networkServices.map((s) => (
                  <Checkbox
                    key={s}
                    label={s}
                    checked={field.value.includes(s)}
                    onChange={(e) => field.onChange(e.target.checked ? [...field.value, s] : field.value.filter((x) => x !== s))}
                  />
                ))}
              </div>
            )}
          </Field>
        )}
      />
    </>
  );
}
