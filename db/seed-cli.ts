import { dbHandle, type DbHandle } from "./index";
import { DataDirLockedError } from "./lock";
import { env } from "@/server/env";
import { demoLogins, needsSeed, seed } from "./seed";

/** `npm run db:seed`: migrate and seed an empty database (what server.ts does on first start). */
let h: DbHandle;
try {
  h = dbHandle();
} catch (e) {
  if (!(e instanceof DataDirLockedError)) throw e;
  console.error(e.message);
  process.exit(1);
}
await h.migrate();
if (await needsSeed(h.db)) {
  await seed(h.db, { demo: env().SEED_DEMO === "1" });
  console.log("Seeded. Logins:", demoLogins.map((l) => `${l.username}/${l.password}`).join(", "));
} else {
  console.log("Database already seeded; nothing to do.");
}
await h.close();
