ALTER TYPE "public"."account_state" ADD VALUE 'removing';--> statement-breakpoint
ALTER TYPE "public"."account_state" ADD VALUE 'removed';--> statement-breakpoint
ALTER TABLE "domains" DROP CONSTRAINT "domains_parent_name_unique";--> statement-breakpoint
ALTER TABLE "accounts" DROP CONSTRAINT "accounts_domain_name_unique";--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "removed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "removed_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "domains_parent_name_unique" ON "domains" USING btree ("parent_id","name") WHERE "domains"."removed_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_domain_name_unique" ON "accounts" USING btree ("domain_id","name") WHERE "accounts"."removed_at" is null;--> statement-breakpoint
ALTER TABLE "compute_offerings" DROP COLUMN "ha_enabled";