"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { AccountLink } from "@/components/resource/cells";
import { FilterSelect, idOrEmpty, unset, useFilters } from "@/components/resource/filters";
import { formatDateTime, formatRelative, humanizeTimes } from "@/components/resource/format";
import { useAccountOptions, useDomainOptions, useUserOptions } from "@/components/resource/options";
import type { EventRow } from "@/components/resource/router-types";
import { useCaller } from "@/components/shell/caller-context";
import { Badge, type Tone } from "@/components/ui/badge";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { Input } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { useTRPC } from "@/lib/trpc/client";
import type { eventLevels } from "@/lib/validation/events";
import { liveInterval } from "@/lib/live";

type Level = (typeof eventLevels)[number];
const levelTone: Record<Level, Tone> = { info: "blue", warn: "amber", error: "red" };
const levels = [
  { value: "info", label: "Info" },
  { value: "warn", label: "Warning" },
  { value: "error", label: "Error" },
];
/** Time presets: how far back from now. */
const presets = [
  { value: "15m", label: "Last 15 minutes", ms: 15 * 60_000 },
  { value: "1h", label: "Last hour", ms: 3_600_000 },
  { value: "24h", label: "Last 24 hours", ms: 86_400_000 },
  { value: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
  { value: "30d", label: "Last 30 days", ms: 30 * 86_400_000 },
];
/** Event types the portal records, offered as suggestions in the type filter (a prefix matches). */
const knownTypes = [
  "DOMAIN",
  "ACCOUNT",
  "USER",
  "USER.LOGIN",
  "LIMIT.UPDATE",
  "VM",
  "VM.CREATE",
  "VM.RUNNING",
  "VM.STOPPED",
  "VM.DESTROYED",
  "VM.EXPUNGED",
  "HOST",
  "ZONE",
  "POD",
  "CLUSTER",
];

export interface EventsFilter {
  accountId?: string;
  domainId?: string;
  userId?: string;
  resourceId?: string;
  time?: string;
  level?: string;
}

const MINUTE_MS = 60_000;
const startOfMinute = () => Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;

/** The start of the current minute (epoch ms), moving on as each minute begins. */
function useMinute() {
  const [minute, setMinute] = useState(startOfMinute);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout>;
    const tick = () => {
      setMinute(startOfMinute());
      timer = setTimeout(tick, MINUTE_MS - (Date.now() % MINUTE_MS));
    };
    timer = setTimeout(tick, MINUTE_MS - (Date.now() % MINUTE_MS));
    return () => clearTimeout(timer);
  }, []);
  return minute;
}

/** The audit trail, filtered by level, type, time and (for admins) domain, account and user. */
export function EventsView({ initial = {} }: { initial?: EventsFilter }) {
  const trpc = useTRPC();
  const caller = useCaller();
  const admin = caller.accountType !== "user";
  const table = useTableState({ sort: "createdAt", dir: "desc" });
  const filters = useFilters(
    {
      level: levels.some((l) => l.value === initial.level) ? (initial.level as Level) : unset<Level>(),
      time: presets.some((p) => p.value === initial.time) ? (initial.time ?? "") : "",
      domainId: idOrEmpty(initial.domainId),
      accountId: idOrEmpty(initial.accountId),
      userId: idOrEmpty(initial.userId),
      resourceId: idOrEmpty(initial.resourceId),
    },
    () => table.setPage(1),
  );
  const [type, setType] = useState("");
  const { time, resourceId, ...rest } = filters.query;
  const ms = presets.find((p) => p.value === time)?.ms;
  // Rounded to the minute, so the query (and its cache key) changes once a minute, not on every render.
  const minute = useMinute();
  const from = ms ? new Date(minute - ms) : undefined;
  const list = useQuery(
    trpc.event.list.queryOptions(
      { ...table.query, ...rest, resourceId, from, type: type.trim().toUpperCase() || undefined },
      { placeholderData: keepPreviousData, refetchInterval: () => liveInterval(false) },
    ),
  );
  const domains = useDomainOptions(admin);
  const accounts = useAccountOptions(filters.values.domainId, admin);
  const users = useUserOptions(filters.values.accountId, admin);

  const columns: Column<EventRow>[] = [
    {
      key: "createdAt",
      header: "Time",
      sortable: true,
      className: "whitespace-nowrap",
      cell: (e) => (
        <span title={formatRelative(e.createdAt)} className="tabular-nums text-slate-700">
          {formatDateTime(e.createdAt)}
        </span>
      ),
    },
    { key: "level", header: "Level", sortable: true, hideBelow: "sm", cell: (e) => <Badge tone={levelTone[e.level]}>{e.level}</Badge> },
    {
      key: "type",
      header: "Type",
      sortable: true,
      hideBelow: "md",
      className: "whitespace-nowrap",
      cell: (e) => <code className="text-xs text-slate-800">{e.type}</code>,
    },
    ...(admin
      ? [
          {
            key: "account",
            header: "Account",
            hideBelow: "lg",
            cell: (e) => <AccountLink id={e.accountId} name={e.accountName} />,
          } satisfies Column<EventRow>,
        ]
      : []),
    { key: "description", header: "Description", cell: (e) => <span className="text-slate-800">{humanizeTimes(e.description)}</span> },
  ];

  return (
    <>
      <PageHeader title="Events" crumbs={[{ label: "Events" }]} description="The audit trail: who changed what, and what the system did." />
      <DataTable
        label="events"
        columns={columns}
        query={list}
        table={table}
        rowKey={(e) => e.id}
        searchPlaceholder="Search descriptions…"
        emptyTitle={filters.active || type ? "No events match these filters" : "No events yet"}
        filters={
          <>
            <FilterSelect
              label="Time"
              allLabel="Any time"
              value={filters.values.time}
              onChange={(v) => filters.set("time", v)}
              options={presets}
            />
            <FilterSelect
              label="Level"
              allLabel="All levels"
              value={filters.values.level}
              onChange={(v) => filters.set("level", v as Level)}
              options={levels}
            />
            <Input
              aria-label="Type"
              list="event-types"
              value={type}
              placeholder="Any type"
              onChange={(e) => {
                setType(e.target.value);
                table.setPage(1);
              }}
              className="w-full font-mono text-xs sm:w-36"
            />
            <datalist id="event-types">
              {knownTypes.map((t) => (
                <option key={t} value={t} />
              ))}
            </datalist>
            {admin && (
              <>
                <FilterSelect
                  label="Domain"
                  allLabel="All domains"
                  value={filters.values.domainId}
                  onChange={(v) => filters.set("domainId", v, { accountId: "", userId: "" })}
                  options={domains.data ?? []}
                />
                <FilterSelect
                  label="Account"
                  allLabel="All accounts"
                  value={filters.values.accountId}
                  onChange={(v) => filters.set("accountId", v, { userId: "" })}
                  options={accounts.data ?? []}
                />
                <FilterSelect
                  label="User"
                  allLabel="All users"
                  value={filters.values.userId}
                  onChange={(v) => filters.set("userId", v)}
                  options={users.data ?? []}
                />
              </>
            )}
            {filters.values.resourceId && (
              <button
                type="button"
                className="rounded-md px-2 py-1 text-sm text-brand-700 ring-1 ring-slate-300 hover:bg-slate-50"
                onClick={() => filters.set("resourceId", "")}
              >
                One object only ×<span className="sr-only"> show events of every object</span>
              </button>
            )}
          </>
        }
      />
    </>
  );
}
