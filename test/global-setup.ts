import { ensurePgliteTemplate, ensurePostgresTemplate } from "./db";

/** Before the workers start: the migrated template their test databases are copied from (test/db.ts). */
export default async function setup() {
  if (process.env.TEST_DB === "postgres") await ensurePostgresTemplate();
  else await ensurePgliteTemplate();
}
