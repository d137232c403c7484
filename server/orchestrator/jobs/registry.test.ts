import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import type { DbOrTx } from "@/db";
import { instances, jobs } from "@/db/schema";
import { testDbKind } from "@/test/db";
import { api } from "@/test/fixtures";
import { deployChoicesByName, waitForJob } from "@/test/orchestrator";
import { simulatorCloud } from "@/test/simulator-cloud";
import { transitionVm } from "@/server/core/vm-transition";
import { enqueueJob } from "./queue";
import { defineJob, registerJobs, registeredJobTypes } from "./registry";

const cloud = simulatorCloud();

/** A job of the test's own: its schema fills a default, so the parsed input differs from the stored one. */
const echoInput = z.object({ n: z.number().int(), label: z.string().default("filled by the schema") });
declare global {
  interface StratusJobInputs {
    "test.echo": typeof echoInput;
  }
}
const seen: { run: unknown[]; onFailure: unknown[] } = { run: [], onFailure: [] };
registerJobs([
  defineJob({
    type: "test.echo",
    input: echoInput,
    run(ctx) {
      seen.run.push(ctx.input);
      return Promise.reject(new Error("permanent"));
    },
    onFailure(_tx, _job, _err, input) {
      seen.onFailure.push(input);
      return Promise.resolve();
    },
  }),
]);

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

  it("the worker parses the input once and hands it to run and to onFailure (null when it did not fit)", async () => {
    const target = { resourceType: "test", accountId: null };
    const good = await enqueueJob(cloud.h.db, { ...target, resourceId: randomUUID(), type: "test.echo", input: { n: 7 } });
    expect((await waitForJob(cloud.h.db, good.id)).status).toBe("failed");
    const parsed = { n: 7, label: "filled by the schema" };
    expect(seen).toEqual({ run: [parsed], onFailure: [parsed] });
    const [bad] = await cloud.h.db
      .insert(jobs)
      .values({ type: "test.echo", resourceType: "test", resourceId: randomUUID(), input: { n: "seven" } })
      .returning();
    const failed = await waitForJob(cloud.h.db, bad!.id);
    expect(failed.error).toMatch(/^Job test\.echo has an invalid input \(n: /);
    expect(seen).toEqual({ run: [parsed], onFailure: [parsed, null] });
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
