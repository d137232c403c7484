import { execFile } from "node:child_process";
import { libvirtUriProblem } from "@/lib/validation/infrastructure";
import { libvirtKeyDir } from "@/server/env";
import { DriverError } from "../types";

/**
 * Runs libvirt's and QEMU's own tools (virsh, qemu-img) with argument arrays through execFile:
 * never a shell, never a command string, so no value can be read as shell syntax.
 */
export interface RunResult {
  stdout: string;
  stderr: string;
}

export class ToolError extends DriverError {
  constructor(
    message: string,
    transient: boolean,
    readonly stderr: string,
    readonly code: number | string | null,
  ) {
    super(message, transient);
    this.name = "ToolError";
  }
}

/** Messages that mean "libvirt did not answer" (worth a retry), as opposed to a refusal. */
const CONNECTION_TROUBLE =
  /failed to connect to the hypervisor|Cannot recv data|End of file while reading data|Connection reset|Connection refused|No route to host|Broken pipe|Failed to connect socket|unable to connect to server|timed out|Cannot write data|client socket is closed|Host key verification failed|Permission denied \(publickey/i;

export function isConnectionTrouble(text: string) {
  return CONNECTION_TROUBLE.test(text);
}

/** The Debian package that brings each tool, for the "not installed" message. */
const PACKAGE_OF: Record<string, string> = {
  virsh: "libvirt-clients",
  "qemu-img": "qemu-utils",
  ip: "iproute2",
  nft: "nftables",
  dnsmasq: "dnsmasq-base",
  haproxy: "haproxy",
  ssh: "openssh-client",
};

export function run(cmd: string, args: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args as string[],
      {
        timeout: opts.timeoutMs ?? 60_000,
        killSignal: "SIGKILL",
        maxBuffer: 32 * 1024 * 1024,
        env: { ...process.env, LC_ALL: "C", LANG: "C" },
      },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
        const text = (stderr || e.message).trim().replace(/\s+/g, " ");
        if (e.code === "ENOENT") {
          return reject(
            new ToolError(`${cmd} is not installed on the Stratus server (apt-get install ${PACKAGE_OF[cmd] ?? cmd})`, false, "", "ENOENT"),
          );
        }
        if (e.killed) {
          return reject(
            new ToolError(
              `${cmd} ${args
                .filter((a) => !a.startsWith("<"))
                .slice(0, 4)
                .join(" ")} did not answer within ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s (timed out)`,
              true,
              stderr,
              "TIMEOUT",
            ),
          );
        }
        reject(new ToolError(text.replace(/^error:\s*/i, ""), isConnectionTrouble(text), stderr, e.code ?? null));
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/**
 * Why a libvirt URI may not be used (null when it may): the rule host addresses are validated
 * with, applied with the configured key directory. Checked again here, where virsh gets the URI,
 * because some URIs (qemu+ext, ?command=) make virsh run a program as soon as it connects.
 */
export function allowedUriProblem(uri: string): string | null {
  return libvirtUriProblem(uri, libvirtKeyDir());
}

/** `virsh -c <uri> <args…>`: the URI is one argument, and only an allowed one reaches virsh. */
export function virsh(uri: string, args: readonly string[], opts: { timeoutMs?: number } = {}) {
  const problem = allowedUriProblem(uri);
  if (problem) return Promise.reject(new ToolError(`Refusing the libvirt URI ${JSON.stringify(uri)}: ${problem}`, false, "", "URI"));
  return run("virsh", ["-q", "-c", uri, ...args], opts);
}

export function qemuImg(args: readonly string[], opts: { timeoutMs?: number } = {}) {
  return run("qemu-img", args, { timeoutMs: opts.timeoutMs ?? 600_000 });
}
