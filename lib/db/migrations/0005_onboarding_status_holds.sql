CREATE TABLE "onboarding_status_holds" (
	"clerk_user_id" text NOT NULL,
	"slot" integer NOT NULL,
	"holder" text NOT NULL,
	"held_until" timestamp with time zone NOT NULL,
	CONSTRAINT "onboarding_status_holds_clerk_user_id_slot_pk" PRIMARY KEY("clerk_user_id","slot")
);
