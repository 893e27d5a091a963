CREATE TABLE "onboarding_submissions" (
	"id" text PRIMARY KEY DEFAULT gen_random_uuid()::text NOT NULL,
	"clerk_user_id" text NOT NULL,
	"kind" text NOT NULL,
	"reference" text NOT NULL,
	"tier" text,
	"submitted_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "onboarding" ADD COLUMN "first_run_id" text;--> statement-breakpoint
-- Rows from before this column: their run was the first one (a takeover then counts as a rerun).
UPDATE "onboarding" SET "first_run_id" = "run_id" WHERE "first_run_id" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "onboarding_submissions_unique" ON "onboarding_submissions" USING btree ("clerk_user_id","kind","reference");--> statement-breakpoint
CREATE INDEX "onboarding_submissions_user_idx" ON "onboarding_submissions" USING btree ("clerk_user_id","submitted_at");