import { and, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { tiers } from "@/lib/billing/plans";
import { getDb } from "@/lib/db/client";
import { onboardingSubmissionLimits, onboardingSubmissions } from "@/lib/db/schema";
import { tierChosenAtSignUp } from "@/lib/onboarding/account";

/**
 * What the onboarding pages submitted to a waiting provisioning run. Stored before the event is
 * sent, so a submission whose event came before the run began to wait is found here. What the
 * browser sends is checked here (shapes of Stripe ids, tier keys) and each user may submit only
 * a few times a minute: the pages call server actions, which anyone signed in can call with
 * anything, as often as they like.
 */

export interface PaymentDetails {
  tier: string;
  confirmationToken: string;
}

/** Submissions per user per minute, across every server instance (enforced in the database). */
export const SUBMISSIONS_PER_MINUTE = 5;

type RefusalCode = "invalid_plan" | "invalid_card" | "invalid_confirmation" | "too_many";

/** A submission refused before anything was stored or sent; `message` is for the user. */
export class SubmissionRefusedError extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
    this.name = "SubmissionRefusedError";
  }
}

// Stripe ids: a prefix, then letters, digits and underscores; far shorter than 255 in practice.
const stripeId = (prefix: string) =>
  z
    .string()
    .max(255)
    .regex(new RegExp(`^${prefix}_[A-Za-z0-9_]+$`));

function parse<T>(schema: z.ZodType<T>, value: unknown, code: RefusalCode, message: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new SubmissionRefusedError(code, message);
  return parsed.data;
}

const tierKey = (tier: unknown, message = "Choose one of the plans.") =>
  parse(z.enum(tiers), tier, "invalid_plan", message);

/**
 * Stores a new plan and card and returns them as checked; a double submit of the same card is
 * one row. Without `tier` (a new card after a decline) the plan is the one the user chose last:
 * the newest stored, else the one chosen at sign-up (asked of Clerk only once the attempt is
 * admitted). Throws SubmissionRefusedError for a malformed plan or token, or past the limit.
 */
export async function storePaymentDetails(
  userId: string,
  details: { tier?: unknown; confirmationToken?: unknown },
): Promise<PaymentDetails> {
  const named = details.tier === undefined ? undefined : tierKey(details.tier);
  const confirmationToken = parse(
    stripeId("ctoken"),
    details.confirmationToken,
    "invalid_card",
    "Your card details did not come through. Please enter them again.",
  );
  await admitSubmission(userId);
  const tier =
    named ??
    (await latestChosenTier(userId)) ??
    tierKey(await tierChosenAtSignUp(userId), "Choose a plan for your new card.");
  const db = await getDb();
  await db
    .insert(onboardingSubmissions)
    .values({ clerkUserId: userId, kind: "payment_details", reference: confirmationToken, tier })
    .onConflictDoNothing();
  return { tier, confirmationToken };
}

/**
 * Stores the browser's word that 3-D Secure of this SetupIntent (saving the card) or PaymentIntent
 * (paying the first invoice) is over, and returns the id as checked. Throws SubmissionRefusedError for a malformed id, or past the limit.
 */
export async function storeCardConfirmation(userId: string, intentId: unknown) {
  const reference = parse(
    z.union([stripeId("seti"), stripeId("pi")]),
    intentId,
    "invalid_confirmation",
    "We couldn't tell which card your bank confirmed. Please reload the page.",
  );
  await admitSubmission(userId);
  const db = await getDb();
  await db
    .insert(onboardingSubmissions)
    .values({ clerkUserId: userId, kind: "card_confirmation", reference })
    .onConflictDoNothing();
  return reference;
}

/**
 * Counts a well-formed submission in the user's one-minute window (a new window once the last
 * is a minute old), and refuses it past SUBMISSIONS_PER_MINUTE. One upsert: concurrent ones for
 * a user queue on their counter row, each counting on from what the previous left, so no number
 * of server instances lets more through. A refused attempt counts too.
 */
async function admitSubmission(userId: string) {
  const db = await getDb();
  const limits = onboardingSubmissionLimits;
  const windowOver = sql`${limits.windowStartedAt} <= now() - interval '1 minute'`;
  const [counted] = await db
    .insert(limits)
    .values({ clerkUserId: userId, windowStartedAt: sql`now()`, submissions: 1 })
    .onConflictDoUpdate({
      target: limits.clerkUserId,
      set: {
        windowStartedAt: sql`case when ${windowOver} then now() else ${limits.windowStartedAt} end`,
        submissions: sql`case when ${windowOver} then 1 else ${limits.submissions} + 1 end`,
      },
    })
    .returning({ submissions: limits.submissions });
  if (counted!.submissions > SUBMISSIONS_PER_MINUTE) {
    throw new SubmissionRefusedError(
      "too_many",
      "Too many attempts in a short time. Please wait a minute, then try again.",
    );
  }
}

/** The user's newest plan and card: the one they chose last, superseding any older one. */
async function newestPaymentDetails(userId: string): Promise<PaymentDetails | null> {
  const db = await getDb();
  const [row] = await db
    .select({
      tier: onboardingSubmissions.tier,
      confirmationToken: onboardingSubmissions.reference,
    })
    .from(onboardingSubmissions)
    .where(
      and(
        eq(onboardingSubmissions.clerkUserId, userId),
        eq(onboardingSubmissions.kind, "payment_details"),
      ),
    )
    .orderBy(desc(onboardingSubmissions.submittedAt))
    .limit(1);
  return row ? { tier: row.tier ?? "", confirmationToken: row.confirmationToken } : null;
}

/** The plan of the user's newest submission, if any: the one they chose last. */
export async function latestChosenTier(userId: string): Promise<string | null> {
  return (await newestPaymentDetails(userId))?.tier || null;
}

/**
 * The newest plan and card submitted, unless the run has tried it already: an older submission
 * is one the user has since replaced (a double submit, a plan changed), never charged after it.
 */
export async function untriedPaymentDetails(
  userId: string,
  triedTokens: readonly string[],
): Promise<PaymentDetails | null> {
  const newest = await newestPaymentDetails(userId);
  return newest && !triedTokens.includes(newest.confirmationToken) ? newest : null;
}

/** Whether the browser said 3-D Secure of this SetupIntent or PaymentIntent is over. */
export async function cardConfirmationStored(userId: string, intentId: string) {
  const db = await getDb();
  const rows = await db
    .select({ id: onboardingSubmissions.id })
    .from(onboardingSubmissions)
    .where(
      and(
        eq(onboardingSubmissions.clerkUserId, userId),
        eq(onboardingSubmissions.kind, "card_confirmation"),
        eq(onboardingSubmissions.reference, intentId),
      ),
    );
  return rows.length > 0;
}
