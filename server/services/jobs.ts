import { and, count, desc, eq, gte, ilike, inArray, like, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { hosts, instances, jobs } from "@/db/schema";
import { type Caller, escapeLike, isRootAdmin } from "@/server/authz/caller";
import { jobScope } from "@/server/authz/scopes";
import { notFound } from "@/server/core/errors";
import { getAccountInScope } from "./accounts";
import { getDomainInScope } from "./domains";
import { redactHost } from "./events";
import type { PageInput } from "./paging";

const jobColumns = {
  id: jobs.id,
  type: jobs.type,
  status: jobs.status,
  resourceType: jobs.resourceType,
  resourceId: jobs.resourceId,
  accountId: jobs.accountId,
  userId: jobs.userId,
  progress: jobs.progress,
  progressMessage: jobs.progressMessage,
  result: jobs.result,
  error: jobs.error,
  attempts: jobs.attempts,
  createdAt: jobs.createdAt,
  startedAt: jobs.startedAt,
  finishedAt: jobs.finishedAt,
  lockedBy: jobs.lockedBy,
};
interface JobRow {
  resourceType: string;
  resourceId: string;
  result: unknown;
  progressMessage: string | null;
  error: string | null;
  lockedBy: string | null;
}

/** A job the caller may follow: its own account's (user), its subtree's (reseller), any (root). */
export async function getJobInScope(db: DbOrTx, caller: Caller, id: string) {
  const [job] = await db
    .select(jobColumns)
    .from(jobs)
    .where(and(eq(jobs.id, id), jobScope(caller)));
  if (!job) throw notFound("Job");
  return (await redactForCaller(db, caller, [job]))[0]!;
}

/**
 * The caller's jobs, newest first: its own account's, or (admins, resellers) its scope's, narrowed
 * to one account or a domain subtree; `from`: created at or after.
 */
export async function listJobs(db: DbOrTx, caller: Caller, input: PageInput & { from?: Date; accountId?: string; domainId?: string }) {
  const conds: (SQL | undefined)[] = [jobScope(caller)];
  if (input.from) conds.push(gte(jobs.createdAt, input.from));
  if (input.accountId) conds.push(eq(jobs.accountId, (await getAccountInScope(db, caller, input.accountId)).id));
  if (input.domainId) conds.push(like(jobs.domainPath, `${escapeLike((await getDomainInScope(db, caller, input.domainId)).path)}%`));
  if (input.search) conds.push(ilike(jobs.type, `%${escapeLike(input.search)}%`));
  const where = and(...conds);
  const page = input.page ?? 1;
  const pageSize = input.pageSize ?? 20;
  const [rows, [total]] = await Promise.all([
    db
      .select(jobColumns)
      .from(jobs)
      .where(where)
      .orderBy(desc(jobs.createdAt), desc(jobs.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db.select({ n: count() }).from(jobs).where(where),
  ]);
  return { items: await redactForCaller(db, caller, rows), total: total?.n ?? 0, page, pageSize };
}

/**
 * Hosts are infrastructure: a VM job's messages name its host ("Defining the VM on sim-host-1"),
 * which only the root admin sees; nor does anyone else see which process ran the job.
 */
async function redactForCaller<J extends JobRow>(db: DbOrTx, caller: Caller, rows: J[]): Promise<J[]> {
  if (isRootAdmin(caller)) return rows;
  const vmIds = [...new Set(rows.filter((j) => j.resourceType === "instance").map((j) => j.resourceId))];
  const vmHosts = vmIds.length
    ? await db
        .select({ id: instances.id, host: hosts.name })
        .from(instances)
        .innerJoin(hosts, eq(hosts.id, sql`coalesce(${instances.hostId}, ${instances.lastHostId})`))
        .where(inArray(instances.id, vmIds))
    : [];
  const hostOf = new Map(vmHosts.map((v) => [v.id, v.host]));
  return rows.map((job) => {
    const host = job.resourceType === "instance" ? hostOf.get(job.resourceId) : undefined;
    const hide = (t: string | null) => (t && host ? redactHost(t, host) : t);
    const result =
      job.result && typeof job.result === "object" && !Array.isArray(job.result)
        ? Object.fromEntries(Object.entries(job.result).filter(([k]) => k !== "hostId"))
        : job.result;
    return { ...job, lockedBy: null, progressMessage: hide(job.progressMessage), error: hide(job.error), result };
  });
}
