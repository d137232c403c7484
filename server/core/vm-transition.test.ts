import { and, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { instances, jobs } from "@/db/schema";
import { IllegalTransitionError } from "@/lib/vm-state";
import { testDbKind } from "@/test/db";
import { api } from "@/test/fixtures";
import { deployChoicesByName, waitForJob } from "@/test/orchestrator";
import { simulatorCloud } from "@/test/simulator-cloud";
import { transitionVm } from "./vm-transition";

const cloud = simulatorCloud();

const stateOf = async (id: string) =>
  (await cloud.h.db.select({ state: instances.state }).from(instances).where(eq(instances.id, id)))[0]!.state;
const activeJobs = (id: string) =>
  cloud.h.db
    .select()
    .from(jobs)
    .where(and(eq(jobs.resourceId, id), inArray(jobs.status, ["queued", "running"])));

/** A running VM of the tenant, no job in flight. */
async function runningVm(name: string) {
  const [vm] = await api(cloud.h.db, cloud.t.callers.tenant).instance.deploy({ ...(await deployChoicesByName(cloud.h.db)), name });
  expect((await waitForJob(cloud.h.db, vm!.jobId)).status).toBe("succeeded");
  return vm!.id;
}

describe(`transitionVm, the one guarded VM state change (${testDbKind()})`, () => {
  it("refuses a move the state table does not allow, and changes nothing", async () => {
    const id = await runningVm("tr-illegal");
    await expect(cloud.h.db.transaction((tx) => transitionVm(tx, id, { from: "running", to: "expunged" }))).rejects.toBeInstanceOf(
      IllegalTransitionError,
    );
    expect(await stateOf(id)).toBe("running");
  });

  it("matches nothing once the VM has left the state it was read in", async () => {
    const id = await runningVm("tr-moved");
    expect(await transitionVm(cloud.h.db, id, { from: "running", to: "stopping" })).toMatchObject({ state: "stopping" });
    expect(await transitionVm(cloud.h.db, id, { from: "running", to: "stopping" })).toBeNull();
    expect(await transitionVm(cloud.h.db, id, { from: ["running", "stopped"], to: "error" })).toBeNull();
    expect(await stateOf(id)).toBe("stopping");
    await transitionVm(cloud.h.db, id, { from: "stopping", to: "running" });
  });

  it("of two concurrent moves from one state (start and destroy of a stopped VM), exactly one wins", async () => {
    const id = await runningVm("tr-race");
    await waitForJob(cloud.h.db, (await api(cloud.h.db, cloud.t.callers.tenant).instance.stop({ id })).jobId);
    expect(await stateOf(id)).toBe("stopped");
    // Each holds its transaction open after the update, so on PostgreSQL the other waits on the row
    // lock and then re-checks `state = ANY(from)` against the committed row (PGlite runs them in turn).
    const attempt = (to: "starting" | "destroyed") =>
      cloud.h.db.transaction(async (tx) => {
        const row = await transitionVm(tx, id, { from: "stopped", to });
        await new Promise((r) => setTimeout(r, 100));
        return row;
      });
    const results = await Promise.all([attempt("starting"), attempt("destroyed")]);
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    expect(await stateOf(id)).toBe(winners[0]!.state);
  });

  it("a stop and a destroy requested at once: one is accepted, the other is a conflict, one job runs", async () => {
    const id = await runningVm("tr-api");
    const tenant = api(cloud.h.db, cloud.t.callers.tenant);
    const results = await Promise.allSettled([tenant.instance.stop({ id }), tenant.instance.destroy({ id })]);
    const accepted = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toMatchObject({ code: "CONFLICT" });
    expect(await activeJobs(id)).toHaveLength(1);
    const job = await waitForJob(cloud.h.db, accepted[0]!.value.jobId);
    expect(job.status).toBe("succeeded");
    expect(await stateOf(id)).toBe(job.type === "vm.stop" ? "stopped" : "destroyed");
  });
});
