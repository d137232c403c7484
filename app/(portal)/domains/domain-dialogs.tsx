"use client";
import { useState } from "react";
import { useConfirm } from "@/components/resource/confirm";
import { displayPath } from "@/components/resource/domain-tree";
import { FormDialog, RenameDialog, SelectField, TextField } from "@/components/resource/form-dialog";
import { useInvalidate, useResourceMutation } from "@/components/resource/mutations";
import type { DomainNode } from "@/components/resource/router-types";
import { useCaller, useCan } from "@/components/shell/caller-context";
import type { MenuAction } from "@/components/ui/row-menu";
import { useTRPCClient } from "@/lib/trpc/client";
import { createDomainInput, moveDomainInput } from "@/lib/validation/identity";

const changes = ["domain", "account"] as const;

/**
 * A domain's actions (add sub-domain, rename, move, delete) with the reason when one is not
 * possible, and their dialogs. `onSelect` shows another domain (a new one, or the parent of a
 * deleted one).
 */
export function useDomainActions(nodes: DomainNode[], onSelect: (id: string) => void) {
  const client = useTRPCClient();
  const caller = useCaller();
  const canManage = useCan("domain.manage");
  const confirm = useConfirm();
  const [dialog, setDialog] = useState<{ kind: "add" | "rename" | "move"; domain: DomainNode } | null>(null);
  const refresh = useInvalidate(changes);
  const remove = useResourceMutation({
    run: (d: DomainNode) => client.domain.delete.mutate({ id: d.id }),
    invalidate: [],
    success: (_, d) => `Domain ${d.name} deleted`,
    quietErrors: true,
  });
  const close = () => setDialog(null);
  const d = dialog?.domain;

  const actions = (n: DomainNode): MenuAction[] => {
    const fixed =
      n.parentId === null
        ? "The ROOT domain cannot be changed"
        : caller.accountType !== "root_admin" && n.id === caller.domainId
          ? "Your own domain is managed by your parent domain's administrator"
          : null;
    return [
      { label: "Add sub-domain", hidden: !canManage, onSelect: () => setDialog({ kind: "add", domain: n }) },
      { label: "Rename", hidden: !canManage, disabled: fixed, onSelect: () => setDialog({ kind: "rename", domain: n }) },
      { label: "Move", hidden: !canManage, disabled: fixed, onSelect: () => setDialog({ kind: "move", domain: n }) },
      {
        label: "Delete",
        danger: true,
        hidden: !canManage,
        disabled: fixed,
        onSelect: () =>
          confirm.ask({
            title: `Delete domain ${n.name}?`,
            message:
              "The domain is removed for good. A domain that still has sub-domains, accounts or offerings is refused; delete or move them first.",
            confirmLabel: "Delete domain",
            danger: true,
            // Show the parent first, so the deleted domain's page is not refetched (and "not found").
            run: async () => {
              await remove.mutateAsync(n);
              if (n.parentId) onSelect(n.parentId);
              await refresh();
            },
          }),
      },
    ];
  };

  const dialogs = (
    <>
      {confirm.dialog}
      <FormDialog
        open={dialog?.kind === "add"}
        onClose={close}
        title="Add sub-domain"
        schema={createDomainInput}
        defaultValues={{ parentId: d?.id ?? "", name: "" }}
        submitLabel="Create domain"
        onSubmit={(v) => client.domain.create.mutate(v)}
        invalidate={changes}
        success={(n) => `Domain ${n.name} created`}
        onSaved={(n) => onSelect(n.id)}
      >
        {(f) => (
          <>
            <div className="text-sm">
              <p className="font-medium text-slate-700">Parent domain</p>
              <p className="mt-1 text-slate-600">{d ? displayPath(nodes, d.id) : ""}</p>
            </div>
            <TextField form={f} name="name" label="Domain name" autoFocus autoComplete="off" />
          </>
        )}
      </FormDialog>
      <RenameDialog
        target={dialog?.kind === "rename" ? dialog.domain : null}
        onClose={close}
        noun="Domain"
        run={(v) => client.domain.rename.mutate(v)}
        invalidate={changes}
      />
      <FormDialog
        open={dialog?.kind === "move"}
        onClose={close}
        title={`Move ${d?.name ?? "domain"}`}
        schema={moveDomainInput}
        defaultValues={{ id: d?.id ?? "", parentId: d?.parentId ?? "" }}
        submitLabel="Move"
        onSubmit={(v) => client.domain.move.mutate(v)}
        invalidate={changes}
        success={(n) => `Domain ${n.name} moved`}
      >
        {(f) => (
          <>
            <p className="text-sm text-slate-600">
              The domain moves with its sub-domains and accounts. Their use then counts against the new parent&apos;s limits, which must
              allow it.
            </p>
            <SelectField
              form={f}
              name="parentId"
              label="New parent domain"
              options={nodes
                .filter((n) => !d || !n.path.startsWith(d.path))
                .map((n) => ({ value: n.id, label: displayPath(nodes, n.id) }))
                .sort((a, b) => a.label.localeCompare(b.label))}
            />
          </>
        )}
      </FormDialog>
    </>
  );
  return { actions, dialogs };
}
