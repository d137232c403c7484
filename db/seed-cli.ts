import { dbHandle } from "./index";
import { demoLogins, needsSeed, seed } from "./seed";

/** `npm run db:seed`: migrate and seed an empty database (what server.ts does on first start). */
const h = dbHandle();
await h.migrate();
if (await needsSeed(h.db)) {
  await seed(h.db, { demo: process.env.SEED_DEMO !== "0" });
  console.log("Seeded. Logins:", demoLogins.map((l) => `${l.username}/${l.password}`).join(", "));
} else {
  console.log("Database already seeded; nothing to do.");
}
await h.close();
