ALTER TABLE "instances" DROP CONSTRAINT "instances_storage_pool_id_storage_pools_id_fk";
--> statement-breakpoint
ALTER TABLE "instances" DROP COLUMN "storage_pool_id";--> statement-breakpoint
ALTER TABLE "instances" DROP COLUMN "root_disk_gib";