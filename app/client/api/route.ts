import { getDb } from "@/db";
import { handleCloudStackHttp } from "@/server/cloudstack/api";

/** CloudStack's API endpoint: GET or form-encoded POST, signed with an API key (docs/api.md). */
export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const handle = (req: Request) => handleCloudStackHttp(getDb(), req);
export const GET = handle;
export const POST = handle;
