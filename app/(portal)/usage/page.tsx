import type { Metadata } from "next";
import { env } from "@/server/env";
import { usagePeriodMinutes } from "@/server/usage/period";
import { UsageView } from "./usage-view";

export const metadata: Metadata = { title: "Usage" };

/** Links may pre-filter the report: ?accountId=…, ?domainId=…, ?resourceId=… */
export default async function UsagePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const one = (k: string) => (typeof sp[k] === "string" ? sp[k] : undefined);
  return (
    <UsageView
      initial={{ accountId: one("accountId"), domainId: one("domainId"), resourceId: one("resourceId") }}
      timing={{ periodMinutes: usagePeriodMinutes(), aggregateMinutes: env().STRATUS_USAGE_AGGREGATE_MINUTES }}
    />
  );
}
