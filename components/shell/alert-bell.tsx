"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/lib/trpc/client";
import { liveInterval } from "@/lib/live";

/** The header's bell: open alerts in the caller's scope, with the count opened since they last read them. */
export function AlertBell() {
  const trpc = useTRPC();
  const counts = useQuery({ ...trpc.alert.counts.queryOptions(), refetchInterval: () => liveInterval(false) });
  const unread = counts.data?.unread ?? 0;
  const open = counts.data?.open ?? 0;
  return (
    <Link
      href="/alerts"
      className="relative rounded-md p-1.5 text-slate-600 hover:bg-slate-100"
      aria-label={unread ? `Alerts: ${unread} unread, ${open} open` : `Alerts: ${open} open`}
      data-testid="alert-bell"
    >
      <svg viewBox="0 0 24 24" className="size-5" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden="true">
        <path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9" strokeLinecap="round" strokeLinejoin="round" />
        <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      {unread > 0 && (
        <span
          className="absolute -right-0.5 -top-0.5 min-w-4 rounded-full bg-red-600 px-1 text-center text-[10px] leading-4 font-semibold text-white"
          data-testid="alert-unread"
        >
          {unread > 99 ? "99+" : unread}
        </span>
      )}
    </Link>
  );
}
