import type { Metadata } from "next";
import { InstancesList } from "./instances-list";

export const metadata: Metadata = { title: "Instances" };

/** An account's page links here pre-filtered: ?accountId=… */
export default async function InstancesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { accountId } = await searchParams;
  return <InstancesList accountId={typeof accountId === "string" ? accountId : undefined} />;
}
