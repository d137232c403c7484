import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import type { DbHandle } from "@/db";
import { computeOfferings, diskOfferings, events } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { ServiceError } from "@/server/core/errors";
import { isForeignKeyViolation } from "./common";
import { usableComputeOffering } from "./compute";

let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
type Api = ReturnType<typeof api>;
let as: Record<"admin" | "reseller" | "tenant" | "globex" | "reseller2" | "tenant2", Api>;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  as = {
    admin: api(h.db, t.callers.admin),
    reseller: api(h.db, t.callers.reseller),
    tenant: api(h.db, t.callers.tenant),
    globex: api(h.db, t.callers.globex),
    reseller2: api(h.db, t.callers.reseller2),
    tenant2: api(h.db, t.callers.tenant2),
  };
});
afterAll(() => h.close());

/** The refusal of a call: tRPC code, message, and the field it names (zod path or service field). */
async function refusal(p: Promise<unknown>) {
  const e = await p.then(
    () => {
      throw new Error("expected the call to be refused");
    },
    (err: unknown) => err as { code: string; message: string; cause?: unknown },
  );
  const field =
    e.cause instanceof ServiceError
      ? e.cause.field
      : e.cause instanceof ZodError
        ? [...new Set(e.cause.issues.map((i) => i.path.join(".")))].join(",")
        : undefined;
  const issues = e.cause instanceof ZodError ? e.cause.issues.map((i) => i.message) : [];
  return { code: e.code, message: e.message, field, issues };
}

const compute = (name: string, domainId: string | null, extra: Partial<{ cpuCores: number; cpuMhz: number; memoryMib: number }> = {}) => ({
  name,
  domainId,
  cpuCores: 2,
  cpuMhz: 2000,
  memoryMib: 2048,
  hostTags: ["ssd"],
  ...extra,
});

const names = (page: { items: { name: string }[] }) => page.items.map((o) => o.name).sort();

describe(`offerings on ${testDbKind()}`, () => {
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    // One offering per scope, all created by the root admin.
    for (const [name, domainId] of [
      ["Root-scoped", t.domains.root.id],
      ["Acme-only", t.domains.acme.id],
      ["TeamA-only", t.domains.teamA.id],
      ["Initech-only", t.domains.initech.id],
    ] as const) {
      ids[name] = (await as.admin.computeOffering.create(compute(name, domainId))).id;
    }
    for (const o of (await as.admin.computeOffering.list({ pageSize: 200 })).items) ids[o.name] ??= o.id;
  });

  it("shows a user the public offerings and those of its domain and ancestors, not of other subtrees", async () => {
    const mine = await as.tenant.computeOffering.list({ pageSize: 100 });
    expect(names(mine)).toEqual(["Acme-only", "Large", "Medium", "Root-scoped", "Small"]);
    expect(mine.total).toBe(5);
    expect(mine.items.find((o) => o.name === "Small")!.domainName).toBe("Public");
    expect(mine.items.find((o) => o.name === "Acme-only")!.domainName).toBe("Acme Cloud");
    expect(mine.items.every((o) => !o.canManage)).toBe(true);
    expect(names(await as.tenant2.computeOffering.list({ pageSize: 100 }))).toEqual([
      "Initech-only",
      "Large",
      "Medium",
      "Root-scoped",
      "Small",
    ]);
    expect(names(await as.globex.computeOffering.list({ pageSize: 100 }))).toEqual(["Large", "Medium", "Root-scoped", "Small"]);
    expect((await refusal(as.tenant.computeOffering.get({ id: ids["Initech-only"]! }))).code).toBe("NOT_FOUND");
    expect((await refusal(as.tenant.computeOffering.get({ id: ids["TeamA-only"]! }))).code).toBe("NOT_FOUND");
    expect((await as.tenant.computeOffering.get({ id: ids["Acme-only"]! })).name).toBe("Acme-only");
  });

  it("shows a domain admin its subtree's offerings (manageable) and the public and ancestors' ones (read-only)", async () => {
    const page = await as.reseller.computeOffering.list({ pageSize: 100 });
    expect(names(page)).toEqual(["Acme-only", "Large", "Medium", "Root-scoped", "Small", "TeamA-only"]);
    const manageable = page.items
      .filter((o) => o.canManage)
      .map((o) => o.name)
      .sort();
    expect(manageable).toEqual(["Acme-only", "TeamA-only"]);
    expect((await refusal(as.reseller.computeOffering.get({ id: ids["Initech-only"]! }))).code).toBe("NOT_FOUND");
    expect((await refusal(as.reseller2.computeOffering.get({ id: ids["Acme-only"]! }))).code).toBe("NOT_FOUND");
    expect((await as.admin.computeOffering.list({ pageSize: 100 })).total).toBe(7);
  });

  it("hides inactive offerings from users, not from their managers", async () => {
    const off = await as.reseller.computeOffering.setState({ id: ids["Acme-only"]!, state: "inactive" });
    expect(off.state).toBe("inactive");
    expect(names(await as.tenant.computeOffering.list({ pageSize: 100 }))).not.toContain("Acme-only");
    expect((await refusal(as.tenant.computeOffering.get({ id: ids["Acme-only"]! }))).code).toBe("NOT_FOUND");
    expect(names(await as.reseller.computeOffering.list({ pageSize: 100 }))).toContain("Acme-only");
    expect(names(await as.reseller.computeOffering.list({ pageSize: 100, activeOnly: true }))).not.toContain("Acme-only");
    expect(names(await as.reseller.computeOffering.list({ pageSize: 100, state: "inactive" }))).toEqual(["Acme-only"]);
    await expect(usableComputeOffering(h.db, ids["Acme-only"]!, t.domains.acme.path)).rejects.toThrow(/inactive/);
    await as.reseller.computeOffering.setState({ id: ids["Acme-only"]!, state: "active" });
    expect(names(await as.tenant.computeOffering.list({ pageSize: 100 }))).toContain("Acme-only");
    expect((await usableComputeOffering(h.db, ids["Acme-only"]!, t.domains.teamA.path)).name).toBe("Acme-only");
    await expect(usableComputeOffering(h.db, ids["Acme-only"]!, t.domains.initech.path)).rejects.toThrow(/not found/);
    const evs = await h.db.select().from(events).where(eq(events.resourceId, ids["Acme-only"]!));
    expect(evs.map((e) => e.type).sort()).toEqual(["OFFERING.ACTIVATE", "OFFERING.CREATE", "OFFERING.DEACTIVATE"]);
    expect(evs.every((e) => e.domainPath === t.domains.acme.path && e.domainId === t.domains.acme.id)).toBe(true);
  });

  it("lets a domain admin create offerings in its subtree only", async () => {
    const o = await as.reseller.computeOffering.create(compute("Team A big", t.domains.teamA.id, { cpuCores: 8, memoryMib: 16384 }));
    expect(o).toMatchObject({ domainId: t.domains.teamA.id, domainName: "Team A", canManage: true, state: "active", cpuCores: 8 });
    const [ev] = await h.db
      .select()
      .from(events)
      .where(and(eq(events.resourceId, o.id), eq(events.type, "OFFERING.CREATE")));
    expect(ev).toMatchObject({
      domainId: t.domains.teamA.id,
      domainPath: t.domains.teamA.path,
      resourceType: "compute_offering",
      actorUserId: t.callers.reseller.userId,
    });
    expect((await as.reseller.computeOffering.create(compute("Own domain", t.domains.acme.id))).domainName).toBe("Acme Cloud");

    const pub = await refusal(as.reseller.computeOffering.create(compute("Sneaky public", null)));
    expect(pub).toMatchObject({ code: "FORBIDDEN", field: "domainId" });
    expect(pub.message).toMatch(/Public offerings are managed by the root administrator/);
    expect((await refusal(as.reseller.computeOffering.create(compute("Elsewhere", t.domains.initech.id)))).code).toBe("NOT_FOUND");
    expect((await refusal(as.reseller.computeOffering.create(compute("Above", t.domains.root.id)))).code).toBe("NOT_FOUND");
    expect((await refusal(as.tenant.computeOffering.create(compute("Tenant's", t.domains.acme.id)))).code).toBe("FORBIDDEN");
    const [pubEv] = await h.db
      .select()
      .from(events)
      .where(and(eq(events.resourceId, ids["Root-scoped"]!), eq(events.type, "OFFERING.CREATE")));
    expect(pubEv!.domainPath).toBe(t.domains.root.path);
  });

  it("refuses a domain admin changes to public and ancestors' offerings, and hides other subtrees'", async () => {
    for (const name of ["Small", "Root-scoped"]) {
      const id = ids[name]!;
      const current = await as.reseller.computeOffering.get({ id });
      const r = await refusal(as.reseller.computeOffering.update({ ...compute(current.name, null), id, name: "Renamed" }));
      expect(r.code).toBe("FORBIDDEN");
      expect(r.message).toMatch(name === "Small" ? /Public offerings are managed by the root administrator/ : /belongs to domain ROOT/);
      expect((await refusal(as.reseller.computeOffering.setState({ id, state: "inactive" }))).code).toBe("FORBIDDEN");
      expect((await refusal(as.reseller.computeOffering.delete({ id }))).code).toBe("FORBIDDEN");
      expect((await as.admin.computeOffering.get({ id })).name).toBe(name);
    }
    const initech = ids["Initech-only"]!;
    expect((await refusal(as.reseller.computeOffering.update({ ...compute("X", null), id: initech }))).code).toBe("NOT_FOUND");
    expect((await refusal(as.reseller.computeOffering.setState({ id: initech, state: "inactive" }))).code).toBe("NOT_FOUND");
    expect((await refusal(as.reseller.computeOffering.delete({ id: initech }))).code).toBe("NOT_FOUND");
    expect((await refusal(as.tenant.computeOffering.delete({ id: ids["Acme-only"]! }))).code).toBe("FORBIDDEN");
    // The root admin may change anything; a domain admin its subtree's.
    const edited = await as.reseller.computeOffering.update({
      ...compute("TeamA-only", null, { cpuCores: 4 }),
      id: ids["TeamA-only"]!,
      displayText: "4 vCPUs",
    });
    expect(edited).toMatchObject({ cpuCores: 4, displayText: "4 vCPUs", domainId: t.domains.teamA.id });
    expect((await as.admin.computeOffering.setState({ id: ids["Small"]!, state: "inactive" })).state).toBe("inactive");
    await as.admin.computeOffering.setState({ id: ids["Small"]!, state: "active" });
  });

  it("keeps names unique within a scope, not across scopes", async () => {
    const dup = await refusal(as.admin.computeOffering.create(compute("Small", null)));
    expect(dup).toMatchObject({ code: "CONFLICT", field: "name" });
    expect(dup.message).toMatch(/named "Small" already exists in the public scope/);
    expect((await as.reseller.computeOffering.create(compute("Small", t.domains.acme.id))).domainName).toBe("Acme Cloud");
    expect((await as.reseller2.computeOffering.create(compute("Small", t.domains.initech.id))).domainName).toBe("Initech");
    const again = await refusal(as.reseller.computeOffering.create(compute("Small", t.domains.acme.id)));
    expect(again).toMatchObject({ code: "CONFLICT", field: "name" });
    expect(again.message).toMatch(/domain Acme Cloud/);
    const rename = await refusal(as.reseller.computeOffering.update({ ...compute("Small", null), id: ids["Acme-only"]! }));
    expect(rename).toMatchObject({ code: "CONFLICT", field: "name" });
    // Disk offerings have their own namespace.
    expect((await as.admin.diskOffering.create({ name: "Small", sizeGib: 10, domainId: null })).name).toBe("Small");
    expect((await refusal(as.admin.diskOffering.create({ name: "Small disk", sizeGib: 10, domainId: null }))).code).toBe("CONFLICT");
  });

  it("validates input with messages that name the field", async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ cpuCores: 0 }, "cpuCores", /vCPUs must be at least 1/],
      [{ cpuCores: 257 }, "cpuCores", /vCPUs must be at most 256/],
      [{ cpuCores: 1.5 }, "cpuCores", /vCPUs must be a whole number/],
      [{ cpuMhz: 50 }, "cpuMhz", /CPU speed must be at least 100 MHz/],
      [{ memoryMib: -1 }, "memoryMib", /Memory must be at least 64 MiB/],
      [{ memoryMib: 16777217 }, "memoryMib", /Memory must be at most 16777216 MiB/],
      [{ name: "  " }, "name", /Name is required/],
      [{ name: "a/b" }, "name", /slashes/],
      [{ hostTags: ["bad tag"] }, "hostTags.0", /Tags may contain/],
    ];
    for (const [patch, field, message] of cases) {
      const r = await refusal(as.admin.computeOffering.create({ ...compute("Valid", null), ...patch }));
      expect(r.code, JSON.stringify(patch)).toBe("BAD_REQUEST");
      expect(r.field).toBe(field);
      expect(r.issues.join(" ")).toMatch(message);
    }
    const disk: [Record<string, unknown>, string, RegExp][] = [
      [{ sizeGib: -5 }, "sizeGib", /Size must be at least 1 GiB/],
      [{ sizeGib: 0 }, "sizeGib", /Size must be at least 1 GiB/],
      [{ sizeGib: 70000 }, "sizeGib", /Size must be at most 65536 GiB/],
      [{}, "sizeGib", /Size is required unless the size is custom/],
      [{ customSize: true, minGib: 100, maxGib: 10 }, "maxGib", /Maximum size must be at least the minimum size/],
      [{ customSize: true, maxGib: 10 }, "minGib", /Minimum size is required/],
      [{ customSize: true, minGib: -1, maxGib: 10 }, "minGib", /Minimum size must be at least 1 GiB/],
    ];
    for (const [patch, field, message] of disk) {
      const r = await refusal(as.admin.diskOffering.create({ name: "Valid disk", domainId: null, ...patch }));
      expect(r.code, JSON.stringify(patch)).toBe("BAD_REQUEST");
      expect(r.field).toBe(field);
      expect(r.issues.join(" ")).toMatch(message);
    }
    expect(await h.db.select().from(computeOfferings).where(eq(computeOfferings.name, "Valid"))).toHaveLength(0);
  });

  it("stores fixed and custom disk sizes, scoped like compute offerings", async () => {
    const fixed = await as.reseller.diskOffering.create({
      name: "Team A 50G",
      sizeGib: 50,
      minGib: 1,
      maxGib: 2,
      storageTags: ["ssd"],
      domainId: t.domains.teamA.id,
    });
    expect(fixed).toMatchObject({
      customSize: false,
      sizeGib: 50,
      minGib: null,
      maxGib: null,
      storageTags: ["ssd"],
      domainName: "Team A",
      canManage: true,
    });
    const custom = await as.reseller.diskOffering.create({
      name: "Acme custom",
      customSize: true,
      sizeGib: 5,
      minGib: 10,
      maxGib: 500,
      domainId: t.domains.acme.id,
    });
    expect(custom).toMatchObject({ customSize: true, sizeGib: null, minGib: 10, maxGib: 500 });
    expect(names(await as.tenant.diskOffering.list({ pageSize: 100 }))).toEqual(["Acme custom", "Custom disk", "Small", "Small disk"]);
    expect(names(await as.tenant2.diskOffering.list({ pageSize: 100 }))).toEqual(["Custom disk", "Small", "Small disk"]);
    expect((await refusal(as.tenant2.diskOffering.get({ id: custom.id }))).code).toBe("NOT_FOUND");
    const smallDisk = (await as.reseller.diskOffering.list({ search: "small disk" })).items[0]!;
    expect((await refusal(as.reseller.diskOffering.delete({ id: smallDisk.id }))).message).toMatch(/Public offerings/);
    const resized = await as.reseller.diskOffering.update({ id: custom.id, name: "Acme custom", customSize: false, sizeGib: 100 });
    expect(resized).toMatchObject({ customSize: false, sizeGib: 100, minGib: null, maxGib: null });
    await as.reseller.diskOffering.delete({ id: fixed.id });
    expect((await refusal(as.reseller.diskOffering.get({ id: fixed.id }))).code).toBe("NOT_FOUND");
    const [ev] = await h.db
      .select()
      .from(events)
      .where(and(eq(events.resourceId, fixed.id), eq(events.type, "OFFERING.DELETE")));
    expect(ev).toMatchObject({ domainPath: t.domains.teamA.path, resourceType: "disk_offering" });
  });

  it("searches, sorts and pages", async () => {
    const bySize = await as.admin.computeOffering.list({ sort: "memoryMib", dir: "desc", pageSize: 2 });
    expect(bySize.items.map((o) => o.memoryMib)).toEqual([16384, 8192]);
    expect(bySize.total).toBeGreaterThan(5);
    const page2 = await as.admin.computeOffering.list({ sort: "name", pageSize: 3, page: 2 });
    const all = await as.admin.computeOffering.list({ sort: "name", pageSize: 200 });
    expect(page2.items.map((o) => o.id)).toEqual(all.items.slice(3, 6).map((o) => o.id));
    expect(names(await as.admin.computeOffering.list({ search: "initech" }))).toEqual(["Initech-only", "Small"]); // by scope name too
    expect(names(await as.tenant.computeOffering.list({ search: "initech" }))).toEqual([]);
    await expect(as.admin.computeOffering.list({ sort: "name; drop table domains" })).rejects.toThrow(/^sort: /);
    const injected = await as.admin.computeOffering.list({ search: "%_" });
    expect(injected.total).toBe(0);
    const byScope = await as.admin.diskOffering.list({ sort: "scope", pageSize: 100 });
    expect(byScope.items.length).toBeGreaterThan(0);
  });

  it("refuses to delete an offering in use, which can still be deactivated", async () => {
    const o = await as.reseller.computeOffering.create(compute("In use", t.domains.acme.id));
    await h.db.execute(
      sql`create table offering_users_test (id serial primary key, compute_offering_id uuid not null references compute_offerings(id) on delete restrict)`,
    );
    try {
      await h.db.execute(sql`insert into offering_users_test (compute_offering_id) values (${o.id})`);
      const r = await refusal(as.reseller.computeOffering.delete({ id: o.id }));
      expect(r.code).toBe("PRECONDITION_FAILED");
      expect(r.message).toBe("Compute offering In use is in use; deactivate it instead");
      expect((await as.reseller.computeOffering.get({ id: o.id })).name).toBe("In use");
      expect(
        await h.db
          .select()
          .from(events)
          .where(and(eq(events.resourceId, o.id), eq(events.type, "OFFERING.DELETE"))),
      ).toHaveLength(0);
      // Its size cannot change under what uses it; its name and tags can.
      const resize = await refusal(as.reseller.computeOffering.update({ ...compute("In use", null, { memoryMib: 4096 }), id: o.id }));
      expect(resize).toMatchObject({ code: "PRECONDITION_FAILED", field: "memoryMib" });
      expect(resize.message).toMatch(/in use \(offering_users_test\)/);
      expect((await as.reseller.computeOffering.update({ ...compute("Still in use", null), id: o.id, cpuCap: true })).cpuCap).toBe(true);
      expect((await as.reseller.computeOffering.setState({ id: o.id, state: "inactive" })).state).toBe("inactive");
      // Once nothing uses it, it can go.
      await h.db.execute(sql`delete from offering_users_test`);
      await as.reseller.computeOffering.delete({ id: o.id });
      expect(await h.db.select().from(computeOfferings).where(eq(computeOfferings.id, o.id))).toHaveLength(0);
    } finally {
      await h.db.execute(sql`drop table if exists offering_users_test`);
    }
  });

  it("recognises a foreign key violation however the driver wraps it", () => {
    expect(isForeignKeyViolation({ code: "23503" })).toBe(true);
    expect(isForeignKeyViolation(new Error("query failed", { cause: { code: "23503" } }))).toBe(true);
    expect(isForeignKeyViolation({ code: "23001" })).toBe(true);
    expect(isForeignKeyViolation({ code: "23505" })).toBe(false);
    expect(isForeignKeyViolation(undefined)).toBe(false);
  });

  it("does not let a disk offering's rows leak into the compute namespace", async () => {
    const rows = await h.db.select().from(diskOfferings).where(eq(diskOfferings.name, "Small"));
    expect(rows).toHaveLength(1);
  });
});
