import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@/db";
import {
  createSecondaryStoreInput,
  createStoragePoolInput,
  storagePathProblem,
  updateSecondaryStoreInput,
} from "@/lib/validation/infrastructure";
import type { Caller } from "@/server/authz/caller";
import { createSecondaryStore, createStoragePool, updateSecondaryStore, updateStoragePool } from "@/server/services/infrastructure/storage";
import { registerTemplate } from "@/server/services/templates";
import { openTestDb } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";

/**
 * Every storage path an admin enters is absolute, normalised, free of "..", and never "/" or a
 * system directory (Stratus writes and deletes files under it); templates stay inside their store.
 * Checked by the shared schema and again by the services (which are also called without it).
 */
const badDirs = [
  "../../etc",
  "relative/dir",
  "/",
  "/etc",
  "/etc/stratus",
  "/usr/lib/x",
  "/proc/self",
  "/sys",
  "/dev/shm",
  "/boot",
  "/root/pool",
  "/var",
  "/var/lib",
  "/var/log/pool",
  "/tmp",
  "/home",
  "/var/lib/stratus/../../etc",
  "/var/lib/stratus/./p",
  "/var/lib//stratus",
  "/var/lib/stratus/",
  "/var/lib/stratus/..",
];
const badSim = ["sim://../../etc", "sim://a/../b", "sim://", "sim:///etc"];
const badNfs = ["nfs://server/", "nfs://server/etc", "nfs://server/export/../etc", "nfs://-oProxy/x"];

let close: () => Promise<void>;
let db: Db;
let admin: Caller;
let zoneId: string;
let storeId: string;
let simPoolId: string;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-storage-paths-"));

beforeAll(async () => {
  const h = await openTestDb();
  close = h.close;
  db = h.db;
  admin = (await seedTenancy(db)).callers.admin;
  zoneId = (await api(db, admin).zone.list({ search: "Zone 1" })).items[0]!.id;
  fs.mkdirSync(path.join(tmp, "store/templates"), { recursive: true });
  fs.writeFileSync(path.join(tmp, "secret"), "not an image");
  fs.symlinkSync(path.join(tmp, "secret"), path.join(tmp, "store/templates/link.qcow2"));
  fs.symlinkSync("/etc", path.join(tmp, "store/etc"));
  storeId = (await api(db, admin).secondaryStore.create({ zoneId, name: "real", path: path.join(tmp, "store"), capacityGib: 1 })).id;
  simPoolId = (await api(db, admin).storagePool.create({ zoneId, name: "sim", type: "simulator", path: "sim://pool-a", capacityGib: 1 }))
    .id;
});
afterAll(async () => {
  await close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("storage paths", () => {
  it.each(badDirs)("refuses %s for every kind of storage, in the schema and in the services", async (p) => {
    for (const kind of ["local_dir", "simulator", "secondary"] as const) expect(storagePathProblem(kind, p)).toMatch(/^Path /);
    for (const type of ["local_dir", "simulator"] as const) {
      const r = createStoragePoolInput.safeParse({ zoneId, name: "p", type, path: p, capacityGib: 1 });
      expect(r.success).toBe(false);
      expect(r.error!.issues[0]!.path).toEqual(["path"]);
      await expect(createStoragePool(db, admin, { zoneId, name: "p", type, path: p, capacityGib: 1, tags: [] })).rejects.toMatchObject({
        code: "BAD_REQUEST",
        field: "path",
      });
    }
    await expect(updateStoragePool(db, admin, { id: simPoolId, path: p })).rejects.toMatchObject({ code: "BAD_REQUEST", field: "path" });
    expect(createSecondaryStoreInput.safeParse({ zoneId, name: "s", path: p, capacityGib: 1 }).success).toBe(false);
    expect(updateSecondaryStoreInput.safeParse({ id: storeId, path: p }).success).toBe(false);
    await expect(createSecondaryStore(db, admin, { zoneId, name: "s", path: p, capacityGib: 1 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "path",
    });
    await expect(updateSecondaryStore(db, admin, { id: storeId, path: p })).rejects.toMatchObject({ code: "BAD_REQUEST", field: "path" });
  });

  it.each([...badSim, ...badNfs])("refuses the location %s", async (p) => {
    expect(storagePathProblem("simulator", p) ?? storagePathProblem("secondary", p)).not.toBeNull();
    expect(storagePathProblem("secondary", p)).not.toBeNull();
    await expect(createSecondaryStore(db, admin, { zoneId, name: "s", path: p, capacityGib: 1 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "path",
    });
  });

  it("says which field and why through the router", async () => {
    const e = await api(db, admin)
      .storagePool.create({ zoneId, name: "p", type: "simulator", path: "../../etc", capacityGib: 1 })
      .catch((err: Error) => err);
    expect((e as Error).message).toBe(
      "path: Path of a simulator pool must be an absolute path (e.g. /var/lib/stratus/pool1 or sim://name)",
    );
    const e2 = await api(db, admin)
      .secondaryStore.create({ zoneId, name: "s", path: "/etc", capacityGib: 1 })
      .catch((err: Error) => err);
    expect((e2 as Error).message).toBe(
      "path: Path of a secondary store cannot be in the system directory /etc (e.g. /var/lib/stratus/pool1 or sim://name)",
    );
  });

  it("accepts ordinary storage locations", () => {
    for (const p of ["/var/lib/stratus/pool1", "/srv/stratus", "/mnt/nfs/primary", "/tmp/stratus-e2e/primary", "/data"]) {
      expect(storagePathProblem("local_dir", p)).toBeNull();
      expect(storagePathProblem("secondary", p)).toBeNull();
    }
    for (const p of ["sim://primary-1", "sim://templates/debian-12"]) expect(storagePathProblem("simulator", p)).toBeNull();
    expect(storagePathProblem("secondary", "nfs://10.0.0.2/export")).toBeNull();
    expect(storagePathProblem("local_dir", "sim://x")).not.toBeNull();
  });
});

describe("template registration stays inside its store", () => {
  const register = (p: string) =>
    registerTemplate(db, admin, {
      name: "t",
      osType: "Linux",
      hypervisorType: "kvm",
      format: "qcow2",
      secondaryStoreId: storeId,
      path: p,
      isPublic: true,
    });

  it.each(["../secret", "/etc/passwd", `${tmp}/secret`, "templates/link.qcow2", "etc/passwd", "etc/shadow"])("refuses %s", async (p) => {
    await expect(register(p)).rejects.toMatchObject({ code: "BAD_REQUEST", field: "path" });
  });

  it("names the store, not the target, when a symlink leads out", async () => {
    await expect(register("templates/link.qcow2")).rejects.toThrow(
      `The image must lie inside the secondary store (${path.join(tmp, "store")})`,
    );
    await expect(register("etc/passwd")).rejects.toThrow("The image must lie inside the secondary store");
  });
});
