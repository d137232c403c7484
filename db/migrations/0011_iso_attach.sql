ALTER TABLE "instances" ADD COLUMN "iso_id" uuid;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "boot_from_iso" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "simulator_vms" ADD COLUMN "iso_path" text;--> statement-breakpoint
ALTER TABLE "simulator_vms" ADD COLUMN "boot_from_iso" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_iso_id_templates_id_fk" FOREIGN KEY ("iso_id") REFERENCES "public"."templates"("id") ON DELETE set null ON UPDATE no action;