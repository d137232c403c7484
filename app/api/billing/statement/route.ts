import { handleStatementExport } from "@/server/api/statement-export";

export const GET = (req: Request) => handleStatementExport(req);
