import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { jobs } from "@/db/schema";
import { type Caller, ownedCondition } from "@/server/authz/caller";
import { notFound } from "./errors";

/** A job the caller may follow: its own account's (user), its subtree's (reseller), any (root). */
export async function getJobInScope(db: DbOrTx, caller: Caller, id: string) {
  const [job] = await db
    .select({
      id: jobs.id,
      type: jobs.type,
      status: jobs.status,
      resourceType: jobs.resourceType,
      resourceId: jobs.resourceId,
      progress: jobs.progress,
      progressMessage: jobs.progressMessage,
      result: jobs.result,
      error: jobs.error,
      attempts: jobs.attempts,
      createdAt: jobs.createdAt,
      startedAt: jobs.startedAt,
      finishedAt: jobs.finishedAt,
      lockedBy: jobs.lockedBy,
    })
    .from(jobs)
    .where(and(eq(jobs.id, id), ownedCondition(caller, { accountId: jobs.accountId, domainPath: jobs.domainPath })));
  if (!job) throw notFound("Job");
  return { ...job, lockedBy: caller.accountType === "root_admin" ? job.lockedBy : null };
}
