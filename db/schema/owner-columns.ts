import { text, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";
import { domains } from "./domains";

/**
 * The owner of a tenant resource, spelled the same on every table: its account, the account's
 * domain, and a copy of the domain's materialised path (rewritten on domain moves) so scope
 * filters (server/authz/scopes.ts) need no join. Beside columns.ts, which accounts and domains
 * themselves import.
 */
export const ownerColumns = () => ({
  accountId: uuid("account_id")
    .notNull()
    .references(() => accounts.id, { onDelete: "restrict" }),
  domainId: uuid("domain_id")
    .notNull()
    .references(() => domains.id, { onDelete: "restrict" }),
  domainPath: text("domain_path").notNull(),
});
