import type { Metadata } from "next";
import { Hosts } from "./hosts";

export const metadata: Metadata = { title: "Hosts" };

/** Links from other pages pre-filter the list: ?zoneId=…, ?podId=…, ?clusterId=…, ?state=…, ?status=… */
export default async function HostsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const one = (k: string) => (typeof sp[k] === "string" ? sp[k] : undefined);
  return (
    <Hosts
      initialFilter={{
        zoneId: one("zoneId"),
        podId: one("podId"),
        clusterId: one("clusterId"),
        state: one("state"),
        status: one("status"),
      }}
    />
  );
}
