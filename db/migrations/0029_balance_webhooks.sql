CREATE TYPE "public"."credit_kind" AS ENUM('credit', 'adjustment');--> statement-breakpoint
CREATE TYPE "public"."webhook_delivery_status" AS ENUM('pending', 'succeeded', 'failed');--> statement-breakpoint
CREATE TABLE "account_balance_states" (
	"account_id" uuid PRIMARY KEY NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"low_notified_at" timestamp with time zone,
	"stop_due_at" timestamp with time zone,
	"stopped_at" timestamp with time zone,
	"last_balance" numeric(30, 9),
	"evaluated_at" timestamp with time zone,
	CONSTRAINT "account_balance_states_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "balance_policies" (
	"domain_id" uuid PRIMARY KEY NOT NULL,
	"currency" text NOT NULL,
	"notify_below" numeric(30, 9),
	"refuse_below" numeric(30, 9),
	"stop_below" numeric(30, 9),
	"stop_grace_minutes" integer DEFAULT 4320 NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "credits" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"domain_id" uuid NOT NULL,
	"domain_path" text NOT NULL,
	"kind" "credit_kind" NOT NULL,
	"currency" text NOT NULL,
	"amount" numeric(30, 9) NOT NULL,
	"reason" text NOT NULL,
	"created_by" uuid,
	"created_by_name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "credits_amount_nonzero" CHECK ("credits"."amount" <> 0),
	CONSTRAINT "credits_positive_credit" CHECK ("credits"."kind" <> 'credit' or "credits"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"subscription_id" uuid NOT NULL,
	"account_id" uuid,
	"domain_path" text NOT NULL,
	"event" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" "webhook_delivery_status" DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now(),
	"response_code" integer,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "webhook_subscriptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"domain_id" uuid NOT NULL,
	"domain_path" text NOT NULL,
	"account_id" uuid,
	"name" text NOT NULL,
	"url" text NOT NULL,
	"secret" text NOT NULL,
	"event_types" text[] NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_subscription_id_webhook_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."webhook_subscriptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "credits_account_idx" ON "credits" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE INDEX "credits_domain_path_idx" ON "credits" USING btree ("domain_path");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_subscription_idx" ON "webhook_deliveries" USING btree ("subscription_id","created_at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_pending_idx" ON "webhook_deliveries" USING btree ("next_attempt_at") WHERE "webhook_deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_subscriptions_path_idx" ON "webhook_subscriptions" USING btree ("domain_path");--> statement-breakpoint
CREATE INDEX "webhook_subscriptions_account_idx" ON "webhook_subscriptions" USING btree ("account_id");