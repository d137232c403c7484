import { execFileSync } from "node:child_process";

const virsh = (uri: string, ...args: string[]) =>
  execFileSync("virsh", ["-q", "-c", uri, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

/**
 * Stops and undefines the libvirt pools Stratus defined (named stratus-<pool id>) whose directory
 * lies under `dir`: a test's primary storage lives in its temporary directory, and its pools must
 * not outlive it. The files are the test's to remove.
 */
export function undefinePoolsUnder(dir: string, uri = "qemu:///system") {
  let names: string[] = [];
  try {
    names = virsh(uri, "pool-list", "--all", "--name")
      .split("\n")
      .map((n) => n.trim());
  } catch {
    return;
  }
  for (const name of names.filter((n) => n.startsWith("stratus-"))) {
    try {
      const target = /<target>\s*<path>([^<]*)<\/path>/.exec(virsh(uri, "pool-dumpxml", "--pool", name))?.[1] ?? "";
      if (!target.startsWith(dir.replace(/\/+$/, "") + "/")) continue;
      try {
        virsh(uri, "pool-destroy", "--pool", name);
      } catch {}
      virsh(uri, "pool-undefine", "--pool", name);
    } catch {}
  }
}
