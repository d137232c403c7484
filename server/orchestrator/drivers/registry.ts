import type { HostRef, HypervisorDriver } from "./types";

/** Drivers by hypervisor type; each driver registers itself when the orchestrator starts. */
const g = globalThis as unknown as { __stratusDrivers?: Map<string, HypervisorDriver> };
g.__stratusDrivers ??= new Map();

export function registerDriver(type: HostRef["hypervisorType"], driver: HypervisorDriver) {
  g.__stratusDrivers!.set(type, driver);
}

export function driverFor(host: Pick<HostRef, "hypervisorType">): HypervisorDriver {
  const d = g.__stratusDrivers!.get(host.hypervisorType);
  if (!d) throw new Error(`No driver registered for hypervisor type ${host.hypervisorType}`);
  return d;
}
