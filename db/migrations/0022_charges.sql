CREATE TABLE "charges" (
	"account_id" uuid NOT NULL,
	"domain_id" uuid NOT NULL,
	"domain_path" text NOT NULL,
	"usage_type" integer NOT NULL,
	"resource_id" uuid NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"dimensions_key" uuid NOT NULL,
	"price_list_id" uuid NOT NULL,
	"tariff_id" uuid,
	"currency" text NOT NULL,
	"amount" numeric(30, 9) NOT NULL,
	"rated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "charges_account_id_usage_type_resource_id_period_start_dimensions_key_pk" PRIMARY KEY("account_id","usage_type","resource_id","period_start","dimensions_key")
);
--> statement-breakpoint
CREATE INDEX "charges_account_period_idx" ON "charges" USING btree ("account_id","period_start");--> statement-breakpoint
CREATE INDEX "charges_domain_path_idx" ON "charges" USING btree ("domain_path","period_start");