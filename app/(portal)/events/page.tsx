import type { Metadata } from "next";
import { EventsView } from "./events-view";

export const metadata: Metadata = { title: "Events" };

/** Links from account, instance and host pages pre-filter the list: ?accountId=…, ?resourceId=…, ?time=1h, ?level=error */
export default async function EventsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const one = (k: string) => (typeof sp[k] === "string" ? sp[k] : undefined);
  return (
    <EventsView
      initial={{
        accountId: one("accountId"),
        domainId: one("domainId"),
        userId: one("userId"),
        resourceId: one("resourceId"),
        time: one("time"),
        level: one("level"),
      }}
    />
  );
}
