CREATE TABLE "api_seen_signatures" (
	"hash" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "console_tickets" ADD COLUMN "api_key_id" uuid;--> statement-breakpoint
CREATE INDEX "api_seen_signatures_expires_idx" ON "api_seen_signatures" USING btree ("expires_at");--> statement-breakpoint
ALTER TABLE "console_tickets" ADD CONSTRAINT "console_tickets_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;