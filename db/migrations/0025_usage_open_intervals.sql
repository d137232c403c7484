CREATE TABLE "usage_open_intervals" (
	"usage_type" integer NOT NULL,
	"fact_id" uuid NOT NULL,
	"resource_id" uuid NOT NULL,
	CONSTRAINT "usage_open_intervals_usage_type_fact_id_pk" PRIMARY KEY("usage_type","fact_id")
);
--> statement-breakpoint
ALTER TABLE "usage_aggregation" ADD COLUMN "open_intervals_until" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "usage_events_type_occurred_idx" ON "usage_events" USING btree ("type","occurred_at");