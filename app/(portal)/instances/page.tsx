import type { Metadata } from "next";
import { InstancesList } from "./instances-list";

export const metadata: Metadata = { title: "Instances" };

/** An account's page and the dashboard link here pre-filtered: ?accountId=…, ?state=running */
export default async function InstancesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { accountId, state } = await searchParams;
  const one = (v: typeof state) => (typeof v === "string" ? v : undefined);
  return <InstancesList accountId={one(accountId)} state={one(state)} />;
}
