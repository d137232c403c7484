import { execFileSync } from "node:child_process";

/**
 * The network router namespaces (srt-…) on this machine. A spec that runs VMs on the local libvirtd
 * takes them before and compares after removing its host: removing a host removes its routers.
 */
export const routerNamespaces = () =>
  new Set(
    execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
      .split("\n")
      .map((l) => l.split(" ")[0]!)
      .filter((n) => n.startsWith("srt-")),
  );

export const newRouterNamespaces = (before: Set<string>) => [...routerNamespaces()].filter((n) => !before.has(n));
