"use client";
import { useWatch } from "react-hook-form";
import { z } from "zod";
import { CheckboxField, FormDialog, type KitForm, NumberField, SelectField, TagsField, TextField } from "@/components/resource/form-dialog";
import { Field, Select } from "@/components/ui/field";
import { useTRPCClient } from "@/lib/trpc/client";
import {
  createEgressRuleInput,
  createFirewallRuleInput,
  createLoadBalancerInput,
  createPortForwardInput,
  enableStaticNatInput,
  lbAlgorithms,
  ruleProtocols,
  setLoadBalancerMembersInput,
} from "@/lib/validation/network-rules";

/** Editors of network rules: each a kit form on the server's own zod schema (errors beside their fields as you type). */

export interface Target {
  nicId: string;
  instanceName: string;
  ip: string | null;
}
export interface Ip {
  id: string;
  address: string;
}
type DialogProps = { open: boolean; onClose: () => void };

const invalidate = ["networkRule", "network"] as const;
const targetOptions = (targets: Target[]) =>
  targets.filter((t) => t.ip).map((t) => ({ value: t.nicId, label: `${t.instanceName} (${t.ip})` }));
const jobNote = (r: { jobId: string | null }) =>
  r.jobId ? "; the network applies it now" : "; it applies when the network is implemented";
const protocolOptions = ruleProtocols.map((p) => ({ value: p, label: p === "all" ? "All" : p.toUpperCase() }));

/** Port inputs shown only for protocols that have ports. */
function PortRangeFields<TIn extends { protocol?: string }, TOut extends Record<string, unknown>>({ form }: { form: KitForm<TIn, TOut> }) {
  const protocol = useWatch({ control: form.control, name: "protocol" as never }) as string | undefined;
  if (protocol !== "tcp" && protocol !== "udp") return <p className="text-sm text-slate-600">ICMP and All take no ports.</p>;
  return (
    <div className="grid grid-cols-2 gap-3">
      <NumberField form={form} name={"startPort" as never} label="Start port" min={1} max={65535} nullable />
      <NumberField form={form} name={"endPort" as never} label="End port (optional)" min={1} max={65535} nullable />
    </div>
  );
}

export function FirewallDialog({ open, onClose, ip }: DialogProps & { ip: Ip }) {
  const client = useTRPCClient();
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={`Firewall rule on ${ip.address}`}
      schema={createFirewallRuleInput}
      defaultValues={{ publicIpId: ip.id, protocol: "tcp", startPort: null, endPort: null, sourceCidrs: ["0.0.0.0/0"] }}
      submitLabel="Add rule"
      onSubmit={(v) => client.networkRule.createFirewall.mutate(v)}
      invalidate={invalidate}
      success={(r) => `Firewall rule added${jobNote(r)}`}
    >
      {(f) => (
        <>
          <SelectField form={f} name="protocol" label="Protocol" options={protocolOptions} />
          <PortRangeFields form={f} />
          <TagsField form={f} name="sourceCidrs" label="Source CIDRs" hint="Comma-separated, e.g. 203.0.113.0/24; 0.0.0.0/0 is anyone" />
        </>
      )}
    </FormDialog>
  );
}

export function EgressDialog({
  open,
  onClose,
  networkId,
  egressDefault,
}: DialogProps & { networkId: string; egressDefault: "allow" | "deny" }) {
  const client = useTRPCClient();
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={egressDefault === "allow" ? "Block outgoing traffic" : "Allow outgoing traffic"}
      schema={createEgressRuleInput}
      defaultValues={{ networkId, protocol: "tcp", startPort: null, endPort: null, destCidrs: ["0.0.0.0/0"] }}
      submitLabel="Add egress rule"
      onSubmit={(v) => client.networkRule.createEgress.mutate(v)}
      invalidate={invalidate}
      success={(r) => `Egress rule added${jobNote(r)}`}
    >
      {(f) => (
        <>
          <p className="rounded-md bg-slate-50 p-2 text-sm text-slate-700">
            {egressDefault === "allow"
              ? "This network's offering allows all outgoing traffic: each egress rule blocks what it matches."
              : "This network's offering denies outgoing traffic: each egress rule allows what it matches."}
          </p>
          <SelectField form={f} name="protocol" label="Protocol" options={protocolOptions} />
          <PortRangeFields form={f} />
          <TagsField form={f} name="destCidrs" label="Destination CIDRs" hint="Comma-separated; 0.0.0.0/0 is anywhere" />
        </>
      )}
    </FormDialog>
  );
}

export function PortForwardDialog({
  open,
  onClose,
  ip,
  targets,
  canOpenFirewall,
}: DialogProps & { ip: Ip; targets: Target[]; canOpenFirewall: boolean }) {
  const client = useTRPCClient();
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={`Port forwarding on ${ip.address}`}
      schema={createPortForwardInput}
      defaultValues={{
        publicIpId: ip.id,
        protocol: "tcp",
        publicStartPort: 22,
        publicEndPort: undefined,
        privateStartPort: 22,
        privateEndPort: undefined,
        nicId: "",
        openFirewall: canOpenFirewall,
      }}
      submitLabel="Add port forward"
      onSubmit={(v) => client.networkRule.createPortForward.mutate(v)}
      invalidate={invalidate}
      success={(r) => `Port forward added${r.firewall ? " with its firewall rule" : ""}${jobNote(r)}`}
    >
      {(f) => (
        <>
          <SelectField form={f} name="protocol" label="Protocol" options={protocolOptions.slice(0, 2)} />
          <div className="grid grid-cols-2 gap-3">
            <NumberField form={f} name="publicStartPort" label="Public port" min={1} max={65535} />
            <NumberField form={f} name="publicEndPort" label="Public end port (optional)" min={1} max={65535} optional />
            <NumberField form={f} name="privateStartPort" label="Private port" min={1} max={65535} />
            <NumberField form={f} name="privateEndPort" label="Private end port (optional)" min={1} max={65535} optional />
          </div>
          <SelectField form={f} name="nicId" label="Instance" empty="Choose an instance…" options={targetOptions(targets)} />
          {canOpenFirewall && <CheckboxField form={f} name="openFirewall" label="Also allow these ports from anywhere (firewall rule)" />}
          <p className="text-sm text-slate-600">Traffic reaches a forward only when a firewall rule of this address allows it.</p>
        </>
      )}
    </FormDialog>
  );
}

export function StaticNatDialog({ open, onClose, ip, targets }: DialogProps & { ip: Ip; targets: Target[] }) {
  const client = useTRPCClient();
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={`Static NAT for ${ip.address}`}
      schema={enableStaticNatInput}
      defaultValues={{ publicIpId: ip.id, nicId: "" }}
      submitLabel="Enable static NAT"
      onSubmit={(v) => client.networkRule.enableStaticNat.mutate(v)}
      invalidate={invalidate}
      success={(r) => `Static NAT enabled${jobNote(r)}`}
    >
      {(f) => (
        <>
          <SelectField form={f} name="nicId" label="Instance" empty="Choose an instance…" options={targetOptions(targets)} />
          <p className="text-sm text-slate-600">
            Every port of {ip.address} maps to the instance, and its outgoing traffic leaves from this address. Firewall rules still decide
            what may come in.
          </p>
        </>
      )}
    </FormDialog>
  );
}

/** The LB form: flat fields for the health check, mapped onto the server's schema (its errors mapped back). */
const lbForm = z
  .object({
    publicIpId: z.string(),
    name: z.string(),
    publicPort: z.number(),
    privatePort: z.number(),
    algorithm: z.enum(lbAlgorithms),
    nicIds: z.array(z.string()).default([]),
    check: z.enum(["none", "tcp", "http"]),
    path: z.string().default(""),
    intervalSeconds: z.number(),
    unhealthyThreshold: z.number(),
    openFirewall: z.boolean(),
  })
  .transform(({ check, path, intervalSeconds, unhealthyThreshold, ...v }, ctx) => {
    const r = createLoadBalancerInput.safeParse({
      ...v,
      healthCheck: check === "none" ? null : { type: check, path: check === "http" ? path : null, intervalSeconds, unhealthyThreshold },
    });
    if (r.success) return r.data;
    for (const i of r.error.issues) {
      const p = i.path.map(String);
      ctx.addIssue({
        code: "custom",
        path: p[0] === "healthCheck" ? [p[1] === "type" ? "check" : (p[1] ?? "check")] : p,
        message: i.message,
      });
    }
    return z.NEVER;
  });

export function LoadBalancerDialog({
  open,
  onClose,
  ip,
  targets,
  canOpenFirewall,
}: DialogProps & { ip: Ip; targets: Target[]; canOpenFirewall: boolean }) {
  const client = useTRPCClient();
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={`Load balancer on ${ip.address}`}
      wide
      schema={lbForm}
      defaultValues={{
        publicIpId: ip.id,
        name: "",
        publicPort: 80,
        privatePort: 80,
        algorithm: "roundrobin",
        nicIds: [],
        check: "tcp",
        path: "/",
        intervalSeconds: 5,
        unhealthyThreshold: 3,
        openFirewall: canOpenFirewall,
      }}
      submitLabel="Create load balancer"
      onSubmit={(v) => client.networkRule.createLoadBalancer.mutate(v)}
      invalidate={invalidate}
      success={(r) => `Load balancer ${r.rule.name} created${r.firewall ? " with its firewall rule" : ""}${jobNote(r)}`}
    >
      {(f) => <LbFields form={f} targets={targets} canOpenFirewall={canOpenFirewall} />}
    </FormDialog>
  );
}

function LbFields({
  form,
  targets,
  canOpenFirewall,
}: {
  form: KitForm<z.input<typeof lbForm>, z.output<typeof lbForm>>;
  targets: Target[];
  canOpenFirewall: boolean;
}) {
  const check = useWatch({ control: form.control, name: "check" });
  return (
    <>
      <TextField form={form} name="name" label="Name" autoFocus />
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-3">
        <NumberField form={form} name="publicPort" label="Public port (TCP)" min={1} max={65535} />
        <NumberField form={form} name="privatePort" label="Private port" min={1} max={65535} />
        <SelectField
          form={form}
          name="algorithm"
          label="Algorithm"
          options={[
            { value: "roundrobin", label: "Round robin" },
            { value: "leastconn", label: "Least connections" },
            { value: "source", label: "Source (sticky by client address)" },
          ]}
        />
      </div>
      <Field label="Members" hint="Ctrl/⌘-click to pick several; members can change later" error={undefined}>
        {(id) => (
          <Select id={id} multiple className="h-28" {...form.register("nicIds")}>
            {targetOptions(targets).map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-4">
        <SelectField
          form={form}
          name="check"
          label="Health check"
          options={[
            { value: "none", label: "None" },
            { value: "tcp", label: "TCP connect" },
            { value: "http", label: "HTTP GET" },
          ]}
        />
        {check === "http" && <TextField form={form} name="path" label="Path" mono placeholder="/health" />}
        {check !== "none" && (
          <>
            <NumberField form={form} name="intervalSeconds" label="Interval (s)" min={1} max={300} />
            <NumberField form={form} name="unhealthyThreshold" label="Unhealthy after" min={1} max={10} />
          </>
        )}
      </div>
      {canOpenFirewall && (
        <CheckboxField form={form} name="openFirewall" label="Also allow the public port from anywhere (firewall rule)" />
      )}
    </>
  );
}

/** Changes a load balancer's members (NICs on the network). */
export function LbMembersDialog({
  open,
  onClose,
  lb,
  targets,
}: DialogProps & { lb: { id: string; name: string | null; members: { nicId: string }[] }; targets: Target[] }) {
  const client = useTRPCClient();
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={`Members of ${lb.name ?? "the load balancer"}`}
      schema={setLoadBalancerMembersInput}
      defaultValues={{ id: lb.id, nicIds: lb.members.map((m) => m.nicId) }}
      submitLabel="Save members"
      onSubmit={(v) => client.networkRule.setLoadBalancerMembers.mutate(v)}
      invalidate={invalidate}
      success={(r) => `Members saved${jobNote(r)}`}
    >
      {(f) => (
        <Field label="Members" hint="Ctrl/⌘-click to pick several; none leaves the load balancer without backends" error={undefined}>
          {(id) => (
            <Select id={id} multiple className="h-28" {...f.register("nicIds")}>
              {targetOptions(targets).map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </Select>
          )}
        </Field>
      )}
    </FormDialog>
  );
}
