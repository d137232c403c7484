ALTER TABLE "storage_pools" ADD COLUMN "actual_bytes" bigint;--> statement-breakpoint
ALTER TABLE "storage_pools" ADD COLUMN "actual_bytes_at" timestamp with time zone;