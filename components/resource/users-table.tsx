"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useCaller } from "@/components/shell/caller-context";
import { StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import type { MenuAction } from "@/components/ui/row-menu";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { AccountLink, None, When } from "./cells";
import { useConfirm } from "./confirm";
import { useResourceMutation } from "./mutations";
import type { UserRow } from "./router-types";
import { UserApiKeysDialog } from "./user-api-keys-dialog";
import { CreateUserDialog, EditUserDialog, ResetPasswordDialog } from "./user-dialogs";

type State = "enabled" | "disabled" | "locked";
const stateText: Record<State, { verb: string; message: string }> = {
  enabled: { verb: "Enable", message: "The user can sign in again (if its account is enabled)." },
  disabled: { verb: "Disable", message: "The user is signed out at once and cannot sign in until enabled again." },
  locked: { verb: "Lock", message: "The user is signed out at once and cannot sign in until an administrator enables it again." },
};
const changes = ["user"] as const;
const fullName = (u: UserRow) => [u.firstName, u.lastName].filter(Boolean).join(" ");

/**
 * Users in scope (or of one account) with their actions: edit, enable/disable/lock, reset password,
 * delete. The caller's own user has no actions here (it changes its password in Settings).
 */
export function UsersTable({ accountId }: { accountId?: string }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const caller = useCaller();
  const table = useTableState({ sort: "username" });
  const list = useQuery(trpc.user.list.queryOptions({ ...table.query, accountId }, { placeholderData: keepPreviousData }));
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<UserRow | null>(null);
  const [resetting, setResetting] = useState<UserRow | null>(null);
  const [keysOf, setKeysOf] = useState<UserRow | null>(null);
  const confirm = useConfirm();
  const setState = useResourceMutation({
    run: (v: { id: string; state: State }) => client.user.setState.mutate(v),
    invalidate: changes,
    success: (u) => `User ${u.username} is now ${u.state}`,
    quietErrors: true,
  });
  const remove = useResourceMutation({
    run: (u: UserRow) => client.user.delete.mutate({ id: u.id }),
    invalidate: changes,
    success: (_, u) => `User ${u.username} deleted`,
    quietErrors: true,
  });

  const actions = (u: UserRow): MenuAction[] =>
    u.id === caller.userId
      ? []
      : [
          { label: "Edit", onSelect: () => setEditing(u) },
          ...(["enabled", "disabled", "locked"] as const).map((s) => ({
            label: stateText[s].verb,
            disabled: u.state === s && `Already ${s}`,
            onSelect: () =>
              confirm.ask({
                title: `${stateText[s].verb} user ${u.username}?`,
                message: stateText[s].message,
                confirmLabel: stateText[s].verb,
                danger: s !== "enabled",
                run: () => setState.mutateAsync({ id: u.id, state: s }),
              }),
          })),
          { label: "Reset password", onSelect: () => setResetting(u) },
          { label: "API keys", onSelect: () => setKeysOf(u) },
          {
            label: "Delete",
            danger: true,
            onSelect: () =>
              confirm.ask({
                title: `Delete user ${u.username}?`,
                message:
                  "The user can no longer sign in. The account and its resources stay. The last user of an account cannot be deleted; delete the account instead.",
                confirmLabel: "Delete user",
                danger: true,
                run: () => remove.mutateAsync(u),
              }),
          },
        ];

  const columns: Column<UserRow>[] = [
    {
      key: "username",
      header: "Username",
      sortable: true,
      cell: (u) => (
        <span className="font-medium text-slate-900">
          {u.username}
          {u.id === caller.userId && <span className="ml-1.5 text-xs font-normal text-slate-600">(you)</span>}
        </span>
      ),
    },
    { key: "name", header: "Name", hideBelow: "md", cell: (u) => fullName(u) || <None /> },
    { key: "email", header: "Email", sortable: true, hideBelow: "lg", cell: (u) => u.email ?? <None /> },
    ...(accountId
      ? []
      : ([
          {
            key: "accountName",
            header: "Account",
            sortable: true,
            cell: (u) => <AccountLink id={u.accountId} name={u.accountName} />,
          },
          { key: "domainName", header: "Domain", sortable: true, hideBelow: "sm", cell: (u) => u.domainName },
        ] satisfies Column<UserRow>[])),
    { key: "state", header: "State", sortable: true, cell: (u) => <StateBadge state={u.state} /> },
    {
      key: "lastLoginAt",
      header: "Last login",
      sortable: true,
      hideBelow: "md",
      className: "whitespace-nowrap",
      cell: (u) => <When at={u.lastLoginAt} />,
    },
  ];

  return (
    <>
      <DataTable
        label="users"
        columns={columns}
        query={list}
        table={table}
        rowKey={(u) => u.id}
        rowName={(u) => u.username}
        rowActions={actions}
        searchPlaceholder="Search username, email, account…"
        emptyTitle="No users yet"
        toolbar={
          <Button size="sm" onClick={() => setAdding(true)}>
            Add user
          </Button>
        }
      />
      <CreateUserDialog open={adding} onClose={() => setAdding(false)} accountId={accountId} />
      <EditUserDialog user={editing} onClose={() => setEditing(null)} />
      <UserApiKeysDialog user={keysOf} onClose={() => setKeysOf(null)} />
      <ResetPasswordDialog user={resetting} onClose={() => setResetting(null)} />
      {confirm.dialog}
    </>
  );
}
