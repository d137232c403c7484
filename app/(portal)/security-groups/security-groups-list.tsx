"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { None } from "@/components/resource/cells";
import { deletion, useConfirm } from "@/components/resource/confirm";
import { WhenLoaded } from "@/components/resource/filters";
import { FormDialog, TextField } from "@/components/resource/form-dialog";
import { useInvalidate } from "@/components/resource/mutations";
import type { RouterOutputs } from "@/components/resource/router-types";
import { toast } from "@/components/resource/toast";
import { useCaller } from "@/components/shell/caller-context";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { StaticTable } from "@/components/ui/data-table";
import { Card, PageHeader } from "@/components/ui/page-header";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { createSecurityGroupInput } from "@/lib/validation/security-groups";

type Row = RouterOutputs["securityGroup"]["list"]["items"][number];

/** The account's security groups (admins: their scope's): what filters NICs on shared networks. */
export function SecurityGroupsList() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const router = useRouter();
  const caller = useCaller();
  const list = useQuery(trpc.securityGroup.list.queryOptions());
  const confirm = useConfirm();
  const refresh = useInvalidate(["securityGroup"]);
  const [creating, setCreating] = useState(false);
  return (
    <>
      <PageHeader
        title="Security groups"
        crumbs={[{ label: "Network" }, { label: "Security groups" }]}
        description="Firewall rules for instances on shared networks. Ingress is refused unless a rule allows it; egress is allowed unless a group has egress rules. Your account's default group (made on first use) lets its members reach each other."
        actions={<Button onClick={() => setCreating(true)}>Create security group</Button>}
      />
      <Card>
        <WhenLoaded query={list} what="security groups">
          {(d) => (
            <StaticTable<Row>
              label="Security groups"
              rows={d.items}
              rowKey={(g) => g.id}
              emptyTitle="No security groups yet"
              emptyHint="Deploy an instance on a shared network (it joins your default group), or create a group."
              columns={[
                {
                  key: "name",
                  header: "Name",
                  cell: (g) => (
                    <div className="min-w-0">
                      <Link href={`/security-groups/${g.id}`} className="font-medium text-brand-700 hover:underline">
                        {g.name}
                      </Link>{" "}
                      {g.isDefault && <Badge tone="blue">default</Badge>}
                      <div className="truncate text-xs text-slate-600">{g.description ?? ""}</div>
                    </div>
                  ),
                },
                { key: "rules", header: "Rules", cell: (g) => <span className="tabular-nums">{g.ruleCount}</span> },
                { key: "members", header: "NICs", cell: (g) => <span className="tabular-nums">{g.memberCount}</span> },
                ...(caller.accountType !== "user"
                  ? [
                      {
                        key: "account",
                        header: "Account",
                        hideBelow: "md" as const,
                        cell: (g: Row) => <code className="text-xs">{g.accountId.slice(0, 8)}</code>,
                      },
                    ]
                  : []),
                {
                  key: "actions",
                  header: "Actions",
                  cell: (g) =>
                    g.isDefault || g.memberCount > 0 ? (
                      <None>{g.isDefault ? "Default group" : "In use"}</None>
                    ) : (
                      <Button
                        size="sm"
                        variant="danger"
                        onClick={() =>
                          confirm.ask(
                            deletion("security group", g.name, async () => {
                              await client.securityGroup.delete.mutate({ id: g.id });
                              await refresh();
                              toast(`Security group ${g.name} deleted`);
                            }),
                          )
                        }
                      >
                        Delete
                      </Button>
                    ),
                },
              ]}
            />
          )}
        </WhenLoaded>
      </Card>
      <FormDialog
        open={creating}
        onClose={() => setCreating(false)}
        title="Create security group"
        schema={createSecurityGroupInput}
        defaultValues={{ name: "", description: "" }}
        submitLabel="Create group"
        onSubmit={(v) => client.securityGroup.create.mutate(v)}
        invalidate={["securityGroup"]}
        success={(g) => `Security group ${g.name} created; add rules to let traffic in`}
        onSaved={(g) => router.push(`/security-groups/${g.id}`)}
      >
        {(f) => (
          <>
            <TextField form={f} name="name" label="Name" autoFocus />
            <TextField form={f} name="description" label="Description (optional)" />
          </>
        )}
      </FormDialog>
      {confirm.dialog}
    </>
  );
}
