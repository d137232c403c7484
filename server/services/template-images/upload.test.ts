import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { templates, zones } from "@/db/schema";
import { handleUploadRequest } from "@/server/api/uploads";
import { openTestDb } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { signInAs } from "@/test/sessions";
import { sweepAbandonedUploads } from "./upload";

/**
 * Browser uploads through the real route handler (/api/uploads/<id>) with a real session cookie:
 * chunks at the offset the server holds, a cut chunk resumed from where the server's file ends,
 * the image checked at the last byte, other tenants answered 404, abandoned uploads swept.
 */
const SECRET = "upload-test-secret-0123456789abcdef";
let h: DbHandle & { url?: string };
let t: Awaited<ReturnType<typeof seedTenancy>>;
let cookie: string;
let otherCookie: string;
let zoneId: string;
let image: Buffer;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-upload-"));
const saved = { ...process.env };
const ORIGIN = "http://portal.test";

beforeAll(async () => {
  process.env.NEXTAUTH_SECRET = SECRET;
  process.env.DATA_DIR = dataDir;
  process.env.STRATUS_TEMPLATE_MAX_MIB = "8";
  const file = path.join(dataDir, "tiny.qcow2");
  execFileSync("qemu-img", ["create", "-f", "qcow2", file, "32M"], { stdio: "ignore" });
  image = fs.readFileSync(file);
  h = await openTestDb();
  t = await seedTenancy(h.db);
  [{ id: zoneId }] = (await h.db.select({ id: zones.id }).from(zones).where(eq(zones.name, "Zone 1"))) as [{ id: string }];
  cookie = (await signInAs(h.db, t.callers.tenant, SECRET)).cookie;
  otherCookie = (await signInAs(h.db, t.callers.tenant2, SECRET)).cookie;
}, 60_000);
afterAll(async () => {
  await h?.close();
  process.env = saved;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function start(name: string, sizeBytes: number, extra: { checksum?: string; format?: "qcow2" | "raw" | "iso" } = {}) {
  const { template } = await api(h.db, t.callers.tenant).template.startUpload({
    name,
    osType: "Other Linux (64-bit)",
    zoneId,
    format: extra.format ?? "qcow2",
    sizeBytes,
    checksum: extra.checksum,
  });
  return template.id;
}

function put(id: string, offset: number | string, chunk: Buffer | ReadableStream<Uint8Array>, c = cookie, origin = ORIGIN) {
  const body = chunk instanceof Buffer ? new Uint8Array(chunk) : chunk;
  return handleUploadRequest(
    new Request(`${ORIGIN}/api/uploads/${id}?offset=${offset}`, {
      method: "PUT",
      headers: { cookie: c, origin, host: "portal.test", "content-type": "application/octet-stream" },
      body,
      duplex: "half",
    } as RequestInit),
    id,
    h.db,
  );
}
const get = (id: string, c = cookie) =>
  handleUploadRequest(new Request(`${ORIGIN}/api/uploads/${id}`, { headers: { cookie: c } }), id, h.db);
const json = async (r: Response) => (await r.json()) as { status?: string; received?: number; error?: string; offset?: number };
const row = async (id: string) => (await h.db.select().from(templates).where(eq(templates.id, id)))[0]!;

describe("uploads from the browser", () => {
  it("takes chunks at the server's offset, resumes after a cut chunk, and stores the image", async () => {
    const sha = createHash("sha256").update(image).digest("hex");
    const id = await start("uploaded", image.length, { checksum: sha });
    const third = Math.floor(image.length / 3);
    let r = await put(id, 0, image.subarray(0, third));
    expect(r.status).toBe(200);
    expect(await json(r)).toMatchObject({ status: "uploading", received: third });
    expect((await row(id)).progress).toBeGreaterThan(0);

    // A chunk cut midway: the browser's stream breaks after some bytes.
    const cutAt = third + 1000;
    const broken = new ReadableStream<Uint8Array>({
      start(ctl) {
        ctl.enqueue(new Uint8Array(image.subarray(third, cutAt)));
        ctl.error(new Error("network cut"));
      },
    });
    await put(id, third, broken);
    // The server says where it holds up to; a chunk at any other offset is refused with that offset.
    const status = await json(await get(id));
    expect(status.status).toBe("uploading");
    const held = status.received!;
    expect(held).toBeGreaterThanOrEqual(third);
    expect(held).toBeLessThanOrEqual(cutAt);
    r = await put(id, 0, image.subarray(0, 10));
    expect(r.status).toBe(409);
    expect(await json(r)).toMatchObject({ offset: held });

    r = await put(id, held, image.subarray(held));
    expect(await json(r)).toMatchObject({ status: "ready" });
    const done = await row(id);
    expect(done.status).toBe("ready");
    expect(done.format).toBe("qcow2");
    expect(fs.readFileSync(done.path).equals(image)).toBe(true);
  });

  it("answers another tenant 404, a cross-site PUT 403 and a signed-out caller 401", async () => {
    const id = await start("private-upload", image.length);
    expect((await put(id, 0, image.subarray(0, 10), otherCookie)).status).toBe(404);
    expect((await get(id, otherCookie)).status).toBe(404);
    expect((await put(id, 0, image.subarray(0, 10), cookie, "https://evil.example")).status).toBe(403);
    expect((await put(id, 0, image.subarray(0, 10), "")).status).toBe(401);
    expect((await json(await get(id))).received).toBe(0); // nothing was written
  });

  it("refuses more bytes than announced, a file over the cap, and a non-qcow2 at its first chunk", async () => {
    const id = await start("too-long", 100);
    const r = await put(id, 0, image.subarray(0, 200));
    expect(r.status).toBe(400);
    expect((await json(r)).error).toMatch(/larger than the 100 bytes announced/);
    expect((await json(await get(id))).received).toBe(0);

    await expect(start("over-cap", 9 * 1024 * 1024)).rejects.toThrow(/The file is larger than the 8 MiB allowed/);

    const bad = await start("not-qcow2", 4096);
    const res = await json(await put(bad, 0, Buffer.from("<html>" + " ".repeat(4090))));
    expect(res).toMatchObject({ status: "error", error: "The file is not a qcow2 image" });
    expect((await row(bad)).status).toBe("error");
  });

  it("a checksum mismatch at the last byte: Error with the reason, no file", async () => {
    const id = await start("bad-sum", image.length, { checksum: "md5:" + "0".repeat(32) });
    const res = await json(await put(id, 0, image));
    expect(res.status).toBe("error");
    expect(res.error).toMatch(/Checksum mismatch: the md5/);
    const dir = path.join(dataDir, "secondary", "secondary-1", "templates");
    expect(fs.readdirSync(dir).filter((f) => f.includes(id))).toEqual([]);
  });

  it("an abandoned upload is given up by the sweep, its file removed", async () => {
    const id = await start("abandoned", image.length);
    await put(id, 0, image.subarray(0, 4096));
    const dir = path.join(dataDir, "secondary", "secondary-1", "templates");
    expect(fs.readdirSync(dir).filter((f) => f.includes(id))).toHaveLength(1);
    await sweepAbandonedUploads(h.db); // not stale yet
    expect((await row(id)).status).toBe("uploading");
    process.env.STRATUS_UPLOAD_ABANDON_MINUTES = "0.01";
    await new Promise((r) => setTimeout(r, 1200));
    await sweepAbandonedUploads(h.db);
    const gone = await row(id);
    expect(gone.status).toBe("error");
    expect(gone.errorMessage).toMatch(/upload stopped for more than 0.01 minutes/);
    expect(fs.readdirSync(dir).filter((f) => f.includes(id))).toEqual([]);
  });
});
