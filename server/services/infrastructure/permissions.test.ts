import { TRPCError } from "@trpc/server";
import { count } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@/db";
import { events } from "@/db/schema";
import { infrastructureRouters } from "@/server/api/routers/infrastructure";
import { listZones } from "@/server/services/infrastructure/zones";
import { openTestDb } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";

/** Only the root admin holds infra.read / infra.manage: everyone else is FORBIDDEN everywhere. */
let close: () => Promise<void>;
let db: Db;
let callers: Awaited<ReturnType<typeof seedTenancy>>["callers"];
let ids: { zoneId: string; podId: string; clusterId: string; hostId: string; poolId: string; storeId: string };

beforeAll(async () => {
  const h = await openTestDb();
  close = h.close;
  db = h.db;
  callers = (await seedTenancy(db)).callers;
  const admin = api(db, callers.admin);
  const host = (await admin.host.list({})).items[0]!;
  ids = {
    zoneId: host.zoneId,
    podId: host.podId,
    clusterId: host.clusterId,
    hostId: host.id,
    poolId: (await admin.storagePool.list({})).items[0]!.id,
    storeId: (await admin.secondaryStore.list({})).items[0]!.id,
  };
});
afterAll(() => close());

/** Every procedure of the infrastructure routers, as [router, procedure]. */
const procedures = Object.entries(infrastructureRouters).flatMap(([r, router]) =>
  Object.keys(router._def.procedures).map((p) => [r, p] as const),
);

/** A valid input for each procedure, so a FORBIDDEN cannot be a validation error in disguise. */
function inputFor(router: string, proc: string): unknown {
  const idOf: Record<string, string> = {
    zone: ids.zoneId,
    pod: ids.podId,
    cluster: ids.clusterId,
    host: ids.hostId,
    storagePool: ids.poolId,
    secondaryStore: ids.storeId,
  };
  const id = idOf[router]!;
  if (proc === "list") return {};
  if (proc === "capacity") return { zoneId: ids.zoneId };
  if (proc === "get" || proc === "delete" || proc === "measure") return { id };
  if (proc === "setState") return { id, state: "disabled" };
  if (proc === "update") return { id, name: "hijacked" };
  if (proc === "create") {
    const creates: Record<string, unknown> = {
      zone: { name: "Evil zone" },
      pod: { zoneId: ids.zoneId, name: "Evil pod" },
      cluster: { podId: ids.podId, name: "Evil", hypervisorType: "simulator" },
      host: {
        clusterId: ids.clusterId,
        hypervisorType: "simulator",
        name: "evil",
        address: "sim://evil",
        cpuCores: 1,
        cpuMhz: 1,
        memoryMib: 1,
      },
      storagePool: { zoneId: ids.zoneId, name: "evil", type: "simulator", path: "sim://evil", capacityGib: 1 },
      secondaryStore: { zoneId: ids.zoneId, name: "evil", path: "sim://evil", capacityGib: 1 },
    };
    return creates[router];
  }
  throw new Error(`no input for ${router}.${proc}`);
}

type AnyProcedures = Record<string, Record<string, (input: unknown) => Promise<unknown>>>;

describe("infrastructure permissions", () => {
  it("covers every procedure", () => {
    expect(procedures.length).toBeGreaterThanOrEqual(36);
    expect(procedures).toContainEqual(["host", "setState"]);
    expect(procedures).toContainEqual(["zone", "capacity"]);
  });

  for (const who of ["reseller", "tenant", "reseller2", "globex"] as const) {
    it(`${who} gets FORBIDDEN from every infrastructure procedure and changes nothing`, async () => {
      const [before] = await db.select({ n: count() }).from(events);
      const client = api(db, callers[who]) as unknown as AnyProcedures;
      for (const [router, proc] of procedures) {
        const call = client[router]![proc]!;
        const err = await call(inputFor(router, proc)).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, `${router}.${proc}`).toBeInstanceOf(TRPCError);
        expect((err as TRPCError).code, `${router}.${proc}`).toBe("FORBIDDEN");
      }
      const [after] = await db.select({ n: count() }).from(events);
      expect(after!.n).toBe(before!.n);
    });
  }

  it("the services refuse non-admins too (defence in depth)", async () => {
    await expect(listZones(db, callers.reseller, {})).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("a signed-out caller is UNAUTHORIZED", async () => {
    const client = api(db, null);
    await expect(client.zone.list({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("the root admin can call every read procedure", async () => {
    const client = api(db, callers.admin) as unknown as AnyProcedures;
    for (const [router, proc] of procedures.filter(([, p]) => p === "list" || p === "get" || p === "capacity")) {
      await expect(client[router]![proc]!(inputFor(router, proc)), `${router}.${proc}`).resolves.toBeTruthy();
    }
  });
});
