import type { Metadata } from "next";
import { Pods } from "./pods";

export const metadata: Metadata = { title: "Pods" };

/** Links from other pages pre-filter the list: ?zoneId=…, ?podId=…, ?clusterId=… */
export default async function PodsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const one = (k: string) => (typeof sp[k] === "string" ? sp[k] : undefined);
  return <Pods initialFilter={{ zoneId: one("zoneId"), podId: one("podId"), clusterId: one("clusterId") }} />;
}
