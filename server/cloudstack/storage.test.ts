import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeOfferings, diskOfferings, instances, snapshotPolicies, snapshots, templates, volumes } from "@/db/schema";
import { testDbKind } from "@/test/db";
import { csTestClient as cloudStackClient, type CsTestBody as CsBody } from "@/test/cloudstack";
import { deployChoicesByName } from "@/test/orchestrator";
import { simulatorCloud } from "@/test/simulator-cloud";
import { issueApiKey, type IssuedKey } from "@/server/services/api-keys";
import { runSnapshotPolicies } from "@/server/services/snapshots/policies";

/**
 * The CloudStack storage commands end to end, in process: volumes, snapshots, snapshot policies,
 * registerTemplate and scaleVirtualMachine through signed requests against the simulator cloud,
 * with each command's bad parameters and a second tenant that sees and changes nothing.
 */
const cloud = simulatorCloud();
const { call, waitJob } = cloudStackClient(() => cloud.h.db);
const GIB = 1024 ** 3;

let tenant: IssuedKey;
let tenant2: IssuedKey;
let choice: Awaited<ReturnType<typeof deployChoicesByName>>;
let customDisk: string;
let smallDisk: string;
let vmId: string;

const offering = async (name: string) => (await cloud.h.db.select().from(computeOfferings).where(eq(computeOfferings.name, name)))[0]!.id;
const volumeRow = async (id: string) => (await cloud.h.db.select().from(volumes).where(eq(volumes.id, id)))[0]!;

/** Runs an async command and returns its finished job (status 1 expected). */
async function done(key: IssuedKey, params: Record<string, string>) {
  const r = await call(key, params);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const job = await waitJob(key, r.body.jobid as string);
  expect(job.jobstatus, JSON.stringify(job.jobresult)).toBe(1);
  return { answer: r.body, job, result: job.jobresult as CsBody };
}

async function refused(key: IssuedKey, params: Record<string, string>, code: number, text: RegExp) {
  const r = await call(key, params);
  expect([r.status, r.body.errorcode], `${params.command} ${JSON.stringify(r.body)}`).toEqual([code, code]);
  expect(r.body.errortext, params.command).toMatch(text);
}

async function newVolume(key: IssuedKey, name: string, size = "2") {
  const { result } = await done(key, { command: "createVolume", name, zoneid: choice.zoneId, diskofferingid: customDisk, size });
  return (result.volume as CsBody).id as string;
}

beforeAll(async () => {
  const { h, t } = cloud;
  tenant = await issueApiKey(h.db, t.callers.tenant.userId, { name: "ci" }, t.callers.tenant.userId);
  tenant2 = await issueApiKey(h.db, t.callers.tenant2.userId, { name: "ci" }, t.callers.tenant2.userId);
  choice = await deployChoicesByName(h.db);
  const disk = async (n: string) => (await h.db.select().from(diskOfferings).where(eq(diskOfferings.name, n)))[0]!.id;
  customDisk = await disk("Custom disk");
  smallDisk = await disk("Small disk");
  const { answer } = await done(tenant, {
    command: "deployVirtualMachine",
    zoneid: choice.zoneId,
    templateid: choice.templateId,
    serviceofferingid: choice.computeOfferingId,
    name: "cs-storage-vm",
  });
  vmId = answer.id as string;
});

describe(`CloudStack storage commands (${testDbKind()})`, () => {
  it("creates, attaches, lists, detaches, resizes, snapshots, schedules and deletes a volume", async () => {
    // createVolume: an Allocated DATADISK of the custom offering; the job's result is the volume.
    const created = await done(tenant, {
      command: "createVolume",
      name: "cs-data",
      zoneid: choice.zoneId,
      diskofferingid: customDisk,
      size: "5",
    });
    const id = created.answer.id as string;
    expect(created.job).toMatchObject({ cmd: "org.apache.cloudstack.api.command.user.volume.CreateVolumeCmd", jobinstancetype: "Volume" });
    expect(created.result.volume).toMatchObject({
      id,
      name: "cs-data",
      type: "DATADISK",
      state: "Allocated",
      size: 5 * GIB,
      zoneid: choice.zoneId,
      zonename: "Zone 1",
      diskofferingid: customDisk,
      diskofferingname: "Custom disk",
      account: "acme-dev",
    });
    const vol = created.result.volume as CsBody;
    expect(typeof vol.domainid).toBe("string");
    expect(vol.virtualmachineid).toBeUndefined();
    expect(vol.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);

    // attachVolume: the VM's next device (ROOT is 0), and the VM's name and state.
    const attached = await done(tenant, { command: "attachVolume", id, virtualmachineid: vmId });
    expect(attached.job.cmd).toMatch(/AttachVolumeCmd$/);
    expect(attached.result.volume).toMatchObject({
      id,
      state: "Ready",
      virtualmachineid: vmId,
      vmname: "cs-storage-vm",
      vmstate: "Running",
      deviceid: 1,
    });
    expect((attached.result.volume as CsBody).attached).toMatch(/\+0000$/);
    expect((await volumeRow(id)).instanceId).toBe(vmId);

    // listVolumes: by VM, type, keyword, id, paging.
    const ofVm = await call(tenant, { command: "listVolumes", virtualmachineid: vmId });
    expect(ofVm.body.count).toBe(2);
    const byType = Object.fromEntries((ofVm.body.volume as CsBody[]).map((v) => [v.type as string, v.deviceid as number]));
    expect(byType).toEqual({ ROOT: 0, DATADISK: 1 });
    const data = await call(tenant, { command: "listVolumes", virtualmachineid: vmId, type: "datadisk" });
    expect((data.body.volume as CsBody[]).map((v) => v.id)).toEqual([id]);
    expect((await call(tenant, { command: "listVolumes", keyword: "cs-da" })).body).toMatchObject({ count: 1, volume: [{ id }] });
    expect((await call(tenant, { command: "listVolumes", id })).body).toMatchObject({ count: 1, volume: [{ id, type: "DATADISK" }] });
    expect((await call(tenant, { command: "listVolumes", id, type: "ROOT" })).body).toEqual({});
    const paged = await call(tenant, { command: "listVolumes", page: "2", pagesize: "1" });
    expect([(paged.body.volume as CsBody[]).length, paged.body.count]).toEqual([1, 2]);

    // detachVolume, then resizeVolume (GiB).
    const detached = await done(tenant, { command: "detachVolume", id });
    expect(detached.result.volume).toMatchObject({ id, state: "Ready" });
    expect((detached.result.volume as CsBody).virtualmachineid).toBeUndefined();
    const resized = await done(tenant, { command: "resizeVolume", id, size: "8", shrinkok: "false" });
    expect(resized.job.cmd).toMatch(/ResizeVolumeCmd$/);
    expect(resized.result.volume).toMatchObject({ id, size: 8 * GIB });
    expect((await volumeRow(id)).sizeGib).toBe(8);

    // createSnapshot: the job's result is the snapshot, BackedUp.
    const snap = await done(tenant, { command: "createSnapshot", volumeid: id, name: "cs-snap" });
    expect(snap.job.cmd).toMatch(/CreateSnapshotCmd$/);
    const s = snap.result.snapshot as CsBody;
    expect(s).toMatchObject({
      id: snap.answer.id,
      name: "cs-snap",
      volumeid: id,
      volumename: "cs-data",
      volumetype: "DATADISK",
      snapshottype: "MANUAL",
      intervaltype: "MANUAL",
      state: "BackedUp",
      virtualsize: 8 * GIB,
      account: "acme-dev",
      domainid: vol.domainid,
      zoneid: choice.zoneId,
    });
    expect(typeof s.physicalsize).toBe("number");
    const listed = await call(tenant, { command: "listSnapshots", volumeid: id });
    expect(listed.body).toMatchObject({ count: 1, snapshot: [{ id: s.id }] });
    expect((await call(tenant, { command: "listSnapshots", id: s.id as string })).body.count).toBe(1);
    expect((await call(tenant, { command: "listSnapshots", volumeid: id, snapshottype: "RECURRING" })).body).toEqual({});
    expect((await call(tenant, { command: "listSnapshots", keyword: "cs-sn" })).body.count).toBe(1);

    // createVolume from the snapshot: a new DATADISK of the snapshot's size.
    const fromSnap = await done(tenant, { command: "createVolume", name: "cs-from-snap", snapshotid: s.id as string });
    expect(fromSnap.job.cmd).toMatch(/CreateVolumeCmd$/);
    expect(fromSnap.result.volume).toMatchObject({ name: "cs-from-snap", type: "DATADISK", size: 8 * GIB, state: "Ready" });
    expect((await call(tenant, { command: "deleteVolume", id: fromSnap.answer.id as string })).body).toEqual({ success: true });

    // Snapshot policies in CloudStack's schedule format; weekly day 1 is Sunday (Stratus's 0).
    const daily = await call(tenant, {
      command: "createSnapshotPolicy",
      volumeid: id,
      intervaltype: "DAILY",
      schedule: "30:2",
      timezone: "Europe/Berlin",
      maxsnaps: "3",
    });
    expect(daily.status, JSON.stringify(daily.body)).toBe(200);
    expect(daily.body.snapshotpolicy).toMatchObject({
      volumeid: id,
      schedule: "30:2",
      intervaltype: 1,
      maxsnaps: 3,
      timezone: "Europe/Berlin",
    });
    const weekly = await call(tenant, {
      command: "createSnapshotPolicy",
      volumeid: id,
      intervaltype: "weekly",
      schedule: "15:4:1",
      timezone: "UTC",
      maxsnaps: "2",
    });
    const weeklyId = (weekly.body.snapshotpolicy as CsBody).id as string;
    const [row] = await cloud.h.db.select().from(snapshotPolicies).where(eq(snapshotPolicies.id, weeklyId));
    expect([row!.frequency, row!.minute, row!.hour, row!.weekday]).toEqual(["weekly", 15, 4, 0]);
    const policies = await call(tenant, { command: "listSnapshotPolicies", volumeid: id });
    expect(policies.body.count).toBe(2);
    expect((policies.body.snapshotpolicy as CsBody[]).map((p) => p.schedule).sort()).toEqual(["15:4:1", "30:2"]);
    // Without volumeid: the caller's own volumes' policies; not another tenant's, nor the admin's
    // own account's view unless it asks for everything (listall).
    const mine = (await call(tenant, { command: "listSnapshotPolicies" })).body.snapshotpolicy as CsBody[];
    expect(mine.filter((p) => p.volumeid === id).length).toBe(2);
    expect(JSON.stringify((await call(tenant2, { command: "listSnapshotPolicies" })).body)).not.toContain(id);
    const admin = await issueApiKey(cloud.h.db, cloud.t.callers.admin.userId, { name: "policies" }, cloud.t.callers.admin.userId);
    expect(JSON.stringify((await call(admin, { command: "listSnapshotPolicies" })).body)).not.toContain(id);
    const everyone = (await call(admin, { command: "listSnapshotPolicies", listall: "true" })).body.snapshotpolicy as CsBody[];
    expect(everyone.filter((p) => p.volumeid === id).length).toBe(2);
    const dailyId = (daily.body.snapshotpolicy as CsBody).id as string;
    // The daily policy's run (the sweep a day on) lists as a recurring DAILY snapshot.
    await runSnapshotPolicies(cloud.h.db, new Date(Date.now() + 25 * 3600_000));
    let recurring: CsBody = {};
    for (let i = 0; i < 200; i++) {
      recurring = (await call(tenant, { command: "listSnapshots", volumeid: id, snapshottype: "RECURRING" })).body;
      if ((recurring.snapshot as CsBody[] | undefined)?.[0]?.state === "BackedUp") break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(recurring).toMatchObject({ count: 1, snapshot: [{ snapshottype: "DAILY", intervaltype: "DAILY", state: "BackedUp" }] });
    expect((await call(tenant, { command: "listSnapshots", volumeid: id, snapshottype: "MANUAL" })).body).toMatchObject({
      count: 1,
      snapshot: [{ id: s.id }],
    });
    const both = (await call(tenant, { command: "listSnapshots", volumeid: id })).body.snapshot as CsBody[];
    expect(both.map((x) => "accountid" in x)).toEqual([false, false]); // not a SnapshotResponse field
    // All or none: with an id that is not found, neither policy goes.
    const partly = await call(tenant, { command: "deleteSnapshotPolicies", ids: `${dailyId},${randomUUID()}` });
    expect(partly.status).toBe(431);
    expect(((await call(tenant, { command: "listSnapshotPolicies", volumeid: id })).body.snapshotpolicy as CsBody[]).length).toBe(2);
    const del = await call(tenant, { command: "deleteSnapshotPolicies", ids: `${dailyId},${weeklyId}` });
    expect(del.body).toEqual({ success: true });
    expect((await call(tenant, { command: "listSnapshotPolicies", volumeid: id })).body).toEqual({});

    // deleteSnapshot (async, success), then deleteVolume (sync, success).
    const gone = await done(tenant, { command: "deleteSnapshot", id: s.id as string });
    expect(gone.result).toEqual({ success: true });
    const left = (await call(tenant, { command: "listSnapshots", volumeid: id })).body;
    // Its policy deleted, the policy's snapshot stays, RECURRING.
    expect((left.snapshot as CsBody[]).map((x) => x.snapshottype)).toEqual(["RECURRING"]);
    await done(tenant, { command: "deleteSnapshot", id: (left.snapshot as CsBody[])[0]!.id as string });
    expect((await call(tenant, { command: "listSnapshots", volumeid: id })).body).toEqual({});
    const [snapRow] = await cloud.h.db
      .select()
      .from(snapshots)
      .where(eq(snapshots.id, s.id as string));
    expect(snapRow!.state).toBe("destroyed");
    const deleted = await call(tenant, { command: "deleteVolume", id });
    expect([deleted.status, deleted.body]).toEqual([200, { success: true }]);
    // Expunging until its job has deleted the disk; then gone.
    const during = await call(tenant, { command: "listVolumes", id });
    expect(["Expunging", undefined]).toContain((during.body.volume as CsBody[] | undefined)?.[0]?.state);
    for (let i = 0; i < 200 && (await volumeRow(id)).state !== "expunged"; i++) await new Promise((res) => setTimeout(res, 50));
    expect((await volumeRow(id)).state).toBe("expunged");
    expect((await call(tenant, { command: "listVolumes", id })).body).toEqual({});
  });

  it("refuses each command's bad parameters with 431 naming the parameter, changing nothing", async () => {
    const id = await newVolume(tenant, "cs-bad");
    const cases: [Record<string, string>, RegExp][] = [
      [{ command: "createVolume", zoneid: choice.zoneId }, /diskofferingid is required/],
      [{ command: "createVolume", diskofferingid: customDisk, size: "2" }, /zoneid is required/],
      [{ command: "createVolume", zoneid: choice.zoneId, diskofferingid: customDisk, size: "lots" }, /size must be a whole number/],
      [{ command: "createVolume", zoneid: choice.zoneId, diskofferingid: smallDisk, size: "7" }, /fixed size of 20 GiB/],
      [{ command: "createVolume", zoneid: "nope", diskofferingid: customDisk }, /zoneid: not a valid id/],
      [{ command: "attachVolume", id }, /virtualmachineid/],
      [{ command: "attachVolume", id, virtualmachineid: vmId, deviceid: "3" }, /deviceid is not supported/],
      [{ command: "detachVolume" }, /id is required/],
      [{ command: "detachVolume", id: "x" }, /id: not a valid id/],
      [{ command: "resizeVolume", id }, /size is required/],
      [{ command: "resizeVolume", id, size: "-1" }, /size must be a whole number/],
      [{ command: "resizeVolume", id, size: "1", shrinkok: "true" }, /cannot shrink/],
      [{ command: "resizeVolume", id, size: "4", diskofferingid: smallDisk }, /diskofferingid: changing/],
      [{ command: "resizeVolume", id, size: "4", shrinkok: "maybe" }, /shrinkok must be true or false/],
      [{ command: "deleteVolume" }, /id is required/],
      [{ command: "createSnapshot" }, /volumeid is required/],
      [{ command: "listSnapshots", snapshottype: "YEARLY" }, /snapshottype must be one of/],
      [{ command: "listVolumes", type: "SWAP" }, /type must be ROOT or DATADISK/],
      [{ command: "deleteSnapshot", id: "123" }, /id: not a valid id/],
      [
        { command: "createSnapshotPolicy", volumeid: id, intervaltype: "YEARLY", schedule: "1", timezone: "UTC", maxsnaps: "1" },
        /intervaltype must be one of/,
      ],
      [
        { command: "createSnapshotPolicy", volumeid: id, intervaltype: "HOURLY", schedule: "30:2", timezone: "UTC", maxsnaps: "1" },
        /schedule: a HOURLY policy's schedule is MM/,
      ],
      [
        { command: "createSnapshotPolicy", volumeid: id, intervaltype: "DAILY", schedule: "30:25", timezone: "UTC", maxsnaps: "1" },
        /schedule: the hour must be between 0 and 23/,
      ],
      [
        { command: "createSnapshotPolicy", volumeid: id, intervaltype: "WEEKLY", schedule: "0:0:8", timezone: "UTC", maxsnaps: "1" },
        /schedule: the day of the week must be between 1 and 7/,
      ],
      [
        { command: "createSnapshotPolicy", volumeid: id, intervaltype: "MONTHLY", schedule: "0:0:31", timezone: "UTC", maxsnaps: "1" },
        /schedule: the day of the month .* between 1 and 28/,
      ],
      [
        { command: "createSnapshotPolicy", volumeid: id, intervaltype: "DAILY", schedule: "0:0", timezone: "Mars/Olympus", maxsnaps: "1" },
        /timezone/,
      ],
      [
        { command: "createSnapshotPolicy", volumeid: id, intervaltype: "DAILY", schedule: "0:0", timezone: "UTC", maxsnaps: "0" },
        /maxsnaps must be at least 1/,
      ],
      [{ command: "createSnapshotPolicy", volumeid: id, intervaltype: "DAILY", schedule: "0:0", timezone: "UTC" }, /maxsnaps/],
      [{ command: "deleteSnapshotPolicies" }, /id or ids is required/],
      [{ command: "deleteSnapshotPolicies", ids: "a,b" }, /ids: a is not a valid id/],
      [{ command: "scaleVirtualMachine", id: vmId }, /serviceofferingid/],
    ];
    for (const [params, text] of cases) await refused(tenant, params, 431, text);
    // The VM runs: Stratus cannot scale it live and says so.
    await refused(
      tenant,
      { command: "scaleVirtualMachine", id: vmId, serviceofferingid: await offering("Medium") },
      431,
      /stopped VM only: stop cs-storage-vm first/,
    );
    // An attached ROOT volume is not deleted.
    const root = (await cloud.h.db.select().from(volumes).where(eq(volumes.instanceId, vmId))).find((v) => v.type === "root")!;
    await refused(tenant, { command: "deleteVolume", id: root.id }, 431, /is attached to cs-storage-vm; detach it before deleting it/);
    expect((await volumeRow(root.id)).state).toBe("ready");
    expect(await volumeRow(id)).toMatchObject({ sizeGib: 2, state: "allocated", instanceId: null });
    expect(await cloud.h.db.select().from(snapshotPolicies).where(eq(snapshotPolicies.volumeId, id))).toEqual([]);
  });

  it("scales a stopped VM as an async job and keeps changeServiceForVirtualMachine working", async () => {
    await done(tenant, { command: "stopVirtualMachine", id: vmId, forced: "true" });
    const medium = await offering("Medium");
    const scaled = await done(tenant, { command: "scaleVirtualMachine", id: vmId, serviceofferingid: medium });
    expect(scaled.job.cmd).toMatch(/ScaleVMCmd$/);
    expect(scaled.result.virtualmachine).toMatchObject({
      id: vmId,
      serviceofferingid: medium,
      cpunumber: 2,
      memory: 4096,
      state: "Stopped",
    });
    const small = await call(tenant, { command: "changeServiceForVirtualMachine", id: vmId, serviceofferingid: choice.computeOfferingId });
    expect(small.body.virtualmachine).toMatchObject({ serviceofferingid: choice.computeOfferingId, cpunumber: 1 });
    await done(tenant, { command: "startVirtualMachine", id: vmId });
  });

  it("a second tenant's key sees and changes nothing of the first's volumes, snapshots and policies", async () => {
    const id = await newVolume(tenant, "cs-private", "3");
    const attached = await done(tenant, { command: "attachVolume", id, virtualmachineid: vmId });
    expect(attached.result.volume).toMatchObject({ virtualmachineid: vmId });
    const snap = await done(tenant, { command: "createSnapshot", volumeid: id });
    const snapId = snap.answer.id as string;
    const policy = await call(tenant, {
      command: "createSnapshotPolicy",
      volumeid: id,
      intervaltype: "HOURLY",
      schedule: "5",
      timezone: "UTC",
      maxsnaps: "1",
    });
    const policyId = (policy.body.snapshotpolicy as CsBody).id as string;
    const medium = await offering("Medium");

    // Lists: nothing of the first tenant's, even with listall.
    for (const params of [
      { command: "listVolumes", listall: "true" },
      { command: "listSnapshots", listall: "true" },
    ]) {
      const r = await call(tenant2, params);
      expect(r.status).toBe(200);
      expect(JSON.stringify(r.body), params.command).not.toContain(id);
    }
    for (const params of <Record<string, string>[]>[
      { command: "listVolumes", id },
      { command: "listVolumes", virtualmachineid: vmId },
      { command: "listSnapshots", volumeid: id },
      { command: "listSnapshots", id: snapId },
      { command: "listSnapshotPolicies", volumeid: id },
    ])
      expect((await call(tenant2, params)).body, params.command).toEqual({});

    // Every change: not found (never forbidden).
    for (const params of <Record<string, string>[]>[
      { command: "attachVolume", id, virtualmachineid: vmId },
      { command: "detachVolume", id },
      { command: "resizeVolume", id, size: "9" },
      { command: "deleteVolume", id },
      { command: "createVolume", zoneid: choice.zoneId, diskofferingid: customDisk, size: "1", virtualmachineid: vmId },
      { command: "createVolume", name: "stolen", snapshotid: snapId },
      { command: "createSnapshot", volumeid: id },
      { command: "deleteSnapshot", id: snapId },
      { command: "createSnapshotPolicy", volumeid: id, intervaltype: "DAILY", schedule: "0:0", timezone: "UTC", maxsnaps: "1" },
      { command: "deleteSnapshotPolicies", id: policyId },
      { command: "scaleVirtualMachine", id: vmId, serviceofferingid: medium },
      { command: "queryAsyncJobResult", jobid: attached.answer.jobid as string },
    ])
      await refused(tenant2, params, 431, /not found/i);

    // Nothing changed.
    expect(await volumeRow(id)).toMatchObject({ sizeGib: 3, state: "ready", instanceId: vmId });
    const [s] = await cloud.h.db.select().from(snapshots).where(eq(snapshots.id, snapId));
    expect(s!.state).toBe("ready");
    expect((await cloud.h.db.select().from(snapshotPolicies).where(eq(snapshotPolicies.id, policyId))).length).toBe(1);
    expect((await cloud.h.db.select().from(snapshots).where(eq(snapshots.volumeId, id))).length).toBe(1);
    const [vm] = await cloud.h.db.select().from(instances).where(eq(instances.id, vmId));
    expect(vm!.computeOfferingId).toBe(choice.computeOfferingId);
  });
});

describe(`CloudStack storage lists for an administrator (${testDbKind()})`, () => {
  it("lists its own account's volumes and snapshots without listall, a tenant's with listall or account and domainid", async () => {
    const admin = await issueApiKey(cloud.h.db, cloud.t.callers.admin.userId, { name: "ci" }, cloud.t.callers.admin.userId);
    const id = await newVolume(tenant, "cs-admin-sees", "1");
    const root = (await cloud.h.db.select().from(volumes).where(eq(volumes.instanceId, vmId))).find((v) => v.type === "root")!;
    const snap = await done(tenant, { command: "createSnapshot", volumeid: root.id, name: "cs-admin-snap" });
    const own = await call(admin, { command: "listVolumes" });
    expect(JSON.stringify(own.body)).not.toContain(id);
    const all = await call(admin, { command: "listVolumes", listall: "true", keyword: "cs-admin" });
    expect(all.body).toMatchObject({ count: 1, volume: [{ id, account: "acme-dev" }] });
    const domainid = (all.body.volume as CsBody[])[0]!.domainid as string;
    const account = await call(admin, { command: "listVolumes", account: "acme-dev", domainid, type: "DATADISK", zoneid: choice.zoneId });
    expect((account.body.volume as CsBody[]).map((v) => v.id)).toContain(id);
    expect((account.body.volume as CsBody[]).every((v) => v.account === "acme-dev" && v.type === "DATADISK")).toBe(true);
    expect(JSON.stringify((await call(admin, { command: "listSnapshots" })).body)).not.toContain(snap.answer.id as string);
    const snaps = await call(admin, { command: "listSnapshots", listall: "true", name: "cs-admin-snap" });
    expect(snaps.body).toMatchObject({ count: 1, snapshot: [{ id: snap.answer.id, volumetype: "ROOT", account: "acme-dev" }] });
    // The root admin sees which pool a volume lies on; a tenant does not.
    expect(((await call(admin, { command: "listVolumes", id: root.id })).body.volume as CsBody[])[0]!.storage).toEqual(expect.any(String));
    expect(((await call(tenant, { command: "listVolumes", id: root.id })).body.volume as CsBody[])[0]!.storage).toBeUndefined();
  });
});

describe(`registerTemplate (${testDbKind()})`, () => {
  // A local server that answers 404: the download job fails fast, with no network outside.
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    process.env.STRATUS_TEMPLATE_URL_ALLOW_CIDRS = "127.0.0.1/32";
    server = http.createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    delete process.env.STRATUS_TEMPLATE_URL_ALLOW_CIDRS;
    await new Promise((r) => server.close(r));
  });

  const register = (key: IssuedKey, extra: Record<string, string>) =>
    call(key, {
      command: "registerTemplate",
      name: "cs-registered",
      displaytext: "From the API",
      format: "QCOW2",
      hypervisor: "KVM",
      ostypeid: "Debian GNU/Linux 12 (64-bit)",
      zoneid: choice.zoneId,
      url: `${base}/disk.qcow2`,
      ...extra,
    });
  const countNamed = async (name: string) => (await cloud.h.db.select().from(templates).where(eq(templates.name, name))).length;

  it("registers a template from a URL: not ready yet, downloaded by a job, listed for its owner only", async () => {
    const r = await register(tenant, { isextractable: "false", passwordenabled: "false" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.envelope).toBe("registertemplateresponse");
    expect(r.body.count).toBe(1);
    const t = (r.body.template as CsBody[])[0]!;
    expect(t).toMatchObject({
      name: "cs-registered",
      displaytext: "From the API",
      format: "QCOW2",
      hypervisor: "KVM",
      zoneid: choice.zoneId,
      isready: false,
      ispublic: false,
      isfeatured: false,
      account: "acme-dev",
      templatetype: "USER",
    });
    expect(t.status).toMatch(/Downloaded$/);
    const mine = await call(tenant, { command: "listTemplates", templatefilter: "self", id: t.id as string });
    expect(mine.body.count).toBe(1);
    // The download fails (404): the template says why and never becomes ready.
    for (let i = 0; i < 200; i++) {
      const [row] = await cloud.h.db
        .select()
        .from(templates)
        .where(eq(templates.id, t.id as string));
      if (row!.status === "error") break;
      await new Promise((res) => setTimeout(res, 50));
    }
    const failed = await call(tenant, { command: "listTemplates", templatefilter: "self", id: t.id as string });
    expect((failed.body.template as CsBody[])[0]).toMatchObject({ isready: false });
    expect((failed.body.template as CsBody[])[0]!.status).toMatch(/404/);
    // Another tenant does not see it.
    const other = await call(tenant2, { command: "listTemplates", templatefilter: "executable" });
    expect(JSON.stringify(other.body)).not.toContain(t.id as string);
  });

  it("refuses attackers' URLs and bad parameters before anything is made", async () => {
    const before = await countNamed("cs-evil");
    for (const [url, text] of [
      ["http://169.254.169.254/latest/meta-data/", /url: 169\.254\.169\.254 is a private, loopback, link-local/],
      ["http://2852039166/latest/", /url: 169\.254\.169\.254 is a private/],
      ["http://[::1]/x.qcow2", /url: ::1 is a private/],
      ["http://10.0.0.1/x.qcow2", /url: 10\.0\.0\.1 is a private/],
      ["file:///etc/passwd", /url: only http and https URLs are allowed, not file:/],
      ["gopher://example.org/", /url: only http and https/],
      ["not a url", /url: .* is not a valid URL/],
    ] as const)
      await refused(
        tenant,
        { command: "registerTemplate", name: "cs-evil", format: "QCOW2", hypervisor: "KVM", zoneid: choice.zoneId, url },
        431,
        text,
      );
    const bad: [Record<string, string>, number, RegExp][] = [
      [{ format: "VHD" }, 431, /format must be QCOW2 or RAW/],
      [{ hypervisor: "XenServer" }, 431, /hypervisor must be KVM/],
      [{ url: "" }, 431, /url is required/],
      [{ zoneid: "-1" }, 431, /zoneid/],
      [{ passwordenabled: "true" }, 431, /passwordenabled=true is not supported/],
      [{ isextractable: "yes" }, 431, /isextractable must be true or false/],
      [{ ispublic: "true" }, 531, /root administrator/],
    ];
    for (const [extra, code, text] of bad) {
      const r = await register(tenant, { name: "cs-evil", ...extra });
      expect([r.status, r.body.errortext], JSON.stringify(extra)).toEqual([code, expect.stringMatching(text)]);
    }
    expect(await countNamed("cs-evil")).toBe(before);
  });
});
