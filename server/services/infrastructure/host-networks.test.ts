import { TRPCError } from "@trpc/server";
import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { events, hosts, instances, networks, simulatorNetworks } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { clearFaults, deployChoicesByName, injectFault, testWorkers, waitForJob } from "@/test/orchestrator";

/**
 * Removing a host takes its networks' routers and bridges with it (a router left on a machine
 * outside the cloud would still answer for the network's gateway), and a network whose VMs run on
 * other hosts gets its router back at once on one of them. On the simulator, through the real router.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let zoneHosts: string[];

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
  const { zoneId } = await deployChoicesByName(h.db);
  zoneHosts = (await h.db.select({ id: hosts.id }).from(hosts).where(eq(hosts.zoneId, zoneId))).map((x) => x.id);
});
afterAll(async () => {
  await workers.stop();
  await h.close();
});

const tenant = () => api(h.db, t.callers.tenant);
const admin = () => api(h.db, t.callers.admin);

/** Only `id` takes new VMs (the planner skips disabled hosts). */
async function onlyHost(id: string) {
  await h.db.update(hosts).set({ state: "disabled" }).where(inArray(hosts.id, zoneHosts));
  await h.db.update(hosts).set({ state: "enabled" }).where(eq(hosts.id, id));
}
async function deploy(name: string) {
  const [vm] = await tenant().instance.deploy({ ...(await deployChoicesByName(h.db)), name });
  expect((await waitForJob(h.db, vm!.jobId)).status).toBe("succeeded");
  return vm!.id;
}
async function gone(id: string) {
  for (const step of ["destroy", "expunge"] as const) {
    const r = await tenant().instance[step]({ id });
    expect((await waitForJob(h.db, r.jobId)).status).toBe("succeeded");
  }
}
const networkOf = async (vm: string) => {
  const [i] = await h.db.select({ hostId: instances.hostId }).from(instances).where(eq(instances.id, vm));
  const [n] = await h.db
    .select()
    .from(networks)
    .where(
      and(
        eq(networks.accountId, t.tenantAccount.id),
        eq(networks.isDefault, true),
        eq(networks.zoneId, (await deployChoicesByName(h.db)).zoneId),
      ),
    );
  return { hostId: i!.hostId!, network: n! };
};
const appliedOn = async (hostId: string) =>
  (await h.db.select().from(simulatorNetworks).where(eq(simulatorNetworks.hostId, hostId))).map((r) => `${r.role}:${r.networkId}`);

describe(`removing a host with a network's router (${testDbKind()})`, () => {
  it("refuses while the host fails to remove the router, then removes it and puts the router on a host running the network's VMs", async () => {
    const [a, b] = zoneHosts as [string, string];
    await onlyHost(a);
    const first = await deploy("router-here");
    const { network } = await networkOf(first);
    expect(network.routerHostId).toBe(a);
    await onlyHost(b);
    const member = await deploy("member-there");
    expect((await networkOf(member)).hostId).toBe(b);
    expect(await appliedOn(b)).toEqual([`member:${network.id}`]);
    await gone(first);
    expect(await appliedOn(a)).toEqual([`router:${network.id}`]);

    // A host that answers but fails: refused, naming the network; nothing changed.
    await injectFault(h.db, { operation: "destroyNetwork", hostId: a, message: "bridge busy" });
    const e = await admin()
      .host.delete({ id: a })
      .then(
        () => null,
        (x: unknown) => x as TRPCError,
      );
    await clearFaults(h.db);
    expect(e).toBeInstanceOf(TRPCError);
    expect(e!.code).toBe("PRECONDITION_FAILED");
    expect(e!.message).toMatch(new RegExp(`network ${network.name} could not be removed from it: .*bridge busy`));
    expect((await h.db.select().from(hosts).where(eq(hosts.id, a))).length).toBe(1);
    expect((await h.db.select().from(networks).where(eq(networks.id, network.id)))[0]!.routerHostId).toBe(a);

    await admin().host.delete({ id: a });
    expect(await appliedOn(a)).toEqual([]);
    const [now] = await h.db.select().from(networks).where(eq(networks.id, network.id));
    expect(now).toMatchObject({ routerHostId: b, state: "implemented" });
    expect(await appliedOn(b)).toEqual([`router:${network.id}`]);
    const types = (await h.db.select({ type: events.type }).from(events).where(eq(events.resourceId, network.id))).map((x) => x.type);
    expect(types).toEqual(expect.arrayContaining(["NETWORK.SHUTDOWN", "NETWORK.IMPLEMENTED"]));
    await gone(member);
  });

  it("shuts the network down when no VM of it runs elsewhere, and the next start places the router; a host that is down keeps what it had", async () => {
    const [, b, c] = zoneHosts as [string, string, string];
    expect(c, "the seeded zone has three hosts").toBeDefined();
    await onlyHost(b);
    const vm = await deploy("alone");
    const { network } = await networkOf(vm);
    expect(network.routerHostId).toBe(b);
    await gone(vm);
    // The host stopped answering: its devices cannot be removed, the event says so, the network is routerless.
    await h.db.update(hosts).set({ status: "down" }).where(eq(hosts.id, b));
    await admin().host.delete({ id: b });
    expect(await appliedOn(b)).toEqual([`router:${network.id}`]);
    const [del] = await h.db
      .select()
      .from(events)
      .where(and(eq(events.type, "HOST.DELETE"), eq(events.resourceId, b)));
    expect(del!.description).toMatch(/the routers of 1 network stay on it \(host down\)/);
    expect((await h.db.select().from(networks).where(eq(networks.id, network.id)))[0]).toMatchObject({
      routerHostId: null,
      state: "shutdown",
    });
    await h.db.delete(simulatorNetworks).where(eq(simulatorNetworks.hostId, b));

    await onlyHost(c);
    const next = await deploy("next");
    expect((await h.db.select().from(networks).where(eq(networks.id, network.id)))[0]).toMatchObject({
      routerHostId: c,
      state: "implemented",
    });
    expect(await appliedOn(c)).toEqual([`router:${network.id}`]);
    await gone(next);
  });
});
