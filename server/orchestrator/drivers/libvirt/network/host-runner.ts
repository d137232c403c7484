import { DriverError, type HostRef } from "../../types";
import { allowedUriProblem, run, type RunResult } from "../run";

/**
 * Runs a network tool (ip, nft, dnsmasq, haproxy, …) on a host with an argument array. On this
 * machine's libvirtd (qemu:///system) it is execFile, no shell. On a qemu+ssh:// host it is ssh
 * with the URI's user, port and key file: ssh joins its arguments into one remote command line, so
 * every argument is single-quoted for the remote shell (no value can be read as shell syntax).
 * qemu+tls:// hosts have no command channel: networks cannot be realised there.
 */
export type HostRunner = ((cmd: string, args: readonly string[], opts?: { input?: string; timeoutMs?: number }) => Promise<RunResult>) & {
  /** The host is this machine: files can be read and written directly instead of through cat/tee. */
  local?: boolean;
};

export function shellQuote(arg: string) {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function hostRunner(host: HostRef): HostRunner {
  const problem = allowedUriProblem(host.address);
  if (problem) throw new DriverError(`Host ${host.name}: ${problem}`);
  if (host.address === "qemu:///system")
    return Object.assign((cmd: string, args: readonly string[], opts?: { input?: string; timeoutMs?: number }) => run(cmd, args, opts), {
      local: true,
    });
  const m = /^qemu\+ssh:\/\/([^@/?#]+)@([^/?#]+)\/system(?:\?(.*))?$/.exec(host.address);
  if (!m) throw new DriverError(`Host ${host.name}: networks need a local (qemu:///system) or SSH (qemu+ssh://) host`);
  const [, user, hostPort, query] = m as unknown as [string, string, string, string | undefined];
  const hp = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(hostPort)!;
  const params = new URLSearchParams(query ?? "");
  const sshArgs = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"];
  if (hp[2]) sshArgs.push("-p", hp[2]);
  const keyfile = params.get("keyfile");
  if (keyfile) sshArgs.push("-i", keyfile);
  const knownHosts = params.get("known_hosts");
  if (knownHosts) sshArgs.push("-o", `UserKnownHostsFile=${knownHosts}`);
  sshArgs.push("-l", user, hp[1]!, "--");
  return (cmd, args, opts) => run("ssh", [...sshArgs, [cmd, ...args].map(shellQuote).join(" ")], opts);
}
