import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import type Stripe from "stripe";
import { afterEach, beforeAll, expect, it, vi } from "vitest";
import { billingClaims, entitlementsFor, may } from "@/lib/billing/entitlements";
import { payOverdue } from "@/lib/billing/overdue";
import { resubscribe } from "@/lib/billing/resubscribe";
import { resumeSubscription } from "@/lib/billing/resume";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { createProject } from "@/lib/projects";
import { onrampOnSimulator } from "@/test/support/onramp-on-sim";
import { setupVendors } from "@onramp/standins/vitest";

// Each new user's Stripe customer on a test clock of its own, as in demo mode (read at import).
vi.hoisted(() => {
  process.env.STRIPE_TEST_CLOCKS = "1";
});

/**
 * A user's life with onramp over three months, on a Stripe test clock, with every workflow on the
 * Inngest simulator and every Stripe event through the signed webhook route: sign-up → the trial's
 * reminder → conversion → a renewal the card refuses → the emails → the card fixed → paid → a plan
 * change in the Customer Portal (the tier in Clerk, so in the session's claims) → cancel at the
 * period's end → resume → cancel → access ends → subscribing again without a second trial. Stripe's
 * clock and Inngest's move together, step by step; the timeline of what happened is asserted
 * whole, each line stamped with Stripe's time for the user when the test looked (the end of a
 * step: a moment Stripe's billing acted, a day's end, or the test's own action).
 */

const vendors = setupVendors();
beforeAll(() => getDb());
afterEach(() => {
  expect(vendors.stripe.violations).toEqual([]);
  expect(vendors.clerk.violations).toEqual([]);
  expect(vendors.resend.violations).toEqual([]);
});

const HOUR = 3_600;
const DAY = 24 * HOUR;

/** Stripe events that make a line of the timeline. */
const told = new Set([
  "customer.subscription.trial_will_end",
  "invoice.paid",
  "invoice.payment_failed",
  "invoice.payment_action_required",
  "customer.subscription.deleted",
]);

it("a month (and then some) of a subscription's life", { timeout: 120_000 }, async () => {
  const app = onrampOnSimulator(vendors);
  const stripeEvents: Stripe.Event[] = [];
  const deliver = vendors.stripe.onEvent!;
  vendors.stripe.onEvent = (event) => {
    stripeEvents.push(event);
    deliver(event);
  };

  // ---------- day 0: sign-up with a plan and a card ----------
  const email = `ada.${randomUUID().slice(0, 8)}@example.com`;
  const user = vendors.clerk.addUser({
    email,
    first_name: "Ada",
    unsafe_metadata: {
      tier: "pro",
      confirmationToken: vendors.stripe.issueConfirmationToken("ok", { card: "4242424242424242" }),
    },
  });
  const userId = user.id;
  // Stripe's clock for them starts at their sign-up: a fixed day, so the months have known lengths.
  user.created_at = Date.UTC(2030, 0, 10, 12);
  await app.clerk("user.created", user);
  await app.pass(0);

  const [customer] = [...vendors.stripe.customers.values()];
  expect(customer!.test_clock).toEqual(expect.stringMatching(/^clock_/));
  const clockId = customer!.test_clock as string;
  const start = vendors.stripe.testClocks.get(clockId)!.frozen_time;
  const frozen = () => vendors.stripe.testClocks.get(clockId)!.frozen_time;
  const subscriptions = () =>
    [...vendors.stripe.subscriptions.values()].filter((s) => s.customer === customer!.id);
  const firstSubscription = subscriptions()[0]!;

  // ---------- the timeline ----------
  const timeline: string[] = [];
  let seenEvents = 0;
  let seenEmails = 0;
  let last = "";
  const row = async () =>
    (await (await getDb()).select().from(users).where(eq(users.clerkUserId, userId)))[0]!;
  /** What the session's claims say (Clerk's `metadata` = the user's public metadata). */
  const claims = () => ({ metadata: vendors.clerk.users.get(userId)!.public_metadata });
  const when = () => {
    const elapsed = frozen() - start;
    const hours = Math.floor((elapsed % DAY) / HOUR);
    return `day ${Math.floor(elapsed / DAY)}${hours ? ` +${hours}h` : ""}`;
  };
  /** A line for whatever happened since the last one: Stripe's word, emails, status, access. */
  async function note(what = "") {
    const events = stripeEvents
      .slice(seenEvents)
      .filter((event) => told.has(event.type))
      .map((event) => event.type);
    const anyEvent = stripeEvents.length > seenEvents;
    seenEvents = stripeEvents.length;
    const emails = vendors.resend.emails.slice(seenEmails).map((e) => `email ${e.tags[0]!.value}`);
    seenEmails = vendors.resend.emails.length;
    // Our row changes only with Stripe's events (and what the test does, which says `what`).
    if (!what && !anyEvent && emails.length === 0) return;
    const { subscriptionStatus, tier } = await row();
    const access = entitlementsFor(billingClaims(claims())!, true);
    const state = `${tier} ${subscriptionStatus}, claims ${access.tier} ${access.standing}`;
    if (!what && events.length === 0 && emails.length === 0 && state === last) return;
    last = state;
    const happened =
      [what, ...events, ...emails].filter(Boolean).join("; ") || "Stripe changed the subscription";
    timeline.push(`${when()}: ${happened} → ${state}`);
  }
  /**
   * Stripe's clock and Inngest's together for `seconds`, in steps that end where Stripe's billing
   * does something (so its webhooks reach the app at that moment) and at most a day long (what
   * Inngest has due meanwhile, a sleep's end, happens at its own moment within the step).
   */
  async function live(seconds: number) {
    const target = frozen() + seconds;
    while (frozen() < target) {
      const next = vendors.stripe.nextBillingMoment(clockId, target);
      const to = Math.min(target, frozen() + DAY, next !== null && next > frozen() ? next : target);
      await app.pass((to - frozen()) * 1000);
      vendors.stripe.advanceTestClock(clockId, to);
      await app.pass(0);
      await note();
    }
  }
  const until = (at: number) => live(at - frozen());

  await note("signed up with Pro and a card");
  expect(firstSubscription).toMatchObject({ status: "trialing", trial_end: start + 14 * DAY });

  // ---------- the trial: its reminder, then conversion ----------
  await until(start + 14 * DAY + 2 * HOUR);
  expect(firstSubscription.status).toBe("active");

  // ---------- the card's bank starts declining it; the renewal fails ----------
  vendors.stripe.setCardOutcome(firstSubscription.default_payment_method as string, "declines");
  const renewal = firstSubscription.items.data[0]!.current_period_end;
  await until(renewal + 2 * HOUR);
  // The reminder comes PAYMENT_REMINDER_AFTER (7 days) after the first failure, still unpaid.
  await live(7 * DAY);

  // ---------- the card fixed from the dashboard: the invoice is paid ----------
  const paid = await payOverdue(userId, {
    card: {
      confirmationToken: vendors.stripe.issueConfirmationToken("ok", { card: "5555555555554444" }),
    },
  });
  expect(paid).toEqual({ status: "succeeded" });
  await app.pass(0);
  await note("paid with a new card");

  // ---------- a plan change in the Customer Portal reaches Clerk (and the claims) ----------
  await live(DAY);
  vendors.stripe.changeSubscription(firstSubscription.id, {
    price: process.env.STRIPE_PRICE_ENTERPRISE!,
  });
  await app.pass(0);
  await note("changed to Enterprise in the portal");
  expect(vendors.clerk.users.get(userId)!.public_metadata).toMatchObject({
    tier: "enterprise",
    subscriptionStatus: "active",
  });

  // ---------- cancelled at the period's end, resumed, cancelled again ----------
  await live(DAY);
  vendors.stripe.changeSubscription(firstSubscription.id, { cancel_at_period_end: true });
  await app.pass(0);
  await note("cancelled at the period's end in the portal");
  expect((await row()).cancelsAt).toEqual(
    new Date(firstSubscription.items.data[0]!.current_period_end * 1000),
  );
  await live(DAY);
  await resumeSubscription(userId);
  await app.pass(0);
  await note("resumed from the dashboard");
  expect((await row()).cancelsAt).toBeNull();
  await live(DAY);
  vendors.stripe.changeSubscription(firstSubscription.id, { cancel_at_period_end: true });
  await app.pass(0);
  await note("cancelled at the period's end again");

  // ---------- the period ends: so does access ----------
  await until(firstSubscription.items.data[0]!.current_period_end + HOUR);
  expect(firstSubscription.status).toBe("canceled");
  const ended = entitlementsFor(billingClaims(claims())!, true);
  expect(may(ended, "projects")).toBe(false);
  await expect(createProject(userId, "After the end", ended)).rejects.toThrow(/plan has ended/);

  // ---------- subscribing again: the same customer, no second trial ----------
  await live(2 * DAY);
  expect(await resubscribe(userId, { tier: "pro", card: { saved: true } })).toEqual({
    status: "succeeded",
  });
  await app.pass(0);
  await note("subscribed again to Pro with the saved card");
  const [, second] = subscriptions();
  expect(second).toMatchObject({ status: "active", trial_end: null, customer: customer!.id });
  expect(vendors.stripe.customers.size).toBe(1);
  const back = entitlementsFor(billingClaims(claims())!, true);
  expect(may(back, "projects")).toBe(true);
  await createProject(userId, "Back again", back);

  // The account's whole life, as Stripe, the emails, our row and the claims saw it (2030-01-10 on).
  expect(timeline).toEqual([
    "day 0: signed up with Pro and a card; invoice.paid; email welcome → pro trialing, claims pro paying",
    "day 3: email trial_offer → pro trialing, claims pro paying",
    "day 11: customer.subscription.trial_will_end; email trial_ending → pro trialing, claims pro paying",
    "day 14: Stripe changed the subscription → pro active, claims pro paying",
    "day 14 +1h: invoice.paid → pro active, claims pro paying",
    "day 45 +1h: invoice.payment_failed; email payment_failed → pro past_due, claims pro past_due",
    // Smart Retries' first retry fails too: the user was told already.
    "day 50 +7h: invoice.payment_failed → pro past_due, claims pro past_due",
    // Seven days (PAYMENT_REMINDER_AFTER) after the failure, noted at the step's end.
    "day 52 +2h: email payment_reminder → pro past_due, claims pro past_due",
    "day 52 +2h: paid with a new card; invoice.paid; email payment_received → pro active, claims pro paying",
    "day 53 +2h: changed to Enterprise in the portal → enterprise active, claims enterprise paying",
    "day 54 +2h: cancelled at the period's end in the portal → enterprise active, claims enterprise paying",
    "day 55 +2h: resumed from the dashboard → enterprise active, claims enterprise paying",
    "day 56 +2h: cancelled at the period's end again → enterprise active, claims enterprise paying",
    "day 73: customer.subscription.deleted → enterprise canceled, claims enterprise ended",
    "day 75 +1h: subscribed again to Pro with the saved card; invoice.paid → pro active, claims pro paying",
  ]);
});
