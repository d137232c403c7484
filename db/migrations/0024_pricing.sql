CREATE TYPE "public"."price_list_mode" AS ENUM('own', 'margin');--> statement-breakpoint
CREATE TYPE "public"."tariff_basis" AS ENUM('hour', 'gib_hour', 'gib', 'vcpu_hour', 'gib_ram_hour');--> statement-breakpoint
CREATE TABLE "price_list_margins" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"price_list_id" uuid NOT NULL,
	"margin_percent" numeric(12, 4) NOT NULL,
	"effective_from" timestamp with time zone NOT NULL,
	"effective_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "price_lists" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"domain_id" uuid NOT NULL,
	"name" text NOT NULL,
	"currency" text NOT NULL,
	"mode" "price_list_mode" NOT NULL,
	"allow_sub_lists" boolean DEFAULT false NOT NULL,
	"effective_from" timestamp with time zone NOT NULL,
	"effective_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "price_lists_currency_iso" CHECK ("price_lists"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "tariffs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"price_list_id" uuid NOT NULL,
	"usage_type" integer NOT NULL,
	"offering_id" uuid,
	"basis" "tariff_basis" NOT NULL,
	"unit_price" numeric(30, 9) NOT NULL,
	"effective_from" timestamp with time zone NOT NULL,
	"effective_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tariffs_price_nonnegative" CHECK ("tariffs"."unit_price" >= 0),
	CONSTRAINT "tariffs_effective_order" CHECK ("tariffs"."effective_until" is null or "tariffs"."effective_until" > "tariffs"."effective_from")
);
--> statement-breakpoint
CREATE TABLE "usage_rating" (
	"id" text PRIMARY KEY NOT NULL,
	"rated_through" timestamp with time zone NOT NULL,
	"folded_xid" bigint DEFAULT 0 NOT NULL,
	"last_run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_charges" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "price_list_margins" ADD CONSTRAINT "price_list_margins_price_list_id_price_lists_id_fk" FOREIGN KEY ("price_list_id") REFERENCES "public"."price_lists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "price_lists" ADD CONSTRAINT "price_lists_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."domains"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tariffs" ADD CONSTRAINT "tariffs_price_list_id_price_lists_id_fk" FOREIGN KEY ("price_list_id") REFERENCES "public"."price_lists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tariffs" ADD CONSTRAINT "tariffs_offering_id_compute_offerings_id_fk" FOREIGN KEY ("offering_id") REFERENCES "public"."compute_offerings"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "price_list_margins_list_idx" ON "price_list_margins" USING btree ("price_list_id","effective_from");--> statement-breakpoint
CREATE UNIQUE INDEX "price_lists_domain_open_unique" ON "price_lists" USING btree ("domain_id") WHERE "price_lists"."effective_until" is null;--> statement-breakpoint
CREATE INDEX "tariffs_list_type_idx" ON "tariffs" USING btree ("price_list_id","usage_type","effective_from");--> statement-breakpoint
CREATE INDEX "usage_records_aggregated_at_idx" ON "usage_records" USING brin ("aggregated_at");