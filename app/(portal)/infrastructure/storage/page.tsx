import type { Metadata } from "next";
import { Storage } from "./storage";

export const metadata: Metadata = { title: "Storage" };

/** Links from other pages pre-filter the list: ?zoneId=…, ?podId=…, ?clusterId=… */
export default async function StoragePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const one = (k: string) => (typeof sp[k] === "string" ? sp[k] : undefined);
  return <Storage initialFilter={{ zoneId: one("zoneId"), podId: one("podId"), clusterId: one("clusterId") }} />;
}
