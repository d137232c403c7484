"use client";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useCaller } from "@/components/shell/caller-context";
import { Button } from "@/components/ui/button";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { ConfirmDialog } from "@/components/ui/dialog";
import { StateBadge } from "@/components/ui/badge";
import { useTRPC } from "@/lib/trpc/client";
import { formatDateTime, formatRelative } from "./format";
import type { MenuAction } from "@/components/ui/row-menu";
import { errorMessage, type UserRow } from "./router-types";
import { CreateUserDialog, EditUserDialog, ResetPasswordDialog } from "./user-dialogs";
import { toast } from "./toast";

type State = "enabled" | "disabled" | "locked";
type Pending = { kind: "state"; user: UserRow; state: State } | { kind: "delete"; user: UserRow };

const fullName = (u: UserRow) => [u.firstName, u.lastName].filter(Boolean).join(" ");

/**
 * Users in scope (or of one account) with their actions: edit, enable/disable/lock, reset password,
 * delete. The caller's own user has no actions here (it changes its password in Settings).
 */
export function UsersTable({ accountId, addLabel = "Add user" }: { accountId?: string; addLabel?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const caller = useCaller();
  const table = useTableState({ sort: "username" });
  const list = useQuery(trpc.user.list.queryOptions({ ...table.query, accountId }, { placeholderData: keepPreviousData }));
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<UserRow | null>(null);
  const [resetting, setResetting] = useState<UserRow | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const done = async (message: string) => {
    await queryClient.invalidateQueries({ queryKey: trpc.user.pathKey() });
    toast(message);
    setPending(null);
  };
  const onError = (err: unknown) => setActionError(errorMessage(err));
  const setState = useMutation(
    trpc.user.setState.mutationOptions({ onSuccess: (u) => done(`User ${u.username} is now ${u.state}`), onError }),
  );
  const remove = useMutation(trpc.user.delete.mutationOptions({ onSuccess: () => done("User deleted"), onError }));

  const open = (p: Pending) => {
    setActionError(null);
    setPending(p);
  };

  const actions = (u: UserRow): MenuAction[] => [
    { label: "Edit", onSelect: () => setEditing(u) },
    {
      label: "Enable",
      onSelect: () => open({ kind: "state", user: u, state: "enabled" }),
      disabled: u.state === "enabled" && "Already enabled",
    },
    {
      label: "Disable",
      onSelect: () => open({ kind: "state", user: u, state: "disabled" }),
      disabled: u.state === "disabled" && "Already disabled",
    },
    {
      label: "Lock",
      onSelect: () => open({ kind: "state", user: u, state: "locked" }),
      disabled: u.state === "locked" && "Already locked",
    },
    { label: "Reset password", onSelect: () => setResetting(u) },
    { label: "Delete", danger: true, onSelect: () => open({ kind: "delete", user: u }) },
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
    {
      key: "name",
      header: "Name",
      cell: (u) => fullName(u) || <span className="text-slate-500">—</span>,
      className: "hidden md:table-cell",
    },
    {
      key: "email",
      header: "Email",
      sortable: true,
      cell: (u) => u.email ?? <span className="text-slate-500">—</span>,
      className: "hidden lg:table-cell",
    },
    ...(accountId
      ? []
      : ([
          {
            key: "accountName",
            header: "Account",
            sortable: true,
            cell: (u) => (
              <Link href={`/accounts/${u.accountId}`} className="text-brand-700 hover:underline">
                {u.accountName}
              </Link>
            ),
          },
          { key: "domainName", header: "Domain", sortable: true, cell: (u) => u.domainName, className: "hidden sm:table-cell" },
        ] satisfies Column<UserRow>[])),
    { key: "state", header: "State", sortable: true, cell: (u) => <StateBadge state={u.state} /> },
    {
      key: "lastLoginAt",
      header: "Last login",
      sortable: true,
      className: "hidden md:table-cell whitespace-nowrap",
      cell: (u) => <span title={formatDateTime(u.lastLoginAt)}>{formatRelative(u.lastLoginAt)}</span>,
    },
  ];

  const p = pending;
  return (
    <>
      <DataTable
        label="users"
        columns={columns}
        query={list}
        table={table}
        rowKey={(u) => u.id}
        rowName={(u) => u.username}
        rowActions={(u) => (u.id === caller.userId ? [] : actions(u))}
        searchPlaceholder="Search username, email, account…"
        emptyTitle="No users yet"
        toolbar={
          <Button size="sm" onClick={() => setAdding(true)}>
            {addLabel}
          </Button>
        }
      />
      <CreateUserDialog open={adding} onClose={() => setAdding(false)} accountId={accountId} />
      <EditUserDialog user={editing} onClose={() => setEditing(null)} />
      <ResetPasswordDialog user={resetting} onClose={() => setResetting(null)} />
      <ConfirmDialog
        open={p !== null}
        onClose={() => setPending(null)}
        title={p?.kind === "delete" ? `Delete user ${p.user.username}?` : p ? `${stateVerb[p.state]} user ${p.user.username}?` : ""}
        message={
          p?.kind === "delete"
            ? "The user can no longer sign in. The account and its resources stay. The last user of an account cannot be deleted; delete the account instead."
            : p?.state === "enabled"
              ? "The user can sign in again (if its account is enabled)."
              : p?.state === "locked"
                ? "The user is signed out at once and cannot sign in until an administrator enables it again."
                : "The user is signed out at once and cannot sign in until enabled again."
        }
        confirmLabel={p?.kind === "delete" ? "Delete user" : p ? stateVerb[p.state] : "Confirm"}
        danger={p?.kind === "delete" || (p?.kind === "state" && p.state !== "enabled")}
        loading={setState.isPending || remove.isPending}
        error={actionError}
        onConfirm={() => {
          if (!p) return;
          if (p.kind === "delete") remove.mutate({ id: p.user.id });
          else setState.mutate({ id: p.user.id, state: p.state });
        }}
      />
    </>
  );
}

const stateVerb: Record<State, string> = { enabled: "Enable", disabled: "Disable", locked: "Lock" };
