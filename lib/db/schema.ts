import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const timestamps = {
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
};

/** One row per Clerk user; every external id is unique so replays can only upsert. */
export const users = pgTable("users", {
  clerkUserId: text("clerk_user_id").primaryKey(),
  email: text("email"),
  firstName: text("first_name"),
  lastName: text("last_name"),
  tier: text("tier"),
  stripeCustomerId: text("stripe_customer_id").unique(),
  stripeSubscriptionId: text("stripe_subscription_id").unique(),
  subscriptionStatus: text("subscription_status"),
  trialEndsAt: timestamp("trial_ends_at", { withTimezone: true }),
  /** Clerk's `updated_at` of the newest event applied, so an older delivery never wins. */
  clerkUpdatedAt: timestamp("clerk_updated_at", { withTimezone: true }),
  deletedAt: timestamp("deleted_at", { withTimezone: true }),
  ...timestamps,
});

export const orgs = pgTable(
  "orgs",
  {
    clerkOrgId: text("clerk_org_id").primaryKey(),
    name: text("name").notNull(),
    stripeCustomerId: text("stripe_customer_id").unique(),
    stripeSubscriptionId: text("stripe_subscription_id").unique(),
    subscriptionStatus: text("subscription_status"),
    purchasedSeats: integer("purchased_seats").notNull().default(0),
    /**
     * How many org_seat_assignments rows the org has, kept in the same statement that adds or
     * removes one: this row is what concurrent assignments lock and re-check (lib/licensing.ts).
     * It may exceed purchasedSeats after seats are lowered in Stripe (the over-assigned state).
     */
    assignedSeats: integer("assigned_seats").notNull().default(0),
    /**
     * The org's one open Stripe Checkout for seats, until it expires: claimed in one statement,
     * so admins buying at the same moment share a Checkout and the org pays for one subscription.
     */
    checkoutSessionId: text("checkout_session_id").unique(),
    checkoutUrl: text("checkout_url"),
    checkoutExpiresAt: timestamp("checkout_expires_at", { withTimezone: true }),
    clerkUpdatedAt: timestamp("clerk_updated_at", { withTimezone: true }),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
    ...timestamps,
  },
  (table) => [
    check("orgs_purchased_seats_non_negative", sql`${table.purchasedSeats} >= 0`),
    check("orgs_assigned_seats_non_negative", sql`${table.assignedSeats} >= 0`),
  ],
);

export const onboardingStates = [
  "pending",
  "running",
  "awaiting_payment",
  "action_required",
  "payment_failed",
  "failed",
  "complete",
] as const;
export type OnboardingState = (typeof onboardingStates)[number];

export const stepStatuses = ["pending", "running", "done", "failed", "skipped"] as const;
export type StepStatus = (typeof stepStatuses)[number];

/** What the browser needs to finish a step the user must act on (e.g. 3-D Secure). */
export type OnboardingAction =
  | { type: "confirm_setup"; clientSecret: string }
  | { type: "confirm_payment"; clientSecret: string }
  | { type: "update_payment_method" }
  | { type: "choose_plan" };

/** The overall onboarding state per user: what `GET /api/onboarding/status` reports first. */
export const onboarding = pgTable("onboarding", {
  clerkUserId: text("clerk_user_id").primaryKey(),
  state: text("state", { enum: onboardingStates }).notNull().default("pending"),
  reason: text("reason"),
  action: jsonb("action").$type<OnboardingAction>(),
  /** The Inngest run that is provisioning this user, so an operator can find it. */
  runId: text("run_id"),
  /**
   * The first run that ever provisioned this user: a later run is a rerun, which must look in
   * Stripe for what an earlier run may have made.
   */
  firstRunId: text("first_run_id"),
  ...timestamps,
});

/** One row per user and workflow step; each step upserts its own row, so steps never race. */
export const onboardingSteps = pgTable(
  "onboarding_steps",
  {
    clerkUserId: text("clerk_user_id").notNull(),
    stepId: text("step_id").notNull(),
    status: text("status", { enum: stepStatuses }).notNull(),
    reason: text("reason"),
    ...timestamps,
  },
  (table) => [primaryKey({ columns: [table.clerkUserId, table.stepId] })],
);

export const emailKinds = ["welcome", "trial_offer"] as const;
export type EmailKind = (typeof emailKinds)[number];

/**
 * Every email sent, and the dev outbox when no Resend key is set. The unique (user, kind) pair
 * is what makes each kind reach each user once.
 */
export const emails = pgTable(
  "emails",
  {
    id: text("id")
      .primaryKey()
      .default(sql`gen_random_uuid()::text`),
    clerkUserId: text("clerk_user_id").notNull(),
    kind: text("kind", { enum: emailKinds }).notNull(),
    to: text("to").notNull(),
    from: text("from").notNull(),
    subject: text("subject").notNull(),
    html: text("html").notNull(),
    /** "resend" when delivered through Resend, "outbox" when kept for /dev/emails. */
    transport: text("transport", { enum: ["resend", "outbox"] }).notNull(),
    resendId: text("resend_id").unique(),
    sentAt: timestamp("sent_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("emails_user_kind_unique").on(table.clerkUserId, table.kind),
    index("emails_sent_at_idx").on(table.sentAt),
  ],
);

/**
 * A licensed seat: one per organization member who holds one. Only lib/licensing.ts writes it,
 * always together with orgs.assigned_seats in one statement. The membership id lets a late
 * `organizationMembership.deleted` free only the seat of the membership it names.
 */
export const orgSeatAssignments = pgTable(
  "org_seat_assignments",
  {
    clerkOrgId: text("clerk_org_id")
      .notNull()
      .references(() => orgs.clerkOrgId),
    clerkUserId: text("clerk_user_id").notNull(),
    clerkMembershipId: text("clerk_membership_id").notNull().unique(),
    /** The admin who assigned it. */
    assignedBy: text("assigned_by").notNull(),
    assignedAt: timestamp("assigned_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.clerkOrgId, table.clerkUserId] })],
);

export const submissionKinds = ["payment_details", "card_confirmation"] as const;
export type SubmissionKind = (typeof submissionKinds)[number];

/**
 * What the onboarding pages submitted to a waiting provisioning run, stored before the event is
 * sent: Inngest hands a `waitForEvent` only events sent after the wait began, so the run also
 * looks here when it starts waiting and when a wait times out. A double submit is one row.
 */
export const onboardingSubmissions = pgTable(
  "onboarding_submissions",
  {
    id: text("id")
      .primaryKey()
      .default(sql`gen_random_uuid()::text`),
    clerkUserId: text("clerk_user_id").notNull(),
    kind: text("kind", { enum: submissionKinds }).notNull(),
    /**
     * payment_details: the Stripe ConfirmationToken of the new card; card_confirmation: the
     * SetupIntent whose 3-D Secure the browser finished.
     */
    reference: text("reference").notNull(),
    /** payment_details: the tier key the user chose. */
    tier: text("tier"),
    submittedAt: timestamp("submitted_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("onboarding_submissions_unique").on(table.clerkUserId, table.kind, table.reference),
    index("onboarding_submissions_user_idx").on(table.clerkUserId, table.submittedAt),
  ],
);

/**
 * How many submissions each user made in their current one-minute window, so the limit holds
 * across every server instance: the counter is bumped in the same statement that stores a
 * submission, and concurrent bumps for one user queue on its row (lib/onboarding/submissions).
 */
export const onboardingSubmissionLimits = pgTable("onboarding_submission_limits", {
  clerkUserId: text("clerk_user_id").primaryKey(),
  windowStartedAt: timestamp("window_started_at", { withTimezone: true }).notNull(),
  submissions: integer("submissions").notNull(),
});

/**
 * The status requests held open for each user (GET /api/onboarding/status?wait=): one row per
 * slot taken, at most as many as lib/onboarding/status-holds allows, so the limit holds across
 * every server instance. A hold gives its slot back when it ends; one left by a server that
 * stopped frees itself once `held_until` has passed.
 */
export const onboardingStatusHolds = pgTable(
  "onboarding_status_holds",
  {
    clerkUserId: text("clerk_user_id").notNull(),
    slot: integer("slot").notNull(),
    /** Who holds the slot now, so a hold that outlived its time never frees a newer one's. */
    holder: text("holder").notNull(),
    heldUntil: timestamp("held_until", { withTimezone: true }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.clerkUserId, table.slot] })],
);
