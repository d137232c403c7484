import { eq } from "drizzle-orm";
import { z } from "zod";
import { networks } from "@/db/schema";
import { applyPlacement, destroyPlacement, placementKey, placementOf } from "@/server/orchestrator/network/realise";
import { networkEvent } from "@/server/core/events";
import { removeNetworkRow } from "./operations";
import { defineJob, type JobDefinition } from "@/server/orchestrator/jobs/registry";

const noInput = z.object({});

declare global {
  interface StratusJobInputs {
    "network.restart": typeof noInput;
    "network.delete": typeof noInput;
  }
}

/** A change committed while the restart applied: apply again before finishing. */
class Unsettled extends Error {}

/**
 * Restart: the whole spec applied again on the router and every member host (repairs any drift).
 * A change to the network (an address, a rule) locks its row while it decides that a busy restart
 * will apply it, so the finish takes that lock too and compares the placement it applied with the
 * one committed now: if they differ it applies again, so no change is left for the reconciler.
 */
const restart = defineJob({
  type: "network.restart",
  input: noInput,
  async run(ctx) {
    for (let round = 1; ; round++) {
      const p = await placementOf(ctx.db, ctx.job.resourceId);
      if (!p) throw new Error("The network no longer exists");
      await applyPlacement(p);
      await ctx.progress(80, "Applied on the router and member hosts");
      try {
        await ctx.finish(async (tx) => {
          const [n] = await tx.select().from(networks).where(eq(networks.id, ctx.job.resourceId)).for("no key update");
          const now = n && round < 10 ? await placementOf(tx, ctx.job.resourceId) : null;
          if (now && placementKey(now) !== placementKey(p)) throw new Unsettled();
          if (n) await networkEvent(tx, n, "NETWORK.RESTARTED", `Network ${n.name} restarted`);
          return { hosts: (p.router ? 1 : 0) + p.members.length, rounds: round };
        });
        return;
      } catch (e) {
        if (!(e instanceof Unsettled)) throw e;
      }
    }
  },
  async onFailure(tx, job, err) {
    const [n] = await tx.select().from(networks).where(eq(networks.id, job.resourceId));
    if (n)
      await networkEvent(tx, n, "NETWORK.RESTART.FAILED", `Network ${n.name} could not be restarted: ${err.message}`, { level: "error" });
  },
});

/** Delete (the network is Destroying, without NICs): gone from its hosts, then the row, its VLAN and limit. */
const remove = defineJob({
  type: "network.delete",
  input: noInput,
  async run(ctx) {
    const p = await placementOf(ctx.db, ctx.job.resourceId);
    if (p) await ctx.step("destroy", () => destroyPlacement(ctx.db, p), { progress: 80, message: "Removed from the hosts" });
    await ctx.finish(async (tx) => {
      const [n] = await tx.select().from(networks).where(eq(networks.id, ctx.job.resourceId)).for("update");
      if (!n) return { state: "deleted" };
      await removeNetworkRow(tx, n, ctx.job.userId, `${ctx.job.id}:NETWORK.DELETE`);
      return { state: "deleted" };
    });
  },
  async onFailure(tx, job, err) {
    // Still on some host: back to Implemented, so it can be deleted again (or restarted).
    const [n] = await tx.update(networks).set({ state: "implemented" }).where(eq(networks.id, job.resourceId)).returning();
    if (n) await networkEvent(tx, n, "NETWORK.DELETE.FAILED", `Network ${n.name} could not be deleted: ${err.message}`, { level: "error" });
  },
});

export const networkJobs: readonly JobDefinition[] = [restart, remove];
