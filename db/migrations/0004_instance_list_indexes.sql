DROP INDEX "instances_account_created_idx";--> statement-breakpoint
DROP INDEX "instances_created_idx";--> statement-breakpoint
CREATE INDEX "instances_account_created_idx" ON "instances" USING btree ("account_id","created_at","id");--> statement-breakpoint
CREATE INDEX "instances_created_idx" ON "instances" USING btree ("created_at","id");