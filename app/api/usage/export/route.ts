import { handleUsageExport } from "@/server/api/usage-export";

export const GET = (req: Request) => handleUsageExport(req);
