"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useConfirm } from "@/components/resource/confirm";
import { CheckboxField, FormDialog, SelectField } from "@/components/resource/form-dialog";
import { toastJob } from "@/components/resource/toast";
import { Button } from "@/components/ui/button";
import { Fact } from "@/components/ui/page-header";
import { attachIsoInput } from "@/lib/validation/instances";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";

interface IsoVm {
  id: string;
  name: string;
  state: string;
  isoId: string | null;
  isoName: string | null;
  bootFromIso: boolean;
}

const whyNot = (vm: IsoVm) => (vm.state === "running" || vm.state === "stopped" ? null : `Not possible while the instance is ${vm.state}`);

/** The instance summary's ISO line: the ISO in the VM's CD-ROM, with Attach and Detach. */
export function InstanceIso({ vm, busy }: { vm: IsoVm; busy: boolean }) {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [attaching, setAttaching] = useState(false);
  const confirm = useConfirm();
  const why = busy ? "Wait for the running job to finish" : whyNot(vm);
  return (
    <Fact label="ISO">
      <div data-testid="instance-iso" className="flex flex-wrap items-center gap-x-3 gap-y-1">
        {vm.isoId ? (
          <span className="text-slate-800">
            {vm.isoName ?? "An ISO"}
            {vm.bootFromIso && <span className="block text-xs text-slate-600">Boots from it (from the next start)</span>}
          </span>
        ) : (
          <span className="text-slate-500">None</span>
        )}
        <span className="inline-flex gap-2">
          <Button variant="secondary" disabled={!!why} title={why ?? undefined} onClick={() => setAttaching(true)}>
            {vm.isoId ? "Change" : "Attach"}
          </Button>
          {vm.isoId && (
            <Button
              variant="secondary"
              disabled={!!why}
              title={why ?? undefined}
              onClick={() =>
                confirm.ask({
                  title: `Detach the ISO from ${vm.name}?`,
                  message: `${vm.isoName ?? "The ISO"} is ejected from the CD-ROM; the instance boots from its disk from its next start.`,
                  confirmLabel: "Detach",
                  run: async () => {
                    const r = await client.instance.detachIso.mutate({ id: vm.id });
                    toastJob(r.jobId, `ISO of ${vm.name}`);
                    await queryClient.invalidateQueries({ queryKey: trpc.instance.pathKey() });
                  },
                })
              }
            >
              Detach
            </Button>
          )}
        </span>
      </div>
      {attaching && <AttachIsoDialog vm={vm} onClose={() => setAttaching(false)} />}
      {confirm.dialog}
    </Fact>
  );
}

/** Choose one of the ISOs the VM's account may use in its zone, and whether to boot from it. */
function AttachIsoDialog({ vm, onClose }: { vm: IsoVm; onClose: () => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const choices = useQuery(trpc.instance.isoChoices.queryOptions({ id: vm.id }));
  return (
    <FormDialog
      open
      onClose={onClose}
      title={`Attach an ISO to ${vm.name}`}
      schema={attachIsoInput.omit({ id: true })}
      defaultValues={{ isoId: vm.isoId ?? "", bootFromIso: vm.bootFromIso }}
      waitFor={{ query: choices, what: "ISOs" }}
      submitLabel="Attach"
      onSubmit={(x) => client.instance.attachIso.mutate({ id: vm.id, ...x })}
      invalidate={["instance"]}
      success={(r) => {
        toastJob(r.jobId, `ISO of ${vm.name}`);
        return "";
      }}
    >
      {(f) => (
        <>
          <SelectField
            form={f}
            name="isoId"
            label="ISO"
            empty={choices.data?.length ? "Choose an ISO…" : "No ISO you may use in this zone (register one on the Templates page)"}
            options={(choices.data ?? []).map((i) => ({ value: i.id, label: i.name }))}
          />
          <CheckboxField form={f} name="bootFromIso" label="Boot from this ISO (CD-ROM first, from the next start)" />
        </>
      )}
    </FormDialog>
  );
}
