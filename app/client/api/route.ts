import { getDb } from "@/db";
import { handleCloudStackRequest, requestPairs } from "@/server/cloudstack/api";
import { errorBody, render } from "@/server/cloudstack/envelope";
import { toCsError } from "@/server/cloudstack/errors";

/** CloudStack's API endpoint: GET or form-encoded POST, signed with an API key (docs/api.md). */
export const dynamic = "force-dynamic";
export const runtime = "nodejs";

async function handle(req: Request): Promise<Response> {
  let pairs;
  try {
    pairs = await requestPairs(req);
  } catch (err) {
    const e = toCsError(err, "request");
    const r = render("error", errorBody(e), "json");
    return new Response(r.text, { status: e.code, headers: { "content-type": r.contentType } });
  }
  const r = await handleCloudStackRequest(getDb(), pairs);
  return new Response(r.text, { status: r.status, headers: { "content-type": r.contentType, "cache-control": "no-store" } });
}

export const GET = handle;
export const POST = handle;
