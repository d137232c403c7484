"use client";
import { useState } from "react";
import { useCaller, useCan } from "@/components/shell/caller-context";
import { Badge, StateBadge } from "@/components/ui/badge";
import type { Column } from "@/components/ui/data-table";
import type { MenuAction } from "@/components/ui/row-menu";
import { useTRPCClient } from "@/lib/trpc/client";
import { useConfirm } from "./confirm";
import { DeleteAccountDialog } from "./delete-account-dialog";
import { AccountLink } from "./cells";
import { RenameDialog } from "./form-dialog";
import { accountTypeLabel } from "./format";
import { useResourceMutation } from "./mutations";
import type { AccountRow } from "./router-types";
import { toast } from "./toast";

type State = "enabled" | "disabled" | "locked";
interface AccountRef {
  id: string;
  name: string;
  state: string;
  /** Its deletion failed and may be tried again (known on the account's page). */
  cleanupFailed?: boolean;
}

const stateAction: Record<State, { verb: string; message: string }> = {
  enabled: { verb: "Enable", message: "Its users can sign in again and use its resources." },
  disabled: {
    verb: "Disable",
    message: "Its users are signed out at once and cannot sign in until the account is enabled again. Its resources stay as they are.",
  },
  locked: {
    verb: "Lock",
    message:
      "Its users are signed out at once and cannot sign in. Use this for an account under investigation; only an administrator can enable it again.",
  },
};
const changes = ["account", "domain", "user"] as const;

/**
 * An account's actions, the same in the accounts list, a domain's accounts and the account's own
 * page: enable/disable/lock (confirmed), rename, delete (followed to its end). The caller's own
 * account has none: its parent domain's administrator manages it.
 */
export function useAccountActions(onDeleted?: (a: AccountRef) => void) {
  const client = useTRPCClient();
  const caller = useCaller();
  const canManage = useCan("account.manage");
  const confirm = useConfirm();
  const [renaming, setRenaming] = useState<AccountRef | null>(null);
  const [deleting, setDeleting] = useState<AccountRef | null>(null);
  const setState = useResourceMutation({
    run: (v: { id: string; state: State }) => client.account.setState.mutate(v),
    invalidate: changes,
    success: (a) => `Account ${a.name} is now ${a.state}`,
    quietErrors: true,
  });

  const actions = (a: AccountRef): MenuAction[] => {
    if (!canManage || a.id === caller.accountId) return [];
    const removing = a.state === "removing" && "Being deleted";
    return [
      ...(["enabled", "disabled", "locked"] as const).map((s) => ({
        label: stateAction[s].verb,
        disabled: removing || (a.state === s && `Already ${s}`),
        onSelect: () =>
          confirm.ask({
            title: `${stateAction[s].verb} account ${a.name}?`,
            message: stateAction[s].message,
            confirmLabel: `${stateAction[s].verb} account`,
            danger: s !== "enabled",
            run: () => setState.mutateAsync({ id: a.id, state: s }),
          }),
      })),
      { label: "Rename", disabled: removing, onSelect: () => setRenaming(a) },
      {
        label: a.cleanupFailed ? "Delete again" : "Delete",
        danger: true,
        disabled: !a.cleanupFailed && removing,
        onSelect: () => setDeleting(a),
      },
    ];
  };

  const dialogs = (
    <>
      {confirm.dialog}
      <RenameDialog
        target={renaming}
        onClose={() => setRenaming(null)}
        noun="Account"
        run={(v) => client.account.rename.mutate(v)}
        invalidate={changes}
      />
      {deleting && (
        <DeleteAccountDialog
          account={deleting}
          open
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            toast(`Account ${deleting.name} deleted`);
            onDeleted?.(deleting);
          }}
        />
      )}
    </>
  );
  return { actions, dialogs };
}

const typeTone = { root_admin: "red", domain_admin: "amber", user: "gray" } as const;

/** Name (linked to the account's page), type and state: the columns every list of accounts starts with. */
export const accountColumns: Column<AccountRow>[] = [
  {
    key: "name",
    header: "Name",
    sortable: true,
    cell: (a) => <AccountLink id={a.id} name={a.name} />,
  },
  { key: "type", header: "Type", sortable: true, cell: (a) => <Badge tone={typeTone[a.type]}>{accountTypeLabel[a.type]}</Badge> },
  { key: "state", header: "State", sortable: true, cell: (a) => <StateBadge state={a.state} /> },
];
