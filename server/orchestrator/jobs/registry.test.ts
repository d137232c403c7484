import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle, DbOrTx } from "@/db";
import { instances, jobs } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, testWorkers, waitForJob } from "@/test/orchestrator";
import { transitionVm } from "@/server/core/vm-transition";
import { enqueueJob } from "./queue";
import { registeredJobTypes } from "./registry";

let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
});
afterAll(async () => {
  await workers.stop();
  await h.close();
});

describe(`typed jobs (${testDbKind()})`, () => {
  it("registers the orchestrator's and the services' job types", () => {
    expect(registeredJobTypes()).toEqual(expect.arrayContaining(["vm.deploy", "vm.stop", "vm.expunge", "account.cleanup"]));
  });

  it("a job whose stored input does not fit its schema fails with the field named, and its VM is put back", async () => {
    const [deployed] = await api(h.db, t.callers.tenant).instance.deploy({ ...(await deployChoicesByName(h.db)), name: "bad-input" });
    expect((await waitForJob(h.db, deployed!.jobId)).status).toBe("succeeded");
    // As a stop request leaves it, but with a stored input no enqueueJob call could have written.
    const [job] = await h.db.transaction(async (tx) => {
      await transitionVm(tx, deployed!.id, { from: "running", to: "stopping" });
      return tx
        .insert(jobs)
        .values({ type: "vm.stop", resourceType: "instance", resourceId: deployed!.id, input: { force: "yes" }, maxAttempts: 3 })
        .returning();
    });
    const done = await waitForJob(h.db, job!.id);
    expect(done.status).toBe("failed");
    expect(done.attempts).toBe(1);
    expect(done.error).toMatch(/^Job vm\.stop has an invalid input \(force: .*boolean/);
    // onFailure ran: the stop did not happen, so the VM is Running again, not stuck in Stopping.
    const [vm] = await h.db.select().from(instances).where(eq(instances.id, deployed!.id));
    expect(vm!.state).toBe("running");
  });

  it("enqueueJob accepts only declared types, each with its own input (checked by tsc, not run)", () => {
    const target = { resourceType: "instance", resourceId: randomUUID() };
    const typeChecked = (tx: DbOrTx) => [
      enqueueJob(tx, { ...target, type: "vm.stop", input: { force: true } }),
      enqueueJob(tx, { ...target, type: "vm.start" }),
      // @ts-expect-error an unknown job type
      enqueueJob(tx, { ...target, type: "vm.teleport" }),
      // @ts-expect-error vm.stop's force is a boolean
      enqueueJob(tx, { ...target, type: "vm.stop", input: { force: "yes" } }),
      // @ts-expect-error vm.destroy needs the state it was asked in
      enqueueJob(tx, { ...target, type: "vm.destroy" }),
    ];
    expect(typeChecked).toBeTypeOf("function");
  });
});
