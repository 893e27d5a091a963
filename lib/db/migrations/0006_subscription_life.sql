CREATE TABLE "projects" (
	"id" text PRIMARY KEY DEFAULT gen_random_uuid()::text NOT NULL,
	"clerk_user_id" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "trial_grants" (
	"kind" text NOT NULL,
	"keyed_hash" text NOT NULL,
	"clerk_user_id" text NOT NULL,
	"granted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "trial_grants_kind_keyed_hash_pk" PRIMARY KEY("kind","keyed_hash")
);
--> statement-breakpoint
DROP INDEX "emails_user_kind_unique";--> statement-breakpoint
ALTER TABLE "emails" ADD COLUMN "reference" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "current_period_end" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "cancels_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "emails_unsubscribed_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "projects_user_idx" ON "projects" USING btree ("clerk_user_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "emails_user_kind_reference_unique" ON "emails" USING btree ("clerk_user_id","kind","reference");