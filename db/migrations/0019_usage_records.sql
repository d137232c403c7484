CREATE TABLE "usage_aggregation" (
	"id" text PRIMARY KEY NOT NULL,
	"aggregated_until" timestamp with time zone NOT NULL,
	"folded_xid" bigint NOT NULL,
	"last_run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_records" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "usage_records" (
	"account_id" uuid NOT NULL,
	"domain_id" uuid NOT NULL,
	"domain_path" text NOT NULL,
	"usage_type" integer NOT NULL,
	"type_name" text NOT NULL,
	"resource_id" uuid NOT NULL,
	"resource_name" text,
	"zone_id" uuid,
	"offering_id" uuid,
	"template_id" uuid,
	"dimensions" jsonb NOT NULL,
	"dimensions_key" uuid NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"seconds" numeric NOT NULL,
	"size" numeric NOT NULL,
	"unit" text NOT NULL,
	"quantity" numeric(30, 9) NOT NULL,
	"aggregated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "usage_records_account_id_usage_type_resource_id_period_start_dimensions_key_pk" PRIMARY KEY("account_id","usage_type","resource_id","period_start","dimensions_key")
);
--> statement-breakpoint
CREATE INDEX "usage_records_period_idx" ON "usage_records" USING brin ("period_start");--> statement-breakpoint
CREATE INDEX "usage_records_account_period_idx" ON "usage_records" USING btree ("account_id","period_start");--> statement-breakpoint
CREATE INDEX "usage_records_domain_path_idx" ON "usage_records" USING btree ("domain_path","period_start");