import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { DbOrTx } from "@/db";
import { instances, jobs } from "@/db/schema";
import { testDbKind } from "@/test/db";
import { api } from "@/test/fixtures";
import { deployChoicesByName, waitForJob } from "@/test/orchestrator";
import { simulatorCloud } from "@/test/simulator-cloud";
import { transitionVm } from "@/server/core/vm-transition";
import { enqueueJob } from "./queue";
import { registeredJobTypes } from "./registry";

const cloud = simulatorCloud();

describe(`typed jobs (${testDbKind()})`, () => {
  it("registers the orchestrator's and the services' job types", () => {
    expect(registeredJobTypes()).toEqual(expect.arrayContaining(["vm.deploy", "vm.stop", "vm.expunge", "account.cleanup"]));
  });

  it("a job whose stored input does not fit its schema fails with the field named, and its VM is put back", async () => {
    const [deployed] = await api(cloud.h.db, cloud.t.callers.tenant).instance.deploy({
      ...(await deployChoicesByName(cloud.h.db)),
      name: "bad-input",
    });
    expect((await waitForJob(cloud.h.db, deployed!.jobId)).status).toBe("succeeded");
    // As a stop request leaves it, but with a stored input no enqueueJob call could have written.
    const [job] = await cloud.h.db.transaction(async (tx) => {
      await transitionVm(tx, deployed!.id, { from: "running", to: "stopping" });
      return tx
        .insert(jobs)
        .values({ type: "vm.stop", resourceType: "instance", resourceId: deployed!.id, input: { force: "yes" }, maxAttempts: 3 })
        .returning();
    });
    const done = await waitForJob(cloud.h.db, job!.id);
    expect(done.status).toBe("failed");
    expect(done.attempts).toBe(1);
    expect(done.error).toMatch(/^Job vm\.stop has an invalid input \(force: .*boolean/);
    // onFailure ran: the stop did not happen, so the VM is Running again, not stuck in Stopping.
    const [vm] = await cloud.h.db.select().from(instances).where(eq(instances.id, deployed!.id));
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
