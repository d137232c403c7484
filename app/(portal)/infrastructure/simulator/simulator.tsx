"use client";
import { count } from "@/components/resource/format";
import { HostLink, HostStatus } from "@/components/resource/cells";
import { CheckboxField, FormDialog, NumberField, SelectField, TextField } from "@/components/resource/form-dialog";
import { useResourceMutation } from "@/components/resource/mutations";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { StaticTable } from "@/components/ui/data-table";
import { Input } from "@/components/ui/field";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { addSimulatorFaultInput, MAX_LATENCY_MS, simulatorOperationNames, type SimulatorOperationName } from "@/lib/validation/simulator";
import type { AppRouter } from "@/server/api/root";

type Sim = inferRouterOutputs<AppRouter>["simulator"]["get"];
type Fault = Sim["faults"][number];

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
  attachIso: "put an ISO in a VM's CD-ROM",
  detachIso: "eject a VM's ISO",
  takeSnapshot: "take a volume snapshot",
  restoreSnapshot: "revert a volume to a snapshot",
  deleteSnapshot: "delete a volume snapshot",
  takeVmSnapshot: "take a VM snapshot",
  revertVmSnapshot: "revert a VM to a VM snapshot",
  deleteVmSnapshot: "delete a VM snapshot",
  createVolumeFromSnapshot: "create a volume from a snapshot",
  exportSnapshot: "write a snapshot as a template",
  exportVolume: "write a volume as a template",
  applyNetwork: "apply a network's desired state on a host (deploy, restart, repair)",
  destroyNetwork: "remove a network from a host (delete)",
  checkNetwork: "compare a host's network with the database (the reconciler)",
};

/** A delay to edit in place: checked as typed, saved on its own. */
function LatencyCell({
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
  return (
    <div className="flex flex-wrap items-start gap-2">
      <div>
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
      </div>
      <Button size="sm" variant="secondary" disabled={invalid || n === current} loading={saving} onClick={() => onSave(n)}>
        Save
      </Button>
    </div>
  );
}

function AddFaultDialog({ open, onClose, hosts }: { open: boolean; onClose: () => void; hosts: Sim["hosts"] }) {
  const client = useTRPCClient();
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      wide
      title="Inject a fault"
      schema={addSimulatorFaultInput}
      defaultValues={{ operation: "start", hostId: null, probability: 1, transient: false, message: "Injected fault" }}
      submitLabel="Inject fault"
      onSubmit={(v) => client.simulator.addFault.mutate(v)}
      invalidate={["simulator"]}
      success={(f) => `Fault on ${f.operation} added`}
    >
      {(f) => (
        <div className="grid gap-4 sm:grid-cols-2">
          <SelectField
            form={f}
            name="operation"
            label="Operation"
            options={simulatorOperationNames.map((op) => ({ value: op, label: `${op} — ${operationHelp[op]}` }))}
          />
          <SelectField
            form={f}
            name="hostId"
            label="Host"
            hint="Every simulated host, or only one"
            empty="All simulated hosts"
            emptyIsNull
            options={hosts.map((h) => ({ value: h.hostId, label: `${h.hostName} (${h.zoneName})` }))}
          />
          <NumberField
            form={f}
            name="probability"
            label="Probability"
            min={0.01}
            max={1}
            step={0.01}
            hint="1 fails every matching call; 0.1 about one in ten"
          />
          <NumberField
            form={f}
            name="remaining"
            label="Count"
            min={1}
            step={1}
            optional
            hint="Fail the next N calls, then disappear; empty: until removed"
          />
          <TextField form={f} name="message" label="Message" hint="What the failed job and event will say" className="sm:col-span-2" />
          <CheckboxField form={f} name="transient" label="Transient (the job runner retries it)" className="sm:col-span-2" />
        </div>
      )}
    </FormDialog>
  );
}

export function Simulator() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const sim = useQuery(trpc.simulator.get.queryOptions(undefined, { refetchInterval: 5000 }));
  const [adding, setAdding] = useState(false);
  const changes = ["simulator"] as const;
  const setLatency = useResourceMutation({
    run: (v: { operation: SimulatorOperationName; ms: number }) => client.simulator.setLatency.mutate(v),
    invalidate: changes,
    success: (r) => `Latency of ${r.operation} set to ${r.ms} ms`,
  });
  const removeFault = useResourceMutation({
    run: (f: Fault) => client.simulator.removeFault.mutate({ id: f.id }),
    invalidate: changes,
    success: (_, f) => `Fault on ${f.operation} removed`,
  });
  const reset = useResourceMutation({
    run: () => client.simulator.reset.mutate({ latency: true }),
    invalidate: changes,
    success: (r) => `Simulator reset: ${count(r.faultsRemoved, "fault")} removed, latency cleared`,
  });

  return (
    <div>
      <PageHeader
        title="Simulator"
        crumbs={[{ label: "Infrastructure", href: "/infrastructure/zones" }, { label: "Simulator" }]}
        description="Simulated hypervisors: slow them down, make them fail, and see what they run. Changes reach every Stratus process within a second."
        actions={
          <Button variant="secondary" loading={reset.isPending} onClick={() => reset.mutate()}>
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
            <StaticTable
              label="Latency per operation"
              rows={simulatorOperationNames.map((op) => ({ op, ms: sim.data.latencyMs[op] }))}
              // The current value is in the key: a saved delay starts the cell afresh.
              rowKey={(r) => `${r.op}-${r.ms}`}
              columns={[
                {
                  key: "op",
                  header: "Operation",
                  cell: (r) => (
                    <>
                      <span className="font-medium text-slate-800">{r.op}</span>
                      <span className="ml-2 text-xs text-slate-600">{operationHelp[r.op]}</span>
                    </>
                  ),
                },
                {
                  key: "ms",
                  header: "Delay (ms)",
                  cell: (r) => (
                    <LatencyCell
                      op={r.op}
                      current={r.ms}
                      saving={setLatency.isPending && setLatency.variables.operation === r.op}
                      onSave={(ms) => setLatency.mutate({ operation: r.op, ms })}
                    />
                  ),
                },
              ]}
            />
          </Card>

          <Card
            title={`Injected faults (${sim.data.faults.length})`}
            actions={
              <Button size="sm" variant="secondary" onClick={() => setAdding(true)}>
                Inject fault
              </Button>
            }
          >
            <StaticTable
              label="Injected faults"
              rows={sim.data.faults}
              rowKey={(f) => f.id}
              rowName={(f) => `the ${f.operation} fault`}
              rowActions={(f) => [{ label: "Remove", danger: true, onSelect: () => removeFault.mutate(f) }]}
              emptyTitle="No faults"
              emptyHint="Every simulated operation succeeds (after its latency)."
              columns={[
                {
                  key: "operation",
                  header: "Fault",
                  cell: (f) => (
                    <>
                      <span className="font-medium text-slate-800">{f.operation}</span>
                      <span className="ml-2 text-slate-600">{f.hostName ?? "all hosts"}</span>
                      <span className="block truncate text-xs text-slate-600">“{f.message}”</span>
                    </>
                  ),
                },
                {
                  key: "when",
                  header: "When",
                  cell: (f) => (
                    <span className="inline-flex flex-wrap gap-1">
                      {f.probability < 1 && <Badge tone="blue">p = {f.probability}</Badge>}
                      {f.remaining !== null ? <Badge tone="amber">next {f.remaining}</Badge> : <Badge tone="red">until removed</Badge>}
                      {f.transient && <Badge tone="gray">transient</Badge>}
                    </span>
                  ),
                },
              ]}
            />
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
                <StaticTable
                  label="Simulated hosts"
                  rows={sim.data.hosts}
                  rowKey={(h) => h.hostId}
                  columns={[
                    { key: "host", header: "Host", cell: (h) => <HostLink id={h.hostId} name={h.hostName} /> },
                    { key: "where", header: "Zone / cluster", hideBelow: "sm", cell: (h) => `${h.zoneName} / ${h.clusterName}` },
                    { key: "status", header: "Status", cell: (h) => <HostStatus status={h.status} state={h.state} /> },
                    { key: "vms", header: "VMs", className: "text-right tabular-nums", cell: (h) => h.vms },
                    { key: "running", header: "Running", className: "text-right tabular-nums", cell: (h) => h.running },
                  ]}
                />
              </>
            )}
          </Card>
        </div>
      )}
      {sim.data && <AddFaultDialog open={adding} onClose={() => setAdding(false)} hosts={sim.data.hosts} />}
    </div>
  );
}
