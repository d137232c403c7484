import { z } from "zod";
import { TRPCError } from "@trpc/server";
import { vmStates } from "@/lib/vm-state";
import { CsError } from "../errors";
import { listBody } from "../envelope";
import { cs, pagingParams } from "../params";
import { renderVms } from "../render";
import { accountIdOf, csPage, ownAccountUnlessListAll } from "./paging";
import { command, type CsContext } from "./types";

/** VM commands: each a CloudStack parameter table and a call of the instance router (instance.*). */

const stateParam = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(vmStates, { message: `state must be one of ${vmStates.map((s) => s[0]!.toUpperCase() + s.slice(1)).join(", ")}` }));

export async function vmObject(ctx: CsContext, id: string) {
  const vm = await ctx.api.instance.get({ id });
  const [out] = await renderVms(ctx.db, [vm]);
  return out!;
}

/** An async VM command whose only parameter is the VM's id: one job, answered as `{ id, jobid }`. */
function vmJob(name: string, description: string, call: (api: CsContext["api"], id: string) => Promise<{ jobId: string }>) {
  return command({
    name,
    description,
    isasync: true,
    params: { id: cs.id("id") },
    async run(ctx, p) {
      return { id: p.id, jobid: (await call(ctx.api, p.id)).jobId };
    },
  });
}

const isNotFound = (e: unknown) => e instanceof TRPCError && e.code === "NOT_FOUND";

export const vmCommands = [
  command({
    name: "listVirtualMachines",
    description: "Lists virtual machines",
    isasync: false,
    params: {
      ...pagingParams,
      id: cs.id("id").optional(),
      name: z.string().max(63).optional(),
      state: stateParam.optional(),
      zoneid: cs.id("zoneid").optional(),
      account: z.string().max(64).optional(),
      domainid: cs.id("domainid").optional(),
      hostid: cs.id("hostid").optional(),
      details: z.string().optional(),
    },
    async run(ctx, p) {
      if (p.id) {
        try {
          return listBody("virtualmachine", [await vmObject(ctx, p.id)], 1);
        } catch (e) {
          if (isNotFound(e)) return {};
          throw e;
        }
      }
      const accountId = (await accountIdOf(ctx, p.account, p.domainid)) ?? ownAccountUnlessListAll(ctx, p);
      const search = p.name ?? p.keyword;
      const page = await csPage(p.name ? {} : p, async (page, pageSize) => {
        const r = await ctx.api.instance.list({
          page,
          pageSize,
          state: p.state,
          zoneId: p.zoneid,
          accountId,
          domainId: p.domainid,
          hostId: p.hostid,
          search,
        });
        return { items: r.items, total: r.total };
      });
      // name is an exact match in CloudStack; Stratus's search matches a substring.
      const items = p.name ? page.items.filter((v) => v.name === p.name) : page.items;
      const total = p.name ? items.length : page.total;
      return listBody("virtualmachine", await renderVms(ctx.db, items), total);
    },
  }),
  command({
    name: "deployVirtualMachine",
    description: "Creates and automatically starts a virtual machine",
    isasync: true,
    params: {
      zoneid: cs.id("zoneid"),
      templateid: cs.id("templateid"),
      serviceofferingid: cs.id("serviceofferingid"),
      name: z.string().max(63).optional(),
      displayname: z.string().max(255).optional(),
      networkids: z.string().optional(),
      ipaddress: z.string().optional(),
      diskofferingid: cs.id("diskofferingid").optional(),
      size: cs.int("size", 1, 65_536).optional(),
      rootdisksize: cs.int("rootdisksize", 1, 65_536).optional(),
      hypervisor: z.string().optional(),
      startvm: cs.bool("startvm").optional(),
    },
    async run(ctx, p) {
      if (p.startvm === false) throw new CsError(431, "startvm=false is not supported: Stratus starts a VM as it deploys it");
      const networkIds = p.networkids ? p.networkids.split(",").map((s) => s.trim()) : [];
      const name = p.name ?? p.displayname ?? `vm-${Date.now().toString(36)}`;
      const [vm] = await ctx.api.instance.deploy({
        zoneId: p.zoneid,
        templateId: p.templateid,
        computeOfferingId: p.serviceofferingid,
        name,
        count: 1,
        rootDiskGib: p.rootdisksize,
        dataDisk: p.diskofferingid ? { diskOfferingId: p.diskofferingid, sizeGib: p.size } : undefined,
        networks: networkIds.length ? networkIds.map((networkId, i) => ({ networkId, ip: i === 0 ? p.ipaddress : undefined })) : undefined,
      });
      return { id: vm!.id, jobid: vm!.jobId };
    },
  }),
  vmJob("startVirtualMachine", "Starts a virtual machine", (api, id) => api.instance.start({ id })),
  command({
    name: "stopVirtualMachine",
    description: "Stops a virtual machine",
    isasync: true,
    params: { id: cs.id("id"), forced: cs.bool("forced").optional() },
    async run(ctx, p) {
      const r = await ctx.api.instance.stop({ id: p.id, force: p.forced ?? false });
      return { id: p.id, jobid: r.jobId };
    },
  }),
  vmJob("rebootVirtualMachine", "Reboots a virtual machine", (api, id) => api.instance.reboot({ id })),
  command({
    name: "destroyVirtualMachine",
    description: "Destroys a virtual machine (expunge=true: at once, not after the expunge delay)",
    isasync: true,
    params: { id: cs.id("id"), expunge: cs.bool("expunge").optional(), volumeids: z.string().optional() },
    async run(ctx, p) {
      if (p.volumeids) throw new CsError(431, "volumeids is not supported: detach and delete data volumes separately");
      // expunge=true is one job: the destroy job expunges right after (a VM already destroyed: the expunge job).
      const vm = p.expunge ? await ctx.api.instance.get({ id: p.id }) : null;
      const job =
        vm && (vm.state === "destroyed" || vm.state === "error")
          ? await ctx.api.instance.expunge({ id: p.id })
          : await ctx.api.instance.destroy({ id: p.id, expunge: p.expunge ?? false });
      return { id: p.id, jobid: job.jobId };
    },
  }),
  vmJob("expungeVirtualMachine", "Expunges a destroyed virtual machine", (api, id) => api.instance.expunge({ id })),
  command({
    name: "recoverVirtualMachine",
    description: "Recovers a destroyed virtual machine",
    isasync: false,
    params: { id: cs.id("id") },
    async run(ctx, p) {
      await ctx.api.instance.recover({ id: p.id });
      return { virtualmachine: await vmObject(ctx, p.id) };
    },
  }),
  command({
    name: "changeServiceForVirtualMachine",
    description: "Changes the service offering of a stopped virtual machine",
    isasync: false,
    params: { id: cs.id("id"), serviceofferingid: cs.id("serviceofferingid") },
    async run(ctx, p) {
      await ctx.api.instance.changeOffering({ id: p.id, computeOfferingId: p.serviceofferingid });
      return { virtualmachine: await vmObject(ctx, p.id) };
    },
  }),
];
