import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { hosts, instances, jobs } from "@/db/schema";
import { type Caller, isRootAdmin } from "@/server/authz/caller";
import { jobScope } from "@/server/authz/scopes";
import { notFound } from "@/server/core/errors";
import { redactHost } from "./events";

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
    .where(and(eq(jobs.id, id), jobScope(caller)));
  if (!job) throw notFound("Job");
  if (isRootAdmin(caller)) return job;
  // Hosts are infrastructure: a VM job's messages name its host ("Defining the VM on sim-host-1"), which only the root admin sees.
  const [vm] =
    job.resourceType === "instance" && job.resourceId
      ? await db
          .select({ host: hosts.name })
          .from(instances)
          .innerJoin(hosts, eq(hosts.id, sql`coalesce(${instances.hostId}, ${instances.lastHostId})`))
          .where(eq(instances.id, job.resourceId))
      : [];
  const hide = (t: string | null) => (t && vm ? redactHost(t, vm.host) : t);
  const result =
    job.result && typeof job.result === "object" && !Array.isArray(job.result)
      ? Object.fromEntries(Object.entries(job.result).filter(([k]) => k !== "hostId"))
      : job.result;
  return { ...job, lockedBy: null, progressMessage: hide(job.progressMessage), error: hide(job.error), result };
}
