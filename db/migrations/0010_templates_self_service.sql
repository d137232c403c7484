CREATE TYPE "public"."template_status" AS ENUM('downloading', 'uploading', 'ready', 'error');--> statement-breakpoint
ALTER TYPE "public"."resource_type" ADD VALUE 'secondary_storage_gib' BEFORE 'public_ips';--> statement-breakpoint
ALTER TYPE "public"."template_format" ADD VALUE 'iso';--> statement-breakpoint
CREATE TABLE "template_shares" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"template_id" uuid NOT NULL,
	"account_id" uuid,
	"domain_id" uuid,
	"domain_path" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "template_shares_one_target" CHECK (("template_shares"."account_id" is null) <> ("template_shares"."domain_id" is null)),
	CONSTRAINT "template_shares_domain_path" CHECK (("template_shares"."domain_id" is null) = ("template_shares"."domain_path" is null))
);
--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "is_featured" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "domain_path" text;--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "status" "template_status" DEFAULT 'ready' NOT NULL;--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "progress" integer DEFAULT 100 NOT NULL;--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "error_message" text;--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "url" text;--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "checksum" text;--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "stored_bytes" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "expected_bytes" bigint;--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "claimed_format" "template_format";--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "stored_gib" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "template_shares" ADD CONSTRAINT "template_shares_template_id_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "public"."templates"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "template_shares" ADD CONSTRAINT "template_shares_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "template_shares" ADD CONSTRAINT "template_shares_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."domains"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "template_shares_account_idx" ON "template_shares" USING btree ("template_id","account_id") WHERE "template_shares"."account_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "template_shares_domain_idx" ON "template_shares" USING btree ("template_id","domain_id") WHERE "template_shares"."domain_id" is not null;--> statement-breakpoint
CREATE INDEX "template_shares_target_account_idx" ON "template_shares" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "templates_domain_path_idx" ON "templates" USING btree ("domain_path");