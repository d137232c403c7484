DROP INDEX "usage_records_account_period_idx";--> statement-breakpoint
DROP INDEX "usage_records_domain_path_idx";--> statement-breakpoint
ALTER TABLE "usage_records" DROP CONSTRAINT "usage_records_account_id_usage_type_resource_id_period_start_dimensions_key_pk";--> statement-breakpoint
ALTER TABLE "usage_records" ADD CONSTRAINT "usage_records_account_id_period_start_usage_type_resource_id_dimensions_key_pk" PRIMARY KEY("account_id","period_start","usage_type","resource_id","dimensions_key");