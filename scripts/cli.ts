import path from "node:path";
import { parseArgs } from "node:util";
import { asc, eq } from "drizzle-orm";
import { dbHandle, type DbHandle } from "@/db";
import { DataDirLockedError } from "@/db/lock";
import { accounts, users } from "@/db/schema";
import { ensureAuthSecret } from "@/server/auth/auth-secret";
import { env } from "@/server/env";
import { issueApiKey, userIdByName } from "@/server/services/api-keys";

/**
 * The admin CLI: `npm run cli -- <command>`. It opens the database the server uses: DATABASE_URL
 * (PostgreSQL, safe while servers run), or the embedded PGlite data directory, which only one
 * process may open: while the server runs there, the CLI refuses (DataDirLockedError) and changes
 * nothing.
 *
 *   api-key create --user <username> [--name <name>] [--expires <ISO date>]   prints {"apiKey","secretKey"}
 *   users list                                                                  prints one JSON line per user
 */
const usage = `usage: npm run cli -- api-key create --user <username> [--name <name>] [--expires <ISO date>]
       npm run cli -- users list`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

const [area, verb, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: { user: { type: "string" }, name: { type: "string" }, expires: { type: "string" } },
  strict: true,
});

if (!((area === "api-key" && verb === "create") || (area === "users" && verb === "list"))) fail(usage);

ensureAuthSecret(path.resolve(env().DATA_DIR));
let h: DbHandle;
try {
  h = dbHandle();
} catch (e) {
  if (!(e instanceof DataDirLockedError)) throw e;
  fail(`${e.message}\n(The CLI cannot share the embedded database with a running server: stop the server, or use DATABASE_URL.)`, 1);
}
await h.migrate();
try {
  if (area === "api-key") {
    if (!values.user) fail(`--user is required\n${usage}`);
    const userId = await userIdByName(h.db, values.user);
    if (!userId) fail(`No user ${values.user}`, 1);
    const expiresAt = values.expires ? new Date(values.expires) : null;
    if (expiresAt && (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now()))
      fail("--expires must be a date in the future");
    const key = await issueApiKey(h.db, userId, { name: values.name ?? "cli", expiresAt }, null);
    console.log(JSON.stringify({ apiKey: key.apiKey, secretKey: key.secretKey }));
  } else {
    const rows = await h.db
      .select({ username: users.username, state: users.state, account: accounts.name, type: accounts.type })
      .from(users)
      .innerJoin(accounts, eq(accounts.id, users.accountId))
      .orderBy(asc(users.username));
    for (const r of rows) console.log(JSON.stringify(r));
  }
} finally {
  await h.close();
}
