CREATE TYPE "public"."snapshot_frequency" AS ENUM('hourly', 'daily', 'weekly', 'monthly');--> statement-breakpoint
CREATE TYPE "public"."snapshot_state" AS ENUM('creating', 'ready', 'error', 'destroyed');--> statement-breakpoint
ALTER TYPE "public"."volume_state" ADD VALUE 'reverting' BEFORE 'destroyed';--> statement-breakpoint
CREATE TABLE "simulator_snapshots" (
	"id" text PRIMARY KEY NOT NULL,
	"pool_id" uuid NOT NULL,
	"volume_name" text NOT NULL,
	"capacity_bytes" bigint NOT NULL,
	"allocation_bytes" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "snapshot_policies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"volume_id" uuid NOT NULL,
	"frequency" "snapshot_frequency" NOT NULL,
	"minute" integer NOT NULL,
	"hour" integer,
	"weekday" integer,
	"day_of_month" integer,
	"time_zone" text NOT NULL,
	"retention" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "snapshot_policy_runs" (
	"policy_id" uuid NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"snapshot_id" uuid,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "snapshot_policy_runs_policy_id_due_at_pk" PRIMARY KEY("policy_id","due_at")
);
--> statement-breakpoint
CREATE TABLE "snapshots" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"volume_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"domain_id" uuid NOT NULL,
	"domain_path" text NOT NULL,
	"zone_id" uuid NOT NULL,
	"state" "snapshot_state" DEFAULT 'creating' NOT NULL,
	"size_bytes" bigint,
	"capacity_bytes" bigint,
	"file" text,
	"parent_file" text,
	"parent_id" uuid,
	"full" boolean DEFAULT true NOT NULL,
	"policy_id" uuid,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "snapshot_policies" ADD CONSTRAINT "snapshot_policies_volume_id_volumes_id_fk" FOREIGN KEY ("volume_id") REFERENCES "public"."volumes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "snapshot_policy_runs" ADD CONSTRAINT "snapshot_policy_runs_policy_id_snapshot_policies_id_fk" FOREIGN KEY ("policy_id") REFERENCES "public"."snapshot_policies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "snapshots" ADD CONSTRAINT "snapshots_volume_id_volumes_id_fk" FOREIGN KEY ("volume_id") REFERENCES "public"."volumes"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "snapshots" ADD CONSTRAINT "snapshots_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "snapshots" ADD CONSTRAINT "snapshots_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."domains"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "snapshots" ADD CONSTRAINT "snapshots_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "snapshot_policies_volume_frequency_unique" ON "snapshot_policies" USING btree ("volume_id","frequency");--> statement-breakpoint
CREATE INDEX "snapshots_volume_created_idx" ON "snapshots" USING btree ("volume_id","created_at");--> statement-breakpoint
CREATE INDEX "snapshots_account_idx" ON "snapshots" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "snapshots_domain_path_idx" ON "snapshots" USING btree ("domain_path");--> statement-breakpoint
CREATE INDEX "snapshots_policy_idx" ON "snapshots" USING btree ("policy_id");