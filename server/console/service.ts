import type { Db } from "@/db";
import type { Caller } from "@/server/authz/caller";
import { getInstanceInScope } from "@/server/services/instances/access";
import { conflict, ServiceError } from "@/server/core/errors";
import { apiKeySessionId, issueTicket } from "./tickets";

/**
 * A console ticket for a VM the caller may operate (any VM in its scope) that is running. The
 * ticket is bound to the caller, its sign-in and the VM; or, for a request made with an API key
 * (no sign-in), to the caller, that key and the VM. It is redeemed once, within the ticket's
 * lifetime, on /api/console/<id>.
 */
export async function requestConsoleTicket(
  db: Db,
  caller: Caller,
  session: { id: string | null; version: number } | null | undefined,
  instanceId: string,
  apiKeyId?: string,
) {
  const vm = await getInstanceInScope(db, caller, instanceId);
  if (vm.state !== "running" || !vm.hostId) throw conflict(`Instance ${vm.name} is ${vm.state}; start it to open its console`);
  const binding = session?.id
    ? { sessionVersion: session.version, sessionId: session.id, apiKeyId: null }
    : apiKeyId
      ? { sessionVersion: 0, sessionId: apiKeySessionId(apiKeyId), apiKeyId }
      : null;
  if (!binding) throw new ServiceError("PRECONDITION_FAILED", "Your sign-in predates consoles; sign out and in again to open one");
  const { ticket, expiresAt } = await issueTicket(db, { userId: caller.userId, instanceId: vm.id, ...binding });
  return { ticket, expiresAt, path: `/api/console/${vm.id}`, instanceName: vm.name };
}
