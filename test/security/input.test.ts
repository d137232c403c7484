import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { openTestDb } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, injectFault, clearFaults, testWorkers, waitForJob } from "@/test/orchestrator";

/**
 * Input the API must refuse, naming the field: sort keys outside a list's own keys (a "__proto__"
 * lookup gave a 500), names with control, format or separator characters; and what tenants must
 * not be shown (template paths, the hosts their VMs run on).
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h, "input-worker");
});
afterAll(async () => {
  await workers.stop();
  await h.close();
});

async function refusal(call: () => Promise<unknown>): Promise<TRPCError> {
  const e = await call().then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, "the call should have been refused").toBeInstanceOf(TRPCError);
  return e as TRPCError;
}

describe("sort keys", () => {
  const lists = () => {
    const admin = api(h.db, t.callers.admin);
    return {
      "instance.list": (sort: string) => admin.instance.list({ sort }),
      "event.list": (sort: string) => admin.event.list({ sort }),
      "computeOffering.list": (sort: string) => admin.computeOffering.list({ sort }),
      "diskOffering.list": (sort: string) => admin.diskOffering.list({ sort }),
      "zone.list": (sort: string) => admin.zone.list({ sort }),
      "pod.list": (sort: string) => admin.pod.list({ sort }),
      "cluster.list": (sort: string) => admin.cluster.list({ sort }),
      "host.list": (sort: string) => admin.host.list({ sort }),
      "storagePool.list": (sort: string) => admin.storagePool.list({ sort }),
      "secondaryStore.list": (sort: string) => admin.secondaryStore.list({ sort }),
      "account.list": (sort: string) => admin.account.list({ sort }),
      "user.list": (sort: string) => admin.user.list({ sort }),
    };
  };

  it.each(["__proto__", "constructor", "toString", "hasOwnProperty", "name; drop table zones", "", "nope"])(
    "refuses sort %j on every list with BAD_REQUEST naming sort",
    async (sort) => {
      for (const [path, list] of Object.entries(lists())) {
        const e = await refusal(() => list(sort));
        expect(e.code, path).toBe("BAD_REQUEST");
        expect(e.message, path).toMatch(/^sort: Sort must be one of: /);
      }
    },
  );

  it("accepts each list's own keys", async () => {
    const admin = api(h.db, t.callers.admin);
    await admin.instance.list({ sort: "hostName", dir: "asc" });
    await admin.event.list({ sort: "createdAt", dir: "desc" });
    await admin.computeOffering.list({ sort: "memoryMib" });
    await admin.diskOffering.list({ sort: "scope" });
    await admin.host.list({ sort: "memoryTotalMib" });
    await admin.storagePool.list({ sort: "usedGib" });
    await admin.account.list({ sort: "domainName" });
    await admin.user.list({ sort: "lastLoginAt" });
  });
});

describe("names", () => {
  const bad = {
    NUL: "a\u0000b",
    "a tab": "a\tb",
    "DEL (U+007F)": "a\u007fb",
    "a C1 control (U+0085)": "a\u0085b",
    "a C1 control (U+009B)": "a\u009bb",
    "a zero-width space (U+200B)": "a\u200bb",
    "a zero-width joiner (U+200D)": "a\u200db",
    "a right-to-left override (U+202E)": "evil\u202etxt.exe",
    "a bidi isolate (U+2066)": "a\u2066b",
    "a byte-order mark inside (U+FEFF)": "a\ufeffb",
    "a soft hyphen (U+00AD)": "a\u00adb",
    "a line separator (U+2028)": "a\u2028b",
    "a paragraph separator (U+2029)": "a\u2029b",
    "only zero-width characters": "\u200b\u200c",
  };

  it.each(Object.entries(bad))("refuses a name with %s, naming the field", async (_what, name) => {
    const admin = api(h.db, t.callers.admin);
    const zone = await refusal(() => admin.zone.create({ name }));
    expect(zone.code).toBe("BAD_REQUEST");
    expect(zone.message).toMatch(/^name: Name cannot contain control, invisible formatting or line-separator characters/);
    const domain = await refusal(() => admin.domain.create({ parentId: t.domains.root.id, name }));
    expect(domain.message).toMatch(/^name: /);
    const offering = await refusal(() =>
      admin.computeOffering.create({ name: "ok", displayText: name, cpuCores: 1, cpuMhz: 1000, memoryMib: 512, domainId: null }),
    );
    expect(offering.message).toMatch(/^displayText: Description cannot contain/);
    const user = await refusal(() =>
      admin.user.create({ accountId: t.tenantAccount.id, username: "someone", password: "long-enough-pw", firstName: name }),
    );
    expect(user.message).toMatch(/^firstName: First name cannot contain/);
  });

  it.each(["", "   ", "\u00a0\u3000", "\t\n"])("refuses a name empty after trimming (%j), naming the field", async (name) => {
    const e = await refusal(() => api(h.db, t.callers.admin).zone.create({ name }));
    expect(e.message).toMatch(/^name: Name (is required|cannot contain)/);
  });

  it("keeps ordinary international names", async () => {
    const z = await api(h.db, t.callers.admin).zone.create({ name: "  Zürich – 東京 Ω  " });
    expect(z.name).toBe("Zürich – 東京 Ω");
  });
});

describe("what tenants are not shown", () => {
  it("deploy choices carry no template paths or stores", async () => {
    for (const who of ["tenant", "reseller", "admin"] as const) {
      const choices = await api(h.db, t.callers[who]).instance.deployChoices();
      expect(choices.templates.length).toBeGreaterThan(0);
      for (const tpl of choices.templates) {
        expect(tpl).not.toHaveProperty("path");
        expect(tpl).not.toHaveProperty("secondaryStoreId");
        expect(JSON.stringify(tpl)).not.toContain("sim://");
      }
    }
  });

  it("events name the host for the root admin only; the job's messages likewise", async () => {
    const [d] = await api(h.db, t.callers.tenant).instance.deploy({ ...(await deployChoicesByName(h.db)), name: "where" });
    await waitForJob(h.db, d!.jobId);
    const vm = await api(h.db, t.callers.admin).instance.get({ id: d!.id });
    const host = vm.hostName!;
    expect(host).toMatch(/^sim-host-/);

    const adminEvents = (await api(h.db, t.callers.admin).event.list({ resourceId: vm.id })).items;
    expect(adminEvents.find((e) => e.type === "VM.RUNNING")!.description).toBe(`where is running on ${host}`);
    for (const who of ["tenant", "reseller"] as const) {
      const list = (await api(h.db, t.callers[who]).event.list({ resourceId: vm.id })).items;
      expect(list.find((e) => e.type === "VM.RUNNING")!.description, who).toBe("where is running");
      expect(JSON.stringify(list), who).not.toContain(host);
      // Searching for the host's name finds nothing either.
      expect((await api(h.db, t.callers[who]).event.list({ search: host })).total, who).toBe(0);
      const detail = await api(h.db, t.callers[who]).instance.get({ id: vm.id });
      expect(JSON.stringify(detail), who).not.toContain(host);
      const job = await api(h.db, t.callers[who]).job.get({ id: d!.jobId });
      expect(JSON.stringify(job), who).not.toContain(host);
    }
    expect((await api(h.db, t.callers.admin).event.list({ search: host })).total).toBeGreaterThan(0);
  });

  it("a driver error naming the host is shown without it", async () => {
    await injectFault(h.db, { operation: "start", message: "no bootable disk" });
    try {
      const [d] = await api(h.db, t.callers.tenant).instance.deploy({ ...(await deployChoicesByName(h.db)), name: "broken" });
      await waitForJob(h.db, d!.jobId);
      const adminList = (await api(h.db, t.callers.admin).event.list({ resourceId: d!.id, type: "VM.START.FAILED" })).items;
      const host = /simulated start failure on (sim-host-\d+)/.exec(adminList[0]!.description)?.[1];
      expect(host).toBeDefined();
      const tenantList = (await api(h.db, t.callers.tenant).event.list({ resourceId: d!.id, type: "VM.START.FAILED" })).items;
      expect(tenantList[0]!.description).not.toContain(host!);
      expect(tenantList[0]!.description).toContain("simulated start failure");
    } finally {
      await clearFaults(h.db);
    }
  });
});
