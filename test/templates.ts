import { eq } from "drizzle-orm";
import type { Db } from "@/db";
import { domains, templates } from "@/db/schema";

/** A Ready, private simulator template owned by an account (as a finished registration leaves it), for scope tests. */
export async function ownedTemplate(
  db: Db,
  name: string,
  owner: { accountId: string; domainId: string },
  extra: Partial<typeof templates.$inferInsert> = {},
) {
  const [d] = await db.select({ path: domains.path }).from(domains).where(eq(domains.id, owner.domainId));
  const [row] = await db
    .insert(templates)
    .values({
      name,
      hypervisorType: "simulator",
      format: "simulator",
      sizeGib: 1,
      path: name,
      isPublic: false,
      ...owner,
      domainPath: d!.path,
      ...extra,
    })
    .returning();
  return row!;
}
