ALTER TABLE "simulator_vms" ADD COLUMN "nic_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "nics" ADD COLUMN "last_tx_bytes" bigint;--> statement-breakpoint
ALTER TABLE "nics" ADD COLUMN "last_rx_bytes" bigint;--> statement-breakpoint
ALTER TABLE "nics" ADD COLUMN "traffic_sampled_at" timestamp with time zone;