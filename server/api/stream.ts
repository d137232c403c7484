import { type DbHandle, dbHandle } from "@/db";
import { contextFromHeaders } from "@/server/api/context";
import { checkSession } from "@/server/auth/session";
import { claimsFromCookie } from "@/server/auth/session-cookie";
import { openChangeStream } from "@/server/live/stream";

/**
 * GET /api/stream: the caller's live change stream (server-sent events), one per browser tab.
 * Signed in by the same session check as tRPC; re-checked every 30 s without counting as activity,
 * and closed once the session ended. Headers: no caching, no transformation (so no compression
 * buffers it) and no proxy buffering (nginx: X-Accel-Buffering).
 */
export async function handleChangeStream(
  req: Request,
  handle: DbHandle = dbHandle(),
  timing: { recheckMs?: number; heartbeatMs?: number } = {},
): Promise<Response> {
  const ctx = await contextFromHeaders(handle.db, req.headers);
  if (!ctx.caller) return Response.json({ error: "Sign in to receive live updates" }, { status: 401 });
  const cookie = req.headers.get("cookie");
  const recheck = async () => {
    const check = await checkSession(handle.db, await claimsFromCookie(cookie), new Date(), { touch: false });
    return check.ok ? check.caller : null;
  };
  const stream = await openChangeStream({ handle, caller: ctx.caller, recheck, signal: req.signal, ...timing });
  return new Response(stream, {
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-store, no-transform",
      "X-Accel-Buffering": "no",
    },
  });
}
