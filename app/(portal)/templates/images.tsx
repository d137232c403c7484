"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { TwoLine } from "@/components/resource/cells";
import { useConfirm } from "@/components/resource/confirm";
import { FilterSelect } from "@/components/resource/filters";
import { useResourceMutation } from "@/components/resource/mutations";
import type { RouterOutputs } from "@/components/resource/router-types";
import { Badge, StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { PageHeader } from "@/components/ui/page-header";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { CopyDialog } from "./copy-dialog";
import { RegisterUrlDialog } from "./register-url-dialog";
import { ShareDialog } from "./share-dialog";
import { UploadDialog } from "./upload-dialog";

export type ImageRow = RouterOutputs["template"]["listImages"][number];
export const imageChanges = ["template"] as const;
export type ImageKind = "template" | "iso";

const filters = [
  { value: "mine", label: "My account's" },
  { value: "shared", label: "Shared with me" },
  { value: "public", label: "Public" },
  { value: "featured", label: "Featured" },
] as const;

/** Where an image stands: Ready, Error with the reason, or the percent of a download or upload. */
function Status({ t }: { t: ImageRow }) {
  if (t.status === "error")
    return (
      <span className="block max-w-xs">
        <StateBadge state="error" /> <span className="text-xs break-words text-red-800">{t.errorMessage}</span>
      </span>
    );
  if (t.status === "ready") return t.state === "active" ? <Badge tone="green">Ready</Badge> : <StateBadge state={t.state} />;
  return (
    <span className="flex items-center gap-2 whitespace-nowrap">
      <Badge tone="amber">{t.status === "downloading" ? "Downloading" : "Uploading"}</Badge>
      <span className="text-xs text-slate-700 tabular-nums">{t.progress} %</span>
    </span>
  );
}

/** Its own zone, and the zones it is copied to: Ready, being copied (percent), or failed (with the reason). */
function Zones({ t }: { t: ImageRow }) {
  return (
    <span className="flex flex-col gap-1">
      <span>{t.zoneName ?? "All zones"}</span>
      {t.copies.map((c) => (
        <span key={c.zoneId} className="flex items-center gap-1 text-xs whitespace-nowrap">
          + {c.zoneName}
          {c.status === "copying" && (
            <Badge tone="amber">
              Copying <span className="tabular-nums">{c.progress} %</span>
            </Badge>
          )}
          {c.status === "error" && (
            <span title={c.errorMessage ?? undefined}>
              <StateBadge state="error" />
            </span>
          )}
        </span>
      ))}
    </span>
  );
}

function Visibility({ t }: { t: ImageRow }) {
  if (t.isFeatured) return <Badge tone="green">Featured</Badge>;
  if (t.isPublic) return <Badge tone="blue">Public</Badge>;
  if (!t.mine) return <Badge tone="amber">Shared with you</Badge>;
  if (t.shares > 0) return <Badge tone="amber">Shared ({t.shares})</Badge>;
  return <Badge>Private</Badge>;
}

/**
 * Templates or ISOs for every role: what the caller may see (its own, shared with it, public),
 * registered from a URL or uploaded from the browser, shared, copied to another zone, deleted. Rows
 * being downloaded, uploaded or copied refresh every two seconds until they are Ready or in Error.
 */
export function Images({ kind, canPublish }: { kind: ImageKind; canPublish: boolean }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const table = useTableState();
  const { page, pageSize } = table.state;
  const [filter, setFilter] = useState<"" | (typeof filters)[number]["value"]>("");
  const list = useQuery(
    trpc.template.listImages.queryOptions(
      { kind, search: table.query.search, filter: filter || "all" },
      {
        select: (rows) => ({ items: rows.slice((page - 1) * pageSize, page * pageSize), total: rows.length }),
        refetchInterval: (q) =>
          q.state.data?.some((r) => r.status === "downloading" || r.status === "uploading" || r.copies.some((c) => c.status === "copying"))
            ? 2000
            : false,
      },
    ),
  );
  const [dialog, setDialog] = useState<"url" | "upload" | null>(null);
  const [sharing, setSharing] = useState<ImageRow | null>(null);
  const [copying, setCopying] = useState<ImageRow | null>(null);
  const confirm = useConfirm();
  const noun = kind === "iso" ? "ISO" : "template";
  const remove = useResourceMutation({
    run: (t: ImageRow) => client.template.delete.mutate({ id: t.id }),
    invalidate: imageChanges,
    success: (r, t) => (r.deleted ? `${t.name} deleted` : `${t.name} deactivated: expunged VMs' records still name it`),
  });

  const columns: Column<ImageRow>[] = [
    { key: "name", header: "Name", cell: (t) => <TwoLine main={t.name} sub={t.displayText ?? t.osType} /> },
    { key: "status", header: "Status", cell: (t) => <Status t={t} /> },
    { key: "format", header: "Format", hideBelow: "md", cell: (t) => t.format },
    { key: "size", header: "Size", hideBelow: "sm", cell: (t) => (t.status === "ready" ? `${t.sizeGib} GiB` : "—") },
    { key: "visibility", header: "Visibility", hideBelow: "md", cell: (t) => <Visibility t={t} /> },
    { key: "owner", header: "Owner", hideBelow: "lg", cell: (t) => t.accountName ?? "System" },
    { key: "zone", header: "Zones", hideBelow: "xl", cell: (t) => <Zones t={t} /> },
  ];

  return (
    <>
      <PageHeader
        title={kind === "iso" ? "ISOs" : "Templates"}
        crumbs={[{ label: "Images" }, { label: kind === "iso" ? "ISOs" : "Templates" }]}
        description={
          kind === "iso"
            ? "CD images: register one from a URL or upload it; share it with accounts or domains."
            : "Disk images VMs are created from (qcow2, or raw converted to qcow2): register one from a URL or upload it, and share it with accounts or domains."
        }
        actions={
          <div className="flex flex-wrap gap-2">
            <Button variant="secondary" onClick={() => setDialog("upload")}>
              Upload {noun}
            </Button>
            <Button onClick={() => setDialog("url")}>Register from URL</Button>
          </div>
        }
      />
      <DataTable
        label={kind === "iso" ? "ISOs" : "templates"}
        noun={[noun, `${noun}s`]}
        columns={columns}
        query={list}
        table={table}
        rowKey={(t) => t.id}
        rowName={(t) => `${noun} ${t.name}`}
        rowTestId={(t) => `image-${t.name}`}
        searchPlaceholder="Search by name…"
        filters={
          <FilterSelect
            label="Show"
            allLabel="Everything I can use"
            value={filter}
            onChange={(v) => setFilter(v as typeof filter)}
            options={filters}
          />
        }
        emptyTitle={kind === "iso" ? "No ISOs" : "No templates"}
        emptyHint={`Register one from a URL or upload one from this computer.`}
        rowActions={(t) => [
          {
            label: "Share…",
            disabled: t.mine ? null : "Only its owner or an administrator above it can share it",
            onSelect: () => setSharing(t),
          },
          {
            label: "Copy to zone…",
            disabled: !t.mine
              ? "Only its owner or an administrator above it can copy it"
              : t.status !== "ready"
                ? "It can be copied once it is Ready"
                : t.zoneId === null
                  ? "It is in every zone already"
                  : null,
            onSelect: () => setCopying(t),
          },
          {
            label: "Delete",
            danger: true,
            disabled: t.mine ? null : "Only its owner or an administrator above it can delete it",
            onSelect: () =>
              confirm.ask({
                title: `Delete ${noun} ${t.name}?`,
                message: "Its image is removed from the secondary store. VMs still deployed from it keep it from being deleted.",
                confirmLabel: `Delete ${noun}`,
                danger: true,
                run: () => remove.mutateAsync(t),
              }),
          },
        ]}
      />
      <RegisterUrlDialog kind={kind} open={dialog === "url"} onClose={() => setDialog(null)} canPublish={canPublish} />
      <UploadDialog kind={kind} open={dialog === "upload"} onClose={() => setDialog(null)} canPublish={canPublish} />
      <ShareDialog image={sharing} onClose={() => setSharing(null)} />
      <CopyDialog image={copying} onClose={() => setCopying(null)} />
      {confirm.dialog}
    </>
  );
}
