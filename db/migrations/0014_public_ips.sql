CREATE TABLE "public_ip_ranges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"zone_id" uuid NOT NULL,
	"gateway" text NOT NULL,
	"prefix_length" integer NOT NULL,
	"vlan" integer,
	"start_ip" text NOT NULL,
	"end_ip" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "public_ips" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"zone_id" uuid NOT NULL,
	"range_id" uuid NOT NULL,
	"address" text NOT NULL,
	"network_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"domain_id" uuid NOT NULL,
	"domain_path" text NOT NULL,
	"is_source_nat" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "public_ips_zone_address_unique" UNIQUE("zone_id","address")
);
--> statement-breakpoint
ALTER TABLE "public_ip_ranges" ADD CONSTRAINT "public_ip_ranges_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "public_ips" ADD CONSTRAINT "public_ips_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "public_ips" ADD CONSTRAINT "public_ips_range_id_public_ip_ranges_id_fk" FOREIGN KEY ("range_id") REFERENCES "public"."public_ip_ranges"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "public_ips" ADD CONSTRAINT "public_ips_network_id_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "public"."networks"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "public_ips" ADD CONSTRAINT "public_ips_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "public_ips" ADD CONSTRAINT "public_ips_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."domains"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "public_ip_ranges_zone_idx" ON "public_ip_ranges" USING btree ("zone_id");--> statement-breakpoint
CREATE UNIQUE INDEX "public_ips_one_source_nat" ON "public_ips" USING btree ("network_id") WHERE "public_ips"."is_source_nat";--> statement-breakpoint
CREATE INDEX "public_ips_network_idx" ON "public_ips" USING btree ("network_id");