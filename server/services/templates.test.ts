import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@/db";
import type { Caller } from "@/server/authz/caller";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";

/**
 * Registering a KVM template reads the image with qemu-img (server/orchestrator/drivers/images.ts):
 * its virtual size becomes the default root disk size, and a file that is not an image of the
 * format, or one with a backing file, is refused naming the field. Real images, made by qemu-img.
 */
let close: () => Promise<void>;
let db: Db;
let admin: Caller;
let storeId: string;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-templates-"));
const qemuImg = (...args: string[]) => execFileSync("qemu-img", args, { stdio: "pipe" });

beforeAll(async () => {
  const h = await openTestDb();
  close = h.close;
  db = h.db;
  admin = (await seedTenancy(db)).callers.admin;
  const zoneId = (await api(db, admin).zone.list({ search: "Zone 1" })).items[0]!.id;
  const store = path.join(tmp, "store");
  fs.mkdirSync(store);
  qemuImg("create", "-q", "-f", "qcow2", path.join(store, "three-gib.qcow2"), "3G");
  qemuImg("create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", path.join(store, "three-gib.qcow2"), path.join(store, "overlay.qcow2"));
  fs.writeFileSync(path.join(store, "notes.qcow2"), "not an image\n");
  storeId = (await api(db, admin).secondaryStore.create({ zoneId, name: "images", path: store, capacityGib: 10 })).id;
});
afterAll(async () => {
  await close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const register = (name: string, file: string, sizeGib?: number) =>
  api(db, admin).template.register({
    name,
    osType: "linux",
    hypervisorType: "kvm",
    format: "qcow2",
    secondaryStoreId: storeId,
    path: file,
    sizeGib,
  });

describe(`template images (${testDbKind()})`, () => {
  it("takes the root disk size from the image's virtual size", async () => {
    expect((await register("three", "three-gib.qcow2")).sizeGib).toBe(3);
  });

  it("refuses a size below the image's", async () => {
    await expect(register("too-small", "three-gib.qcow2", 2)).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "Size must be at least the image's 3 GiB",
    });
  });

  it("refuses an image with a backing file, and a file that is no qcow2 image", async () => {
    await expect(register("overlay", "overlay.qcow2")).rejects.toMatchObject({ code: "BAD_REQUEST", message: /has a backing file/ });
    await expect(register("notes", "notes.qcow2")).rejects.toMatchObject({ code: "BAD_REQUEST", message: /is not a qcow2 image/ });
    const names = (await api(db, admin).template.list({})).map((t) => t.name);
    expect(names).not.toContain("overlay");
    expect(names).not.toContain("notes");
  });
});
