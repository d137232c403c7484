import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import type { Db } from "@/db";
import { rowsOf } from "@/db/rows";

/**
 * CPU seconds (user + system) used so far by the PostgreSQL backends connected to the benchmark's
 * database, read from /proc (the server on this machine; null otherwise or on PGlite). On a shared
 * machine this measures the work of the database, where the wall clock measures the load. Parallel
 * query workers are not counted (they exit before they can be read): run with them off, or compare
 * like with like. `before(pids)`: the CPU of those backends at this reading (0 for one opened since).
 */
export async function backendCpuSeconds(db: Db): Promise<{ total: number; pids: number[]; before: (pids: number[]) => number } | null> {
  let pids: number[];
  try {
    pids = rowsOf<{ pid: number }>(
      await db.execute(sql`select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`),
    ).map((r) => Number(r.pid));
  } catch {
    return null;
  }
  const cpu = new Map<number, number>();
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      cpu.set(pid, (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      return null;
    }
  }
  return { total: [...cpu.values()].reduce((a, b) => a + b, 0), pids, before: (ps) => ps.reduce((a, p) => a + (cpu.get(p) ?? 0), 0) };
}
