CREATE TYPE "public"."volume_state" AS ENUM('allocated', 'creating', 'ready', 'attaching', 'detaching', 'resizing', 'migrating', 'destroyed', 'expunged', 'error');--> statement-breakpoint
CREATE TYPE "public"."volume_type" AS ENUM('root', 'datadisk');--> statement-breakpoint
CREATE TABLE "volumes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"number" bigserial NOT NULL,
	"name" text NOT NULL,
	"type" "volume_type" NOT NULL,
	"account_id" uuid NOT NULL,
	"domain_id" uuid NOT NULL,
	"domain_path" text NOT NULL,
	"zone_id" uuid NOT NULL,
	"storage_pool_id" uuid,
	"disk_offering_id" uuid,
	"size_gib" bigint NOT NULL,
	"instance_id" uuid,
	"device_target" text,
	"state" "volume_state" DEFAULT 'allocated' NOT NULL,
	"destroyed_at" timestamp with time zone,
	"expunge_after" timestamp with time zone,
	"removed_at" timestamp with time zone,
	"state_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "volumes_number_unique" UNIQUE("number")
);
--> statement-breakpoint
CREATE TABLE "simulator_volumes" (
	"pool_id" uuid NOT NULL,
	"name" text NOT NULL,
	"capacity_bytes" bigint NOT NULL,
	"allocation_bytes" bigint DEFAULT 0 NOT NULL,
	"attached_host_id" uuid,
	"attached_vm" text,
	"target" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "simulator_volumes_pool_id_name_pk" PRIMARY KEY("pool_id","name")
);
--> statement-breakpoint
ALTER TABLE "storage_pools" ADD COLUMN "overprovisioning" numeric(6, 2) DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "volumes" ADD CONSTRAINT "volumes_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "volumes" ADD CONSTRAINT "volumes_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."domains"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "volumes" ADD CONSTRAINT "volumes_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "volumes" ADD CONSTRAINT "volumes_storage_pool_id_storage_pools_id_fk" FOREIGN KEY ("storage_pool_id") REFERENCES "public"."storage_pools"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "volumes" ADD CONSTRAINT "volumes_disk_offering_id_disk_offerings_id_fk" FOREIGN KEY ("disk_offering_id") REFERENCES "public"."disk_offerings"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "volumes" ADD CONSTRAINT "volumes_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "volumes_instance_target_unique" ON "volumes" USING btree ("instance_id","device_target") WHERE "volumes"."instance_id" is not null;--> statement-breakpoint
CREATE INDEX "volumes_account_created_idx" ON "volumes" USING btree ("account_id","created_at","id");--> statement-breakpoint
CREATE INDEX "volumes_domain_path_idx" ON "volumes" USING btree ("domain_path");--> statement-breakpoint
CREATE INDEX "volumes_pool_idx" ON "volumes" USING btree ("storage_pool_id");--> statement-breakpoint
CREATE INDEX "volumes_state_idx" ON "volumes" USING btree ("state");--> statement-breakpoint
CREATE INDEX "volumes_created_idx" ON "volumes" USING btree ("created_at","id");