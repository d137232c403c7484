CREATE TYPE "public"."vm_snapshot_state" AS ENUM('creating', 'ready', 'reverting', 'deleting', 'error', 'deleted');--> statement-breakpoint
CREATE TYPE "public"."vm_snapshot_type" AS ENUM('disk_and_memory', 'disk');--> statement-breakpoint
CREATE TABLE "simulator_vm_snapshots" (
	"host_id" uuid NOT NULL,
	"vm_name" text NOT NULL,
	"name" text NOT NULL,
	"memory" boolean NOT NULL,
	"vm_state" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"volumes" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "simulator_vm_snapshots_host_id_vm_name_name_pk" PRIMARY KEY("host_id","vm_name","name")
);
--> statement-breakpoint
CREATE TABLE "vm_snapshots" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"instance_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"domain_id" uuid NOT NULL,
	"domain_path" text NOT NULL,
	"zone_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"type" "vm_snapshot_type" NOT NULL,
	"state" "vm_snapshot_state" DEFAULT 'creating' NOT NULL,
	"parent_id" uuid,
	"current" boolean DEFAULT false NOT NULL,
	"size_bytes" bigint,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "vm_snapshots" ADD CONSTRAINT "vm_snapshots_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vm_snapshots" ADD CONSTRAINT "vm_snapshots_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vm_snapshots" ADD CONSTRAINT "vm_snapshots_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."domains"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vm_snapshots" ADD CONSTRAINT "vm_snapshots_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "vm_snapshots_instance_idx" ON "vm_snapshots" USING btree ("instance_id","created_at");--> statement-breakpoint
CREATE INDEX "vm_snapshots_account_idx" ON "vm_snapshots" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "vm_snapshots_domain_path_idx" ON "vm_snapshots" USING btree ("domain_path");