CREATE TYPE "public"."account_state" AS ENUM('enabled', 'disabled', 'locked');--> statement-breakpoint
CREATE TYPE "public"."account_type" AS ENUM('user', 'domain_admin', 'root_admin');--> statement-breakpoint
CREATE TYPE "public"."user_state" AS ENUM('enabled', 'disabled', 'locked');--> statement-breakpoint
CREATE TYPE "public"."resource_type" AS ENUM('instances', 'vcpus', 'memory_mib', 'volumes', 'primary_storage_gib', 'snapshots', 'templates', 'public_ips', 'networks');--> statement-breakpoint
CREATE TYPE "public"."allocation_algorithm" AS ENUM('first_fit', 'random', 'user_dispersing');--> statement-breakpoint
CREATE TYPE "public"."allocation_state" AS ENUM('enabled', 'disabled');--> statement-breakpoint
CREATE TYPE "public"."host_state" AS ENUM('enabled', 'disabled', 'maintenance');--> statement-breakpoint
CREATE TYPE "public"."host_status" AS ENUM('up', 'disconnected', 'down');--> statement-breakpoint
CREATE TYPE "public"."hypervisor_type" AS ENUM('simulator', 'kvm');--> statement-breakpoint
CREATE TYPE "public"."storage_pool_type" AS ENUM('simulator', 'local_dir');--> statement-breakpoint
CREATE TYPE "public"."offering_state" AS ENUM('active', 'inactive');--> statement-breakpoint
CREATE TYPE "public"."event_level" AS ENUM('info', 'warn', 'error');--> statement-breakpoint
CREATE TABLE "domains" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"parent_id" uuid,
	"name" text NOT NULL,
	"path" text NOT NULL,
	"level" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "domains_path_unique" UNIQUE("path"),
	CONSTRAINT "domains_parent_name_unique" UNIQUE NULLS NOT DISTINCT("parent_id","name")
);
--> statement-breakpoint
CREATE TABLE "accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"domain_id" uuid NOT NULL,
	"name" text NOT NULL,
	"type" "account_type" NOT NULL,
	"state" "account_state" DEFAULT 'enabled' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accounts_domain_name_unique" UNIQUE("domain_id","name")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"username" text NOT NULL,
	"email" text,
	"first_name" text,
	"last_name" text,
	"password_hash" text NOT NULL,
	"state" "user_state" DEFAULT 'enabled' NOT NULL,
	"session_version" integer DEFAULT 0 NOT NULL,
	"last_login_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_username_unique" UNIQUE("username")
);
--> statement-breakpoint
CREATE TABLE "resource_counters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid,
	"domain_id" uuid,
	"resource_type" "resource_type" NOT NULL,
	"max" bigint,
	"used" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "resource_counters_one_owner" CHECK (("resource_counters"."account_id" is null) <> ("resource_counters"."domain_id" is null)),
	CONSTRAINT "resource_counters_used_nonnegative" CHECK ("resource_counters"."used" >= 0),
	CONSTRAINT "resource_counters_max_nonnegative" CHECK ("resource_counters"."max" is null or "resource_counters"."max" >= 0)
);
--> statement-breakpoint
CREATE TABLE "clusters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"pod_id" uuid NOT NULL,
	"zone_id" uuid NOT NULL,
	"name" text NOT NULL,
	"hypervisor_type" "hypervisor_type" NOT NULL,
	"cpu_overcommit" numeric(6, 2) DEFAULT 1 NOT NULL,
	"memory_overcommit" numeric(6, 2) DEFAULT 1 NOT NULL,
	"state" "allocation_state" DEFAULT 'enabled' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hosts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"cluster_id" uuid NOT NULL,
	"pod_id" uuid NOT NULL,
	"zone_id" uuid NOT NULL,
	"name" text NOT NULL,
	"hypervisor_type" "hypervisor_type" NOT NULL,
	"address" text NOT NULL,
	"cpu_cores" integer NOT NULL,
	"cpu_mhz" integer NOT NULL,
	"memory_mib" bigint NOT NULL,
	"tags" text[] DEFAULT '{}' NOT NULL,
	"state" "host_state" DEFAULT 'enabled' NOT NULL,
	"status" "host_status" DEFAULT 'up' NOT NULL,
	"cpu_used_mhz" bigint DEFAULT 0 NOT NULL,
	"memory_used_mib" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "hosts_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "pods" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"zone_id" uuid NOT NULL,
	"name" text NOT NULL,
	"state" "allocation_state" DEFAULT 'enabled' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "secondary_stores" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"zone_id" uuid NOT NULL,
	"name" text NOT NULL,
	"path" text NOT NULL,
	"capacity_gib" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "secondary_stores_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "storage_pools" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"zone_id" uuid NOT NULL,
	"cluster_id" uuid,
	"name" text NOT NULL,
	"type" "storage_pool_type" NOT NULL,
	"path" text NOT NULL,
	"capacity_gib" bigint NOT NULL,
	"used_gib" bigint DEFAULT 0 NOT NULL,
	"tags" text[] DEFAULT '{}' NOT NULL,
	"state" "host_state" DEFAULT 'enabled' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "storage_pools_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "zones" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"state" "allocation_state" DEFAULT 'enabled' NOT NULL,
	"allocation_algorithm" "allocation_algorithm" DEFAULT 'first_fit' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "zones_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "compute_offerings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"display_text" text,
	"cpu_cores" integer NOT NULL,
	"cpu_mhz" integer NOT NULL,
	"memory_mib" integer NOT NULL,
	"ha_enabled" boolean DEFAULT false NOT NULL,
	"cpu_cap" boolean DEFAULT false NOT NULL,
	"host_tags" text[] DEFAULT '{}' NOT NULL,
	"domain_id" uuid,
	"state" "offering_state" DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "compute_offerings_scope_name_unique" UNIQUE NULLS NOT DISTINCT("domain_id","name")
);
--> statement-breakpoint
CREATE TABLE "disk_offerings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"display_text" text,
	"size_gib" bigint,
	"custom_size" boolean DEFAULT false NOT NULL,
	"min_gib" bigint,
	"max_gib" bigint,
	"storage_tags" text[] DEFAULT '{}' NOT NULL,
	"domain_id" uuid,
	"state" "offering_state" DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "disk_offerings_scope_name_unique" UNIQUE NULLS NOT DISTINCT("domain_id","name")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"type" text NOT NULL,
	"level" "event_level" DEFAULT 'info' NOT NULL,
	"description" text NOT NULL,
	"actor_user_id" uuid,
	"account_id" uuid,
	"domain_id" uuid,
	"domain_path" text,
	"resource_type" text,
	"resource_id" uuid,
	"details" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "domains" ADD CONSTRAINT "domains_parent_id_domains_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."domains"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."domains"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resource_counters" ADD CONSTRAINT "resource_counters_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resource_counters" ADD CONSTRAINT "resource_counters_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."domains"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clusters" ADD CONSTRAINT "clusters_pod_id_pods_id_fk" FOREIGN KEY ("pod_id") REFERENCES "public"."pods"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clusters" ADD CONSTRAINT "clusters_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hosts" ADD CONSTRAINT "hosts_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hosts" ADD CONSTRAINT "hosts_pod_id_pods_id_fk" FOREIGN KEY ("pod_id") REFERENCES "public"."pods"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hosts" ADD CONSTRAINT "hosts_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pods" ADD CONSTRAINT "pods_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "secondary_stores" ADD CONSTRAINT "secondary_stores_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "storage_pools" ADD CONSTRAINT "storage_pools_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "storage_pools" ADD CONSTRAINT "storage_pools_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compute_offerings" ADD CONSTRAINT "compute_offerings_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."domains"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disk_offerings" ADD CONSTRAINT "disk_offerings_domain_id_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."domains"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "domains_path_idx" ON "domains" USING btree ("path");--> statement-breakpoint
CREATE INDEX "accounts_domain_idx" ON "accounts" USING btree ("domain_id");--> statement-breakpoint
CREATE INDEX "users_account_idx" ON "users" USING btree ("account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "resource_counters_account_idx" ON "resource_counters" USING btree ("account_id","resource_type") WHERE "resource_counters"."account_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "resource_counters_domain_idx" ON "resource_counters" USING btree ("domain_id","resource_type") WHERE "resource_counters"."domain_id" is not null;--> statement-breakpoint
CREATE INDEX "clusters_pod_idx" ON "clusters" USING btree ("pod_id");--> statement-breakpoint
CREATE INDEX "hosts_cluster_idx" ON "hosts" USING btree ("cluster_id");--> statement-breakpoint
CREATE INDEX "hosts_zone_idx" ON "hosts" USING btree ("zone_id");--> statement-breakpoint
CREATE INDEX "pods_zone_idx" ON "pods" USING btree ("zone_id");--> statement-breakpoint
CREATE INDEX "storage_pools_zone_idx" ON "storage_pools" USING btree ("zone_id");--> statement-breakpoint
CREATE INDEX "events_account_created_idx" ON "events" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE INDEX "events_domain_path_idx" ON "events" USING btree ("domain_path");--> statement-breakpoint
CREATE INDEX "events_created_idx" ON "events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "events_resource_idx" ON "events" USING btree ("resource_id");