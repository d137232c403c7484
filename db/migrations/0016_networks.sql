CREATE TYPE "public"."egress_default" AS ENUM('allow', 'deny');--> statement-breakpoint
CREATE TYPE "public"."network_guest_type" AS ENUM('isolated', 'shared', 'l2');--> statement-breakpoint
CREATE TYPE "public"."network_state" AS ENUM('allocated', 'implemented', 'shutdown', 'destroying');--> statement-breakpoint
CREATE TABLE "network_offerings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"display_text" text,
	"guest_type" "network_guest_type" NOT NULL,
	"services" text[] DEFAULT '{}' NOT NULL,
	"egress_default" "egress_default" DEFAULT 'allow' NOT NULL,
	"rate_limit_mbps" integer,
	"is_default" boolean DEFAULT false NOT NULL,
	"domain_id" uuid,
	"state" "offering_state" DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "network_offerings_scope_name_unique" UNIQUE NULLS NOT DISTINCT("domain_id","name")
);
--> statement-breakpoint
CREATE TABLE "networks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"number" bigserial NOT NULL,
	"name" text NOT NULL,
	"account_id" uuid NOT NULL,
	"domain_id" uuid NOT NULL,
	"domain_path" text NOT NULL,
	"zone_id" uuid NOT NULL,
	"network_offering_id" uuid NOT NULL,
	"cidr" text,
	"gateway" text,
	"dns_domain" text NOT NULL,
	"vlan" integer,
	"state" "network_state" DEFAULT 'allocated' NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"router_host_id" uuid,
	"state_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "networks_number_unique" UNIQUE("number"),
	CONSTRAINT "networks_zone_vlan_unique" UNIQUE("zone_id","vlan"),
	CONSTRAINT "networks_account_name_unique" UNIQUE("account_id","name")
);
--> statement-breakpoint
CREATE TABLE "nics" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"instance_id" uuid NOT NULL,
	"network_id" uuid NOT NULL,
	"device_id" integer NOT NULL,
	"mac" text NOT NULL,
	"ip" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "nics_mac_unique" UNIQUE("mac"),
	CONSTRAINT "nics_network_ip_unique" UNIQUE("network_id","ip"),
	CONSTRAINT "nics_instance_device_unique" UNIQUE("instance_id","device_id"),
	CONSTRAINT "nics_instance_network_unique" UNIQUE("instance_id","network_id")
);
--> statement-breakpoint
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
CREATE TABLE "simulator_networks" (
	"host_id" uuid NOT NULL,
	"network_id" uuid NOT NULL,
	"key" text NOT NULL,
	"role" text NOT NULL,
	"spec" jsonb NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "simulator_networks_host_id_network_id_pk" PRIMARY KEY("host_id","network_id")
);
--> statement-breakpoint
CREATE TABLE "zone_network_settings" (
	"zone_id" uuid PRIMARY KEY NOT NULL,
	"guest_cidr" text DEFAULT '10.1.1.0/24' NOT NULL,
	"public_bridge" text,
	"guest_uplink" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "zone_vlan_ranges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"zone_id" uuid NOT NULL,
	"start_id" integer NOT NULL,
	"end_id" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "network_offerings" ADD CONSTRAINT "network_offerings_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."domains"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "networks" ADD CONSTRAINT "networks_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "networks" ADD CONSTRAINT "networks_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."domains"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "networks" ADD CONSTRAINT "networks_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "networks" ADD CONSTRAINT "networks_network_offering_id_network_offerings_id_fk" FOREIGN KEY ("network_offering_id") REFERENCES "public"."network_offerings"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "networks" ADD CONSTRAINT "networks_router_host_id_hosts_id_fk" FOREIGN KEY ("router_host_id") REFERENCES "public"."hosts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nics" ADD CONSTRAINT "nics_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nics" ADD CONSTRAINT "nics_network_id_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "public"."networks"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "public_ip_ranges" ADD CONSTRAINT "public_ip_ranges_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "public_ips" ADD CONSTRAINT "public_ips_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "public_ips" ADD CONSTRAINT "public_ips_range_id_public_ip_ranges_id_fk" FOREIGN KEY ("range_id") REFERENCES "public"."public_ip_ranges"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "public_ips" ADD CONSTRAINT "public_ips_network_id_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "public"."networks"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "public_ips" ADD CONSTRAINT "public_ips_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "public_ips" ADD CONSTRAINT "public_ips_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."domains"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "zone_network_settings" ADD CONSTRAINT "zone_network_settings_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "zone_vlan_ranges" ADD CONSTRAINT "zone_vlan_ranges_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "network_offerings_one_default" ON "network_offerings" USING btree ("is_default") WHERE "network_offerings"."is_default";--> statement-breakpoint
CREATE UNIQUE INDEX "networks_account_default_unique" ON "networks" USING btree ("account_id","zone_id") WHERE "networks"."is_default";--> statement-breakpoint
CREATE INDEX "networks_account_created_idx" ON "networks" USING btree ("account_id","created_at","id");--> statement-breakpoint
CREATE INDEX "networks_domain_path_idx" ON "networks" USING btree ("domain_path");--> statement-breakpoint
CREATE INDEX "nics_network_idx" ON "nics" USING btree ("network_id");--> statement-breakpoint
CREATE INDEX "nics_network_ip_numeric_idx" ON "nics" USING btree ("network_id",("ip"::inet));--> statement-breakpoint
CREATE INDEX "public_ip_ranges_zone_idx" ON "public_ip_ranges" USING btree ("zone_id");--> statement-breakpoint
CREATE UNIQUE INDEX "public_ips_one_source_nat" ON "public_ips" USING btree ("network_id") WHERE "public_ips"."is_source_nat";--> statement-breakpoint
CREATE INDEX "public_ips_network_idx" ON "public_ips" USING btree ("network_id");--> statement-breakpoint
CREATE INDEX "zone_vlan_ranges_zone_idx" ON "zone_vlan_ranges" USING btree ("zone_id");