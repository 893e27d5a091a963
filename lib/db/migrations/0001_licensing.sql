CREATE TABLE "org_seat_assignments" (
	"clerk_org_id" text NOT NULL,
	"clerk_user_id" text NOT NULL,
	"clerk_membership_id" text NOT NULL,
	"assigned_by" text NOT NULL,
	"assigned_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "org_seat_assignments_clerk_org_id_clerk_user_id_pk" PRIMARY KEY("clerk_org_id","clerk_user_id"),
	CONSTRAINT "org_seat_assignments_clerk_membership_id_unique" UNIQUE("clerk_membership_id")
);
--> statement-breakpoint
ALTER TABLE "orgs" ADD COLUMN "assigned_seats" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "org_seat_assignments" ADD CONSTRAINT "org_seat_assignments_clerk_org_id_orgs_clerk_org_id_fk" FOREIGN KEY ("clerk_org_id") REFERENCES "public"."orgs"("clerk_org_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orgs" ADD CONSTRAINT "orgs_assigned_seats_non_negative" CHECK ("orgs"."assigned_seats" >= 0);