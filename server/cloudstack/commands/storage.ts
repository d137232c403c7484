import { isIP } from "node:net";
import { z } from "zod";
import { addressProblem } from "@/server/services/template-images/address-policy";
import { listBody } from "../envelope";
import { CsError } from "../errors";
import { cs, pagingParams } from "../params";
import { INTERVAL_TYPES, policyObject, renderSnapshots, renderVolumes, templateObject } from "../render-storage";
import { accountIdOf, csPage, ownAccountUnlessListAll } from "./paging";
import { command, type CsContext } from "./types";

/**
 * Volumes, snapshots, snapshot policies, template registration and scaling a VM: each a CloudStack
 * parameter table and calls of the volume, snapshot, template and instance routers (the portal's
 * procedures, so the same scope, limits, jobs and events).
 */

export async function volumeObject(ctx: CsContext, id: string) {
  const [out] = await renderVolumes(ctx.db, [await ctx.api.volume.get({ id })]);
  return out!;
}

export async function snapshotObject(ctx: CsContext, id: string, volumeId: string) {
  const rows = await ctx.api.snapshot.list({ volumeId });
  const row = rows.find((s) => s.id === id);
  const [out] = row ? await renderSnapshots(ctx.db, [row]) : [];
  return out ? withoutAccountId(out) : undefined;
}

/** SnapshotResponse has no accountid (the renderer adds it for the account filter). */
const withoutAccountId = <T extends { accountid?: unknown }>({ accountid: _, ...rest }: T) => rest;

/** A page of an in-memory list, as CloudStack pages (page from 1; no pagesize: all). */
const pageSlice = <T>(items: T[], p: { page?: number; pagesize?: number }) => {
  const size = p.pagesize ?? items.length;
  const start = ((p.page ?? 1) - 1) * size;
  return items.slice(start, start + size);
};

const gib = (label: string) => cs.int(label, 1, 65_536);
const defaultName = (prefix: string) => `${prefix}-${Date.now().toString(36)}`;

/** A boolean parameter Stratus has no such feature for: false is fine, true is refused naming it. */
const unsupportedTrue = (p: Record<string, unknown>, names: string[], why: string) => {
  for (const n of names) if (p[n] === true) throw new CsError(431, `${n}=true is not supported: ${why}`);
};

/**
 * CloudStack's schedule ("MM", "MM:HH", "MM:HH:D" with D 1 = Sunday … 7, "MM:HH:DD") as Stratus's
 * policy fields; what Stratus cannot express is refused naming the parameter.
 */
function parseSchedule(interval: (typeof INTERVAL_TYPES)[number], schedule: string) {
  const parts = schedule.split(":");
  const want = { HOURLY: 1, DAILY: 2, WEEKLY: 3, MONTHLY: 3 }[interval];
  const formats = { HOURLY: "MM", DAILY: "MM:HH", WEEKLY: "MM:HH:D (D 1 = Sunday … 7)", MONTHLY: "MM:HH:DD" };
  if (parts.length !== want || parts.some((x) => !/^\d{1,2}$/.test(x)))
    throw new CsError(431, `schedule: a ${interval} policy's schedule is ${formats[interval]}, not ${schedule}`);
  const [minute, hour, day] = parts.map(Number) as [number, number | undefined, number | undefined];
  const range = (what: string, v: number, lo: number, hi: number) => {
    if (v < lo || v > hi) throw new CsError(431, `schedule: the ${what} must be between ${lo} and ${hi}, not ${v}`);
  };
  range("minute", minute, 0, 59);
  if (hour !== undefined) range("hour", hour, 0, 23);
  if (interval === "WEEKLY") range("day of the week", day!, 1, 7);
  // Stratus runs monthly policies on days every month has.
  if (interval === "MONTHLY") range("day of the month (Stratus: days every month has)", day!, 1, 28);
  return {
    frequency: interval.toLowerCase() as "hourly",
    minute,
    hour,
    weekday: interval === "WEEKLY" ? ((day! - 1) as 0) : undefined,
    dayOfMonth: interval === "MONTHLY" ? day : undefined,
  };
}

/** Refuses, before anything is made, a URL the download job would refuse for its scheme or literal address. */
function checkTemplateUrl(raw: string) {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CsError(431, `url: ${raw} is not a valid URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new CsError(431, `url: only http and https URLs are allowed, not ${url.protocol}`);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  // A name is resolved and checked (every address, every redirect) by the download job itself.
  const problem = isIP(host) ? addressProblem(host) : null;
  if (problem) throw new CsError(431, `url: ${problem}`);
}

const snapshotTypes = ["MANUAL", "RECURRING", ...INTERVAL_TYPES] as const;

export const storageCommands = [
  command({
    name: "listVolumes",
    description: "Lists volumes",
    isasync: false,
    params: {
      ...pagingParams,
      id: cs.id("id").optional(),
      virtualmachineid: cs.id("virtualmachineid").optional(),
      zoneid: cs.id("zoneid").optional(),
      type: z
        .string()
        .transform((s) => s.toUpperCase())
        .pipe(z.enum(["ROOT", "DATADISK"], { message: "type must be ROOT or DATADISK" }))
        .optional(),
      account: z.string().max(64).optional(),
      domainid: cs.id("domainid").optional(),
      name: z.string().max(64).optional(),
    },
    async run(ctx, p) {
      // One volume: volume.get (NOT_FOUND, another tenant's too, lists nothing).
      if (p.id) {
        const [v] = await renderVolumes(ctx.db, [await ctx.api.volume.get({ id: p.id })]);
        const hit = [v!].filter(
          (x) =>
            (!p.virtualmachineid || x.virtualmachineid === p.virtualmachineid) &&
            (!p.zoneid || x.zoneid === p.zoneid) &&
            (!p.type || x.type === p.type),
        );
        return listBody("volume", hit, hit.length);
      }
      const accountId = (await accountIdOf(ctx, p.account, p.domainid)) ?? ownAccountUnlessListAll(ctx, p);
      const page = await csPage(p.name ? {} : p, async (page, pageSize) => {
        const r = await ctx.api.volume.list({
          page,
          pageSize,
          zoneId: p.zoneid,
          accountId,
          instanceId: p.virtualmachineid,
          type: p.type === "ROOT" ? "root" : p.type === "DATADISK" ? "datadisk" : undefined,
          search: p.name ?? p.keyword,
        });
        return { items: r.items, total: r.total };
      });
      // name is an exact match in CloudStack; Stratus's search matches a substring.
      const items = p.name ? page.items.filter((v) => v.name === p.name) : page.items;
      return listBody("volume", await renderVolumes(ctx.db, items), p.name ? items.length : page.total);
    },
  }),
  command({
    name: "createVolume",
    description: "Creates a data volume from a disk offering (or from a snapshot), attached at once with virtualmachineid",
    isasync: true,
    params: {
      name: z.string().max(64).optional(),
      zoneid: cs.id("zoneid").optional(),
      diskofferingid: cs.id("diskofferingid").optional(),
      snapshotid: cs.id("snapshotid").optional(),
      size: gib("size").optional(),
      virtualmachineid: cs.id("virtualmachineid").optional(),
      displayvolume: cs.bool("displayvolume").optional(),
    },
    async run(ctx, p) {
      const name = p.name ?? defaultName("vol");
      if (p.snapshotid) {
        if (p.diskofferingid || p.virtualmachineid)
          throw new CsError(431, "snapshotid: a volume from a snapshot takes no diskofferingid or virtualmachineid; attach it afterwards");
        const r = await ctx.api.snapshot.createVolume({ snapshotId: p.snapshotid, name, sizeGib: p.size });
        return { id: r.id, jobid: r.jobId };
      }
      if (!p.diskofferingid) throw new CsError(431, "diskofferingid is required (or snapshotid)");
      const zoneId = p.zoneid ?? (p.virtualmachineid ? (await ctx.api.instance.get({ id: p.virtualmachineid })).zoneId : undefined);
      if (!zoneId) throw new CsError(431, "zoneid is required (or virtualmachineid)");
      const r = await ctx.api.volume.create({
        name,
        zoneId,
        diskOfferingId: p.diskofferingid,
        sizeGib: p.size,
        instanceId: p.virtualmachineid,
      });
      return { id: r.id, jobid: r.jobId };
    },
  }),
  command({
    name: "attachVolume",
    description: "Attaches a data volume to a running or stopped virtual machine",
    isasync: true,
    params: { id: cs.id("id"), virtualmachineid: cs.id("virtualmachineid"), deviceid: cs.int("deviceid", 1, 25).optional() },
    async run(ctx, p) {
      // Stratus picks the VM's next free device (vdb, vdc …); the volume's deviceid says which.
      if (p.deviceid !== undefined)
        throw new CsError(431, "deviceid is not supported: Stratus attaches at the next free device (listVolumes shows it)");
      const r = await ctx.api.volume.attach({ id: p.id, instanceId: p.virtualmachineid });
      return { id: r.id, jobid: r.jobId };
    },
  }),
  command({
    name: "detachVolume",
    description: "Detaches a data volume from its virtual machine",
    isasync: true,
    params: { id: cs.id("id") },
    async run(ctx, p) {
      const r = await ctx.api.volume.detach({ id: p.id });
      return { id: r.id, jobid: r.jobId };
    },
  }),
  command({
    name: "resizeVolume",
    description: "Grows a volume to size GiB (a ROOT volume with its VM stopped)",
    isasync: true,
    params: {
      id: cs.id("id"),
      size: gib("size").optional(),
      diskofferingid: cs.id("diskofferingid").optional(),
      shrinkok: cs.bool("shrinkok").optional(),
    },
    async run(ctx, p) {
      if (p.diskofferingid) {
        const vol = await ctx.api.volume.get({ id: p.id });
        if (vol.diskOfferingId !== p.diskofferingid)
          throw new CsError(431, "diskofferingid: changing a volume's disk offering is not supported; give size in GiB");
      }
      if (p.size === undefined) throw new CsError(431, "size is required (the new size in GiB)");
      // shrinkok changes nothing: Stratus never shrinks a volume (the service says why).
      const r = await ctx.api.volume.resize({ id: p.id, sizeGib: p.size });
      return { id: r.id, jobid: r.jobId };
    },
  }),
  command({
    name: "deleteVolume",
    description: "Deletes a detached data volume (destroyed and expunged)",
    isasync: false,
    params: { id: cs.id("id") },
    async run(ctx, p) {
      // As CloudStack: an attached volume is a bad parameter (431), checked before anything changes.
      const vol = await ctx.api.volume.get({ id: p.id });
      if (vol.instanceId)
        throw new CsError(431, `id: volume ${vol.name} is attached to ${vol.instanceName ?? "a VM"}; detach it before deleting it`);
      // CloudStack's deleteVolume removes at once: destroy (limits given back), then expunge (a job deletes the disk).
      await ctx.api.volume.destroy({ id: p.id });
      await ctx.api.volume.expunge({ id: p.id });
      return { success: true };
    },
  }),
  command({
    name: "createSnapshot",
    description: "Takes a snapshot of a volume",
    isasync: true,
    params: { volumeid: cs.id("volumeid"), name: z.string().max(64).optional() },
    async run(ctx, p) {
      const r = await ctx.api.snapshot.take({ volumeId: p.volumeid, name: p.name });
      return { id: r.id, jobid: r.jobId };
    },
  }),
  command({
    name: "listSnapshots",
    description: "Lists volume snapshots",
    isasync: false,
    params: {
      ...pagingParams,
      id: cs.id("id").optional(),
      volumeid: cs.id("volumeid").optional(),
      snapshottype: z
        .string()
        .transform((s) => s.toUpperCase())
        .pipe(z.enum(snapshotTypes, { message: `snapshottype must be one of ${snapshotTypes.join(", ")}` }))
        .optional(),
      intervaltype: z
        .string()
        .transform((s) => s.toUpperCase())
        .pipe(z.enum(INTERVAL_TYPES, { message: `intervaltype must be one of ${INTERVAL_TYPES.join(", ")}` }))
        .optional(),
      name: z.string().max(64).optional(),
      zoneid: cs.id("zoneid").optional(),
      account: z.string().max(64).optional(),
      domainid: cs.id("domainid").optional(),
    },
    async run(ctx, p) {
      const accountId = (await accountIdOf(ctx, p.account, p.domainid)) ?? ownAccountUnlessListAll(ctx, p);
      const rows = await ctx.api.snapshot.list({ volumeId: p.volumeid });
      const all = await renderSnapshots(
        ctx.db,
        rows.filter((s) => (!p.id || s.id === p.id) && (!p.name || s.name === p.name) && (!p.keyword || s.name.includes(p.keyword))),
      );
      const type = p.snapshottype;
      const hit = all.filter(
        (s) =>
          (!accountId || s.accountid === accountId) &&
          (!p.domainid || s.domainid === p.domainid || Boolean(p.account)) &&
          (!p.zoneid || s.zoneid === p.zoneid) &&
          (!type || s.snapshottype === type || (type === "RECURRING" && s.snapshottype !== "MANUAL")) &&
          (!p.intervaltype || s.intervaltype === p.intervaltype),
      );
      return listBody("snapshot", pageSlice(hit, p).map(withoutAccountId), hit.length);
    },
  }),
  command({
    name: "deleteSnapshot",
    description: "Deletes a snapshot",
    isasync: true,
    params: { id: cs.id("id") },
    async run(ctx, p) {
      return { jobid: (await ctx.api.snapshot.delete({ id: p.id })).jobId };
    },
  }),
  command({
    name: "createSnapshotPolicy",
    description: "Creates a recurring snapshot policy for a volume (one per interval type)",
    isasync: false,
    params: {
      volumeid: cs.id("volumeid"),
      intervaltype: z
        .string({ error: "intervaltype is required" })
        .transform((s) => s.toUpperCase())
        .pipe(z.enum(INTERVAL_TYPES, { message: `intervaltype must be one of ${INTERVAL_TYPES.join(", ")}` })),
      schedule: cs.string("schedule"),
      timezone: cs.string("timezone"),
      maxsnaps: cs.int("maxsnaps", 1, 100),
      fordisplay: cs.bool("fordisplay").optional(),
    },
    async run(ctx, p) {
      const s = parseSchedule(p.intervaltype, p.schedule);
      try {
        const row = await ctx.api.snapshot.createPolicy({ volumeId: p.volumeid, ...s, timeZone: p.timezone, retention: p.maxsnaps });
        return { snapshotpolicy: policyObject(row) };
      } catch (e) {
        // Stratus names its own fields; the client sent CloudStack's.
        const m = e instanceof Error ? e.message : "";
        if (/timeZone/.test(m)) throw new CsError(431, "timezone: must be an IANA time zone such as Europe/Berlin");
        throw e;
      }
    },
  }),
  command({
    name: "listSnapshotPolicies",
    description: "Lists recurring snapshot policies: a volume's, or (without volumeid) those of the caller's volumes",
    isasync: false,
    params: {
      ...pagingParams,
      volumeid: cs.id("volumeid").optional(),
      id: cs.id("id").optional(),
      fordisplay: cs.bool("fordisplay").optional(),
    },
    async run(ctx, p) {
      // Without a volume, an admin or reseller sees its own account's unless it asks for more (listall).
      const accountId = p.volumeid ? undefined : ownAccountUnlessListAll(ctx, p);
      const rows = (await ctx.api.snapshot.policies({ volumeId: p.volumeid })).filter(
        (r) => (!p.id || r.id === p.id) && (!accountId || r.accountId === accountId),
      );
      return listBody("snapshotpolicy", pageSlice(rows, p).map(policyObject), rows.length);
    },
  }),
  command({
    name: "deleteSnapshotPolicies",
    description: "Deletes snapshot policies (id, or ids separated by commas)",
    isasync: false,
    params: { id: cs.id("id").optional(), ids: z.string().max(4000).optional() },
    async run(ctx, p) {
      const ids = [...(p.id ? [p.id] : []), ...(p.ids ? p.ids.split(",").map((s) => s.trim()) : [])];
      if (!ids.length) throw new CsError(431, "id or ids is required");
      const bad = ids.find((i) => !cs.id("ids").safeParse(i).success);
      if (bad !== undefined) throw new CsError(431, `ids: ${bad} is not a valid id`);
      // All or none: an id that is not found (or not yours) deletes nothing.
      await ctx.api.snapshot.deletePolicies({ ids });
      return { success: true };
    },
  }),
  command({
    name: "registerTemplate",
    description: "Registers a template from an http(s) URL (downloaded by a job; isready turns true when done)",
    isasync: false,
    params: {
      name: cs.string("name"),
      displaytext: z.string().max(255).optional(),
      url: cs.string("url"),
      format: z
        .string({ error: "format is required" })
        .transform((s) => s.toLowerCase())
        .pipe(z.enum(["qcow2", "raw"], { message: "format must be QCOW2 or RAW (ISOs: registerIso)" })),
      hypervisor: z
        .string({ error: "hypervisor is required" })
        .regex(/^kvm$/i, { message: "hypervisor must be KVM (the hypervisor of templates registered from a URL)" }),
      ostypeid: z.string().max(100).optional(),
      zoneid: cs.id("zoneid").optional(),
      zoneids: z.string().max(4000).optional(),
      checksum: z.string().max(140).optional(),
      ispublic: cs.bool("ispublic").optional(),
      isfeatured: cs.bool("isfeatured").optional(),
      isextractable: cs.bool("isextractable").optional(),
      passwordenabled: cs.bool("passwordenabled").optional(),
      isdynamicallyscalable: cs.bool("isdynamicallyscalable").optional(),
      requireshvm: cs.bool("requireshvm").optional(),
      bits: cs.int("bits", 32, 64).optional(),
    },
    async run(ctx, p) {
      unsupportedTrue(p, ["isextractable", "passwordenabled", "isdynamicallyscalable"], "Stratus templates have no such feature");
      const zones = [...(p.zoneid ? [p.zoneid] : []), ...(p.zoneids ? p.zoneids.split(",").map((s) => s.trim()) : [])];
      if (zones.length !== 1 || zones[0] === "-1")
        throw new CsError(431, "zoneid: give exactly one zone (copy the template to others with the portal once it is ready)");
      if (!cs.id("zoneid").safeParse(zones[0]).success) throw new CsError(431, "zoneids: not a valid id");
      checkTemplateUrl(p.url);
      const r = await ctx.api.template.registerFromUrl({
        name: p.name,
        displayText: p.displaytext,
        osType: p.ostypeid ?? "Other",
        zoneId: zones[0]!,
        format: p.format,
        checksum: p.checksum,
        isPublic: p.ispublic ?? false,
        isFeatured: p.isfeatured ?? false,
        url: p.url,
      });
      const t = await ctx.api.template.get({ id: r.template.id });
      return listBody("template", [templateObject({ ...t, hypervisorType: "kvm" })], 1);
    },
  }),
  command({
    name: "scaleVirtualMachine",
    description: "Changes the service offering of a stopped virtual machine",
    isasync: true,
    params: { id: cs.id("id"), serviceofferingid: cs.id("serviceofferingid") },
    async run(ctx, p) {
      // Stratus has no live scaling: the offering changes while the VM is stopped.
      const vm = await ctx.api.instance.get({ id: p.id });
      if (vm.state !== "stopped")
        throw new CsError(431, `Stratus changes the offering of a stopped VM only: stop ${vm.name} first (it is ${vm.state})`);
      const r = await ctx.api.instance.changeOffering({ id: p.id, computeOfferingId: p.serviceofferingid });
      return { id: p.id, jobid: r.jobId };
    },
  }),
];
