import { and, eq, gt, inArray, sql } from "drizzle-orm";
import type { Db } from "@/db";
import {
  hosts,
  simulatorFaults,
  simulatorNetworks,
  simulatorSecurityGroups,
  simulatorSettings,
  simulatorSnapshots,
  simulatorVmSnapshots,
  simulatorVms,
  simulatorVolumes,
} from "@/db/schema";
import type { NetworkDriver, NetworkRole, NetworkSpec, SecurityGroupDriver, VmFirewallSpec } from "../../network/spec";
import {
  DriverError,
  type ConsoleEndpoint,
  type DriverVm,
  type DriverVmState,
  type ExportedImage,
  type HostFacts,
  type HostRef,
  type HypervisorDriver,
  type IsoRef,
  type PoolRef,
  type PoolUsageReader,
  type SnapshotFile,
  type TakeSnapshotOptions,
  type VmSpec,
  type VmStats,
  type VolumeCopier,
  type VolumeInfo,
  type VolumeRef,
} from "../types";
import { SimulatorConsoles } from "./rfb/consoles";
import { SimulatorVmSnapshots } from "./vm-snapshots";
import { simulatorOperationNames } from "@/lib/validation/simulator";

/** The operations admins may slow down or make fail: one list, shared with the simulator page's forms. */
export const simulatorOperations = simulatorOperationNames;
export type SimulatorOperation = (typeof simulatorOperations)[number];

type Fault = typeof simulatorFaults.$inferSelect;
const GIB = 1024 ** 3;

/**
 * The simulator: a hypervisor per host record, whose truth (which VMs exist and run where) lives in
 * simulator_vms. Latency per operation and injected failures are read from the database (cached
 * for a moment) so an admin can change them at run time, in every process at once.
 */
export class SimulatorDriver implements HypervisorDriver, VolumeCopier, PoolUsageReader, NetworkDriver, SecurityGroupDriver {
  private cache: { at: number; latency: Record<string, number>; faults: Fault[] } | null = null;
  /** Display names seen in create/start (the console shows them; simulator_vms has none). */
  private readonly displayNames = new Map<string, string>();
  /** One RFB (VNC) server per running VM whose console was asked for, in this process. */
  readonly consoles: SimulatorConsoles;
  /** VM snapshots: rows of simulator_vm_snapshots, with this driver's latency and faults. */
  readonly vmSnapshots: SimulatorVmSnapshots;

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
    this.vmSnapshots = new SimulatorVmSnapshots(db, (op, host) => this.enter(op, host));
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
        isoPath: vm.iso?.iso.path ?? null,
        bootFromIso: vm.iso?.boot ?? false,
        nicCount: vm.nics?.length ?? 0,
      })
      .onConflictDoUpdate({
        target: [simulatorVms.hostId, simulatorVms.name],
        set: {
          cpuCores: vm.cpuCores,
          memoryMib: vm.memoryMib,
          cpuCapPercent: vm.cpuCapPercent ?? null,
          isoPath: vm.iso?.iso.path ?? null,
          bootFromIso: vm.iso?.boot ?? false,
          nicCount: vm.nics?.length ?? 0,
        },
      });
    // Data volumes are defined with the domain, as libvirt's define would.
    for (const { vol, target } of vm.volumes ?? []) {
      await this.db.update(simulatorVolumes).set({ attachedHostId: host.id, attachedVm: vm.name, target }).where(this.volumeWhere(vol));
    }
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
    // The VM's snapshots go with it, as libvirt's undefine --snapshots-metadata drops them.
    await this.db.delete(simulatorVmSnapshots).where(and(eq(simulatorVmSnapshots.hostId, host.id), eq(simulatorVmSnapshots.vmName, name)));
    // Data volumes stay on their pools, unplugged (the expunge job deletes the root volume itself).
    await this.db
      .update(simulatorVolumes)
      .set({ attachedHostId: null, attachedVm: null, target: null })
      .where(and(eq(simulatorVolumes.attachedHostId, host.id), eq(simulatorVolumes.attachedVm, name)));
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
    // Each simulated host answers its own listing, as a libvirt host does. Listings asked in the
    // same tick (the reconciler asks many hosts at once) are read with one query: the simulated
    // hypervisors share one table, where real ones would answer in parallel on their own hardware.
    return new Promise<DriverVm[]>((resolve, reject) => {
      if (!this.pendingLists) {
        this.pendingLists = new Map();
        setImmediate(() => void this.flushLists());
      }
      const waiting = this.pendingLists.get(host.id) ?? [];
      waiting.push({ resolve, reject });
      this.pendingLists.set(host.id, waiting);
    });
  }

  private pendingLists: Map<string, { resolve: (vms: DriverVm[]) => void; reject: (e: unknown) => void }[]> | null = null;

  private async flushLists() {
    const pending = this.pendingLists!;
    this.pendingLists = null;
    try {
      const rows = await this.db
        .select({ hostId: simulatorVms.hostId, name: simulatorVms.name, state: simulatorVms.state })
        .from(simulatorVms)
        .where(inArray(simulatorVms.hostId, [...pending.keys()]));
      const byHost = new Map<string, DriverVm[]>();
      for (const r of rows) {
        const vms = byHost.get(r.hostId) ?? [];
        vms.push({ name: r.name, state: r.state as DriverVmState });
        byHost.set(r.hostId, vms);
      }
      for (const [hostId, waiting] of pending) for (const w of waiting) w.resolve(byHost.get(hostId)?.slice() ?? []);
    } catch (e) {
      for (const waiting of pending.values()) for (const w of waiting) w.reject(e);
    }
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
        // The totals split over the NICs (the first carries most), counting from the start like a tap's.
        nics: Array.from({ length: r.nicCount }, (_, index) => {
          const share = r.nicCount === 1 ? 1 : index === 0 ? 0.7 : 0.3 / (r.nicCount - 1);
          return { index, rxBytes: Math.round(up * 12_000 * share), txBytes: Math.round(up * 8_000 * share) };
        }),
      };
    });
  }

  // Volumes: rows of simulator_volumes per (pool, name); sizes in bytes like a real pool reports.

  private volumeWhere(vol: VolumeRef) {
    return and(eq(simulatorVolumes.poolId, vol.pool.id), eq(simulatorVolumes.name, vol.name));
  }

  private async volumeRow(vol: VolumeRef) {
    const [row] = await this.db.select().from(simulatorVolumes).where(this.volumeWhere(vol));
    return row ?? null;
  }

  private static info(row: { capacityBytes: number; allocationBytes: number }): VolumeInfo {
    return { capacityBytes: Number(row.capacityBytes), allocationBytes: Number(row.allocationBytes) };
  }

  async createVolume(host: HostRef, vol: VolumeRef, opts: { sizeGib: number; template?: VmSpec["template"] }): Promise<VolumeInfo> {
    await this.enter("createVolume", host);
    // A template-backed volume is at least the template's size, and starts with the template's blocks in use.
    const capacityBytes = Math.max(opts.sizeGib, opts.template?.sizeGib ?? 0) * GIB;
    await this.db
      .insert(simulatorVolumes)
      .values({
        poolId: vol.pool.id,
        name: vol.name,
        capacityBytes,
        allocationBytes: opts.template ? Math.round(opts.template.sizeGib * GIB * 0.4) : 0,
      })
      .onConflictDoNothing();
    return SimulatorDriver.info((await this.volumeRow(vol))!);
  }

  async deleteVolume(host: HostRef, vol: VolumeRef): Promise<void> {
    await this.enter("deleteVolume", host);
    const row = await this.volumeRow(vol);
    if (row?.attachedVm) throw new DriverError(`Volume ${vol.name} is still attached to ${row.attachedVm}`);
    await this.db.delete(simulatorVolumes).where(this.volumeWhere(vol));
  }

  async resizeVolume(host: HostRef, vol: VolumeRef, sizeGib: number, vmName?: string): Promise<VolumeInfo> {
    await this.enter("resizeVolume", host);
    const row = await this.volumeRow(vol);
    if (!row) throw new DriverError(`Volume ${vol.name} does not exist on pool ${vol.pool.path}`);
    if (sizeGib * GIB < Number(row.capacityBytes))
      throw new DriverError(`Volume ${vol.name} is larger than ${sizeGib} GiB; volumes never shrink`);
    if (vmName && row.attachedVm !== vmName) throw new DriverError(`Volume ${vol.name} is not attached to ${vmName}`);
    const [updated] = await this.db
      .update(simulatorVolumes)
      .set({ capacityBytes: sizeGib * GIB })
      .where(this.volumeWhere(vol))
      .returning();
    return SimulatorDriver.info(updated!);
  }

  async attachVolume(host: HostRef, vmName: string, vol: VolumeRef, target: string): Promise<void> {
    await this.enter("attachVolume", host);
    const [vm] = await this.db
      .select({ name: simulatorVms.name })
      .from(simulatorVms)
      .where(and(eq(simulatorVms.hostId, host.id), eq(simulatorVms.name, vmName)));
    if (!vm) throw new DriverError(`VM ${vmName} is not defined on ${host.name}`);
    const row = await this.volumeRow(vol);
    if (!row) throw new DriverError(`Volume ${vol.name} does not exist on pool ${vol.pool.path}`);
    if (row.attachedVm && (row.attachedVm !== vmName || row.attachedHostId !== host.id))
      throw new DriverError(`Volume ${vol.name} is attached to ${row.attachedVm}`);
    await this.db.update(simulatorVolumes).set({ attachedHostId: host.id, attachedVm: vmName, target }).where(this.volumeWhere(vol));
  }

  async detachVolume(host: HostRef, vmName: string, vol: VolumeRef): Promise<void> {
    await this.enter("detachVolume", host);
    // Idempotent: a volume already detached (or gone) is detached.
    await this.db
      .update(simulatorVolumes)
      .set({ attachedHostId: null, attachedVm: null, target: null })
      .where(and(this.volumeWhere(vol), eq(simulatorVolumes.attachedVm, vmName)));
  }

  /** The simulated volumes' allocation on the pool, summed (a read: no latency or faults). */
  async poolUsage(_host: HostRef, pool: PoolRef): Promise<{ allocationBytes: number; volumes: number }> {
    const [row] = await this.db
      .select({ bytes: sql<string>`coalesce(sum(${simulatorVolumes.allocationBytes}), 0)`, n: sql<number>`count(*)::int` })
      .from(simulatorVolumes)
      .where(eq(simulatorVolumes.poolId, pool.id));
    return { allocationBytes: Number(row?.bytes ?? 0), volumes: Number(row?.n ?? 0) };
  }

  async volumeInfo(host: HostRef, vol: VolumeRef): Promise<VolumeInfo | "missing"> {
    await this.enter("volumeInfo", host);
    const row = await this.volumeRow(vol);
    return row ? SimulatorDriver.info(row) : "missing";
  }

  async attachIso(host: HostRef, vmName: string, _pool: PoolRef | null, iso: IsoRef): Promise<void> {
    await this.enter("attachIso", host);
    await this.setIso(host, vmName, iso.path);
  }

  async detachIso(host: HostRef, vmName: string): Promise<void> {
    await this.enter("detachIso", host);
    await this.setIso(host, vmName, null);
  }

  private async setIso(host: HostRef, vmName: string, isoPath: string | null) {
    const changed = await this.db
      .update(simulatorVms)
      .set({ isoPath })
      .where(and(eq(simulatorVms.hostId, host.id), eq(simulatorVms.name, vmName)))
      .returning({ name: simulatorVms.name });
    if (!changed.length) throw new DriverError(`VM ${vmName} does not exist on ${host.name}`);
  }

  async copyVolume(host: HostRef, from: VolumeRef, to: VolumeRef): Promise<VolumeInfo> {
    await this.enter("copyVolume", host);
    const src = await this.volumeRow(from);
    if (!src) throw new DriverError(`Volume ${from.name} does not exist on pool ${from.pool.path}`);
    await this.db
      .insert(simulatorVolumes)
      .values({ poolId: to.pool.id, name: to.name, capacityBytes: src.capacityBytes, allocationBytes: src.allocationBytes })
      .onConflictDoNothing();
    return SimulatorDriver.info((await this.volumeRow(to))!);
  }

  // Snapshots: rows of simulator_snapshots holding the volume's sizes when taken; all full.

  async takeSnapshot(host: HostRef, vol: VolumeRef, opts: TakeSnapshotOptions): Promise<SnapshotFile> {
    await this.enter("takeSnapshot", host);
    const row = await this.volumeRow(vol);
    if (!row) throw new DriverError(`Volume ${vol.name} does not exist on pool ${vol.pool.path}`);
    // A data volume must be plugged into the VM named (a root disk is the VM's own, never "attached").
    if (opts.vmName && row.attachedVm && row.attachedVm !== opts.vmName)
      throw new DriverError(`Volume ${vol.name} is attached to ${row.attachedVm}, not ${opts.vmName}`);
    await this.db
      .insert(simulatorSnapshots)
      .values({
        id: opts.id,
        poolId: vol.pool.id,
        volumeName: vol.name,
        capacityBytes: row.capacityBytes,
        allocationBytes: row.allocationBytes,
      })
      .onConflictDoNothing();
    const [snap] = await this.db.select().from(simulatorSnapshots).where(eq(simulatorSnapshots.id, opts.id));
    return SimulatorDriver.snapshotFile(snap!, `${opts.dir}/${opts.id}`);
  }

  async restoreSnapshot(host: HostRef, vol: VolumeRef, snap: SnapshotFile, opts: { vmName?: string }): Promise<VolumeInfo> {
    await this.enter("restoreSnapshot", host);
    const [saved] = await this.db.select().from(simulatorSnapshots).where(eq(simulatorSnapshots.id, snap.id));
    if (!saved) throw new DriverError(`Snapshot ${snap.id} is not on the secondary store`);
    if (opts.vmName) {
      const [vm] = await this.db
        .select({ state: simulatorVms.state })
        .from(simulatorVms)
        .where(and(eq(simulatorVms.hostId, host.id), eq(simulatorVms.name, opts.vmName)));
      if (vm?.state === "running") throw new DriverError(`Stop VM ${opts.vmName} before reverting its volume ${vol.name}`);
    }
    const [updated] = await this.db
      .update(simulatorVolumes)
      .set({ capacityBytes: saved.capacityBytes, allocationBytes: saved.allocationBytes })
      .where(this.volumeWhere(vol))
      .returning();
    if (!updated) throw new DriverError(`Volume ${vol.name} does not exist on pool ${vol.pool.path}`);
    return SimulatorDriver.info(updated);
  }

  async deleteSnapshot(host: HostRef, snap: SnapshotFile, children: SnapshotFile[]): Promise<SnapshotFile[]> {
    await this.enter("deleteSnapshot", host);
    await this.db.delete(simulatorSnapshots).where(eq(simulatorSnapshots.id, snap.id));
    return children.map((c) => ({ ...c, parentFile: snap.parentFile, kind: snap.parentFile ? "incremental" : "full" }));
  }

  // Volumes and templates from snapshots and volumes: sizes carried over, no bytes written.

  async createVolumeFromSnapshot(host: HostRef, vol: VolumeRef, snap: SnapshotFile, sizeGib: number): Promise<VolumeInfo> {
    await this.enter("createVolumeFromSnapshot", host);
    const saved = await this.savedSnapshot(snap);
    await this.db
      .insert(simulatorVolumes)
      .values({
        poolId: vol.pool.id,
        name: vol.name,
        capacityBytes: Math.max(Number(saved.capacityBytes), sizeGib * GIB),
        allocationBytes: saved.allocationBytes,
      })
      .onConflictDoNothing();
    return SimulatorDriver.info((await this.volumeRow(vol))!);
  }

  async exportSnapshot(host: HostRef, snap: SnapshotFile): Promise<ExportedImage> {
    await this.enter("exportSnapshot", host);
    const saved = await this.savedSnapshot(snap);
    return { bytes: Number(saved.allocationBytes), virtualBytes: Number(saved.capacityBytes) };
  }

  async exportVolume(host: HostRef, vol: VolumeRef): Promise<ExportedImage> {
    await this.enter("exportVolume", host);
    const row = await this.volumeRow(vol);
    if (!row) throw new DriverError(`Volume ${vol.name} does not exist on pool ${vol.pool.path}`);
    return { bytes: Number(row.allocationBytes), virtualBytes: Number(row.capacityBytes) };
  }

  private async savedSnapshot(snap: SnapshotFile) {
    const [saved] = await this.db.select().from(simulatorSnapshots).where(eq(simulatorSnapshots.id, snap.id));
    if (!saved) throw new DriverError(`Snapshot ${snap.id} is not on the secondary store`);
    return saved;
  }

  private static snapshotFile(row: { id: string; capacityBytes: number; allocationBytes: number }, file: string): SnapshotFile {
    return {
      id: row.id,
      file,
      kind: "full",
      parentFile: null,
      bytes: Number(row.allocationBytes),
      capacityBytes: Number(row.capacityBytes),
    };
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

  /** Networks: the spec applied is stored per host and network (the simulated host's truth). */
  async applyNetwork(host: HostRef, spec: NetworkSpec, role: NetworkRole) {
    await this.enter("applyNetwork", host);
    await this.db
      .insert(simulatorNetworks)
      .values({ hostId: host.id, networkId: spec.id, key: spec.key, role, spec })
      .onConflictDoUpdate({
        target: [simulatorNetworks.hostId, simulatorNetworks.networkId],
        set: { key: spec.key, role, spec, appliedAt: sql`now()` },
      });
  }

  async destroyNetwork(host: HostRef, spec: Pick<NetworkSpec, "id" | "key">) {
    await this.enter("destroyNetwork", host);
    await this.db.delete(simulatorNetworks).where(and(eq(simulatorNetworks.hostId, host.id), eq(simulatorNetworks.networkId, spec.id)));
  }

  async applySecurityGroups(host: HostRef, spec: VmFirewallSpec) {
    await this.enter("applyNetwork", host);
    await simApplySecurityGroups(this.db, host, spec);
  }
  async checkSecurityGroups(host: HostRef, spec: VmFirewallSpec): Promise<string[]> {
    await this.enter("checkNetwork", host);
    return simCheckSecurityGroups(this.db, host, spec);
  }
  async removeSecurityGroups(host: HostRef, vmName: string) {
    await this.enter("destroyNetwork", host);
    await simRemoveSecurityGroups(this.db, host, vmName);
  }

  async checkNetwork(host: HostRef, spec: NetworkSpec, role: NetworkRole): Promise<string[]> {
    await this.enter("checkNetwork", host);
    const [row] = await this.db
      .select()
      .from(simulatorNetworks)
      .where(and(eq(simulatorNetworks.hostId, host.id), eq(simulatorNetworks.networkId, spec.id)));
    if (!row) return [`network ${spec.key} is not on ${host.name}`];
    const out: string[] = [];
    if (row.role !== role) out.push(`role is ${row.role}, not ${role}`);
    const applied = row.spec as Record<string, unknown>;
    for (const k of Object.keys(spec) as (keyof NetworkSpec)[]) {
      if (canonical(applied[k]) !== canonical(spec[k])) out.push(`${k} differs`);
    }
    return out;
  }
}

/** Security groups: the spec last applied per host and VM, compared as the libvirt driver compares its table. */
async function simApplySecurityGroups(db: Db, host: HostRef, spec: VmFirewallSpec) {
  if (spec.nics.length === 0) return simRemoveSecurityGroups(db, host, spec.vmName);
  await db
    .insert(simulatorSecurityGroups)
    .values({ hostId: host.id, vmName: spec.vmName, spec })
    .onConflictDoUpdate({ target: [simulatorSecurityGroups.hostId, simulatorSecurityGroups.vmName], set: { spec, appliedAt: sql`now()` } });
}
async function simRemoveSecurityGroups(db: Db, host: HostRef, vmName: string) {
  await db
    .delete(simulatorSecurityGroups)
    .where(and(eq(simulatorSecurityGroups.hostId, host.id), eq(simulatorSecurityGroups.vmName, vmName)));
}
async function simCheckSecurityGroups(db: Db, host: HostRef, spec: VmFirewallSpec): Promise<string[]> {
  const [row] = await db
    .select()
    .from(simulatorSecurityGroups)
    .where(and(eq(simulatorSecurityGroups.hostId, host.id), eq(simulatorSecurityGroups.vmName, spec.vmName)));
  if (!row) return spec.nics.length ? [`security groups of ${spec.vmName} are not on ${host.name}`] : [];
  return canonical(row.spec) === canonical(spec) ? [] : [`security groups of ${spec.vmName} differ`];
}

/** JSON with sorted keys: jsonb does not keep key order, so specs are compared by content. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );
}
