CREATE TYPE "public"."template_copy_status" AS ENUM('copying', 'ready', 'error');--> statement-breakpoint
CREATE TABLE "template_zone_copies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"template_id" uuid NOT NULL,
	"zone_id" uuid NOT NULL,
	"secondary_store_id" uuid NOT NULL,
	"path" text DEFAULT '' NOT NULL,
	"status" "template_copy_status" DEFAULT 'copying' NOT NULL,
	"progress" integer DEFAULT 0 NOT NULL,
	"error_message" text,
	"stored_bytes" bigint DEFAULT 0 NOT NULL,
	"stored_gib" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "storage_pools" ADD COLUMN "actual_bytes" bigint;--> statement-breakpoint
ALTER TABLE "storage_pools" ADD COLUMN "actual_bytes_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "template_zone_copies" ADD CONSTRAINT "template_zone_copies_template_id_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "public"."templates"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "template_zone_copies" ADD CONSTRAINT "template_zone_copies_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "template_zone_copies" ADD CONSTRAINT "template_zone_copies_secondary_store_id_secondary_stores_id_fk" FOREIGN KEY ("secondary_store_id") REFERENCES "public"."secondary_stores"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "template_zone_copies_zone_idx" ON "template_zone_copies" USING btree ("template_id","zone_id");--> statement-breakpoint
CREATE INDEX "template_zone_copies_zone_id_idx" ON "template_zone_copies" USING btree ("zone_id");