CREATE TYPE "public"."template_format" AS ENUM('simulator', 'qcow2', 'raw');--> statement-breakpoint
CREATE TYPE "public"."vm_state" AS ENUM('allocated', 'starting', 'running', 'stopping', 'stopped', 'migrating', 'error', 'unknown', 'destroyed', 'expunging', 'expunged');--> statement-breakpoint
CREATE TYPE "public"."job_status" AS ENUM('queued', 'running', 'succeeded', 'failed');--> statement-breakpoint
CREATE TABLE "templates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"display_text" text,
	"os_type" text DEFAULT 'Other Linux (64-bit)' NOT NULL,
	"hypervisor_type" "hypervisor_type" NOT NULL,
	"format" "template_format" NOT NULL,
	"size_gib" bigint NOT NULL,
	"path" text NOT NULL,
	"is_public" boolean DEFAULT true NOT NULL,
	"account_id" uuid,
	"domain_id" uuid,
	"zone_id" uuid,
	"state" "offering_state" DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "instances" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"number" bigserial NOT NULL,
	"name" text NOT NULL,
	"account_id" uuid NOT NULL,
	"domain_id" uuid NOT NULL,
	"domain_path" text NOT NULL,
	"zone_id" uuid NOT NULL,
	"host_id" uuid,
	"last_host_id" uuid,
	"compute_offering_id" uuid NOT NULL,
	"template_id" uuid NOT NULL,
	"state" "vm_state" DEFAULT 'allocated' NOT NULL,
	"cpu_cores" integer NOT NULL,
	"cpu_mhz" integer NOT NULL,
	"memory_mib" integer NOT NULL,
	"capacity_reserved" boolean DEFAULT false NOT NULL,
	"ip_address" text,
	"destroyed_at" timestamp with time zone,
	"expunge_after" timestamp with time zone,
	"state_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "instances_number_unique" UNIQUE("number")
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"type" text NOT NULL,
	"status" "job_status" DEFAULT 'queued' NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" uuid NOT NULL,
	"account_id" uuid,
	"domain_path" text,
	"user_id" uuid,
	"input" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"result" jsonb,
	"error" text,
	"progress" integer DEFAULT 0 NOT NULL,
	"progress_message" text,
	"steps" text[] DEFAULT '{}' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 5 NOT NULL,
	"run_after" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_by" text,
	"lease_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "usage_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"type" text NOT NULL,
	"account_id" uuid NOT NULL,
	"domain_id" uuid NOT NULL,
	"zone_id" uuid,
	"resource_id" uuid NOT NULL,
	"resource_name" text,
	"offering_id" uuid,
	"template_id" uuid,
	"details" jsonb,
	"idempotency_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "usage_events_idempotency_key_unique" UNIQUE("idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "simulator_faults" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"operation" text NOT NULL,
	"host_id" uuid,
	"probability" double precision DEFAULT 1 NOT NULL,
	"remaining" integer,
	"transient" boolean DEFAULT false NOT NULL,
	"message" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "simulator_settings" (
	"id" text PRIMARY KEY NOT NULL,
	"latency_ms" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "simulator_vms" (
	"host_id" uuid NOT NULL,
	"name" text NOT NULL,
	"state" text NOT NULL,
	"cpu_cores" integer NOT NULL,
	"memory_mib" integer NOT NULL,
	"started_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "simulator_vms_host_id_name_pk" PRIMARY KEY("host_id","name")
);
--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "last_seen_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "templates" ADD CONSTRAINT "templates_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "templates" ADD CONSTRAINT "templates_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."domains"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "templates" ADD CONSTRAINT "templates_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."domains"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_last_host_id_hosts_id_fk" FOREIGN KEY ("last_host_id") REFERENCES "public"."hosts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_compute_offering_id_compute_offerings_id_fk" FOREIGN KEY ("compute_offering_id") REFERENCES "public"."compute_offerings"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_template_id_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "public"."templates"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "templates_account_idx" ON "templates" USING btree ("account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "instances_account_name_unique" ON "instances" USING btree ("account_id","name") WHERE "instances"."state" <> 'expunged';--> statement-breakpoint
CREATE INDEX "instances_account_created_idx" ON "instances" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE INDEX "instances_domain_path_idx" ON "instances" USING btree ("domain_path");--> statement-breakpoint
CREATE INDEX "instances_host_idx" ON "instances" USING btree ("host_id");--> statement-breakpoint
CREATE INDEX "instances_state_idx" ON "instances" USING btree ("state");--> statement-breakpoint
CREATE INDEX "instances_created_idx" ON "instances" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_one_active_per_resource" ON "jobs" USING btree ("resource_id") WHERE "jobs"."status" in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "jobs_claim_idx" ON "jobs" USING btree ("status","run_after");--> statement-breakpoint
CREATE INDEX "jobs_resource_idx" ON "jobs" USING btree ("resource_id","created_at");--> statement-breakpoint
CREATE INDEX "jobs_account_idx" ON "jobs" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE INDEX "usage_events_account_created_idx" ON "usage_events" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE INDEX "usage_events_resource_idx" ON "usage_events" USING btree ("resource_id");