CREATE TYPE "public"."network_rule_kind" AS ENUM('static_nat', 'port_forward', 'firewall', 'egress', 'load_balancer');--> statement-breakpoint
CREATE TABLE "load_balancer_members" (
	"rule_id" uuid NOT NULL,
	"nic_id" uuid NOT NULL,
	CONSTRAINT "load_balancer_members_rule_id_nic_id_pk" PRIMARY KEY("rule_id","nic_id")
);
--> statement-breakpoint
CREATE TABLE "network_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"network_id" uuid NOT NULL,
	"kind" "network_rule_kind" NOT NULL,
	"public_ip_id" uuid,
	"protocol" text NOT NULL,
	"start_port" integer,
	"end_port" integer,
	"private_start_port" integer,
	"private_end_port" integer,
	"cidrs" text[] DEFAULT '{}' NOT NULL,
	"nic_id" uuid,
	"private_ip" text,
	"name" text,
	"algorithm" text,
	"health_check" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "network_rules_ports" CHECK ("network_rules"."start_port" is null or ("network_rules"."start_port" between 1 and 65535 and "network_rules"."end_port" between "network_rules"."start_port" and 65535))
);
--> statement-breakpoint
ALTER TABLE "load_balancer_members" ADD CONSTRAINT "load_balancer_members_rule_id_network_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."network_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "load_balancer_members" ADD CONSTRAINT "load_balancer_members_nic_id_nics_id_fk" FOREIGN KEY ("nic_id") REFERENCES "public"."nics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_rules" ADD CONSTRAINT "network_rules_network_id_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "public"."networks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_rules" ADD CONSTRAINT "network_rules_public_ip_id_public_ips_id_fk" FOREIGN KEY ("public_ip_id") REFERENCES "public"."public_ips"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_rules" ADD CONSTRAINT "network_rules_nic_id_nics_id_fk" FOREIGN KEY ("nic_id") REFERENCES "public"."nics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "load_balancer_members_nic_idx" ON "load_balancer_members" USING btree ("nic_id");--> statement-breakpoint
CREATE INDEX "network_rules_network_idx" ON "network_rules" USING btree ("network_id");--> statement-breakpoint
CREATE INDEX "network_rules_public_ip_idx" ON "network_rules" USING btree ("public_ip_id");--> statement-breakpoint
CREATE INDEX "network_rules_nic_idx" ON "network_rules" USING btree ("nic_id");--> statement-breakpoint
CREATE UNIQUE INDEX "network_rules_static_nat_ip" ON "network_rules" USING btree ("public_ip_id") WHERE "network_rules"."kind" = 'static_nat';--> statement-breakpoint
CREATE UNIQUE INDEX "network_rules_static_nat_nic" ON "network_rules" USING btree ("nic_id") WHERE "network_rules"."kind" = 'static_nat';