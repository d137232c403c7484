"use client";
import { useQuery } from "@tanstack/react-query";
import { formatRelative, humanizeTimes } from "@/components/resource/format";
import { Badge } from "@/components/ui/badge";
import { useTRPC } from "@/lib/trpc/client";
import { QueryCard } from "./query-card";

const tone = { info: "blue", warn: "amber", error: "red" } as const;

/** The latest events in the caller's scope, linking to the Events page. */
export function EventsCard() {
  const trpc = useTRPC();
  const q = useQuery(trpc.dashboard.events.queryOptions());
  return (
    <QueryCard
      title="Recent events"
      href="/events"
      query={q}
      testId="card-events"
      isEmpty={(r) => r.length === 0}
      empty={{ title: "No events yet" }}
    >
      {(rows) => (
        <ul className="divide-y divide-slate-100 text-sm">
          {rows.map((e) => (
            <li key={e.id} className="flex items-start gap-2 px-4 py-2">
              <Badge tone={tone[e.level]} className="mt-0.5 shrink-0">
                {e.level}
              </Badge>
              <div className="min-w-0 flex-1">
                <p className="break-words text-slate-800">{humanizeTimes(e.description)}</p>
                <p className="text-xs text-slate-500">
                  {e.type} · {formatRelative(e.createdAt)}
                </p>
              </div>
            </li>
          ))}
        </ul>
      )}
    </QueryCard>
  );
}
