import { z } from "zod";
import type { Db } from "@/db";
import { getDb } from "@/db";
import { usageExportColumns, usageExportFormats, usageFiltersSchema } from "@/lib/validation/usage";
import { contextFromHeaders } from "@/server/api/context";
import { INTERNAL_MESSAGE } from "@/server/api/trpc";
import { can } from "@/server/authz/permissions";
import { ServiceError } from "@/server/core/errors";
import { usageExportRows } from "@/server/services/usage";

const exportQuery = z.object({ format: z.enum(usageExportFormats, { error: "format must be csv or json" }).default("csv") });

/** A CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
function csvField(v: unknown): string {
  const s = v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * GET /api/usage/export?format=csv|json&from=…&to=…&usageType=…&accountId=…&domainId=…&resourceId=…:
 * the usage records of usage.records' scope and filters, streamed, with the stable column names of
 * usageExportColumns (CSV header, JSON keys). Another tenant's account or domain is 404.
 */
export async function handleUsageExport(req: Request, db: Db = getDb()): Promise<Response> {
  try {
    const ctx = await contextFromHeaders(db, req.headers);
    if (!ctx.caller) return Response.json({ error: "Sign in to export usage" }, { status: 401 });
    if (!can(ctx.caller.accountType, "usage.read")) return Response.json({ error: "Not allowed" }, { status: 403 });
    const params = Object.fromEntries(new URL(req.url).searchParams);
    const q = exportQuery.safeParse(params);
    const f = usageFiltersSchema.safeParse(Object.fromEntries(Object.entries(params).filter(([k, v]) => k !== "format" && v !== "")));
    const bad = !q.success ? q.error.issues[0] : !f.success ? f.error.issues[0] : undefined;
    if (bad || !q.success || !f.success)
      return Response.json({ error: `${bad?.path.join(".")}: ${bad?.message}`, field: bad?.path.join(".") }, { status: 400 });
    const caller = ctx.caller;
    const rows = usageExportRows(db, caller, f.data);
    // The first batch is read before answering, so a scope refusal (404) is a status, not a broken stream.
    const first = await rows.next();
    const enc = new TextEncoder();
    const json = q.data.format === "json";
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        try {
          controller.enqueue(enc.encode(json ? "[" : `${usageExportColumns.join(",")}\r\n`));
          let n = 0;
          for (let r = first; !r.done; r = await rows.next()) {
            const row = r.value;
            controller.enqueue(
              enc.encode(
                json ? `${n++ ? "," : ""}\n${JSON.stringify(row)}` : `${usageExportColumns.map((c) => csvField(row[c])).join(",")}\r\n`,
              ),
            );
          }
          if (json) controller.enqueue(enc.encode("\n]\n"));
          controller.close();
        } catch (e) {
          console.error("[usage export] failed", e);
          controller.error(e);
        }
      },
    });
    const name = `usage-${new Date().toISOString().slice(0, 10)}.${q.data.format}`;
    return new Response(stream, {
      headers: {
        "content-type": json ? "application/json; charset=utf-8" : "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${name}"`,
        "cache-control": "no-store",
      },
    });
  } catch (e) {
    if (e instanceof ServiceError && e.code === "NOT_FOUND") return Response.json({ error: e.message }, { status: 404 });
    console.error("[usage export] failed", e);
    return Response.json({ error: INTERNAL_MESSAGE }, { status: 500 });
  }
}
