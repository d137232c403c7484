import { redirect } from "next/navigation";
import { AppShell } from "@/components/shell/app-shell";
import { currentCaller } from "@/server/api/context";
import { permissionsOf } from "@/server/authz/permissions";

// Every portal page depends on the session: never prerender.
export const dynamic = "force-dynamic";

export default async function PortalLayout({ children }: { children: React.ReactNode }) {
  const caller = await currentCaller();
  if (!caller) redirect("/login");
  return <AppShell caller={{ ...caller, permissions: permissionsOf(caller.accountType) }}>{children}</AppShell>;
}
