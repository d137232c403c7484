import { randomBytes } from "node:crypto";
import { RfbServer } from "./server";
import { TextScreen, type ScreenInfo } from "./screen";

/** What the simulator knows of a VM right now (null: gone). */
export type VmTruth = { state: string; startedAt: Date | null } | null;

interface Entry {
  server: RfbServer;
  screen: TextScreen;
  port: number;
  password: string;
  timer: NodeJS.Timeout;
}

/**
 * The running consoles of simulated VMs in this process: one RFB server per running VM, started
 * on first use and stopped when the VM stops, is destroyed or disappears (checked every second
 * against the simulator's truth, so a stop made by another process is seen too).
 */
export class SimulatorConsoles {
  private readonly entries = new Map<string, Entry>();
  private readonly starting = new Map<string, Promise<Entry>>();

  constructor(
    private readonly truth: (hostId: string, name: string) => Promise<VmTruth>,
    private readonly tickMs = 1000,
  ) {}

  private key = (hostId: string, name: string) => `${hostId}/${name}`;

  /** The console of a running VM, started if needed. */
  async endpoint(hostId: string, name: string, info: Omit<ScreenInfo, "state" | "startedAt">): Promise<{ port: number; password: string }> {
    const k = this.key(hostId, name);
    const existing = this.entries.get(k);
    if (existing) return { port: existing.port, password: existing.password };
    const inFlight = this.starting.get(k);
    if (inFlight) return inFlight.then((e) => ({ port: e.port, password: e.password }));
    const p = this.start(hostId, name, info);
    this.starting.set(k, p);
    try {
      const e = await p;
      return { port: e.port, password: e.password };
    } finally {
      this.starting.delete(k);
    }
  }

  private async start(hostId: string, name: string, info: Omit<ScreenInfo, "state" | "startedAt">): Promise<Entry> {
    const t = await this.truth(hostId, name);
    if (!t || t.state !== "running") throw new Error(`VM ${name} is not running`);
    const screen = new TextScreen({ ...info, state: t.state, startedAt: t.startedAt });
    const password = randomBytes(6).toString("base64url").slice(0, 8);
    const server = new RfbServer(screen, { name: `${info.displayName} (${name})`, password });
    const port = await server.listen();
    const k = this.key(hostId, name);
    let checking = false;
    const timer = setInterval(() => {
      if (checking) return;
      checking = true;
      void this.truth(hostId, name)
        .then((now) => {
          if (!now || now.state !== "running") this.stop(hostId, name);
          else screen.update({ state: now.state, startedAt: now.startedAt });
        })
        .catch(() => undefined)
        .finally(() => (checking = false));
    }, this.tickMs);
    timer.unref();
    const entry = { server, screen, port, password, timer };
    this.entries.set(k, entry);
    return entry;
  }

  /** Stops a VM's console: its clients are disconnected. */
  stop(hostId: string, name: string) {
    const k = this.key(hostId, name);
    const e = this.entries.get(k);
    if (!e) return;
    clearInterval(e.timer);
    e.server.close();
    this.entries.delete(k);
  }

  stopAll() {
    for (const k of [...this.entries.keys()]) {
      const [hostId, name] = k.split("/") as [string, string];
      this.stop(hostId, name);
    }
  }

  /** For tests: the screen of a running console. */
  screen(hostId: string, name: string): TextScreen | undefined {
    return this.entries.get(this.key(hostId, name))?.screen;
  }

  get size() {
    return this.entries.size;
  }
}
