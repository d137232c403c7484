import { and, eq, gt, sql } from "drizzle-orm";
import type { Db } from "@/db";
import { hosts, simulatorFaults, simulatorSettings, simulatorVms } from "@/db/schema";
import {
  DriverError,
  type ConsoleEndpoint,
  type DriverVm,
  type DriverVmState,
  type HostFacts,
  type HostRef,
  type HypervisorDriver,
  type VmSpec,
  type VmStats,
  type VolumeInfo,
  type VolumeRef,
} from "../types";
import { SimulatorConsoles } from "./rfb/consoles";

export const simulatorOperations = ["ping", "create", "start", "stop", "reboot", "destroy", "list", "getState", "stats"] as const;
export type SimulatorOperation = (typeof simulatorOperations)[number];

type Fault = typeof simulatorFaults.$inferSelect;

/**
 * The simulator: a hypervisor per host record, whose truth (which VMs exist and run where) lives in
 * simulator_vms. Latency per operation and injected failures are read from the database (cached
 * for a moment) so an admin can change them at run time, in every process at once.
 */
export class SimulatorDriver implements HypervisorDriver {
  private cache: { at: number; latency: Record<string, number>; faults: Fault[] } | null = null;
  /** Display names seen in create/start (the console shows them; simulator_vms has none). */
  private readonly displayNames = new Map<string, string>();
  /**
   * Placeholder volumes, in this process's memory only, so the simulator satisfies the grown
   * interface; the volumes work replaces them with volumes kept in the database.
   */
  private readonly simVolumes = new Map<string, VolumeInfo>();
  /** One RFB (VNC) server per running VM whose console was asked for, in this process. */
  readonly consoles: SimulatorConsoles;

  constructor(
    private readonly db: Db,
    private readonly cacheMs = 500,
  ) {
    this.consoles = new SimulatorConsoles(async (hostId, name) => {
      const [row] = await this.db
        .select({ state: simulatorVms.state, startedAt: simulatorVms.startedAt })
        .from(simulatorVms)
        .where(and(eq(simulatorVms.hostId, hostId), eq(simulatorVms.name, name)));
      return row ?? null;
    });
  }

  /** Forget cached settings (after an admin change in this process). */
  invalidate() {
    this.cache = null;
  }

  private async settings() {
    if (this.cache && Date.now() - this.cache.at < this.cacheMs) return this.cache;
    const [row] = await this.db.select().from(simulatorSettings).where(eq(simulatorSettings.id, "default"));
    const faults = await this.db.select().from(simulatorFaults);
    this.cache = { at: Date.now(), latency: row?.latencyMs ?? {}, faults };
    return this.cache;
  }

  /** Applies the operation's latency, then any matching injected fault. */
  private async enter(op: SimulatorOperation, host: HostRef) {
    const s = await this.settings();
    const delay = s.latency[op] ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    for (const f of s.faults) {
      if (f.operation !== op || (f.hostId && f.hostId !== host.id)) continue;
      if (f.probability < 1 && Math.random() >= f.probability) continue;
      if (f.remaining !== null) {
        // One-shot faults are consumed atomically, so N means exactly N failures across processes.
        const taken = await this.db
          .update(simulatorFaults)
          .set({ remaining: sql`${simulatorFaults.remaining} - 1` })
          .where(and(eq(simulatorFaults.id, f.id), gt(simulatorFaults.remaining, 0)))
          .returning({ remaining: simulatorFaults.remaining });
        if (taken.length === 0) continue;
        if (taken[0]!.remaining === 0) {
          await this.db.delete(simulatorFaults).where(eq(simulatorFaults.id, f.id));
          this.invalidate();
        }
      }
      throw new DriverError(`${f.message} (simulated ${op} failure on ${host.name})`, f.transient);
    }
  }

  async ping(host: HostRef): Promise<HostFacts> {
    await this.enter("ping", host);
    const [h] = await this.db.select().from(hosts).where(eq(hosts.id, host.id));
    if (!h) throw new DriverError(`Simulated host ${host.name} does not exist`);
    return {
      cpuCores: h.cpuCores,
      cpuMhz: h.cpuMhz,
      memoryMib: h.memoryMib,
      hypervisorVersion: "stratus-simulator 1",
      cpuModel: "Simulated CPU",
    };
  }

  async create(host: HostRef, vm: VmSpec) {
    await this.enter("create", host);
    this.displayNames.set(`${host.id}/${vm.name}`, vm.displayName);
    await this.db
      .insert(simulatorVms)
      .values({
        hostId: host.id,
        name: vm.name,
        state: "stopped",
        cpuCores: vm.cpuCores,
        memoryMib: vm.memoryMib,
        cpuCapPercent: vm.cpuCapPercent ?? null,
      })
      .onConflictDoUpdate({
        target: [simulatorVms.hostId, simulatorVms.name],
        set: { cpuCores: vm.cpuCores, memoryMib: vm.memoryMib, cpuCapPercent: vm.cpuCapPercent ?? null },
      });
  }

  async start(host: HostRef, vm: VmSpec) {
    await this.enter("start", host);
    this.displayNames.set(`${host.id}/${vm.name}`, vm.displayName);
    const rows = await this.db
      .update(simulatorVms)
      .set({
        state: "running",
        startedAt: sql`case when ${simulatorVms.state} = 'running' then ${simulatorVms.startedAt} else now() end`,
        cpuCores: vm.cpuCores,
        memoryMib: vm.memoryMib,
        cpuCapPercent: vm.cpuCapPercent ?? null,
      })
      .where(and(eq(simulatorVms.hostId, host.id), eq(simulatorVms.name, vm.name)))
      .returning({ name: simulatorVms.name });
    if (rows.length === 0) throw new DriverError(`VM ${vm.name} is not defined on ${host.name}`);
  }

  async stop(host: HostRef, name: string) {
    await this.enter("stop", host);
    await this.db
      .update(simulatorVms)
      .set({ state: "stopped", startedAt: null })
      .where(and(eq(simulatorVms.hostId, host.id), eq(simulatorVms.name, name)));
    this.consoles.stop(host.id, name);
  }

  async reboot(host: HostRef, name: string) {
    await this.enter("reboot", host);
    const rows = await this.db
      .update(simulatorVms)
      .set({ startedAt: sql`now()` })
      .where(and(eq(simulatorVms.hostId, host.id), eq(simulatorVms.name, name), eq(simulatorVms.state, "running")))
      .returning({ name: simulatorVms.name });
    if (rows.length === 0) throw new DriverError(`VM ${name} is not running on ${host.name}`);
  }

  async destroy(host: HostRef, name: string) {
    await this.enter("destroy", host);
    await this.db.delete(simulatorVms).where(and(eq(simulatorVms.hostId, host.id), eq(simulatorVms.name, name)));
    this.consoles.stop(host.id, name);
    this.displayNames.delete(`${host.id}/${name}`);
  }

  async getState(host: HostRef, name: string): Promise<DriverVmState | "missing"> {
    await this.enter("getState", host);
    const [row] = await this.db
      .select({ state: simulatorVms.state })
      .from(simulatorVms)
      .where(and(eq(simulatorVms.hostId, host.id), eq(simulatorVms.name, name)));
    return (row?.state as DriverVmState | undefined) ?? "missing";
  }

  async list(host: HostRef): Promise<DriverVm[]> {
    await this.enter("list", host);
    const rows = await this.db
      .select({ name: simulatorVms.name, state: simulatorVms.state })
      .from(simulatorVms)
      .where(eq(simulatorVms.hostId, host.id));
    return rows.map((r) => ({ name: r.name, state: r.state as DriverVmState }));
  }

  async stats(host: HostRef): Promise<VmStats[]> {
    await this.enter("stats", host);
    const rows = await this.db
      .select()
      .from(simulatorVms)
      .where(and(eq(simulatorVms.hostId, host.id), eq(simulatorVms.state, "running")));
    const now = Date.now();
    return rows.map((r) => {
      // Plausible, smoothly varying figures derived from the name and the clock.
      const seed = [...r.name].reduce((a, c) => a + c.charCodeAt(0), 0);
      const up = (now - (r.startedAt?.getTime() ?? now)) / 1000;
      // What the guest would use uncapped: mostly light, with a busy spell every few minutes.
      const demand = 20 + 15 * Math.sin(now / 60_000 + seed) + (Math.sin(now / 180_000 + seed) > 0.6 ? 60 : 0);
      // A capped VM never gets more than its cap, as CFS bandwidth control enforces on a real host.
      const cpu = r.cpuCapPercent === null ? demand : Math.min(demand, r.cpuCapPercent);
      return {
        name: r.name,
        cpuPercent: Math.floor(cpu * 10) / 10,
        memoryMib: Math.round(r.memoryMib * (0.4 + 0.1 * Math.sin(seed))),
        diskReadBytes: Math.round(up * 40_000),
        diskWriteBytes: Math.round(up * 25_000),
        netRxBytes: Math.round(up * 12_000),
        netTxBytes: Math.round(up * 8_000),
      };
    });
  }

  /**
   * The VM's console: a small RFB server on 127.0.0.1 drawing its text screen, started on first
   * use with a random VNC password, and stopped when the VM stops or goes away.
   */
  async consoleEndpoint(host: HostRef, name: string): Promise<ConsoleEndpoint> {
    try {
      const displayName = this.displayNames.get(`${host.id}/${name}`) ?? name;
      const { port, password } = await this.consoles.endpoint(host.id, name, { displayName, internalName: name, hostName: host.name });
      return { host: "127.0.0.1", port, password };
    } catch (e) {
      throw new DriverError(`No console for ${name} on ${host.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  createVolume(host: HostRef, vol: VolumeRef, opts: { sizeGib: number; template?: VmSpec["template"] }): Promise<VolumeInfo> {
    const key = `${host.id}/${vol.pool.id}/${vol.name}`;
    const bytes = Math.max(opts.sizeGib, opts.template?.sizeGib ?? 0) * 1024 ** 3;
    const info = this.simVolumes.get(key) ?? { capacityBytes: bytes, allocationBytes: 0 };
    this.simVolumes.set(key, info);
    return Promise.resolve(info);
  }

  deleteVolume(host: HostRef, vol: VolumeRef): Promise<void> {
    this.simVolumes.delete(`${host.id}/${vol.pool.id}/${vol.name}`);
    return Promise.resolve();
  }

  resizeVolume(host: HostRef, vol: VolumeRef, sizeGib: number): Promise<VolumeInfo> {
    const key = `${host.id}/${vol.pool.id}/${vol.name}`;
    const info = this.simVolumes.get(key);
    if (!info) return Promise.reject(new DriverError(`Volume ${vol.name} does not exist on ${host.name}`));
    if (sizeGib * 1024 ** 3 < info.capacityBytes) return Promise.reject(new DriverError(`Volume ${vol.name} cannot shrink`));
    const grown = { ...info, capacityBytes: sizeGib * 1024 ** 3 };
    this.simVolumes.set(key, grown);
    return Promise.resolve(grown);
  }

  attachVolume(): Promise<void> {
    return Promise.resolve();
  }

  detachVolume(): Promise<void> {
    return Promise.resolve();
  }

  volumeInfo(host: HostRef, vol: VolumeRef): Promise<VolumeInfo | "missing"> {
    return Promise.resolve(this.simVolumes.get(`${host.id}/${vol.pool.id}/${vol.name}`) ?? "missing");
  }
}
