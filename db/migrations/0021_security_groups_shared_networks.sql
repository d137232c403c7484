CREATE TYPE "public"."security_group_direction" AS ENUM('ingress', 'egress');--> statement-breakpoint
CREATE TYPE "public"."security_group_protocol" AS ENUM('tcp', 'udp', 'icmp', 'all');--> statement-breakpoint
CREATE TABLE "nic_security_groups" (
	"nic_id" uuid NOT NULL,
	"security_group_id" uuid NOT NULL,
	CONSTRAINT "nic_security_groups_nic_id_security_group_id_pk" PRIMARY KEY("nic_id","security_group_id")
);
--> statement-breakpoint
CREATE TABLE "security_group_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"security_group_id" uuid NOT NULL,
	"direction" "security_group_direction" NOT NULL,
	"protocol" "security_group_protocol" NOT NULL,
	"start_port" integer,
	"end_port" integer,
	"cidr" text,
	"peer_security_group_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "security_groups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"domain_id" uuid NOT NULL,
	"domain_path" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"is_default" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "security_groups_account_name_unique" UNIQUE("account_id","name")
);
--> statement-breakpoint
CREATE TABLE "simulator_security_groups" (
	"host_id" uuid NOT NULL,
	"vm_name" text NOT NULL,
	"spec" jsonb NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "simulator_security_groups_host_id_vm_name_pk" PRIMARY KEY("host_id","vm_name")
);
--> statement-breakpoint
ALTER TABLE "networks" ADD COLUMN "ip_range_start" text;--> statement-breakpoint
ALTER TABLE "networks" ADD COLUMN "ip_range_end" text;--> statement-breakpoint
ALTER TABLE "networks" ADD COLUMN "router_ip" text;--> statement-breakpoint
ALTER TABLE "nic_security_groups" ADD CONSTRAINT "nic_security_groups_nic_id_nics_id_fk" FOREIGN KEY ("nic_id") REFERENCES "public"."nics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nic_security_groups" ADD CONSTRAINT "nic_security_groups_security_group_id_security_groups_id_fk" FOREIGN KEY ("security_group_id") REFERENCES "public"."security_groups"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "security_group_rules" ADD CONSTRAINT "security_group_rules_security_group_id_security_groups_id_fk" FOREIGN KEY ("security_group_id") REFERENCES "public"."security_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "security_group_rules" ADD CONSTRAINT "security_group_rules_peer_security_group_id_security_groups_id_fk" FOREIGN KEY ("peer_security_group_id") REFERENCES "public"."security_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "security_groups" ADD CONSTRAINT "security_groups_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "security_groups" ADD CONSTRAINT "security_groups_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."domains"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "nic_security_groups_group_idx" ON "nic_security_groups" USING btree ("security_group_id");--> statement-breakpoint
CREATE INDEX "security_group_rules_group_idx" ON "security_group_rules" USING btree ("security_group_id");--> statement-breakpoint
CREATE INDEX "security_group_rules_peer_idx" ON "security_group_rules" USING btree ("peer_security_group_id");--> statement-breakpoint
CREATE UNIQUE INDEX "security_groups_one_default" ON "security_groups" USING btree ("account_id") WHERE "security_groups"."is_default" = 1;--> statement-breakpoint
CREATE INDEX "security_groups_domain_path_idx" ON "security_groups" USING btree ("domain_path");