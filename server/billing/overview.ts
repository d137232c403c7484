import { sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { rowsOf } from "@/db/rows";
import { charges } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { getAccountInScope } from "@/server/services/accounts";
import { balances } from "./balance";
import { standingOf } from "./low-balance";
import { monthRange } from "./statements";

/**
 * What an account's holder must see before a policy bites: balances, month-to-date spend, and
 * its standing (the inherited policy's thresholds, which it is below, when its VMs would be
 * stopped). The portal's banner and the Billing page read this.
 */
export async function billingOverview(db: DbOrTx, caller: Caller, accountId?: string, now = new Date()) {
  const account = await getAccountInScope(db, caller, accountId ?? caller.accountId);
  const month = monthRange(undefined, now);
  const spend = rowsOf<{ currency: string; amount: string }>(
    await db.execute(sql`
      select ${charges.currency} as currency, trim_scale(sum(${charges.amount}))::text as amount from ${charges}
      where ${charges.accountId} = ${account.id} and ${charges.periodStart} >= ${month.from.toISOString()}::timestamptz
      group by 1 order by 1`),
  );
  const standing = await standingOf(db, account.id);
  return {
    account: { id: account.id, name: account.name, domainName: account.domainName },
    balances: await balances(db, { accountIds: [account.id] }),
    monthToDate: spend,
    standing,
  };
}
export type BillingOverview = Awaited<ReturnType<typeof billingOverview>>;
