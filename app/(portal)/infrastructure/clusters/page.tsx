import type { Metadata } from "next";
import { Clusters } from "./clusters";

export const metadata: Metadata = { title: "Clusters" };

/** Links from other pages pre-filter the list: ?zoneId=…, ?podId=…, ?clusterId=… */
export default async function ClustersPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const one = (k: string) => (typeof sp[k] === "string" ? sp[k] : undefined);
  return <Clusters initialFilter={{ zoneId: one("zoneId"), podId: one("podId"), clusterId: one("clusterId") }} />;
}
