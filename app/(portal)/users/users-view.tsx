"use client";
import { UsersTable } from "@/components/resource/users-table";
import { PageHeader } from "@/components/ui/page-header";

export function UsersView() {
  return (
    <>
      <PageHeader
        title="Users"
        crumbs={[{ label: "Administration" }, { label: "Users" }]}
        description="People who sign in. Each user belongs to one account and shares its resources."
      />
      <UsersTable />
    </>
  );
}
