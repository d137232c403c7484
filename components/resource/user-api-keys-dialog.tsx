"use client";
import { useQuery } from "@tanstack/react-query";
import { ApiKeySummary } from "@/components/resource/api-key-summary";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { useResourceMutation } from "./mutations";
import type { UserRow } from "./router-types";

/** An administrator's view of a user's live API keys, each revocable at once (a leaked key, a user who left). */
export function UserApiKeysDialog({ user, onClose }: { user: UserRow | null; onClose: () => void }) {
  return (
    <Dialog open={!!user} onClose={onClose} title={user ? `API keys of ${user.username}` : "API keys"}>
      {user && <UserApiKeys userId={user.id} username={user.username} />}
    </Dialog>
  );
}

function UserApiKeys({ userId, username }: { userId: string; username: string }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const list = useQuery(trpc.apiKey.ofUser.queryOptions({ userId }));
  const revoke = useResourceMutation({
    run: (k: { id: string; name: string }) => client.apiKey.revoke.mutate({ id: k.id }),
    invalidate: ["apiKey"],
    success: (_, k) => `Key ${k.name} of ${username} revoked: requests signed with it are refused`,
  });
  if (list.isPending) return <Loading label="Loading API keys…" />;
  if (list.isError) return <ErrorState error={list.error} onRetry={() => void list.refetch()} />;
  if (list.data.length === 0) return <EmptyState title="No live API keys" hint={`${username} has not made any, or all are revoked.`} />;
  return (
    <ul aria-label={`API keys of ${username}`} className="divide-y divide-slate-100 rounded-md border border-slate-200">
      {list.data.map((k) => (
        <li key={k.id} className="flex flex-col gap-2 px-4 py-3 sm:flex-row sm:items-center sm:justify-between">
          <ApiKeySummary k={k} />
          <Button
            variant="danger"
            size="sm"
            aria-label={`Revoke ${k.name}`}
            loading={revoke.isPending && revoke.variables?.id === k.id}
            onClick={() => revoke.mutate({ id: k.id, name: k.name })}
          >
            Revoke
          </Button>
        </li>
      ))}
    </ul>
  );
}
