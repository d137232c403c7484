import { z } from "zod";
import { listBody, csDate } from "../envelope";
import { cs, pagingParams } from "../params";
import { lowerKeys } from "../render";
import { templateObject } from "../render-storage";
import { csPage } from "./paging";
import { command } from "./types";

/** Zones, offerings, templates and ISOs: what a caller may deploy with (instance.deployChoices, offering and template lists). */

export const pageSlice = <T>(items: T[], p: { page?: number; pagesize?: number }) => {
  const size = p.pagesize ?? items.length;
  const start = ((p.page ?? 1) - 1) * size;
  return items.slice(start, start + size);
};

export const catalogCommands = [
  command({
    name: "listZones",
    description: "Lists the zones the caller may deploy in",
    isasync: false,
    params: { ...pagingParams, id: cs.id("id").optional(), name: z.string().optional(), available: cs.bool("available").optional() },
    async run(ctx, p) {
      const { zones } = await ctx.api.instance.deployChoices();
      const hit = zones.filter((z) => (!p.id || z.id === p.id) && (!p.name || z.name === p.name));
      const out = pageSlice(hit, p).map((z) => ({
        id: z.id,
        name: z.name,
        description: z.description ?? undefined,
        allocationstate: "Enabled",
        networktype: "Advanced",
        securitygroupsenabled: false,
        localstorageenabled: false,
      }));
      return listBody("zone", out, hit.length);
    },
  }),
  command({
    name: "listServiceOfferings",
    description: "Lists the compute offerings the caller may use",
    isasync: false,
    params: {
      ...pagingParams,
      id: cs.id("id").optional(),
      name: z.string().optional(),
      virtualmachineid: cs.id("virtualmachineid").optional(),
    },
    async run(ctx, p) {
      const { offerings } = await ctx.api.instance.deployChoices();
      const hit = offerings.filter(
        (o) => (!p.id || o.id === p.id) && (!p.name || o.name === p.name) && (!p.keyword || o.name.includes(p.keyword)),
      );
      const out = pageSlice(hit, p).map((o) => ({
        id: o.id,
        name: o.name,
        displaytext: o.displayText ?? o.name,
        cpunumber: o.cpuCores,
        cpuspeed: o.cpuMhz,
        memory: o.memoryMib,
        limitcpuuse: o.cpuCap,
        hosttags: o.hostTags.length ? o.hostTags.join(",") : undefined,
        domainid: o.domainId ?? undefined,
        iscustomized: false,
        created: csDate(o.createdAt),
      }));
      return listBody("serviceoffering", out, hit.length);
    },
  }),
  command({
    name: "listDiskOfferings",
    description: "Lists the disk offerings the caller may use",
    isasync: false,
    params: { ...pagingParams, id: cs.id("id").optional(), name: z.string().optional() },
    async run(ctx, p) {
      const page = await csPage(p, async (page, pageSize) => {
        const r = await ctx.api.diskOffering.list({ page, pageSize, activeOnly: true, search: p.name ?? p.keyword });
        return { items: r.items as unknown as Record<string, unknown>[], total: r.total };
      });
      const items = page.items.filter((o) => (!p.id || o.id === p.id) && (!p.name || o.name === p.name));
      const out = items.map((o) => ({
        id: o.id,
        name: o.name,
        displaytext: (o.displayText as string | null) ?? o.name,
        disksize: o.sizeGib ?? 0,
        iscustomized: o.customSize,
        tags: Array.isArray(o.storageTags) && o.storageTags.length ? o.storageTags.join(",") : undefined,
        domainid: o.domainId ?? undefined,
        created: csDate(o.createdAt as Date),
      }));
      return listBody("diskoffering", out, p.id || p.name ? items.length : page.total);
    },
  }),
  ...(["template", "iso"] as const).map((kind) =>
    command({
      name: kind === "template" ? "listTemplates" : "listIsos",
      description: kind === "template" ? "Lists templates the caller may use" : "Lists ISOs the caller may use",
      isasync: false,
      params: {
        ...pagingParams,
        templatefilter: z.enum(["featured", "self", "selfexecutable", "sharedexecutable", "executable", "community", "all"]).optional(),
        isofilter: z.enum(["featured", "self", "selfexecutable", "sharedexecutable", "executable", "community", "all"]).optional(),
        id: cs.id("id").optional(),
        name: z.string().optional(),
        zoneid: cs.id("zoneid").optional(),
        hypervisor: z.string().optional(),
        isready: cs.bool("isready").optional(),
        ispublic: cs.bool("ispublic").optional(),
      },
      async run(ctx, p) {
        const filter = p.templatefilter ?? p.isofilter ?? "executable";
        const stratusFilter = (
          { featured: "featured", self: "mine", selfexecutable: "mine", sharedexecutable: "shared", community: "public" } as const
        )[filter as "featured"];
        const rows = (await ctx.api.template.listImages({ kind, filter: stratusFilter ?? "all", zoneId: p.zoneid })) as Record<
          string,
          unknown
        >[];
        const hit = rows.filter(
          (t) =>
            (!p.id || t.id === p.id) &&
            (!p.name || t.name === p.name) &&
            (!p.keyword || String(t.name).includes(p.keyword)) &&
            (p.isready === undefined || (t.status === "ready") === p.isready),
        );
        const out = pageSlice(hit, p).map(templateObject);
        return listBody(kind, out, hit.length);
      },
    }),
  ),
];

export const genericRow = lowerKeys;
