import { and, eq, gt, gte, inArray, ne, sql } from "drizzle-orm";
import { z } from "zod";
import { count } from "@/lib/count";
import type { Db, Tx } from "@/db";
import {
  accounts,
  domains,
  instances,
  jobs,
  networks,
  resourceCounters,
  secondaryStores,
  snapshotPolicies,
  snapshots,
  templates,
  users,
  volumes,
} from "@/db/schema";
import { operationAllowed } from "@/lib/vm-state";
import { volumeOperationAllowed } from "@/lib/volume-state";
import { ServiceError } from "@/server/core/errors";
import { recordEvent } from "@/server/core/events";
import { type Deltas, release } from "@/server/core/limits";
import { JobWaiting } from "@/server/orchestrator/jobs/errors";
import type { Job } from "@/server/orchestrator/jobs/queue";
import { defineJob } from "@/server/orchestrator/jobs/registry";
import { destroyInstance, expungeInstance } from "@/server/services/instances/operations";
import { destroyVolume, expungeVolume } from "@/server/services/volumes/operations";
import { deleteSnapshot } from "@/server/services/snapshots/operations";
import { removeImageFiles } from "@/server/services/template-images/store-files";
import { removeNetwork } from "@/server/services/networks/operations";

/** `instances`: how many the account had when its deletion was asked (for the progress shown). */
const cleanupInput = z.object({ instances: z.number().int().nonnegative().default(0) });

declare global {
  interface StratusJobInputs {
    "account.cleanup": typeof cleanupInput;
  }
}

/** How long the cleanup sleeps (off its worker) between looks at its instances' jobs. */
const WAIT_MS = 1000;

async function loadAccount(db: Db | Tx, id: string) {
  const [a] = await db
    .select({ id: accounts.id, name: accounts.name, state: accounts.state, domainId: accounts.domainId, domainPath: domains.path })
    .from(accounts)
    .innerJoin(domains, eq(domains.id, accounts.domainId))
    .where(eq(accounts.id, id));
  if (!a) throw new Error(`Account ${id} no longer exists`);
  return a;
}

/** The account's instances that are not expunged yet, each with whether a job is working on it. */
async function liveInstances(db: Db | Tx, accountId: string) {
  return db
    .select({
      vm: instances,
      busy: sql<boolean>`exists (select 1 from ${jobs} where ${jobs.resourceId} = ${instances.id} and ${jobs.status} in ('queued', 'running'))`,
    })
    .from(instances)
    .where(and(eq(instances.accountId, accountId), ne(instances.state, "expunged")));
}

/** The account's data volumes that are not expunged yet (its ROOT volumes go with its instances). */
async function liveDataVolumes(db: Db | Tx, accountId: string) {
  return db
    .select({
      vol: volumes,
      busy: sql<boolean>`exists (select 1 from ${jobs} where ${jobs.resourceId} = ${volumes.id} and ${jobs.status} in ('queued', 'running'))`,
    })
    .from(volumes)
    .where(and(eq(volumes.accountId, accountId), eq(volumes.type, "datadisk"), ne(volumes.state, "expunged")));
}

/** Destroys, then expunges, each data volume left once the instances are gone; the names of those still on their way. */
async function removeDataVolumes(db: Db, accountId: string, actor: string | null): Promise<string[]> {
  const waitingOn: string[] = [];
  for (const { vol, busy } of await liveDataVolumes(db, accountId)) {
    waitingOn.push(vol.name);
    if (busy) continue;
    try {
      if (volumeOperationAllowed("expunge", vol.state)) await expungeVolume(db, null, vol.id, vol, actor);
      else if (volumeOperationAllowed("destroy", vol.state)) await destroyVolume(db, null, vol.id, vol, actor);
    } catch (e) {
      if (!(e instanceof ServiceError && e.code === "CONFLICT")) throw e;
    }
  }
  return waitingOn;
}

/** The account's snapshots not deleted yet. */
const liveSnapshots = (db: Db | Tx, accountId: string) =>
  db
    .select()
    .from(snapshots)
    .where(and(eq(snapshots.accountId, accountId), ne(snapshots.state, "destroyed")));

/**
 * Deletes each snapshot left once the volumes are gone (snapshot.delete jobs: files merged away and
 * removed from the secondary store, limits given back, SNAPSHOT.DELETE); the names of those still
 * on their way. A delete that failed stops the cleanup with its reason.
 */
async function removeSnapshots(db: Db, job: Job, accountId: string): Promise<string[]> {
  const left = await liveSnapshots(db, accountId);
  if (left.length === 0) return [];
  const [failed] = await db
    .select({ error: jobs.error, input: jobs.input })
    .from(jobs)
    .where(
      and(
        eq(jobs.accountId, accountId),
        eq(jobs.type, "snapshot.delete"),
        eq(jobs.status, "failed"),
        gte(jobs.createdAt, job.createdAt),
        inArray(
          sql<string>`${jobs.input}->>'snapshotId'`,
          left.map((s) => s.id),
        ),
      ),
    )
    .limit(1);
  if (failed) {
    const name = left.find((s) => s.id === (failed.input as { snapshotId?: string }).snapshotId)?.name;
    throw new Error(`Could not delete snapshot ${name}: ${failed.error ?? "unknown error"}. Fix the cause, then delete the account again.`);
  }
  for (const s of left) {
    if (s.state === "creating") continue;
    try {
      await deleteSnapshot(db, null, s.id, s);
    } catch (e) {
      // Busy (another snapshot job of its volume): next round.
      if (!(e instanceof ServiceError && (e.code === "CONFLICT" || e.code === "NOT_FOUND"))) throw e;
    }
  }
  return left.map((s) => s.name);
}

/**
 * account.cleanup: brings every instance of a `removing` account to Expunged through the ordinary
 * VM operations (vm.destroy, then vm.expunge: the hypervisor's VMs and disks go, limits and
 * capacity are given back, usage is recorded), waiting off its worker while those jobs run. Each
 * run looks at the database afresh, so a run resumed after a crash simply carries on. When nothing
 * is left: whatever use the account's counters still show is given back (at every ancestor domain
 * too), its users are deleted and the account is marked removed, in one transaction with the
 * job's completion.
 */
export const accountCleanupJob = defineJob({
  type: "account.cleanup",
  input: cleanupInput,
  async run(ctx) {
    const account = await loadAccount(ctx.db, ctx.job.resourceId);
    if (account.state === "removed") return;
    if (account.state !== "removing") throw new Error(`Account ${account.name} is ${account.state}, not being deleted`);
    const live = await liveInstances(ctx.db, account.id);
    if (live.length > 0) {
      await failOnFailedOperations(
        ctx.db,
        ctx.job,
        live.map((l) => l.vm),
      );
      const waitingOn: string[] = [];
      for (const { vm, busy } of live) {
        if (busy) {
          waitingOn.push(vm.name);
          continue;
        }
        const actor = ctx.job.userId;
        try {
          // Destroyed or Error VMs are expunged now (no expunge delay for a deleted account).
          if (operationAllowed("expunge", vm.state)) await expungeInstance(ctx.db, null, vm.id, vm, actor);
          else if (operationAllowed("destroy", vm.state)) await destroyInstance(ctx.db, null, vm.id, vm, actor);
          waitingOn.push(vm.name);
        } catch (e) {
          // Changed meanwhile (the scheduler or an admin started a job on it): look again next time.
          if (!(e instanceof ServiceError && e.code === "CONFLICT")) throw e;
          waitingOn.push(vm.name);
        }
      }
      const total = Math.max(ctx.input.instances, live.length);
      const done = total - live.length;
      await ctx.progress(
        5 + (85 * done) / Math.max(total, 1),
        `${done} of ${count(total, "instance")} removed; destroying and expunging ${preview(waitingOn)}`,
      );
      throw new JobWaiting(WAIT_MS);
    }
    const volumesLeft = await removeDataVolumes(ctx.db, account.id, ctx.job.userId);
    if (volumesLeft.length > 0) {
      await ctx.progress(90, `Destroying and expunging volume(s) ${preview(volumesLeft)}`);
      throw new JobWaiting(WAIT_MS);
    }
    const snapshotsLeft = await removeSnapshots(ctx.db, ctx.job, account.id);
    if (snapshotsLeft.length > 0) {
      await ctx.progress(91, `Deleting snapshot(s) ${preview(snapshotsLeft)}`);
      throw new JobWaiting(WAIT_MS);
    }
    // Its networks, once their VMs are expunged (their NICs gone with them).
    const networksLeft = await removeNetworks(ctx.db, account.id, ctx.job.userId);
    if (networksLeft.length > 0) {
      await ctx.progress(91, `Deleting network(s) ${preview(networksLeft)}`);
      throw new JobWaiting(WAIT_MS);
    }
    await ctx.progress(92, "Releasing limits and removing users");
    await ctx.finish(async (tx) => {
      // The account row first, then its counters: the order `consume` takes them in.
      const [locked] = await tx.select({ state: accounts.state }).from(accounts).where(eq(accounts.id, account.id)).for("update");
      if (locked?.state === "removed") return { state: "removed" };
      // Something created meanwhile (a deploy that committed just before the deletion): next round.
      if (
        (await liveInstances(tx, account.id)).length > 0 ||
        (await liveDataVolumes(tx, account.id)).length > 0 ||
        (await liveSnapshots(tx, account.id)).length > 0
      )
        throw new JobWaiting(WAIT_MS);
      // Policies of its ROOT volumes (expunged with their VMs) end too.
      await tx
        .delete(snapshotPolicies)
        .where(inArray(snapshotPolicies.volumeId, tx.select({ id: volumes.id }).from(volumes).where(eq(volumes.accountId, account.id))));
      const leftover = await releaseAll(tx, account.id);
      const removedUsers = await tx.delete(users).where(eq(users.accountId, account.id)).returning({ id: users.id });
      await tx.update(templates).set({ state: "inactive" }).where(eq(templates.accountId, account.id));
      await tx.update(accounts).set({ state: "removed", removedAt: new Date() }).where(eq(accounts.id, account.id));
      await recordEvent(tx, {
        type: "ACCOUNT.DELETE.COMPLETE",
        description:
          `Deleted account ${account.name}: instances and volumes expunged, ${count(removedUsers.length, "user")} removed` +
          (Object.keys(leftover).length ? `; gave back use its instances did not account for (${describe(leftover)})` : ""),
        level: Object.keys(leftover).length ? "warn" : "info",
        actorUserId: ctx.job.userId,
        accountId: account.id,
        domainId: account.domainId,
        domainPath: account.domainPath,
        resourceType: "account",
        resourceId: account.id,
        details: Object.keys(leftover).length ? { leftover } : undefined,
      });
      return { state: "removed", users: removedUsers.length };
    });
    await removeTemplateFiles(ctx.db, account.id);
  },
  async onFailure(tx, job, err) {
    // The account stays `removing` (no sign-in, nothing new); deleting it again retries the cleanup.
    const a = await loadAccount(tx, job.resourceId);
    await recordEvent(tx, {
      type: "ACCOUNT.DELETE.FAILED",
      level: "error",
      description: `Deleting account ${a.name} stopped: ${err.message}`,
      actorUserId: job.userId,
      accountId: a.id,
      domainId: a.domainId,
      domainPath: a.domainPath,
      resourceType: "account",
      resourceId: a.id,
    });
  },
});

/**
 * After the account is removed: the image files Stratus stored for its templates and ISOs (named by
 * their ids), except those an instance of another account still names (a shared template its VM
 * may need again at its next start). The rows stay, inactive, for the history that names them.
 */
async function removeTemplateFiles(db: Db, accountId: string) {
  const rows = await db
    .select({ id: templates.id, store: secondaryStores })
    .from(templates)
    .innerJoin(secondaryStores, eq(secondaryStores.id, templates.secondaryStoreId))
    .where(
      and(
        eq(templates.accountId, accountId),
        sql`not exists (select 1 from ${instances} where (${instances.templateId} = ${templates.id} or ${instances.isoId} = ${templates.id}) and ${instances.state} <> 'expunged')`,
      ),
    );
  for (const r of rows) await removeImageFiles(r.store, r.id);
}

/** A destroy or expunge this cleanup waits for failed: stop, saying which VM and why. */
async function failOnFailedOperations(db: Db, job: Job, vms: (typeof instances.$inferSelect)[]) {
  const [failed] = await db
    .select({ resourceId: jobs.resourceId, type: jobs.type, error: jobs.error })
    .from(jobs)
    .where(
      and(
        eq(jobs.accountId, job.resourceId),
        inArray(jobs.type, ["vm.destroy", "vm.expunge"]),
        eq(jobs.status, "failed"),
        gte(jobs.createdAt, job.createdAt),
        inArray(
          jobs.resourceId,
          vms.map((v) => v.id),
        ),
      ),
    )
    .limit(1);
  if (!failed) return;
  const name = vms.find((v) => v.id === failed.resourceId)?.name ?? failed.resourceId;
  const verb = failed.type === "vm.destroy" ? "destroy" : "expunge";
  throw new Error(`Could not ${verb} instance ${name}: ${failed.error ?? "unknown error"}. Fix the cause, then delete the account again.`);
}

/** Deletes each network of the account (those being deleted are waited for); the names of those still there. */
async function removeNetworks(db: Db, accountId: string, actor: string | null): Promise<string[]> {
  const rows = await db.select().from(networks).where(eq(networks.accountId, accountId));
  for (const n of rows) {
    if (n.state === "destroying") continue;
    try {
      await removeNetwork(db, n, actor);
    } catch (e) {
      // A NIC or a job in flight: look again next round.
      if (!(e instanceof ServiceError)) throw e;
    }
  }
  return (await db.select({ name: networks.name }).from(networks).where(eq(networks.accountId, accountId))).map((r) => r.name);
}

/** Gives back whatever use the account's counters still show, at the account and every ancestor. */
async function releaseAll(tx: Tx, accountId: string): Promise<Deltas> {
  const rows = await tx
    .select({ resourceType: resourceCounters.resourceType, used: resourceCounters.used })
    .from(resourceCounters)
    .where(and(eq(resourceCounters.accountId, accountId), gt(resourceCounters.used, 0)));
  const leftover: Deltas = Object.fromEntries(rows.map((r) => [r.resourceType, r.used]));
  await release(tx, accountId, leftover);
  return leftover;
}

const describe = (d: Deltas) =>
  Object.entries(d)
    .map(([t, n]) => `${n} ${t}`)
    .join(", ");

const preview = (names: string[]) =>
  names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")} and ${names.length - 3} more`;
