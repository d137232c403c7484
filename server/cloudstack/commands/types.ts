import type { z } from "zod";
import type { Db } from "@/db";
import type { Caller } from "@/server/authz/caller";
import type { createCaller } from "@/server/api/root";
import type { CsBody } from "../envelope";

/** What a command runs with: the key's caller and a tRPC caller acting as it (same validation, permissions, services). */
export interface CsContext {
  db: Db;
  caller: Caller;
  api: ReturnType<typeof createCaller>;
  /** The origin the request came to (links in answers prefer STRATUS_PUBLIC_URL / NEXTAUTH_URL). */
  origin?: string;
}

export interface Command<S extends z.ZodRawShape = z.ZodRawShape> {
  /** CloudStack's name, as listApis shows it. */
  name: string;
  description: string;
  /** Async commands answer {jobid} and are followed with queryAsyncJobResult. */
  isasync: boolean;
  params: S;
  /** Objects of the response the command returns (listApis' "response" hint). */
  run(ctx: CsContext, p: z.infer<z.ZodObject<S>>): Promise<CsBody>;
}

/** A command table entry, typed by its parameter shape. */
export const command = <S extends z.ZodRawShape>(c: Command<S>): Command => c;
