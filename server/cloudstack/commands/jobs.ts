import { TRPCError } from "@trpc/server";
import { csDate } from "../envelope";
import { cs } from "../params";
import { NETWORK_JOB_COMMAND, networkJobResult } from "./network";
import { STORAGE_JOB_COMMAND, storageJobResult } from "./storage-jobs";
import { vmObject } from "./vm";
import { command, type CsContext } from "./types";

/**
 * CloudStack's async jobs are Stratus jobs (job.get, scoped like every job): jobstatus 0 pending,
 * 1 succeeded, 2 failed; jobresult holds the object the job worked on, or the error.
 */
const JOB_COMMAND: Record<string, string> = {
  "vm.deploy": "org.apache.cloudstack.api.command.user.vm.DeployVMCmd",
  "vm.start": "org.apache.cloudstack.api.command.user.vm.StartVMCmd",
  "vm.stop": "org.apache.cloudstack.api.command.user.vm.StopVMCmd",
  "vm.reboot": "org.apache.cloudstack.api.command.user.vm.RebootVMCmd",
  "vm.destroy": "org.apache.cloudstack.api.command.user.vm.DestroyVMCmd",
  "vm.expunge": "org.apache.cloudstack.api.command.admin.vm.ExpungeVMCmd",
  ...NETWORK_JOB_COMMAND,
  ...STORAGE_JOB_COMMAND,
};

async function resultObject(ctx: CsContext, resourceType: string, resourceId: string): Promise<Record<string, unknown>> {
  try {
    if (resourceType === "instance") {
      const vm = await vmObject(ctx, resourceId);
      return vm.state === "Expunged" ? { success: true } : { virtualmachine: vm };
    }
  } catch (e) {
    if (!(e instanceof TRPCError && e.code === "NOT_FOUND")) throw e;
  }
  return { success: true };
}

interface JobRow {
  id: string;
  type: string;
  status: string;
  resourceType: string;
  resourceId: string;
  accountId?: string | null;
  userId?: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

/** A job as CloudStack's asyncjob object, without its result (listAsyncJobs lists these; queryAsyncJobResult adds the result). */
export function jobObject(ctx: CsContext, j: JobRow) {
  const status = j.status === "succeeded" ? 1 : j.status === "failed" ? 2 : 0;
  return {
    jobid: j.id,
    accountid: j.accountId ?? ctx.caller.accountId,
    userid: j.userId ?? ctx.caller.userId,
    cmd: JOB_COMMAND[j.type] ?? j.type,
    jobstatus: status,
    jobprocstatus: 0,
    jobresultcode: status === 2 ? 530 : 0,
    jobinstancetype: j.resourceType === "instance" ? "VirtualMachine" : j.resourceType === "volume" ? "Volume" : j.resourceType,
    jobinstanceid: j.resourceId,
    created: csDate(j.createdAt),
    completed: csDate(j.finishedAt),
  };
}

export const jobCommands = [
  command({
    name: "queryAsyncJobResult",
    description: "Retrieves the current status of an asynchronous job",
    isasync: false,
    params: { jobid: cs.id("jobid") },
    async run(ctx, p) {
      const j = await ctx.api.job.get({ id: p.jobid });
      const base = jobObject(ctx, j);
      if (base.jobstatus === 0) return base;
      if (base.jobstatus === 2)
        return { ...base, jobresulttype: "object", jobresult: { errorcode: 530, errortext: j.error ?? "The job failed" } };
      const jobresult =
        (await networkJobResult(ctx, j.type, j.resourceType, j.resourceId)) ??
        (await storageJobResult(ctx, j)) ??
        (await resultObject(ctx, j.resourceType, j.resourceId));
      return { ...base, jobresulttype: "object", jobresult };
    },
  }),
];
