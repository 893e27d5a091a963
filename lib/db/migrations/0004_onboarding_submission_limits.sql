CREATE TABLE "onboarding_submission_limits" (
	"clerk_user_id" text PRIMARY KEY NOT NULL,
	"window_started_at" timestamp with time zone NOT NULL,
	"submissions" integer NOT NULL
);
