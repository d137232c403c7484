CREATE TYPE "public"."libvirt_domain_type" AS ENUM('kvm', 'qemu');--> statement-breakpoint
CREATE TABLE "host_metrics" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"host_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"running_vms" integer NOT NULL,
	"cpu_percent" real NOT NULL,
	"memory_mib" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vm_metrics" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"instance_id" uuid NOT NULL,
	"host_id" uuid,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"cpu_percent" real NOT NULL,
	"memory_mib" integer NOT NULL,
	"disk_read_bytes" bigint NOT NULL,
	"disk_write_bytes" bigint NOT NULL,
	"net_rx_bytes" bigint NOT NULL,
	"net_tx_bytes" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "cpu_model" text;--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "hypervisor_version" text;--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "libvirt_version" text;--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "kvm_accelerated" boolean;--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "domain_type" "libvirt_domain_type";--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "secondary_store_id" uuid;--> statement-breakpoint
ALTER TABLE "host_metrics" ADD CONSTRAINT "host_metrics_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vm_metrics" ADD CONSTRAINT "vm_metrics_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vm_metrics" ADD CONSTRAINT "vm_metrics_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "host_metrics_host_at_idx" ON "host_metrics" USING btree ("host_id","at");--> statement-breakpoint
CREATE INDEX "host_metrics_at_idx" ON "host_metrics" USING btree ("at");--> statement-breakpoint
CREATE INDEX "vm_metrics_instance_at_idx" ON "vm_metrics" USING btree ("instance_id","at");--> statement-breakpoint
CREATE INDEX "vm_metrics_at_idx" ON "vm_metrics" USING btree ("at");--> statement-breakpoint
ALTER TABLE "templates" ADD CONSTRAINT "templates_secondary_store_id_secondary_stores_id_fk" FOREIGN KEY ("secondary_store_id") REFERENCES "public"."secondary_stores"("id") ON DELETE restrict ON UPDATE no action;