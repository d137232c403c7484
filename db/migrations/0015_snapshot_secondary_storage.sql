ALTER TABLE "snapshots" ADD COLUMN "counted_gib" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Custom: snapshots taken before this migration start to count against secondary_storage_gib
-- (Ready ones by their stored bytes rounded up, ones being taken by their volume's size), on the
-- account's counter and every ancestor domain's (the ids in the snapshot's domain path).
-- resource_type is compared as text: on a fresh database every migration runs in one transaction,
-- where the enum value added by 0010 cannot be used yet.
UPDATE "snapshots" SET "counted_gib" = CASE
  WHEN "state" = 'ready' THEN greatest(1, ceil(coalesce("size_bytes", 0) / 1073741824.0))::integer
  ELSE greatest(1, ceil(coalesce("capacity_bytes", 0) / 1073741824.0))::integer END
WHERE "state" IN ('ready', 'creating');
--> statement-breakpoint
UPDATE "resource_counters" rc SET "used" = rc."used" + s."gib"
FROM (SELECT "account_id", sum("counted_gib") AS "gib" FROM "snapshots" GROUP BY "account_id") s
WHERE rc."account_id" = s."account_id" AND rc."resource_type"::text = 'secondary_storage_gib' AND s."gib" > 0;
--> statement-breakpoint
UPDATE "resource_counters" rc SET "used" = rc."used" + s."gib"
FROM (
  SELECT d."id" AS "domain_id", sum(sn."counted_gib") AS "gib"
  FROM "snapshots" sn JOIN "domains" d ON sn."domain_path" LIKE '%/' || d."id"::text || '/%'
  GROUP BY d."id"
) s
WHERE rc."domain_id" = s."domain_id" AND rc."resource_type"::text = 'secondary_storage_gib' AND s."gib" > 0;
