ALTER TABLE "orgs" ADD COLUMN "checkout_session_id" text;--> statement-breakpoint
ALTER TABLE "orgs" ADD COLUMN "checkout_url" text;--> statement-breakpoint
ALTER TABLE "orgs" ADD COLUMN "checkout_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "orgs" ADD CONSTRAINT "orgs_checkout_session_id_unique" UNIQUE("checkout_session_id");