DROP INDEX "usage_events_account_created_idx";--> statement-breakpoint
DROP INDEX "usage_events_resource_idx";--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "storage_pool_id" uuid;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "root_disk_gib" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "seq" bigint NOT NULL GENERATED ALWAYS AS IDENTITY (sequence name "usage_events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1);--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "occurred_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "xact_id" bigint DEFAULT (pg_current_xact_id()::text)::bigint NOT NULL;--> statement-breakpoint
ALTER TABLE "simulator_vms" ADD COLUMN "cpu_cap_percent" double precision;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_storage_pool_id_storage_pools_id_fk" FOREIGN KEY ("storage_pool_id") REFERENCES "public"."storage_pools"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "usage_events_account_seq_idx" ON "usage_events" USING btree ("account_id","seq");--> statement-breakpoint
CREATE INDEX "usage_events_resource_seq_idx" ON "usage_events" USING btree ("resource_id","seq");--> statement-breakpoint
CREATE INDEX "usage_events_seq_idx" ON "usage_events" USING btree ("seq");--> statement-breakpoint
CREATE INDEX "usage_events_xact_idx" ON "usage_events" USING btree ("xact_id");