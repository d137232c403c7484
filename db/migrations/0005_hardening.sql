ALTER TYPE "public"."account_state" ADD VALUE 'removing';--> statement-breakpoint
ALTER TYPE "public"."account_state" ADD VALUE 'removed';--> statement-breakpoint
CREATE TABLE "console_tickets" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"session_id" text NOT NULL,
	"session_version" integer NOT NULL,
	"instance_id" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "login_throttle" (
	"key" text PRIMARY KEY NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"count" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"session_version" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ip" text NOT NULL,
	"user_agent" text DEFAULT '' NOT NULL,
	"ended_at" timestamp with time zone,
	"ended_reason" text
);
--> statement-breakpoint
ALTER TABLE "domains" DROP CONSTRAINT "domains_parent_name_unique";--> statement-breakpoint
ALTER TABLE "accounts" DROP CONSTRAINT "accounts_domain_name_unique";--> statement-breakpoint
DROP INDEX "usage_events_account_created_idx";--> statement-breakpoint
DROP INDEX "usage_events_resource_idx";--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "removed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "removed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "host_name" text;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "storage_pool_id" uuid;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "root_disk_gib" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "seq" bigint NOT NULL GENERATED ALWAYS AS IDENTITY (sequence name "usage_events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1);--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "occurred_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "xact_id" bigint DEFAULT (pg_current_xact_id()::text)::bigint NOT NULL;--> statement-breakpoint
ALTER TABLE "simulator_vms" ADD COLUMN "cpu_cap_percent" double precision;--> statement-breakpoint
ALTER TABLE "console_tickets" ADD CONSTRAINT "console_tickets_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "console_tickets_expires_idx" ON "console_tickets" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "login_throttle_window_idx" ON "login_throttle" USING btree ("window_start");--> statement-breakpoint
CREATE INDEX "sessions_user_active_idx" ON "sessions" USING btree ("user_id") WHERE "sessions"."ended_at" is null;--> statement-breakpoint
CREATE INDEX "sessions_last_seen_idx" ON "sessions" USING btree ("last_seen_at");--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_storage_pool_id_storage_pools_id_fk" FOREIGN KEY ("storage_pool_id") REFERENCES "public"."storage_pools"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "domains_parent_name_unique" ON "domains" USING btree ("parent_id","name") WHERE "domains"."removed_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_domain_name_unique" ON "accounts" USING btree ("domain_id","name") WHERE "accounts"."removed_at" is null;--> statement-breakpoint
CREATE INDEX "usage_events_account_seq_idx" ON "usage_events" USING btree ("account_id","seq");--> statement-breakpoint
CREATE INDEX "usage_events_resource_seq_idx" ON "usage_events" USING btree ("resource_id","seq");--> statement-breakpoint
CREATE INDEX "usage_events_seq_idx" ON "usage_events" USING btree ("seq");--> statement-breakpoint
CREATE INDEX "usage_events_xact_idx" ON "usage_events" USING btree ("xact_id");--> statement-breakpoint
ALTER TABLE "compute_offerings" DROP COLUMN "ha_enabled";