import type { Metadata } from "next";
import { BillingView } from "./billing-view";

export const metadata: Metadata = { title: "Billing" };

/** ?accountId=… (admins): that account's billing; otherwise the caller's own. */
export default async function BillingPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  return <BillingView accountId={typeof sp.accountId === "string" ? sp.accountId : undefined} />;
}
