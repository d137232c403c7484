/**
 * The VM's CD-ROM on a libvirt host. Every Stratus domain has one (IDE hdc, xml.ts), so media can
 * change while the VM runs (`change-media`); a domain defined before it had one gets it in its
 * persistent definition (`attach-disk --config`) and in the running VM from its next start.
 */
import { DriverError } from "../types";
import type { VirshCall } from "./storage";
import { domainDisks, isRunning } from "./volumes";
import { CDROM_TARGET } from "./xml";

/** domblklist shows an empty drive's source as "-". */
const loaded = (source: string) => (source === "-" ? null : source);

export async function insertIso(call: VirshCall, vmName: string, isoPath: string): Promise<void> {
  if (!isoPath.startsWith("/")) throw new DriverError(`ISO path must be absolute: ${isoPath}`);
  const scopes = (await isRunning(call, vmName)) ? (["config", "live"] as const) : (["config"] as const);
  for (const scope of scopes) {
    const drive = (await domainDisks(call, vmName, scope, "cdrom")).find((d) => d.target === CDROM_TARGET);
    if (drive && loaded(drive.source) === isoPath) continue;
    if (drive) {
      await call(
        ["change-media", "--domain", vmName, "--path", CDROM_TARGET, "--source", isoPath, "--update", "--force", `--${scope}`],
        60_000,
      );
    } else if (scope === "config") {
      const args = ["attach-disk", "--domain", vmName, "--source", isoPath, "--target", CDROM_TARGET, "--targetbus", "ide"];
      await call([...args, "--type", "cdrom", "--mode", "readonly", "--config"], 60_000);
    }
    // A running VM without a drive (defined before Stratus gave every VM one) sees the ISO from its next start.
  }
}

export async function ejectIso(call: VirshCall, vmName: string): Promise<void> {
  const scopes = (await isRunning(call, vmName)) ? (["live", "config"] as const) : (["config"] as const);
  for (const scope of scopes) {
    const drive = (await domainDisks(call, vmName, scope, "cdrom")).find((d) => d.target === CDROM_TARGET);
    if (!drive || loaded(drive.source) === null) continue;
    await call(["change-media", "--domain", vmName, "--path", CDROM_TARGET, "--eject", "--force", `--${scope}`], 60_000);
  }
}
