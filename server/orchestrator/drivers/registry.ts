import type { HostRef, HypervisorDriver } from "./types";
import { processSingleton } from "@/lib/process-singleton";

/** Drivers by hypervisor type; each driver registers itself when the orchestrator starts. */
const drivers = processSingleton("orchestrator.driverRegistry", () => new Map<string, HypervisorDriver>());

export function registerDriver(type: HostRef["hypervisorType"], driver: HypervisorDriver) {
  drivers.set(type, driver);
}

export function driverFor(host: Pick<HostRef, "hypervisorType">): HypervisorDriver {
  const d = drivers.get(host.hypervisorType);
  if (!d) throw new Error(`No driver registered for hypervisor type ${host.hypervisorType}`);
  return d;
}
