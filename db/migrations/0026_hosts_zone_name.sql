DROP INDEX "hosts_zone_idx";--> statement-breakpoint
CREATE INDEX "hosts_zone_name_idx" ON "hosts" USING btree ("zone_id","name");