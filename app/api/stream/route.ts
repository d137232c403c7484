import { handleChangeStream } from "@/server/api/stream";

// A long-lived stream per request: never cached or prerendered, always on Node (it LISTENs on the database).
export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export const GET = (req: Request) => handleChangeStream(req);
