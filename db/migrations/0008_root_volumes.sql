-- Every existing VM's root disk becomes a ROOT volume row (the volumes table is now the truth of
-- what lies on primary storage), counted against the owner's `volumes` and `primary_storage_gib`
-- limits unless the VM is destroyed (a destroyed VM gave its limits back). Pool used_gib already
-- counts these disks (instances.storage_pool_id/root_disk_gib, dropped by the next migration).
INSERT INTO "volumes" ("name", "type", "account_id", "domain_id", "domain_path", "zone_id", "storage_pool_id", "size_gib",
  "instance_id", "device_target", "state", "destroyed_at", "expunge_after", "created_at")
SELECT i."name" || '-root', 'root', i."account_id", i."domain_id", i."domain_path", i."zone_id", i."storage_pool_id",
  CASE WHEN i."storage_pool_id" IS NOT NULL THEN i."root_disk_gib" ELSE t."size_gib" END, i."id", 'vda',
  (CASE WHEN i."destroyed_at" IS NOT NULL THEN 'destroyed' ELSE 'ready' END)::"volume_state",
  i."destroyed_at", i."expunge_after", i."created_at"
FROM "instances" i JOIN "templates" t ON t."id" = i."template_id"
WHERE i."state" <> 'expunged';
--> statement-breakpoint
WITH "live" AS (
  SELECT "account_id", "domain_path", "size_gib" FROM "volumes" WHERE "type" = 'root' AND "state" <> 'destroyed'
), "shares" AS (
  SELECT c."id", CASE c."resource_type" WHEN 'volumes' THEN 1 ELSE l."size_gib" END AS "amount"
  FROM "live" l JOIN "resource_counters" c
    ON (c."account_id" = l."account_id" OR (c."domain_id" IS NOT NULL AND l."domain_path" LIKE '%/' || c."domain_id"::text || '/%'))
  WHERE c."resource_type" IN ('volumes', 'primary_storage_gib')
)
UPDATE "resource_counters" rc SET "used" = rc."used" + s."total"
FROM (SELECT "id", sum("amount") AS "total" FROM "shares" GROUP BY "id") s
WHERE rc."id" = s."id";
