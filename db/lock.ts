import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { processSingleton } from "@/lib/process-singleton";

/**
 * One process per embedded database: PGlite has no locking of its own, and two processes writing
 * one data directory corrupt it. The first process writes `stratus.lock` (its pid, host and start
 * time) into the data directory; any other process refuses to open it while that process lives.
 * A lock whose process is gone (killed, crashed, machine restarted) is stale and taken over.
 */

export const LOCK_FILE = "stratus.lock";

interface LockInfo {
  pid: number;
  host: string;
  /** The process's start time (Linux /proc), so a recycled pid is not mistaken for the holder. */
  started: string | null;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockInfo,
  ) {
    const where =
      holder.host === os.hostname() ? `another process (pid ${holder.pid})` : `another process (pid ${holder.pid} on host ${holder.host})`;
    super(
      `The data directory ${dataDir} is in use by ${where}: the embedded database (PGlite) ` +
        `serves one process only. Stop that process first, or, to run several processes (servers, workers, ` +
        `scripts) on one database, set DATABASE_URL to a PostgreSQL database. If no such process exists, ` +
        `delete ${path.join(dataDir, LOCK_FILE)}.`,
    );
    this.name = "DataDirLockedError";
  }
}

/** Start time of a process from /proc (clock ticks since boot), or null where /proc is missing. */
function startTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start at the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function read(file: string): LockInfo | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<LockInfo>;
    if (typeof v.pid !== "number" || typeof v.host !== "string") return null;
    return { pid: v.pid, host: v.host, started: typeof v.started === "string" ? v.started : null };
  } catch {
    return null;
  }
}

/** Is the holder still running? A lock from another host cannot be checked: assume it is. */
function holderLives(h: LockInfo): boolean {
  if (h.host !== os.hostname()) return true;
  if (!alive(h.pid)) return false;
  return h.started === null || startTime(h.pid) === null || startTime(h.pid) === h.started;
}

const me = (): LockInfo => ({ pid: process.pid, host: os.hostname(), started: startTime(process.pid) });
const mine = (h: LockInfo | null) => h !== null && h.pid === process.pid && h.host === os.hostname();

// One per process: server.ts (tsx) and the Next.js bundle each load this module in one process.
const held = processSingleton("db.dataDirLocks", () => new Set<string>());

/**
 * Takes the data directory's lock for this process, or throws DataDirLockedError naming the
 * holder. Re-entrant within a process. Released by releaseDataDirLock, and on process exit.
 */
export function lockDataDir(dataDir: string): void {
  const dir = path.resolve(dataDir);
  const file = path.join(dir, LOCK_FILE);
  if (held.has(file)) return;
  fs.mkdirSync(dir, { recursive: true });
  const content = JSON.stringify(me());
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      // O_EXCL: of several processes starting at once, exactly one creates the file.
      fs.writeFileSync(file, content, { flag: "wx", mode: 0o644 });
      return remember(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const holder = read(file);
    if (mine(holder)) return remember(file);
    if (holder && holderLives(holder)) throw new DataDirLockedError(dir, holder);
    // Stale (dead holder) or unreadable (a holder killed mid-write): take it over, one taker at a time.
    takeOver(file, holder, content);
    if (mine(read(file))) return remember(file);
  }
  const holder = read(file);
  throw new DataDirLockedError(dir, holder ?? { pid: -1, host: "unknown", started: null });
}

/**
 * Replaces a stale lock under a short-lived `.takeover` lock, so two processes finding the same
 * stale lock cannot both take it: the second re-reads it and finds the first one's live pid.
 */
function takeOver(file: string, stale: LockInfo | null, content: string) {
  const guard = `${file}.takeover`;
  try {
    fs.writeFileSync(guard, String(process.pid), { flag: "wx" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    // A taker that died between its two steps leaves the guard behind: after a few seconds it is junk.
    try {
      if (Date.now() - fs.statSync(guard).mtimeMs > 5000) fs.rmSync(guard, { force: true });
    } catch {
      /* gone meanwhile */
    }
    return;
  }
  try {
    const now = read(file);
    const unchanged = JSON.stringify(now) === JSON.stringify(stale);
    if (unchanged) {
      const tmp = `${file}.${process.pid}`;
      fs.writeFileSync(tmp, content);
      fs.renameSync(tmp, file);
    }
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

function remember(file: string) {
  held.add(file);
  // Covers process.exit and a normal end; a killed process leaves a stale lock, taken over later.
  processSingleton("db.dataDirLockExitHook", () => process.on("exit", () => held.forEach(removeIfMine)));
}

function removeIfMine(file: string) {
  try {
    if (mine(read(file))) fs.rmSync(file, { force: true });
  } catch {
    /* best effort at exit */
  }
}

export function releaseDataDirLock(dataDir: string): void {
  const file = path.join(path.resolve(dataDir), LOCK_FILE);
  if (!held.delete(file)) return;
  removeIfMine(file);
}
