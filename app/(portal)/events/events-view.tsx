"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { formatDateTime, formatRelative } from "@/components/resource/format";
import type { EventRow } from "@/components/resource/router-types";
import { Badge, type Tone } from "@/components/ui/badge";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { Input, Select } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { useTRPC } from "@/lib/trpc/client";

type Level = "info" | "warn" | "error";
const levelTone: Record<Level, Tone> = { info: "blue", warn: "amber", error: "red" };

/** Event types the portal records today, offered as suggestions in the type filter. */
const knownTypes = [
  "DOMAIN.CREATE",
  "DOMAIN.UPDATE",
  "DOMAIN.MOVE",
  "DOMAIN.DELETE",
  "ACCOUNT.CREATE",
  "ACCOUNT.UPDATE",
  "ACCOUNT.ENABLE",
  "ACCOUNT.DISABLE",
  "ACCOUNT.LOCK",
  "ACCOUNT.DELETE",
  "USER.CREATE",
  "USER.UPDATE",
  "USER.DELETE",
  "USER.ENABLE",
  "USER.DISABLE",
  "USER.LOCK",
  "USER.LOGIN",
  "USER.LOGIN.FAILED",
  "USER.PASSWORD.RESET",
  "USER.PASSWORD.CHANGE",
  "LIMIT.UPDATE",
  "VM",
  "VM.CREATE",
  "VM.RUNNING",
  "VM.STOPPED",
  "VM.STOPPED.OUT_OF_BAND",
  "VM.DESTROYED",
  "VM.EXPUNGED",
  "HOST",
];

export function EventsView() {
  const trpc = useTRPC();
  const table = useTableState({ sort: "createdAt", dir: "desc" });
  const [level, setLevel] = useState<Level | "">("");
  const [type, setType] = useState("");
  const typeFilter = type.trim().toUpperCase();
  const list = useQuery(
    trpc.event.list.queryOptions(
      { ...table.query, level: level || undefined, type: typeFilter || undefined },
      { placeholderData: keepPreviousData, refetchInterval: 15_000 },
    ),
  );

  const columns: Column<EventRow>[] = [
    {
      key: "createdAt",
      header: "Time",
      sortable: true,
      className: "whitespace-nowrap",
      cell: (e) => (
        <span title={formatRelative(e.createdAt)} className="tabular-nums text-slate-600">
          {formatDateTime(e.createdAt)}
        </span>
      ),
    },
    { key: "level", header: "Level", sortable: true, cell: (e) => <Badge tone={levelTone[e.level]}>{e.level}</Badge> },
    { key: "type", header: "Type", sortable: true, className: "whitespace-nowrap", cell: (e) => <code className="text-xs text-slate-700">{e.type}</code> },
    { key: "description", header: "Description", cell: (e) => <span className="text-slate-800">{e.description}</span> },
  ];

  const filtered = Boolean(level || typeFilter);
  return (
    <>
      <PageHeader title="Events" crumbs={[{ label: "Events" }]} description="The audit trail: who changed what, and what the system did." />
      <DataTable
        label="events"
        columns={columns}
        rows={list.data?.items}
        total={list.data?.total}
        table={table}
        rowKey={(e) => e.id}
        isLoading={list.isPending}
        error={list.error}
        onRetry={() => list.refetch()}
        searchPlaceholder="Search descriptions…"
        emptyTitle={filtered ? "No events match these filters" : "No events yet"}
        toolbar={
          <>
            <label className="flex items-center gap-2 text-sm text-slate-600">
              Level
              <Select
                value={level}
                onChange={(e) => {
                  setLevel(e.target.value as Level | "");
                  table.setPage(1);
                }}
                className="w-28"
              >
                <option value="">All</option>
                <option value="info">Info</option>
                <option value="warn">Warning</option>
                <option value="error">Error</option>
              </Select>
            </label>
            <label className="flex items-center gap-2 text-sm text-slate-600">
              Type
              <Input
                list="event-types"
                value={type}
                placeholder="Any type"
                onChange={(e) => {
                  setType(e.target.value);
                  table.setPage(1);
                }}
                className="w-48 font-mono text-xs"
              />
              <datalist id="event-types">
                {knownTypes.map((t) => (
                  <option key={t} value={t} />
                ))}
              </datalist>
            </label>
          </>
        }
      />
    </>
  );
}
