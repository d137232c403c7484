"use client";
import { deletion, type useConfirm } from "@/components/resource/confirm";
import { type RouterKey, useResourceMutation } from "@/components/resource/mutations";
import { useCaller } from "@/components/shell/caller-context";
import { Badge } from "@/components/ui/badge";
import type { MenuAction } from "@/components/ui/row-menu";
import { useDomainOptions } from "./options";

/** What the compute and disk offering pages share: scope choices, the scope badge, row actions. */

export interface OfferingRowBase {
  id: string;
  name: string;
  state: "active" | "inactive";
  domainId: string | null;
  domainName: string;
  canManage: boolean;
}

export function ScopeBadge({ row }: { row: { domainId: string | null; domainName: string } }) {
  return row.domainId === null ? <Badge tone="blue">Public</Badge> : <Badge tone="gray">{row.domainName}</Badge>;
}

export const scopeText = (row: { domainId: string | null; domainName: string }) => (row.domainId === null ? "Public" : row.domainName);

/**
 * Where the caller may put a new offering: "Public" (root admin only), then every domain of its
 * subtree, labelled with its path. The default is public for the root admin, its own domain otherwise.
 */
export function useScopeOptions() {
  const caller = useCaller();
  const domains = useDomainOptions();
  const root = caller.accountType === "root_admin";
  const data = domains.data && (root ? [{ value: "", label: "Public (every domain)" }, ...domains.data] : domains.data);
  return { ...domains, data, defaultScope: root ? null : caller.domainId };
}

/** Edit, Activate/Deactivate and Delete; read-only rows say who manages them. */
export function useOfferingActions<T extends OfferingRowBase>(
  kind: "computeOffering" | "diskOffering",
  noun: string,
  run: {
    setState: (v: { id: string; state: "active" | "inactive" }) => Promise<{ name: string; state: string }>;
    remove: (id: string) => Promise<unknown>;
  },
  confirm: ReturnType<typeof useConfirm>,
  onEdit: (row: T) => void,
) {
  const invalidate: RouterKey[] = [kind];
  const setState = useResourceMutation({ run: run.setState, invalidate, success: (o) => `${noun} ${o.name} is now ${o.state}` });
  const remove = useResourceMutation({
    run: (o: T) => run.remove(o.id),
    invalidate,
    success: (_, o) => `${noun} ${o.name} deleted`,
    quietErrors: true,
  });
  return (o: T): MenuAction[] => {
    const readOnly = o.canManage
      ? null
      : o.domainId === null
        ? "Public offerings are managed by the root administrator"
        : "Managed by a parent domain's administrator";
    return [
      { label: "Edit", disabled: readOnly, onSelect: () => onEdit(o) },
      {
        label: o.state === "active" ? "Deactivate" : "Activate",
        disabled: readOnly,
        onSelect: () => void setState.mutateAsync({ id: o.id, state: o.state === "active" ? "inactive" : "active" }).catch(() => undefined),
      },
      {
        label: "Delete",
        danger: true,
        disabled: readOnly,
        onSelect: () =>
          confirm.ask(
            deletion(
              noun.toLowerCase(),
              o.name,
              () => remove.mutateAsync(o),
              "An offering that something still uses cannot be deleted; deactivate it instead so nothing new uses it.",
            ),
          ),
      },
    ];
  };
}
