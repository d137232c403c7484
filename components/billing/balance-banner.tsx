"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { formatMoney } from "@/lib/money";
import { useTRPC } from "@/lib/trpc/client";
import { useCaller } from "@/components/shell/caller-context";

/**
 * Shown on every portal page while the caller's own account is below its low-balance policy's
 * notify threshold: its balance, what happens at which threshold, and when its VMs would be stopped.
 */
export function BalanceBanner() {
  const trpc = useTRPC();
  const caller = useCaller();
  const overview = useQuery(
    trpc.billing.overview.queryOptions(undefined, { enabled: caller.permissions.includes("billing.read"), refetchInterval: 60_000 }),
  );
  const s = overview.data?.standing;
  if (!s || !(s.belowNotify || s.stopDueAt)) return null;
  const money = (v: string | null) => (v === null ? "" : formatMoney(v, s.currency));
  const severe = s.belowRefuse || s.belowStop || !!s.stopDueAt;
  return (
    <div
      role="alert"
      data-testid="balance-banner"
      className={`mb-4 rounded-md border p-3 text-sm ${severe ? "border-red-300 bg-red-50 text-red-900" : "border-amber-300 bg-amber-50 text-amber-900"}`}
    >
      <p className="font-medium">
        Low balance: account {s.accountName} has {money(s.balance)}.{" "}
        <Link href="/billing" className="underline">
          Billing
        </Link>
      </p>
      <ul className="mt-1 list-disc pl-5">
        {s.notifyBelow !== null && <li>Below {money(s.notifyBelow)} you are notified (now).</li>}
        {s.refuseBelow !== null && (
          <li>
            Below {money(s.refuseBelow)} new deployments and starts of stopped VMs are refused{s.belowRefuse ? " — this applies now" : ""}.
          </li>
        )}
        {s.stopBelow !== null && (
          <li>
            Below {money(s.stopBelow)} running VMs are stopped {Math.round(s.stopGraceMinutes / 60) || "<1"} h later
            {s.stopDueAt ? (
              <strong>
                {" "}
                — scheduled for {new Date(s.stopDueAt).toISOString().replace("T", " ").slice(0, 16)} UTC
                {s.stoppedAt ? " (done)" : ""}
              </strong>
            ) : (
              ""
            )}
            .
          </li>
        )}
      </ul>
      <p className="mt-1">
        Ask your provider to add credit; the policy of domain {s.policyDomainName} lifts as soon as the balance is back.
      </p>
    </div>
  );
}
