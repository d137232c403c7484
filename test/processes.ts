import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

/** A worker process (scripts/orchestrator-worker.ts) on a test database, for multi-process tests. */
export interface WorkerProcess {
  owner: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const alive = new Set<WorkerProcess>();

/**
 * Starts `npx tsx scripts/orchestrator-worker.ts` (or another `script` that prints "ready <owner>")
 * against `url` and waits for its "ready" line.
 * Every process started here is tracked: call killAllWorkers() in afterAll so none outlives the test.
 */
export function spawnWorker(url: string, owner: string, env: Record<string, string> = {}, readyTimeoutMs = 30_000): Promise<WorkerProcess> {
  return spawnScript("scripts/orchestrator-worker.ts", url, owner, env, readyTimeoutMs);
}

/** Starts `npx tsx <script>` (which prints "ready <owner>") against `url`; tracked like spawnWorker. */
export async function spawnScript(
  script: string,
  url: string,
  owner: string,
  env: Record<string, string> = {},
  readyTimeoutMs = 30_000,
): Promise<WorkerProcess> {
  const root = path.resolve(import.meta.dirname, "..");
  const child = spawn("npx", ["tsx", script], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url, STRATUS_WORKER_OWNER: owner, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // Own process group, so a kill reaches tsx's node child as well as npx.
    detached: true,
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const w: WorkerProcess = {
    owner,
    child,
    output: () => out,
    exited,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          child.kill(signal);
        }
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      alive.delete(w);
    },
  };
  alive.add(w);
  const until = Date.now() + readyTimeoutMs;
  while (!out.includes(`ready ${owner}`)) {
    if (child.exitCode !== null) throw new Error(`worker ${owner} exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > until) {
      await w.kill();
      throw new Error(`worker ${owner} not ready after ${readyTimeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return w;
}

export async function killAllWorkers() {
  await Promise.all([...alive].map((w) => w.kill("SIGKILL")));
}
