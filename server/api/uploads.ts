import { z } from "zod";
import type { Db } from "@/db";
import { getDb } from "@/db";
import { idSchema } from "@/lib/validation/common";
import { contextFromHeaders } from "@/server/api/context";
import { originProblem } from "@/server/api/http";
import { INTERNAL_MESSAGE } from "@/server/api/trpc";
import { ServiceError } from "@/server/core/errors";
import { uploadStatus, writeChunk } from "@/server/services/template-images/upload";

/**
 * /api/uploads/<template id>: the byte path of browser uploads (tRPC carries JSON, not binary).
 * GET: how much the server holds; PUT ?offset=N with the chunk as the body. The session is checked
 * as for tRPC (contextFromHeaders → checkSession), a PUT must come from a page of this portal, and
 * the upload must be the caller's to write (templateManageScope; anyone else's is 404).
 */
const status: Record<ServiceError["code"], number> = {
  NOT_FOUND: 404,
  BAD_REQUEST: 400,
  CONFLICT: 409,
  FORBIDDEN: 403,
  PRECONDITION_FAILED: 412,
  TOO_MANY_REQUESTS: 429,
};
const offsetSchema = z.coerce.number({ error: "offset must be a number" }).int("offset must be whole").min(0, "offset cannot be negative");

export async function handleUploadRequest(req: Request, rawId: string, db: Db = getDb()): Promise<Response> {
  try {
    if (req.method === "PUT") {
      const problem = originProblem(req);
      if (problem) return Response.json({ error: problem }, { status: 403 });
    }
    const ctx = await contextFromHeaders(db, req.headers);
    if (!ctx.caller) return Response.json({ error: "Sign in to upload" }, { status: 401 });
    const id = idSchema.safeParse(rawId);
    if (!id.success) return Response.json({ error: "Upload not found" }, { status: 404 });
    if (req.method === "GET") return Response.json(await uploadStatus(db, ctx.caller, id.data));
    if (req.method !== "PUT") return Response.json({ error: "Use GET or PUT" }, { status: 405 });
    const offset = offsetSchema.safeParse(new URL(req.url).searchParams.get("offset") ?? "");
    if (!offset.success) return Response.json({ error: `offset: ${offset.error.issues[0]!.message}`, field: "offset" }, { status: 400 });
    return Response.json(await writeChunk(db, ctx.caller, id.data, offset.data, req.body));
  } catch (e) {
    if (e instanceof ServiceError) {
      // A wrong offset answers with where to resume.
      const held = e.field === "offset" ? /resume at offset (\d+)/.exec(e.message)?.[1] : undefined;
      return Response.json({ error: e.message, field: e.field, ...(held ? { offset: Number(held) } : {}) }, { status: status[e.code] });
    }
    console.error("[uploads] failed", e);
    return Response.json({ error: INTERNAL_MESSAGE }, { status: 500 });
  }
}
