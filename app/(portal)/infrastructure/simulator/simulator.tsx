"use client";
import { count } from "@/components/resource/format";
import { toast } from "@/components/resource/toast";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Badge, StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Checkbox, Field, Input, Select } from "@/components/ui/field";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { useTRPC } from "@/lib/trpc/client";
import { addSimulatorFaultInput, MAX_LATENCY_MS, simulatorOperationNames, type SimulatorOperationName } from "@/lib/validation/simulator";
import type { AppRouter } from "@/server/api/root";

type Sim = inferRouterOutputs<AppRouter>["simulator"]["get"];

const errorText = (e: unknown) =>
  e && typeof e === "object" && "message" in e && typeof e.message === "string" ? e.message : "Something went wrong";

/** What each driver operation is, for the admin choosing where to inject latency or faults. */
const operationHelp: Record<SimulatorOperationName, string> = {
  ping: "host check",
  create: "define a VM (deploy)",
  start: "power on (deploy, start)",
  stop: "power off (stop, destroy)",
  reboot: "reboot",
  destroy: "remove from the host (expunge)",
  list: "the reconciler's listing of a host",
  getState: "one VM's state",
  stats: "VM statistics",
  createVolume: "create a volume on a pool (deploy, attach)",
  deleteVolume: "delete a volume (expunge)",
  resizeVolume: "grow a volume",
  attachVolume: "plug a volume into a VM",
  detachVolume: "unplug a volume from a VM",
  volumeInfo: "one volume's size",
  copyVolume: "copy a volume to another pool (migrate)",
};

function LatencyRow({
  op,
  current,
  onSave,
  saving,
}: {
  op: SimulatorOperationName;
  current: number;
  onSave: (ms: number) => void;
  saving: boolean;
}) {
  const [value, setValue] = useState(String(current));
  const n = Number(value);
  const invalid = value.trim() === "" || !Number.isInteger(n) || n < 0 || n > MAX_LATENCY_MS;
  const changed = !invalid && n !== current;
  return (
    <tr>
      <td className="py-1.5 pr-3">
        <span className="font-medium text-slate-800">{op}</span>
        <span className="ml-2 text-xs text-slate-600">{operationHelp[op]}</span>
      </td>
      <td className="py-1.5 pr-3">
        <label className="sr-only" htmlFor={`latency-${op}`}>
          Latency of {op} in milliseconds
        </label>
        <Input
          id={`latency-${op}`}
          type="number"
          min={0}
          max={MAX_LATENCY_MS}
          step={50}
          value={value}
          invalid={invalid}
          onChange={(e) => setValue(e.target.value)}
          className="w-32"
        />
        {invalid && <p className="mt-0.5 text-xs text-red-700">0 to {MAX_LATENCY_MS.toLocaleString("en-US")} ms, whole number</p>}
      </td>
      <td className="py-1.5">
        <Button size="sm" variant="secondary" disabled={!changed} loading={saving} onClick={() => onSave(n)}>
          Save
        </Button>
      </td>
    </tr>
  );
}

function AddFaultForm({ hosts, onAdded }: { hosts: Sim["hosts"]; onAdded: (text: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({
    operation: "start" as SimulatorOperationName,
    hostId: "",
    probability: "1",
    remaining: "",
    transient: false,
    message: "Injected fault",
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const add = useMutation(
    trpc.simulator.addFault.mutationOptions({
      onSuccess: async (f) => {
        await queryClient.invalidateQueries({ queryKey: trpc.simulator.pathKey() });
        onAdded(`Fault on ${f.operation} added`);
      },
      onError: (e) => setErrors({ form: errorText(e) }),
    }),
  );
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const parsed = addSimulatorFaultInput.safeParse({
      operation: form.operation,
      hostId: form.hostId || null,
      probability: Number(form.probability),
      remaining: form.remaining.trim() === "" ? null : Number(form.remaining),
      transient: form.transient,
      message: form.message,
    });
    if (!parsed.success) {
      setErrors(Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0] ?? "form"), i.message])));
      return;
    }
    setErrors({});
    add.mutate(parsed.data);
  };
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setForm({ ...form, [k]: e.target.value });
  return (
    <form onSubmit={submit} className="grid gap-3 border-t border-slate-200 p-4 sm:grid-cols-2 lg:grid-cols-3" aria-label="Inject a fault">
      <Field label="Operation" error={errors.operation}>
        {(id) => (
          <Select id={id} value={form.operation} onChange={set("operation")}>
            {simulatorOperationNames.map((op) => (
              <option key={op} value={op}>
                {op} — {operationHelp[op]}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field label="Host" error={errors.hostId} hint="Every simulated host, or only one">
        {(id) => (
          <Select id={id} value={form.hostId} onChange={set("hostId")}>
            <option value="">All simulated hosts</option>
            {hosts.map((h) => (
              <option key={h.hostId} value={h.hostId}>
                {h.hostName} ({h.zoneName})
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field label="Probability" error={errors.probability} hint="1 fails every matching call; 0.1 about one in ten">
        {(id) => (
          <Input
            id={id}
            type="number"
            min={0.01}
            max={1}
            step={0.01}
            value={form.probability}
            invalid={!!errors.probability}
            onChange={set("probability")}
          />
        )}
      </Field>
      <Field label="Count" error={errors.remaining} hint="Fail the next N calls, then disappear; empty: until removed">
        {(id) => (
          <Input
            id={id}
            type="number"
            min={1}
            step={1}
            value={form.remaining}
            invalid={!!errors.remaining}
            onChange={set("remaining")}
            placeholder="until removed"
          />
        )}
      </Field>
      <Field label="Message" error={errors.message} hint="What the failed job and event will say">
        {(id) => <Input id={id} value={form.message} invalid={!!errors.message} onChange={set("message")} maxLength={200} />}
      </Field>
      <div className="flex flex-col justify-end gap-2">
        <Checkbox
          label="Transient (the job runner retries it)"
          checked={form.transient}
          onChange={(e) => setForm({ ...form, transient: e.target.checked })}
        />
        <Button type="submit" loading={add.isPending}>
          Inject fault
        </Button>
      </div>
      {errors.form && (
        <p role="alert" className="text-sm text-red-700 sm:col-span-2 lg:col-span-3">
          {errors.form}
        </p>
      )}
    </form>
  );
}

export function Simulator() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const sim = useQuery(trpc.simulator.get.queryOptions(undefined, { refetchInterval: 5000 }));
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.simulator.pathKey() });
  const setLatency = useMutation(
    trpc.simulator.setLatency.mutationOptions({
      onSuccess: async (r) => {
        await invalidate();
        toast(`Latency of ${r.operation} set to ${r.ms} ms`);
      },
      onError: (e) => toast(errorText(e), "error"),
    }),
  );
  const removeFault = useMutation(
    trpc.simulator.removeFault.mutationOptions({
      onSuccess: async () => {
        await invalidate();
        toast("Fault removed");
      },
      onError: (e) => toast(errorText(e), "error"),
    }),
  );
  const reset = useMutation(
    trpc.simulator.reset.mutationOptions({
      onSuccess: async (r) => {
        await invalidate();
        toast(`Simulator reset: ${count(r.faultsRemoved, "fault")} removed, latency cleared`);
      },
      onError: (e) => toast(errorText(e), "error"),
    }),
  );

  return (
    <div>
      <PageHeader
        title="Simulator"
        crumbs={[{ label: "Infrastructure", href: "/infrastructure/zones" }, { label: "Simulator" }]}
        description="Simulated hypervisors: slow them down, make them fail, and see what they run. Changes reach every Stratus process within a second."
        actions={
          <Button variant="secondary" loading={reset.isPending} onClick={() => reset.mutate({ latency: true })}>
            Reset faults and latency
          </Button>
        }
      />
      {sim.isPending ? (
        <Loading />
      ) : sim.isError ? (
        <ErrorState error={sim.error} onRetry={() => void sim.refetch()} />
      ) : (
        <div className="grid gap-6 xl:grid-cols-2">
          <Card title="Latency per operation">
            <div className="relative overflow-x-auto">
              <table className="m-4 text-sm">
                <thead>
                  <tr className="text-left text-xs text-slate-600">
                    <th className="pb-1 font-medium">Operation</th>
                    <th className="pb-1 font-medium">Delay (ms)</th>
                    <th>
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {simulatorOperationNames.map((op) => (
                    <LatencyRow
                      key={`${op}-${sim.data.latencyMs[op]}`}
                      op={op}
                      current={sim.data.latencyMs[op]}
                      saving={setLatency.isPending && setLatency.variables?.operation === op}
                      onSave={(ms) => setLatency.mutate({ operation: op, ms })}
                    />
                  ))}
                </tbody>
              </table>
            </div>
          </Card>

          <Card title={`Injected faults (${sim.data.faults.length})`}>
            {sim.data.faults.length === 0 ? (
              <EmptyState title="No faults" hint="Every simulated operation succeeds (after its latency)." />
            ) : (
              <ul className="divide-y divide-slate-100">
                {sim.data.faults.map((f) => (
                  <li key={f.id} className="flex flex-wrap items-center justify-between gap-2 px-4 py-2 text-sm">
                    <div className="min-w-0">
                      <span className="font-medium text-slate-800">{f.operation}</span>
                      <span className="ml-2 text-slate-600">{f.hostName ?? "all hosts"}</span>
                      <span className="ml-2 inline-flex gap-1 align-middle">
                        {f.probability < 1 && <Badge tone="blue">p = {f.probability}</Badge>}
                        {f.remaining !== null ? <Badge tone="amber">next {f.remaining}</Badge> : <Badge tone="red">until removed</Badge>}
                        {f.transient && <Badge tone="gray">transient</Badge>}
                      </span>
                      <p className="truncate text-xs text-slate-600">“{f.message}”</p>
                    </div>
                    <Button
                      size="sm"
                      variant="ghost"
                      loading={removeFault.isPending && removeFault.variables?.id === f.id}
                      onClick={() => removeFault.mutate({ id: f.id })}
                      aria-label={`Remove the ${f.operation} fault`}
                    >
                      Remove
                    </Button>
                  </li>
                ))}
              </ul>
            )}
            <AddFaultForm hosts={sim.data.hosts} onAdded={(text) => toast(text)} />
          </Card>

          <Card title="Simulated VMs per host" className="xl:col-span-2">
            {sim.data.hosts.length === 0 ? (
              <EmptyState title="No simulated hosts" hint="Add a simulator cluster and hosts under Infrastructure." />
            ) : (
              <>
                <div className="h-56 w-full p-2" role="img" aria-label="Simulated VMs per host">
                  <ResponsiveContainer width="100%" height="100%">
                    <BarChart
                      data={sim.data.hosts.map((h) => ({ name: h.hostName, running: h.running, stopped: h.vms - h.running }))}
                      margin={{ top: 8, right: 16, left: 0, bottom: 8 }}
                    >
                      <CartesianGrid strokeDasharray="3 3" vertical={false} />
                      <XAxis dataKey="name" tick={{ fontSize: 11 }} />
                      <YAxis allowDecimals={false} tick={{ fontSize: 11 }} width={36} />
                      <Tooltip />
                      <Legend />
                      <Bar dataKey="running" name="Running" stackId="vms" fill="#10b981" />
                      <Bar dataKey="stopped" name="Defined, stopped" stackId="vms" fill="#94a3b8" radius={[3, 3, 0, 0]} />
                    </BarChart>
                  </ResponsiveContainer>
                </div>
                <div className="relative overflow-x-auto">
                  <table className="w-full text-sm">
                    <thead>
                      <tr className="border-t border-slate-200 text-left text-xs text-slate-600">
                        <th className="px-4 py-2 font-medium">Host</th>
                        <th className="px-4 py-2 font-medium">Zone / cluster</th>
                        <th className="px-4 py-2 font-medium">Status</th>
                        <th className="px-4 py-2 text-right font-medium">VMs</th>
                        <th className="px-4 py-2 text-right font-medium">Running</th>
                      </tr>
                    </thead>
                    <tbody className="divide-y divide-slate-100">
                      {sim.data.hosts.map((h) => (
                        <tr key={h.hostId}>
                          <td className="px-4 py-1.5 font-medium text-slate-800">{h.hostName}</td>
                          <td className="px-4 py-1.5 text-slate-600">
                            {h.zoneName} / {h.clusterName}
                          </td>
                          <td className="px-4 py-1.5">
                            <span className="inline-flex gap-1">
                              <StateBadge state={h.status} />
                              {h.state !== "enabled" && <StateBadge state={h.state} />}
                            </span>
                          </td>
                          <td className="px-4 py-1.5 text-right tabular-nums">{h.vms}</td>
                          <td className="px-4 py-1.5 text-right tabular-nums">{h.running}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            )}
          </Card>
        </div>
      )}
    </div>
  );
}
