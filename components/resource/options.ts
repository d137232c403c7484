"use client";
import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useTRPC } from "@/lib/trpc/client";

/** Choices for filters and selects, shared by every page that offers them. */

/** The caller's domains, labelled with their path ("ROOT / Acme Cloud / Team A"), sorted. */
export function useDomainOptions(enabled = true) {
  const trpc = useTRPC();
  const tree = useQuery(trpc.domain.tree.queryOptions(undefined, { enabled }));
  const data = useMemo(() => {
    if (!tree.data) return undefined;
    const names = new Map(tree.data.map((n) => [n.id, n.name]));
    return tree.data
      .map((n) => ({
        value: n.id,
        label: n.path
          .split("/")
          .filter(Boolean)
          .map((id) => names.get(id))
          .filter(Boolean)
          .join(" / "),
      }))
      .sort((a, b) => a.label.localeCompare(b.label));
  }, [tree.data]);
  return { data, error: tree.error, refetch: tree.refetch };
}

/** Accounts in scope (of one domain's subtree when given). */
export function useAccountOptions(domainId: string, enabled = true) {
  const trpc = useTRPC();
  return useQuery(
    trpc.account.list.queryOptions(
      { domainId: domainId || undefined, pageSize: 200, sort: "name" },
      { enabled, select: (p) => p.items.map((a) => ({ value: a.id, label: a.name })) },
    ),
  );
}

/** Users of one account (or of the scope). */
export function useUserOptions(accountId: string, enabled = true) {
  const trpc = useTRPC();
  return useQuery(
    trpc.user.list.queryOptions(
      { accountId: accountId || undefined, pageSize: 200, sort: "username" },
      { enabled, select: (p) => p.items.map((u) => ({ value: u.id, label: u.username })) },
    ),
  );
}
