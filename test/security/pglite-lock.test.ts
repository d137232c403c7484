import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDb } from "@/db";
import { DataDirLockedError, LOCK_FILE, lockDataDir, releaseDataDirLock } from "@/db/lock";

/**
 * Two processes writing one PGlite directory corrupt it. The first process to open a data
 * directory locks it; any other refuses at once, naming the holder and pointing to PostgreSQL.
 * A lock left by a dead process is taken over.
 */
const root = path.resolve(import.meta.dirname, "../..");
const dirs: string[] = [];
const tmpDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-lock-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** Runs a Stratus entry point as a separate process on `dataDir`; resolves with its exit code, output and run time. */
function run(script: string, dataDir: string, timeoutMs = 150_000) {
  const started = Date.now();
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const child = spawn("npx", ["tsx", script], {
    cwd: root,
    env: { ...env, DATA_DIR: dataDir, SEED_DEMO: "0", NODE_ENV: "production", PORT: "3199" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise<{ code: number | null; out: string; ms: number }>((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* exited meanwhile */
      }
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out, ms: Date.now() - started });
    });
  });
}

/** The pid of a process that has exited (so surely not running). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => child.once("exit", r));
  return child.pid!;
}

describe("the embedded database is one process's", { timeout: 300_000 }, () => {
  it("a second server or seed on a data directory in use exits at once, naming the holder's pid", async () => {
    const dir = tmpDir();
    const holder = openDb({ dataDir: dir });
    try {
      await holder.migrate();
      const lock = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), "utf8")) as { pid: number };
      expect(lock.pid).toBe(process.pid);

      const [server, seed] = await Promise.all([run("server.ts", dir), run("db/seed-cli.ts", dir)]);
      for (const r of [server, seed]) {
        expect(r.code, r.out).not.toBe(0);
        expect(r.out).toContain(`in use by another process (pid ${process.pid})`);
        expect(r.out).toContain("DATABASE_URL");
        // At once: refused when opening the database, before anything else (the server logs its
        // database only once it has opened it).
        expect(r.out).not.toContain("[stratus] database:");
        expect(r.out).not.toContain("ready on");
        // No wait for the holder either (a loaded machine makes tsx's start-up itself take long).
        expect(r.ms).toBeLessThan(120_000);
      }
      // The refused processes left the holder's lock alone and the holder still works.
      expect((JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), "utf8")) as { pid: number }).pid).toBe(process.pid);
      await holder.db.execute("select 1");
    } finally {
      await holder.close();
    }
    // Closing releases the lock: the directory opens again.
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it("a stale lock (its process is dead) is taken over, and the taker releases it on exit", async () => {
    const dir = tmpDir();
    const dead = await deadPid();
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: dead, host: os.hostname(), started: "1" }));
    const r = await run("db/seed-cli.ts", dir);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("Seeded");
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it("in-process: a recycled pid (alive but started later) and an unreadable lock are stale; a live holder is not", () => {
    const dir = tmpDir();
    const file = path.join(dir, LOCK_FILE);
    // The parent process is alive, but the lock says it started at another time: another process had that pid.
    fs.writeFileSync(file, JSON.stringify({ pid: process.ppid, host: os.hostname(), started: "not-its-start-time" }));
    lockDataDir(dir);
    expect((JSON.parse(fs.readFileSync(file, "utf8")) as { pid: number }).pid).toBe(process.pid);
    releaseDataDirLock(dir);
    expect(fs.existsSync(file)).toBe(false);

    fs.writeFileSync(file, "{half-writ");
    lockDataDir(dir);
    releaseDataDirLock(dir);

    // A live holder (the parent process, with no start time to contradict it) keeps the lock.
    fs.writeFileSync(file, JSON.stringify({ pid: process.ppid, host: os.hostname(), started: null }));
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    expect(() => lockDataDir(dir)).toThrow(`pid ${process.ppid}`);
    expect(fs.readFileSync(file, "utf8")).toContain(String(process.ppid));
  });
});
