"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { CreateAccountDialog } from "@/components/resource/create-account-dialog";
import { accountColumns, useAccountActions } from "@/components/resource/account-actions";
import { formatDateTime } from "@/components/resource/format";
import type { AccountRow } from "@/components/resource/router-types";
import { useCan } from "@/components/shell/caller-context";
import { Button } from "@/components/ui/button";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { PageHeader } from "@/components/ui/page-header";
import { useTRPC } from "@/lib/trpc/client";

export function AccountsList() {
  const trpc = useTRPC();
  const router = useRouter();
  const canManage = useCan("account.manage");
  const table = useTableState({ sort: "name" });
  const list = useQuery(trpc.account.list.queryOptions(table.query, { placeholderData: keepPreviousData }));
  const [adding, setAdding] = useState(false);
  const { actions, dialogs } = useAccountActions();

  const columns: Column<AccountRow>[] = [
    ...accountColumns,
    {
      key: "domainName",
      header: "Domain",
      sortable: true,
      cell: (a) => (
        <Link href={`/domains/${a.domainId}`} className="text-slate-700 hover:underline">
          {a.domainName}
        </Link>
      ),
    },
    {
      key: "createdAt",
      header: "Created",
      sortable: true,
      className: "hidden md:table-cell whitespace-nowrap text-slate-600",
      cell: (a) => formatDateTime(a.createdAt),
    },
  ];

  return (
    <>
      <PageHeader
        title="Accounts"
        crumbs={[{ label: "Administration" }, { label: "Accounts" }]}
        description="Accounts own resources; their users share them. Every account belongs to a domain."
        actions={canManage ? <Button onClick={() => setAdding(true)}>Add account</Button> : undefined}
      />
      <DataTable
        label="accounts"
        columns={columns}
        query={list}
        table={table}
        rowKey={(a) => a.id}
        rowName={(a) => a.name}
        rowActions={actions}
        searchPlaceholder="Search account or domain…"
        emptyTitle="No accounts yet"
        emptyHint="Create an account with its first user to let a tenant sign in."
        emptyAction={
          canManage ? (
            <Button size="sm" onClick={() => setAdding(true)}>
              Add account
            </Button>
          ) : undefined
        }
      />
      {dialogs}
      <CreateAccountDialog open={adding} onClose={() => setAdding(false)} onCreated={(id) => router.push(`/accounts/${id}`)} />
    </>
  );
}
