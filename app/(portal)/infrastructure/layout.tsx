import { currentCaller } from "@/server/api/context";
import { can } from "@/server/authz/permissions";

/**
 * Infrastructure is the root administrator's (infra.read). Others who type the address get a plain
 * explanation instead of pages whose every request would be refused; the API checks regardless.
 */
export default async function InfrastructureLayout({ children }: { children: React.ReactNode }) {
  const caller = await currentCaller();
  if (!caller || !can(caller.accountType, "infra.read")) {
    return (
      <div role="alert" className="rounded-md border border-amber-200 bg-amber-50 p-4 text-sm text-amber-900">
        <p className="font-medium">Infrastructure is managed by the root administrator</p>
        <p className="mt-1">Your account cannot see zones, pods, clusters, hosts or storage.</p>
      </div>
    );
  }
  return children;
}
