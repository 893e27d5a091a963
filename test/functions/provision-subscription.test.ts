import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { HttpResponse, http } from "msw";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { onboardingPaymentConfirmed, onboardingSubmitted } from "@/inngest/events";
import {
  MAX_CARD_ATTEMPTS,
  SUBMISSION_TIMEOUTS,
  provisionSubscription,
} from "@/inngest/functions/provision-subscription";
import { CONFIRMATION_TIMEOUTS } from "@/inngest/steps/await-bank";
import { sendOnboardingEmails } from "@/inngest/functions/send-onboarding-emails";
import { syncUser } from "@/inngest/functions/sync-user";
import { ownerMetadata } from "@/lib/billing/ownership";
import { getDb } from "@/lib/db/client";
import { onboarding, users } from "@/lib/db/schema";
import { onboardingStatus } from "@/lib/onboarding/status";
import { storePaymentDetails } from "@/lib/onboarding/submissions";
import { markUserDeleted } from "@/lib/users";
import { InngestSim, duration, runFunction, type Faults } from "@onramp/standins/inngest";
import { captureLogs } from "@/test/support/logs";
import { setupVendors } from "@onramp/standins/vitest";

const vendors = setupVendors();

/** What a failed run's last word tells the user about their money. */
const notCharged = "Your card has not been charged.";
const trialCancelled =
  "We have cancelled the subscription we had started, so your card will not be charged.";

const PRO = process.env.STRIPE_PRICE_PRO!;
const ENTERPRISE = process.env.STRIPE_PRICE_ENTERPRISE!;

/**
 * A ConfirmationToken Stripe.js made just now; "expired": one made 12 hours ago (their
 * lifetime); "used": one an intent was already confirmed with.
 */
const token = (kind = "ok") =>
  kind === "expired"
    ? vendors.stripe.issueConfirmationToken("ok", { ageSeconds: 12 * 3600 })
    : vendors.stripe.issueConfirmationToken(kind, { used: kind === "used" });

/** A Clerk user as the sign-up form leaves it, and the user.created event Clerk sends for it. */
function signUp(
  unsafeMetadata: Record<string, unknown> = { tier: "pro", confirmationToken: token() },
) {
  const user = vendors.clerk.addUser({
    email: `ada.${randomUUID().slice(0, 8)}@example.com`,
    first_name: "Ada",
    last_name: "Lovelace",
    unsafe_metadata: unsafeMetadata,
  });
  const event = { id: `clerk-msg_${randomUUID()}`, name: "clerk/user.created", data: user };
  return { user, userId: user.id, event };
}

/** One delivery run to its end on Inngest's clock (nothing else is sent: every wait times out). */
const provision = (event: { name: string; data: unknown }, faults?: Faults) =>
  runFunction(provisionSubscription, event, { faults });

/** Production's at-least-once: every step's first answer lost after the step ran. */
const stepsRunTwice: Faults = { lostAnswers: "first" };

/** Inngest with provisioning, and the run user.created starts; the test drives the clock. */
function deliver(event: { name: string; data: unknown }) {
  const sim = new InngestSim({ functions: [provisionSubscription] });
  const [run] = sim.send(event);
  return { sim, run: run! };
}

/** What the onboarding page sends for a plan and a card (app/onboarding/actions.ts). */
const submitted = (userId: string, tier: string, confirmationToken: string) =>
  onboardingSubmitted.create(
    { userId, tier, confirmationToken },
    { id: `onboarding-submitted-${userId}-${confirmationToken}` },
  );

/** Clerk's user.deleted for the user, as the webhook route forwards it. */
const userDeleted = (userId: string) => ({
  id: `clerk-msg_${randomUUID()}`,
  name: "clerk/user.deleted",
  data: { id: userId, object: "user", deleted: true },
});

/** Requests that reached each vendor endpoint of provisioning and succeeded. */
function succeeded(userId: string) {
  return {
    customers: vendors.stripe.count("POST", "/v1/customers", { status: "success" }),
    setupIntents: vendors.stripe.count("POST", "/v1/setup_intents", { status: "success" }),
    subscriptions: vendors.stripe.count("POST", "/v1/subscriptions", { status: "success" }),
    clerkWrites: vendors.clerk.count("PATCH", `/v1/users/${userId}/metadata`, {
      status: "success",
    }),
  };
}

/** The items that pass and those that do not. */
const partition = <T>(items: T[], pass: (item: T) => boolean) => [
  items.filter(pass),
  items.filter((item) => !pass(item)),
];

const stripeBodies = (path: string) =>
  vendors.stripe.requests.filter((r) => r.method === "POST" && r.path === path);

const stepsOf = async (userId: string) =>
  Object.fromEntries((await onboardingStatus(userId)).steps.map((s) => [s.id, s]));

// The in-memory database starts (and migrates) once per file: in a hook, not in the first test.
beforeAll(() => getDb());

afterEach(() => {
  // Every Clerk request matched Clerk's published spec.
  expect(vendors.clerk.violations).toEqual([]);
  expect(vendors.stripe.violations).toEqual([]);
});

describe("provision-subscription: the happy path", () => {
  it("creates the customer, saves the card, starts the trial and marks the user onboarded in 5 vendor calls", async () => {
    const confirmationToken = token();
    const { user, userId, event } = signUp({ tier: "pro", confirmationToken });

    const run = await provision(event);

    expect(run.error).toBeUndefined();
    expect(run.failures).toEqual([]);
    expect(run.waits).toEqual([]);
    const [customer] = [...vendors.stripe.customers.values()];
    const [subscription] = [...vendors.stripe.subscriptions.values()];
    expect(run.result).toEqual({
      userId,
      outcome: "complete",
      tier: "pro",
      customerId: customer!.id,
      subscriptionId: subscription!.id,
    });

    // Exactly the calls of the critical path, one each: the saved card is read for its
    // fingerprint (one free trial per card) before the subscription.
    expect(vendors.stripe.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /v1/customers",
      "POST /v1/setup_intents",
      expect.stringMatching(/^GET \/v1\/payment_methods\/pm_/),
      "POST /v1/subscriptions",
    ]);
    expect(vendors.clerk.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `PATCH /v1/users/${userId}/metadata`,
    ]);

    const [customerRequest] = stripeBodies("/v1/customers");
    expect(customerRequest!.body).toEqual({
      email: user.email_addresses[0]!.email_address,
      name: "Ada Lovelace",
      metadata: ownerMetadata({ key: "clerk_user_id", id: userId }),
    });
    const [setupRequest] = stripeBodies("/v1/setup_intents");
    expect(setupRequest!.body).toMatchObject({
      customer: customer!.id,
      confirmation_token: confirmationToken,
      confirm: "true",
      usage: "off_session",
    });
    const [setupIntent] = [...vendors.stripe.setupIntents.values()];
    expect(setupIntent).toMatchObject({ status: "succeeded", customer: customer!.id });
    const [subscriptionRequest] = stripeBodies("/v1/subscriptions");
    expect(subscriptionRequest!.body).toMatchObject({
      customer: customer!.id,
      items: [{ price: PRO }],
      trial_period_days: "14",
      default_payment_method: setupIntent!.payment_method,
    });
    expect(subscription).toMatchObject({ status: "trialing" });

    // Every Stripe write carries its own idempotency key, derived from the user and the step.
    const keys = vendors.stripe.requests.flatMap((r) =>
      r.method === "POST" ? [r.idempotencyKey] : [],
    );
    expect(new Set(keys).size).toBe(3);
    for (const key of keys) expect(key).toContain(userId);

    // One Clerk write: publicMetadata gains the result, the token leaves unsafeMetadata.
    expect(vendors.clerk.requests[0]!.body).toEqual({
      public_metadata: {
        onboardingComplete: true,
        tier: "pro",
        stripeCustomerId: customer!.id,
        stripeSubscriptionId: subscription!.id,
        subscriptionStatus: "trialing",
      },
      unsafe_metadata: { confirmationToken: null },
    });
    const clerkUser = vendors.clerk.users.get(userId)!;
    expect(clerkUser.public_metadata).toEqual({
      onboardingComplete: true,
      tier: "pro",
      stripeCustomerId: customer!.id,
      stripeSubscriptionId: subscription!.id,
      subscriptionStatus: "trialing",
    });
    expect(clerkUser.unsafe_metadata).toEqual({ tier: "pro" });

    // Progress: complete, every provisioning step done, the run on record.
    const status = await onboardingStatus(userId);
    expect(status.state).toBe("complete");
    expect(status.reason).toBeUndefined();
    for (const id of ["plan", "customer", "payment-method", "subscription", "account"]) {
      expect(status.steps.find((s) => s.id === id)).toMatchObject({
        status: "done",
        at: expect.any(String),
      });
    }
    const db = await getDb();
    const [row] = await db.select().from(onboarding).where(eq(onboarding.clerkUserId, userId));
    expect(row?.runId).toEqual(expect.any(String));
    expect(row?.runId).toBe(run.id);
    // The user's row names the customer, so Stripe's subscription events find the user.
    const [userRow] = await db.select().from(users).where(eq(users.clerkUserId, userId));
    expect(userRow?.stripeCustomerId).toBe(customer!.id);
  });

  it("records the flow control Inngest applies: one run per user, throttled, cancelled by user.deleted", () => {
    const [config] = (
      provisionSubscription as unknown as {
        getConfig(opts: { baseUrl: URL; appPrefix: string }): Record<string, unknown>[];
      }
    ).getConfig({ baseUrl: new URL("http://localhost:3000/api/inngest"), appPrefix: "onramp" });
    expect(config).toMatchObject({
      id: "onramp-provision-subscription",
      triggers: [{ event: "clerk/user.created" }],
      idempotency: "event.data.id",
      concurrency: { key: "event.data.id", limit: 1 },
      throttle: { limit: 8, period: "1s" },
      cancel: [{ event: "clerk/user.deleted", if: "event.data.id == async.data.id" }],
    });
  });
});

describe("provision-subscription: waiting for payment details", () => {
  it("waits for app/onboarding.submitted when sign-up left no plan or card, then continues the same run", async () => {
    const { userId, event } = signUp({});
    const confirmationToken = token();
    const { sim, run } = deliver(event);

    await sim.until(() => run.waitingFor("wait-for-payment-details"));
    const whileWaiting = await onboardingStatus(userId);
    expect(vendors.stripe.requests).toEqual([]);
    sim.send(submitted(userId, "enterprise", confirmationToken));
    await sim.settle();

    // The SDK sends the timeout normalized ("7d" goes as "1w"): compared as durations.
    expect(run.waits.map((wait) => ({ ...wait, timeout: duration(wait.timeout) }))).toEqual([
      {
        id: "wait-for-payment-details",
        event: "app/onboarding.submitted",
        timeout: duration(SUBMISSION_TIMEOUTS.first),
        if: "async.data.userId == event.data.id",
      },
    ]);
    expect(whileWaiting).toMatchObject({
      state: "awaiting_payment",
      action: { type: "choose_plan" },
    });
    expect(whileWaiting!.steps[0]).toMatchObject({ id: "plan", status: "pending" });

    expect(run.error).toBeUndefined();
    expect(succeeded(userId)).toEqual({
      customers: 1,
      setupIntents: 1,
      subscriptions: 1,
      clerkWrites: 1,
    });
    expect(stripeBodies("/v1/setup_intents")[0]!.body.confirmation_token).toBe(confirmationToken);
    expect(stripeBodies("/v1/subscriptions")[0]!.body.items).toEqual([{ price: ENTERPRISE }]);
    expect(vendors.clerk.users.get(userId)!.public_metadata).toMatchObject({
      onboardingComplete: true,
      tier: "enterprise",
    });
    expect((await onboardingStatus(userId)).state).toBe("complete");
  });

  it("fails with a reason when nothing is submitted before the wait times out", async () => {
    const { userId, event } = signUp({ tier: "pro" });
    const { sim, run } = deliver(event);

    await sim.settle();

    expect(run.error).toMatchObject({ name: "NonRetriableError" });
    // It failed when the week (after the first minute's look at the store) was over on Inngest's clock.
    expect(run.endedAt! - run.startedAt!).toBe(
      duration(SUBMISSION_TIMEOUTS.first) + duration(SUBMISSION_TIMEOUTS.rest),
    );
    expect(vendors.stripe.requests).toEqual([]);
    expect(vendors.clerk.requests).toEqual([]);
    const status = await onboardingStatus(userId);
    expect(status).toMatchObject({
      state: "failed",
      reason: `No plan and card were submitted within 7 days. ${notCharged}`,
    });
    expect(status.steps[0]).toMatchObject({ id: "plan", status: "failed" });
  });
});

describe("provision-subscription: what reaches a wait", () => {
  it("a submission for another user does not satisfy this run's wait", async () => {
    const { userId, event } = signUp({});
    const confirmationToken = token();
    const { sim, run } = deliver(event);

    await sim.until(() => run.waitingFor("wait-for-payment-details"));
    sim.send(submitted(`user_${randomUUID()}`, "enterprise", token()));
    await sim.advance("1h");

    // Past the first minute's look at the store, still waiting for this user's submission.
    expect(run.waitingFor("wait-for-payment-details-late")).toBeDefined();
    expect(vendors.stripe.requests).toEqual([]);
    sim.send(submitted(userId, "pro", confirmationToken));
    await sim.settle();
    expect(run.error).toBeUndefined();
    expect(stripeBodies("/v1/setup_intents").map((r) => r.body.confirmation_token)).toEqual([
      confirmationToken,
    ]);
    expect(stripeBodies("/v1/subscriptions")[0]!.body.items).toEqual([{ price: PRO }]);
  });

  // `await-payment-details` records awaiting_payment (the page shows the plan picker) before
  // the wait is registered, so a plan and card submitted in between are an event no wait
  // receives. The page stores each submission before sending its event, and the run reads the
  // store before waiting and after the first minute.
  it("a plan and card submitted before the run begins to wait are not lost", async () => {
    const { userId, event } = signUp({});
    const { sim, run } = deliver(event);
    const confirmationToken = token();

    // The user is quick: the picker is up, the wait is not yet.
    await sim.until(async () => (await onboardingStatus(userId)).state === "awaiting_payment");
    expect(run.waitingFor("wait-for-payment-details")).toBeUndefined();
    // What the onboarding page's action does: store, then send.
    await storePaymentDetails(userId, { tier: "pro", confirmationToken });
    sim.send(submitted(userId, "pro", confirmationToken));
    await sim.settle();

    expect(run.error).toBeUndefined();
    expect(await onboardingStatus(userId)).toMatchObject({ state: "complete" });
    expect(stripeBodies("/v1/setup_intents").map((r) => r.body.confirmation_token)).toEqual([
      confirmationToken,
    ]);
    expect(run.endedAt! - run.startedAt!).toBeLessThanOrEqual(duration(SUBMISSION_TIMEOUTS.first));
  });
});

describe("provision-subscription: failures the user can act on", () => {
  it.each([
    ["declined", "decline", "Your card was declined."],
    ["an expired token", "expired", "Your card details expired. Please enter them again."],
    ["an already used token", "used", "Your card details expired. Please enter them again."],
  ])(
    "a card %s → payment_failed with the reason; a new card continues the same run",
    async (_, kind, reason) => {
      const { userId, event } = signUp({ tier: "pro", confirmationToken: token(kind) });
      const secondToken = token();
      const { sim, run } = deliver(event);

      await sim.until(() => run.waitingFor("wait-for-payment-details-2"));
      const whileWaiting = await onboardingStatus(userId);
      sim.send(submitted(userId, "pro", secondToken));
      await sim.settle();

      expect(whileWaiting).toMatchObject({
        state: "payment_failed",
        reason,
        action: { type: "update_payment_method" },
      });
      expect(whileWaiting!.steps.find((s) => s.id === "payment-method")).toMatchObject({
        status: "failed",
        reason,
      });
      expect(run.error).toBeUndefined();
      // Two attempts, each under its own key; one card saved, one trial, one Clerk write.
      const setupRequests = stripeBodies("/v1/setup_intents");
      expect(setupRequests).toHaveLength(2);
      expect(setupRequests[0]!.idempotencyKey).not.toBe(setupRequests[1]!.idempotencyKey);
      const saved = [...vendors.stripe.setupIntents.values()].filter(
        (si) => si.status === "succeeded",
      );
      expect(saved).toHaveLength(1);
      expect(stripeBodies("/v1/subscriptions")[0]!.body.default_payment_method).toBe(
        saved[0]!.payment_method,
      );
      expect(succeeded(userId)).toMatchObject({ customers: 1, subscriptions: 1, clerkWrites: 1 });
      expect(await onboardingStatus(userId)).toMatchObject({ state: "complete" });
    },
  );

  it("the plan the user picked last is billed: enterprise at sign-up, pro on the new-card form, and a later card sent without a plan keeps pro", async () => {
    const { userId, event } = signUp({ tier: "enterprise", confirmationToken: token("decline") });
    const { sim, run } = deliver(event);
    /** What the progress page's new-card form does: store the submission, then send it. */
    const newCard = async (details: { tier?: string; confirmationToken: string }) => {
      const stored = await storePaymentDetails(userId, details);
      sim.send(submitted(userId, stored.tier, stored.confirmationToken));
    };

    await sim.until(() => run.waitingFor("wait-for-payment-details-2"));
    await newCard({ tier: "pro", confirmationToken: token("decline") });
    await sim.until(() => run.waitingFor("wait-for-payment-details-3"));
    // The form remounted after the second decline and named no plan.
    await newCard({ confirmationToken: token() });
    await sim.settle();

    expect(run.error).toBeUndefined();
    expect(stripeBodies("/v1/subscriptions").map((r) => r.body.items[0].price)).toEqual([PRO]);
    expect(run.result).toMatchObject({ outcome: "complete", tier: "pro" });
    expect(vendors.clerk.users.get(userId)!.public_metadata).toMatchObject({ tier: "pro" });
    // Clerk's sign-up tier was never asked for: the user had chosen since.
    expect(vendors.clerk.count("GET", `/v1/users/${userId}`)).toBe(0);
  });

  it("3-D Secure → action_required with the client secret; once the browser confirms, the run re-checks Stripe and completes", async () => {
    const { userId, event } = signUp({ tier: "pro", confirmationToken: token("3ds") });
    const { sim, run } = deliver(event);

    await sim.until(() => run.waitingFor("wait-for-card-confirmation"));
    const whileWaiting = await onboardingStatus(userId);
    const [setupIntent] = [...vendors.stripe.setupIntents.values()];
    // The browser passes 3-D Secure with the client secret, then tells the app.
    vendors.stripe.completeSetupIntentAction(setupIntent!.id);
    sim.send(onboardingPaymentConfirmed.create({ userId, setupIntentId: setupIntent!.id }));
    await sim.settle();

    expect(whileWaiting).toMatchObject({
      state: "action_required",
      action: { type: "confirm_setup", clientSecret: setupIntent!.client_secret },
    });
    expect(run.waits).toEqual([
      {
        id: "wait-for-card-confirmation",
        event: "app/onboarding.payment_confirmed",
        timeout: CONFIRMATION_TIMEOUTS.first,
        if: `async.data.userId == event.data.id && async.data.setupIntentId == '${setupIntent!.id}'`,
      },
    ]);
    expect(run.error).toBeUndefined();
    expect(vendors.stripe.count("GET", `/v1/setup_intents/${setupIntent!.id}`)).toBe(1);
    expect(stripeBodies("/v1/subscriptions")[0]!.body.default_payment_method).toBe(
      setupIntent!.payment_method,
    );
    expect(await onboardingStatus(userId)).toMatchObject({ state: "complete" });
  });

  it("3-D Secure finished before the run began to wait (its event missed) → Stripe is asked after a minute and the run completes", async () => {
    const { userId, event } = signUp({ tier: "pro", confirmationToken: token("3ds") });
    const { sim, run } = deliver(event);

    // The browser was quicker than the run: the bank confirmed and the event came and went
    // between the SetupIntent's step and the wait.
    await sim.until(() => run.steps.includes("confirm-setup-intent"));
    const [setupIntent] = [...vendors.stripe.setupIntents.values()];
    vendors.stripe.completeSetupIntentAction(setupIntent!.id);
    sim.send(onboardingPaymentConfirmed.create({ userId, setupIntentId: setupIntent!.id }));
    await sim.settle();

    expect(run.waits.map(({ id, timeout }) => ({ id, timeout }))).toEqual([
      { id: "wait-for-card-confirmation", timeout: CONFIRMATION_TIMEOUTS.first },
    ]);
    // The event did not reach the wait; Stripe was asked when its minute was over.
    const timedOut = sim.history.find((h) => h.type === "wait-timed-out");
    expect(timedOut).toMatchObject({ step: "wait-for-card-confirmation" });
    expect(timedOut!.at - run.startedAt!).toBe(duration(CONFIRMATION_TIMEOUTS.first));
    expect(run.error).toBeUndefined();
    expect(vendors.stripe.count("GET", `/v1/setup_intents/${setupIntent!.id}`)).toBe(1);
    expect(await onboardingStatus(userId)).toMatchObject({ state: "complete" });
  });

  it("3-D Secure never finished → waits out the hour while Stripe still waits for the bank, then payment_failed; a new card still completes the run", async () => {
    const { userId, event } = signUp({ tier: "pro", confirmationToken: token("3ds") });
    const { sim, run } = deliver(event);

    await sim.until(() => run.waitingFor("wait-for-card-confirmation-late"));
    const afterFirstLook = await onboardingStatus(userId);
    await sim.until(() => run.waitingFor("wait-for-payment-details-2"));
    const whileWaiting = await onboardingStatus(userId);
    // The hour the user had for 3-D Secure is over on Inngest's clock.
    expect(sim.now() - run.startedAt!).toBe(
      duration(CONFIRMATION_TIMEOUTS.first) + duration(CONFIRMATION_TIMEOUTS.rest),
    );
    sim.send(submitted(userId, "pro", token()));
    await sim.settle();

    // Still asking the user to confirm after the first look; failed only when the hour is up.
    expect(afterFirstLook).toMatchObject({ state: "action_required" });
    expect(run.waits.slice(0, 2).map(({ id, timeout }) => ({ id, timeout }))).toEqual([
      { id: "wait-for-card-confirmation", timeout: CONFIRMATION_TIMEOUTS.first },
      { id: "wait-for-card-confirmation-late", timeout: CONFIRMATION_TIMEOUTS.rest },
    ]);
    expect(whileWaiting).toMatchObject({
      state: "payment_failed",
      reason: "Your bank did not confirm the card.",
      action: { type: "update_payment_method" },
    });
    expect(run.error).toBeUndefined();
    expect(succeeded(userId)).toMatchObject({ subscriptions: 1, clerkWrites: 1 });
  });

  it(`fails for good after ${MAX_CARD_ATTEMPTS} refused cards`, async () => {
    const { userId, event } = signUp({ tier: "pro", confirmationToken: token("decline") });
    const { sim, run } = deliver(event);

    for (let attempt = 2; attempt <= MAX_CARD_ATTEMPTS; attempt++) {
      await sim.until(() => run.waitingFor(`wait-for-payment-details-${attempt}`));
      sim.send(submitted(userId, "pro", token("decline")));
    }
    await sim.settle();

    expect(run.error).toMatchObject({ name: "NonRetriableError" });
    expect(stripeBodies("/v1/setup_intents")).toHaveLength(MAX_CARD_ATTEMPTS);
    expect(stripeBodies("/v1/subscriptions")).toEqual([]);
    expect(await onboardingStatus(userId)).toMatchObject({
      state: "failed",
      reason: `No card could be saved after ${MAX_CARD_ATTEMPTS} attempts. ${notCharged}`,
    });
  });
});

describe("provision-subscription: permanent failures", () => {
  it("a tier outside the plan catalogue fails without touching Stripe or Clerk", async () => {
    const { userId, event } = signUp({ tier: "price_1Free", confirmationToken: token() });

    const run = await provision(event);

    expect(run.error).toMatchObject({ name: "NonRetriableError" });
    expect(run.failures).toHaveLength(1);
    expect(vendors.stripe.requests).toEqual([]);
    expect(vendors.clerk.requests).toEqual([]);
    const status = await onboardingStatus(userId);
    expect(status).toMatchObject({
      state: "failed",
      reason: `"price_1Free" is not a plan we offer. ${notCharged}`,
    });
    expect((await stepsOf(userId)).plan).toMatchObject({ status: "failed" });
  });

  it("a request Stripe refuses (the price is gone) fails at once: our reason for the user, Stripe's in the log", async () => {
    vendors.stripe.prices.delete(PRO);
    const { userId, event } = signUp();
    const logs = captureLogs();

    const run = await provision(event);
    vi.restoreAllMocks();

    expect(run.error).toMatchObject({ name: "NonRetriableError" });
    expect(vendors.stripe.count("POST", "/v1/subscriptions")).toBe(1);
    expect(vendors.clerk.requests).toEqual([]);
    const reason =
      "Something our payment provider needs for your account is missing. Please contact support.";
    const status = await onboardingStatus(userId);
    expect(status).toMatchObject({ state: "failed", reason: `${reason} ${notCharged}` });
    expect((await stepsOf(userId)).subscription).toMatchObject({ status: "failed", reason });
    // Stripe's own words (which name the price) never reach the user…
    const stripeMessage = vendors.stripe.requests.find((r) => r.path === "/v1/subscriptions")!;
    expect(stripeMessage.status).toBe(400);
    expect(JSON.stringify(status)).not.toMatch(/price|No such/i);
    // …but the log has them, on the line of the step that failed, with the run id.
    expect(logs).toContainEqual(
      expect.objectContaining({
        msg: "step failed",
        runID: run.id,
        userId,
        step: "create-trial-subscription",
        error: expect.objectContaining({
          message: reason,
          cause: expect.objectContaining({ message: expect.stringMatching(/No such price/) }),
        }),
      }),
    );
  });

  it("a user deleted in Clerk before the metadata write fails for good instead of retrying", async () => {
    const { userId, event } = signUp();
    vendors.clerk.users.delete(userId);

    const run = await provision(event);

    expect(run.error).toMatchObject({ name: "NonRetriableError" });
    expect(vendors.clerk.count("PATCH", `/v1/users/${userId}/metadata`)).toBe(1);
    // The trial it started is cancelled: the account is gone.
    expect(await onboardingStatus(userId)).toMatchObject({
      state: "failed",
      reason: `The account ${userId} no longer exists ${trialCancelled}`,
    });
    expect([...vendors.stripe.subscriptions.values()][0]).toMatchObject({ status: "canceled" });
  });

  it("onFailure leaves a run that ran out of retries visibly failed, never stuck at running", async () => {
    const { userId, event } = signUp();
    vendors.stripe.failNext("POST", "/v1/subscriptions", {
      status: 503,
      times: 100,
      body: {
        error: { type: "api_error", message: "Internal shard db-7.stripe.internal overloaded" },
      },
    });
    const logs = captureLogs();
    const { sim, run } = deliver(event);

    await sim.until(() => run.status === "failed");
    // Inngest's attempts are used up: retries (5) + 1, each a real request, on its backoff.
    expect(run.error).toBeDefined();
    expect(vendors.stripe.count("POST", "/v1/subscriptions", { status: 503 })).toBe(6);
    expect(run.retries.map((r) => [r.step, r.delay])).toEqual(
      ["15s", "30s", "1m", "2m", "5m"].map((d) => ["create-trial-subscription", duration(d)]),
    );
    expect((await stepsOf(userId)).subscription).toMatchObject({ status: "running" });

    // Inngest then sends inngest/function.failed, which runs the failure handler.
    await sim.settle();
    const [handled] = sim.runsOf("onramp-provision-subscription-failure");
    expect(handled).toMatchObject({ status: "completed" });
    expect(handled!.event).toMatchObject({
      name: "inngest/function.failed",
      data: {
        function_id: "onramp-provision-subscription",
        run_id: run.id,
        error: { name: "Error", message: run.error!.message },
        event: { id: event.id, data: { id: userId } },
      },
    });
    // The run id the handler got is the one the run recorded at its first step.
    expect(await runIdOf(userId)).toBe(run.id);

    vi.restoreAllMocks();

    // The user reads our words; the vendor's (a host name here) go to the log with the run id.
    const status = await onboardingStatus(userId);
    expect(status.state).toBe("failed");
    expect(status.reason).toBe(
      `Setting up your account failed after several attempts. Please contact support; the reference on this page helps us find what happened. ${notCharged}`,
    );
    // The step shows why it failed; the overall reason adds what became of the money.
    expect((await stepsOf(userId)).subscription).toMatchObject({
      status: "failed",
      reason: status.reason!.replace(` ${notCharged}`, ""),
    });
    expect(JSON.stringify(status)).not.toMatch(/shard|stripe\.internal/);
    expect(logs).toContainEqual(
      expect.objectContaining({
        msg: "provisioning failed",
        failedRunId: run.id,
        error: expect.objectContaining({
          message: expect.stringMatching(/db-7\.stripe\.internal/),
        }),
      }),
    );
  });
});

describe("provision-subscription: exactly once", () => {
  const calls = [
    ["the Stripe customer", "stripe", "POST", "/v1/customers"],
    ["the SetupIntent", "stripe", "POST", "/v1/setup_intents"],
    ["the subscription", "stripe", "POST", "/v1/subscriptions"],
    ["the Clerk metadata write", "clerk", "PATCH", /^\/v1\/users\/[^/]+\/metadata$/],
  ] as const;

  it.each(calls)(
    "%s failing once (5xx), every step's answer lost once after it ran, and user.created delivered 3 times, still makes one of everything",
    async (_, vendor, method, path) => {
      const { userId, event } = signUp();
      vendors[vendor].failNext(method, path, { status: 500 });

      const runs = [];
      for (let delivery = 0; delivery < 3; delivery++) {
        runs.push(await provision(event, stepsRunTwice));
      }

      expect(runs[0]!.error).toBeUndefined();
      // The vendor's 500, and each step's lost answer: every step ran twice.
      const [lost, failed] = partition(runs[0]!.failures, (f) => f.name === "AnswerLost");
      expect(failed).toHaveLength(1);
      expect(lost).toHaveLength(runs[0]!.steps.length);
      expect(vendors[vendor].count(method, path, { status: 500 })).toBe(1);
      for (const redelivery of runs.slice(1)) {
        expect(redelivery.result).toEqual({
          userId,
          outcome: "skipped: another run provisions this user",
        });
      }
      // Stripe's writes were looked for before being made again; Clerk's, a merge of the same
      // metadata, was simply made again.
      expect(succeeded(userId)).toEqual({
        customers: 1,
        setupIntents: 1,
        subscriptions: 1,
        clerkWrites: 2,
      });
      const metadataWrites = vendors.clerk.requests.filter((r) => r.method === "PATCH");
      expect(new Set(metadataWrites.map((r) => JSON.stringify(r.body))).size).toBe(1);
      expect(vendors.stripe.customers.size).toBe(1);
      expect(vendors.stripe.subscriptions.size).toBe(1);
      expect(vendors.clerk.users.get(userId)!.public_metadata).toMatchObject({
        onboardingComplete: true,
        stripeSubscriptionId: [...vendors.stripe.subscriptions.keys()][0],
      });
      expect((await onboardingStatus(userId)).state).toBe("complete");
    },
  );

  it.each([
    ["customer", "/v1/customers", "/v1/customers/search", () => vendors.stripe.customers.size],
    [
      "SetupIntent",
      "/v1/setup_intents",
      "/v1/setup_intents",
      () => vendors.stripe.setupIntents.size,
    ],
    [
      "subscription",
      "/v1/subscriptions",
      "/v1/subscriptions",
      () => vendors.stripe.subscriptions.size,
    ],
  ])(
    "a %s Stripe created but whose answer was lost is found in Stripe on retry, not created twice",
    async (_, path, lookedAt, created) => {
      const { userId, event } = signUp();
      // Stripe acts on the request, then the connection drops before the answer arrives.
      const stripe = vendors.stripe.handler();
      vendors.server.use(
        http.post(
          `${vendors.stripe.baseUrl}${path}`,
          async ({ request, requestId }) => {
            await stripe.run({ request, requestId });
            return HttpResponse.error();
          },
          { once: true },
        ),
      );

      const run = await provision(event);

      expect(run.error).toBeUndefined();
      expect(run.failures).toHaveLength(1);
      // The retry looked in Stripe before creating, found it, and sent nothing again.
      expect(stripeBodies(path)).toHaveLength(1);
      expect(vendors.stripe.count("GET", lookedAt)).toBe(1);
      expect(created()).toBe(1);
      expect(succeeded(userId)).toMatchObject({ clerkWrites: 1 });
      expect((await onboardingStatus(userId)).state).toBe("complete");
    },
  );

  it.each(["checkpointing", "step-by-step"] as const)(
    "%s: the retry of a step whose answer was lost (attempt 1) looks in Stripe and adopts what the first attempt made",
    async (mode) => {
      const { userId, event } = signUp();
      const run = await runFunction(provisionSubscription, event, {
        mode,
        faults: {
          lostAnswers: ({ step, attempt }) => step === "create-trial-subscription" && attempt === 0,
        },
      });

      expect(run.error).toBeUndefined();
      expect(run.retries).toMatchObject([{ step: "create-trial-subscription", attempt: 0 }]);
      // The first attempt created it; the retry listed the customer's subscriptions and took it.
      const calls = vendors.stripe.requests
        .filter((r) => r.path === "/v1/subscriptions")
        .map((r) => r.method);
      expect(calls).toEqual(["POST", "GET"]);
      expect(vendors.stripe.subscriptions.size).toBe(1);
      expect(vendors.clerk.users.get(userId)!.public_metadata).toMatchObject({
        stripeSubscriptionId: [...vendors.stripe.subscriptions.keys()][0],
      });
    },
  );

  it("Clerk's 429 is retried after its Retry-After", async () => {
    const { userId, event } = signUp();
    vendors.clerk.failNext("PATCH", `/v1/users/${userId}/metadata`, {
      status: 429,
      headers: { "retry-after": "3" },
    });

    const run = await provision(event);

    expect(run.failures).toEqual([expect.objectContaining({ name: "RetryAfterError" })]);
    expect(run.retries).toMatchObject([
      { step: "update-clerk-metadata", delay: 3000, cause: "retry-after" },
    ]);
    expect(run.error).toBeUndefined();
    expect(succeeded(userId).clerkWrites).toBe(1);
  });

  it("Clerk's repeated 429s are each waited out for their own Retry-After, in order", async () => {
    const { userId, event } = signUp();
    const metadata = `/v1/users/${userId}/metadata`;
    vendors.clerk.failNext("PATCH", metadata, { status: 429, headers: { "retry-after": "3" } });
    vendors.clerk.failNext("PATCH", metadata, { status: 429, headers: { "retry-after": "7" } });
    const { sim, run } = deliver(event);

    await sim.settle();

    expect(run.retries.map(({ step, delay, cause }) => ({ step, delay, cause }))).toEqual([
      { step: "update-clerk-metadata", delay: 3000, cause: "retry-after" },
      { step: "update-clerk-metadata", delay: 7000, cause: "retry-after" },
    ]);
    // The write that went through came 3 + 7 s after the first, on Inngest's clock.
    const attempts = sim.history.filter((h) => h.step === "update-clerk-metadata");
    expect(attempts.map((h) => [h.type, h.at - attempts[0]!.at])).toEqual([
      ["step-error", 0],
      ["step-error", 3000],
      ["step-ran", 10_000],
    ]);
    expect(vendors.clerk.count("PATCH", metadata, { status: 429 })).toBe(2);
    expect(succeeded(userId).clerkWrites).toBe(1);
    expect(await onboardingStatus(userId)).toMatchObject({ state: "complete" });
  });
});

describe("provision-subscription: as Inngest runs it, beside other runs", () => {
  it("user.created starts provisioning, the emails and the user sync at once; their steps interleave and each finishes", async () => {
    const { user, userId, event } = signUp();
    const sim = new InngestSim({
      functions: [provisionSubscription, sendOnboardingEmails, syncUser],
    });

    const [provisioning, emails, sync] = sim.send(event);
    await sim.settle();

    expect([provisioning, emails, sync].map((run) => run!.functionId)).toEqual([
      "onramp-provision-subscription",
      "onramp-send-onboarding-emails",
      "onramp-sync-user",
    ]);
    expect(sim.overlapped(provisioning!, emails!)).toBe(true);
    expect(sim.overlapped(provisioning!, sync!)).toBe(true);
    expect(provisioning!.result).toMatchObject({ userId, outcome: "complete" });
    expect(emails!.result).toEqual({ userId, welcome: "sent", trialOffer: "sent" });
    expect(sync!.result).toEqual({ userId, outcome: "written" });
    expect(succeeded(userId)).toEqual({
      customers: 1,
      setupIntents: 1,
      subscriptions: 1,
      clerkWrites: 1,
    });
    // Both writers of the user's row left their part.
    const db = await getDb();
    const [row] = await db.select().from(users).where(eq(users.clerkUserId, userId));
    expect(row).toMatchObject({
      email: user.email_addresses[0]!.email_address,
      stripeCustomerId: [...vendors.stripe.customers.values()][0]!.id,
    });
    expect((await onboardingStatus(userId)).state).toBe("complete");
  });

  it("Inngest starts one run per user however often user.created comes", async () => {
    const { event } = signUp();
    const sim = new InngestSim({ functions: [provisionSubscription] });

    // Svix redelivers the same message; a second message for the same user has its own id.
    const runs = [
      ...sim.send(event),
      ...sim.send(event),
      ...sim.send({ ...event, id: `clerk-msg_${randomUUID()}` }),
    ];
    await sim.settle();

    expect(runs).toHaveLength(1);
    expect(sim.skipped).toMatchObject([
      { functionId: "onramp-provision-subscription", reason: expect.stringMatching(/idempotency/) },
    ]);
    expect(vendors.stripe.customers.size).toBe(1);
  });

  it("two runs for the same user at once (a replay let through) never run steps together, and one provisions", async () => {
    const { userId, event } = signUp();
    const sim = new InngestSim({ functions: [provisionSubscription] });

    const first = sim.start(provisionSubscription, event);
    const second = sim.start(provisionSubscription, event);
    await sim.settle();

    // concurrency { key: event.data.id, limit: 1 }: one step of this user's provisioning at a time.
    expect(sim.overlapped(first, second)).toBe(false);
    expect([first.result, second.result]).toContainEqual({
      userId,
      outcome: "skipped: another run provisions this user",
    });
    expect([first.result, second.result]).toContainEqual(
      expect.objectContaining({ userId, outcome: "complete" }),
    );
    expect(succeeded(userId)).toEqual({
      customers: 1,
      setupIntents: 1,
      subscriptions: 1,
      clerkWrites: 1,
    });
  });

  it("a user.deleted arriving while the Stripe customer is being created lets that step finish; nothing after it runs, and onFailure is not called", async () => {
    const { userId, event } = signUp();
    const { sim, run } = deliver(event);
    // Clerk's user.deleted reaches Inngest while Stripe is still answering.
    vendors.server.use(
      http.post(
        `${vendors.stripe.baseUrl}/v1/customers`,
        () => {
          sim.send(userDeleted(userId));
        },
        { once: true },
      ),
    );

    await sim.settle();

    expect(run.cancelled).toBe(true);
    expect(run.cancelledBy).toMatchObject({ name: "clerk/user.deleted", data: { id: userId } });
    // Inngest cannot interrupt a running step: the customer was created and the step returned.
    expect(run.steps).toEqual([
      "claim-onboarding",
      "check-user-not-deleted",
      "create-stripe-customer",
    ]);
    expect(vendors.stripe.customers.size).toBe(1);
    // Then nothing: no card, no subscription, no Clerk write, no failure handler.
    expect(vendors.stripe.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /v1/customers",
    ]);
    expect(vendors.clerk.requests).toEqual([]);
    expect(sim.runsOf("onramp-provision-subscription-failure")).toEqual([]);
    expect((await onboardingStatus(userId)).state).not.toBe("failed");
  });

  it("with Inngest's cancellation applied late, the step that starts after user.deleted was sent finds the tombstone and writes nothing", async () => {
    const { userId, event } = signUp();
    const sim = new InngestSim({
      functions: [provisionSubscription],
      faults: { cancellationDelay: "10s" },
    });
    const [run] = sim.send(event);
    // Clerk deletes the user while Stripe creates the customer: the deletion is processed (its
    // tombstone written) and user.deleted reaches Inngest, whose cancellation lags.
    vendors.server.use(
      http.post(
        `${vendors.stripe.baseUrl}/v1/customers`,
        async () => {
          vendors.clerk.users.delete(userId);
          await markUserDeleted(userId, new Date());
          sim.send(userDeleted(userId));
        },
        { once: true },
      ),
    );

    await sim.settle();

    // The next step started after the cancelling event had arrived…
    const types = sim.history.filter((h) => h.runId === run!.id).map((h) => h.type);
    expect(types.indexOf("cancel-received")).toBeGreaterThan(-1);
    expect(types.indexOf("step-failed")).toBeGreaterThan(types.indexOf("cancel-received"));
    expect(run!.failures).toContainEqual(
      expect.objectContaining({ message: expect.stringContaining("no longer exists") }),
    );
    // …and its tombstone check stopped it before Stripe: no card, no subscription, no Clerk write.
    expect(vendors.stripe.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /v1/customers",
    ]);
    expect(vendors.clerk.requests.filter((r) => r.method !== "GET")).toEqual([]);
    expect(run!.done).toBe(true);
  });

  it("keeps one run id across attempts: each attempt of a retried step, and the row, see the same", async () => {
    const { userId, event } = signUp();
    vendors.stripe.failNext("POST", "/v1/subscriptions", { status: 500, times: 2 });
    const lines: Record<string, unknown>[] = [];
    const spy = vi
      .spyOn(console, "log")
      .mockImplementation((line) => void lines.push(JSON.parse(String(line))));

    let run;
    try {
      run = await provision(event);
    } finally {
      spy.mockRestore();
    }

    expect(run.error).toBeUndefined();
    const attempts = lines.filter(
      (line) => line.msg === "step started" && line.step === "create-trial-subscription",
    );
    expect(attempts.map((line) => [line.attempt, line.runID])).toEqual([
      [0, run.id],
      [1, run.id],
      [2, run.id],
    ]);
    expect(new Set(lines.map((line) => line.runID))).toEqual(new Set([run.id]));
    expect(await runIdOf(userId)).toBe(run.id);
  });
});

describe("provision-subscription: billing not configured", () => {
  it("skips billing with a clear status and still onboards the user", async () => {
    vi.stubEnv("STRIPE_SECRET_KEY", "");
    vi.resetModules();
    try {
      const { provisionSubscription: withoutBilling } =
        await import("@/inngest/functions/provision-subscription");
      const status = await import("@/lib/onboarding/status");
      const { userId, event } = signUp({ tier: "pro", confirmationToken: token() });

      const run = await runFunction(withoutBilling, event);

      expect(run.error).toBeUndefined();
      expect(run.result).toEqual({ userId, outcome: "complete", billing: "skipped" });
      expect(vendors.stripe.requests).toEqual([]);
      expect(vendors.clerk.requests[0]!.body).toEqual({
        public_metadata: { onboardingComplete: true, tier: "pro" },
        unsafe_metadata: { confirmationToken: null },
      });
      expect(vendors.clerk.users.get(userId)!.public_metadata).toEqual({
        onboardingComplete: true,
        tier: "pro",
      });
      const progress = await status.onboardingStatus(userId);
      expect(progress.state).toBe("complete");
      for (const id of ["plan", "customer", "payment-method", "subscription"]) {
        expect(progress.steps.find((s) => s.id === id)).toMatchObject({
          status: "skipped",
          reason: "Billing is not configured",
        });
      }
      expect(progress.steps.find((s) => s.id === "account")).toMatchObject({ status: "done" });
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});

async function runIdOf(userId: string) {
  const db = await getDb();
  const [row] = await db.select().from(onboarding).where(eq(onboarding.clerkUserId, userId));
  return row!.runId!;
}

// What Stripe answers beyond a plain success or failure. A 500 raised after the object was made is
// saved under its idempotency key and replayed to every retry: a retried step looks in Stripe for
// what an earlier attempt made before creating (DESIGN: adopt a live subscription already on the
// customer). Without a trial, a first charge that is declined or needs authentication leaves the
// subscription `incomplete`: the user is asked to act, and onboarded only once it is paid.
describe("provision-subscription: Stripe's harder answers", () => {
  it.each([
    // Search sees a new customer only after a while: the first retry misses it and creates again
    // under the key, which replays the 500; once search has caught up, a retry finds it.
    ["customer", "/v1/customers", "stripeCustomerId", () => vendors.stripe.customers, 2],
    // A list sees a new subscription at once: the first retry finds it.
    [
      "subscription",
      "/v1/subscriptions",
      "stripeSubscriptionId",
      () => vendors.stripe.subscriptions,
      1,
    ],
  ] as const)(
    "a %s Stripe created before failing with a 500, which its key then replays, is adopted, not lost",
    async (_, path, recordedAs, created, replayedTo) => {
      const { userId, event } = signUp();
      vendors.stripe.failAfterEffect("POST", path);
      vendors.stripe.eventualSearch = true;
      const { sim, run } = deliver(event);

      await sim.until(() => vendors.stripe.count("POST", path, { status: 500 }) === replayedTo);
      vendors.stripe.indexSearch();
      await sim.settle();

      // Every request under the key got the saved 500 back; none was made after the object was found.
      expect(vendors.stripe.count("POST", path)).toBe(replayedTo);
      expect(vendors.stripe.count("POST", path, { status: 500 })).toBe(replayedTo);
      expect(created().size).toBe(1);
      const [object] = [...created().values()];
      expect(run.error).toBeUndefined();
      expect(vendors.clerk.users.get(userId)!.public_metadata).toMatchObject({
        onboardingComplete: true,
        [recordedAs]: object!.id,
      });
    },
  );

  it("a SetupIntent Stripe created before failing with a 500 is found on retry by its token, and the card it saved is used", async () => {
    const confirmationToken = token();
    const { userId, event } = signUp({ tier: "pro", confirmationToken });
    vendors.stripe.failAfterEffect("POST", "/v1/setup_intents");

    const run = await provision(event);

    expect(run.error).toBeUndefined();
    expect(run.failures).toHaveLength(1);
    expect(vendors.stripe.count("POST", "/v1/setup_intents")).toBe(1);
    expect(vendors.stripe.count("GET", "/v1/setup_intents")).toBe(1);
    const [setupIntent] = [...vendors.stripe.setupIntents.values()];
    expect(setupIntent).toMatchObject({
      status: "succeeded",
      metadata: { clerk_user_id: userId, confirmation_token: confirmationToken },
    });
    expect(stripeBodies("/v1/subscriptions")[0]!.body.default_payment_method).toBe(
      setupIntent!.payment_method,
    );
    expect(await onboardingStatus(userId)).toMatchObject({ state: "complete" });
  });

  it("Stripe failing on every try to save the card → payment_failed asking for the card again (a new token, a new key); the new card continues the run", async () => {
    const { userId, event } = signUp();
    vendors.stripe.failNext("POST", "/v1/setup_intents", { status: 500, times: 6 });
    const { sim, run } = deliver(event);

    await sim.until(() => run.waitingFor("wait-for-payment-details-2"));
    const whileWaiting = await onboardingStatus(userId);
    sim.send(submitted(userId, "pro", token()));
    await sim.settle();

    // Inngest's 6 attempts, each looking for a SetupIntent of the token before creating.
    expect(vendors.stripe.count("POST", "/v1/setup_intents", { status: 500 })).toBe(6);
    expect(vendors.stripe.count("GET", "/v1/setup_intents")).toBe(5);
    expect(whileWaiting).toMatchObject({
      state: "payment_failed",
      reason: "We could not save your card just now. Please enter it again.",
      action: { type: "update_payment_method" },
    });
    expect(run.error).toBeUndefined();
    const keys = stripeBodies("/v1/setup_intents").map((r) => r.idempotencyKey);
    expect(new Set(keys).size).toBe(2);
    expect(succeeded(userId)).toEqual({
      customers: 1,
      setupIntents: 1,
      subscriptions: 1,
      clerkWrites: 1,
    });
    expect(await onboardingStatus(userId)).toMatchObject({ state: "complete" });
  });

  describe("without a trial (TRIAL_DAYS=0), the first invoice is charged at once", () => {
    /** The function as it runs with TRIAL_DAYS=0 (lib/env reads it at import). */
    async function withoutTrial() {
      vi.stubEnv("TRIAL_DAYS", "0");
      vi.resetModules();
      const { provisionSubscription: fn } =
        await import("@/inngest/functions/provision-subscription");
      const status = await import("@/lib/onboarding/status");
      return { fn, onboardingStatus: status.onboardingStatus };
    }
    afterEach(() => {
      vi.unstubAllEnvs();
      vi.resetModules();
    });

    /** Inngest with provisioning as it runs without a trial, and the run user.created starts. */
    async function deliverWithoutTrial(event: { name: string; data: unknown }, faults?: Faults) {
      const { fn, onboardingStatus } = await withoutTrial();
      const sim = new InngestSim({ functions: [fn], faults });
      const [run] = sim.send(event);
      return { fn, sim, run: run!, onboardingStatus };
    }

    const theSubscription = () => {
      expect(vendors.stripe.subscriptions.size).toBe(1);
      return [...vendors.stripe.subscriptions.values()][0]!;
    };
    const payPath = /^\/v1\/invoices\/[^/]+\/pay$/;
    /** The same, as the URL msw matches. */
    const payUrl = new RegExp(`^${vendors.stripe.baseUrl}/v1/invoices/[^/]+/pay$`);
    const payments = () =>
      vendors.stripe.requests.filter((r) => r.method === "POST" && payPath.test(r.path));
    /** The card saved by the newest SetupIntent. */
    const newestCard = () => [...vendors.stripe.setupIntents.values()].at(-1)!.payment_method;

    it("a card that pays starts an active subscription", async () => {
      const { fn, onboardingStatus } = await withoutTrial();
      const { userId, event } = signUp({ tier: "pro", confirmationToken: token() });

      const run = await runFunction(fn, event);

      expect(run.error).toBeUndefined();
      expect(stripeBodies("/v1/subscriptions")[0]!.body.trial_period_days).toBeUndefined();
      expect([...vendors.stripe.subscriptions.values()][0]).toMatchObject({ status: "active" });
      // Paid when made: the invoice is read nowhere, nothing else is charged.
      expect(vendors.stripe.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        "POST /v1/customers",
        "POST /v1/setup_intents",
        "POST /v1/subscriptions",
      ]);
      expect((await onboardingStatus(userId)).state).toBe("complete");
    });

    it.each([
      ["is declined", "unchargeable", "payment_failed"],
      ["needs the customer to authenticate", "chargeauth", "action_required"],
    ])(
      "a card whose first charge %s leaves the subscription incomplete: the user is asked to act, not onboarded; when nothing comes, it is cancelled",
      async (_, kind, asked) => {
        const { fn, onboardingStatus } = await withoutTrial();
        const { userId, event } = signUp({ tier: "pro", confirmationToken: token(kind) });
        // Whatever the run then waits for (a new card, the bank), nothing comes: the state
        // shown while it first waits is what the user was asked.
        const sim = new InngestSim({ functions: [fn] });
        const [run] = sim.send(event);
        // (A run is `queued` until Inngest starts it: `done`, not "not running", means it ended.)
        await sim.until(() => run!.waits.length > 0 || run!.done);
        const shown = [(await onboardingStatus(userId)).state];
        expect([...vendors.stripe.subscriptions.values()][0]).toMatchObject({
          status: "incomplete",
        });
        await sim.settle();

        // The run that ended for good ended what it started; nothing was charged.
        expect([...vendors.stripe.subscriptions.values()][0]).toMatchObject({
          status: "canceled",
        });
        expect(vendors.stripe.refunds.size).toBe(0);
        expect(shown[0]).toBe(asked);
        expect(vendors.clerk.users.get(userId)!.public_metadata.onboardingComplete).not.toBe(true);
        expect((await onboardingStatus(userId)).state).not.toBe("complete");
      },
    );

    it("a declined first charge → payment_failed with the reason; a new card pays the same invoice, becomes the card renewals charge, and the user is onboarded", async () => {
      const { userId, event } = signUp({ tier: "pro", confirmationToken: token("unchargeable") });
      const { sim, run, onboardingStatus } = await deliverWithoutTrial(event);

      await sim.until(() => run.waitingFor("wait-for-payment-details-2"));
      const whileWaiting = await onboardingStatus(userId);
      sim.send(submitted(userId, "pro", token()));
      await sim.settle();

      expect(whileWaiting).toMatchObject({
        state: "payment_failed",
        reason: "Your card was declined.",
        action: { type: "update_payment_method" },
      });
      expect(whileWaiting.steps.find((s) => s.id === "subscription")).toMatchObject({
        status: "failed",
        reason: "Your card was declined.",
      });
      expect(run.error).toBeUndefined();
      const subscription = theSubscription();
      const invoiceId = subscription.latest_invoice as string;
      const card = newestCard();
      expect(stripeBodies("/v1/subscriptions")[0]!.body.payment_settings).toEqual({
        save_default_payment_method: "on_subscription",
      });
      expect(
        payments().map(({ path, body, idempotencyKey }) => ({ path, body, idempotencyKey })),
      ).toEqual([
        {
          path: `/v1/invoices/${invoiceId}/pay`,
          body: { payment_method: card, off_session: "false" },
          idempotencyKey: `onboarding:${userId}:invoice:${invoiceId}:${card}`,
        },
      ]);
      expect(vendors.stripe.invoices.get(invoiceId)).toMatchObject({ status: "paid" });
      expect(subscription).toMatchObject({ status: "active", default_payment_method: card });
      expect(vendors.clerk.users.get(userId)!.public_metadata).toMatchObject({
        onboardingComplete: true,
        stripeSubscriptionId: subscription.id,
        subscriptionStatus: "active",
      });
      const status = await onboardingStatus(userId);
      expect(status.state).toBe("complete");
      expect(status.steps.find((s) => s.id === "subscription")).toMatchObject({ status: "done" });
    });

    it("a first charge needing authentication → action_required with the PaymentIntent's client secret; once the browser confirms, the run re-checks Stripe and completes", async () => {
      const { userId, event } = signUp({ tier: "pro", confirmationToken: token("chargeauth") });
      const { sim, run, onboardingStatus } = await deliverWithoutTrial(event);

      await sim.until(() => run.waitingFor("wait-for-payment-confirmation"));
      const whileWaiting = await onboardingStatus(userId);
      const [paymentIntent] = [...vendors.stripe.paymentIntents.values()];
      // The browser passes 3-D Secure with the client secret (handleNextAction), then tells the app.
      vendors.stripe.completePaymentIntentAction(paymentIntent!.id);
      sim.send(onboardingPaymentConfirmed.create({ userId, paymentIntentId: paymentIntent!.id }));
      await sim.settle();

      expect(whileWaiting).toMatchObject({
        state: "action_required",
        reason: "Your bank needs you to confirm the payment.",
        action: { type: "confirm_payment", clientSecret: paymentIntent!.client_secret },
      });
      expect(run.waits).toEqual([
        {
          id: "wait-for-payment-confirmation",
          event: "app/onboarding.payment_confirmed",
          timeout: CONFIRMATION_TIMEOUTS.first,
          if: `async.data.userId == event.data.id && async.data.paymentIntentId == '${paymentIntent!.id}'`,
        },
      ]);
      expect(run.error).toBeUndefined();
      // The charge made when subscribing was the one authenticated: nothing was charged again.
      expect(payments()).toEqual([]);
      expect(theSubscription()).toMatchObject({ status: "active" });
      expect(await onboardingStatus(userId)).toMatchObject({ state: "complete" });
    });

    it("authentication of the first charge never finished → waits out the hour, then payment_failed; a new card pays the invoice", async () => {
      const { userId, event } = signUp({ tier: "pro", confirmationToken: token("chargeauth") });
      const { sim, run, onboardingStatus } = await deliverWithoutTrial(event);

      await sim.until(() => run.waitingFor("wait-for-payment-confirmation-late"));
      const afterFirstLook = await onboardingStatus(userId);
      await sim.until(() => run.waitingFor("wait-for-payment-details-2"));
      const whileWaiting = await onboardingStatus(userId);
      expect(sim.now() - run.startedAt!).toBe(
        duration(CONFIRMATION_TIMEOUTS.first) + duration(CONFIRMATION_TIMEOUTS.rest),
      );
      sim.send(submitted(userId, "pro", token()));
      await sim.settle();

      expect(afterFirstLook).toMatchObject({ state: "action_required" });
      expect(whileWaiting).toMatchObject({
        state: "payment_failed",
        reason: "Your bank did not confirm the payment.",
        action: { type: "update_payment_method" },
      });
      expect(run.error).toBeUndefined();
      expect(payments()).toHaveLength(1);
      expect(theSubscription()).toMatchObject({
        status: "active",
        default_payment_method: newestCard(),
      });
      expect(await onboardingStatus(userId)).toMatchObject({ state: "complete" });
    });

    it("a new card whose payment needs authentication too → action_required for that payment; once confirmed, the run completes", async () => {
      const { userId, event } = signUp({ tier: "pro", confirmationToken: token("unchargeable") });
      const { sim, run, onboardingStatus } = await deliverWithoutTrial(event);

      await sim.until(() => run.waitingFor("wait-for-payment-details-2"));
      sim.send(submitted(userId, "pro", token("chargeauth")));
      await sim.until(() => run.waitingFor("wait-for-payment-confirmation-2"));
      const whileWaiting = await onboardingStatus(userId);
      const [paymentIntent] = [...vendors.stripe.paymentIntents.values()];
      vendors.stripe.completePaymentIntentAction(paymentIntent!.id);
      sim.send(onboardingPaymentConfirmed.create({ userId, paymentIntentId: paymentIntent!.id }));
      await sim.settle();

      // Stripe refused the payment with a 402 until the customer authenticated.
      expect(vendors.stripe.count("POST", payPath, { status: 402 })).toBe(1);
      expect(whileWaiting).toMatchObject({
        state: "action_required",
        action: { type: "confirm_payment", clientSecret: paymentIntent!.client_secret },
      });
      expect(run.error).toBeUndefined();
      expect(theSubscription()).toMatchObject({
        status: "active",
        default_payment_method: newestCard(),
      });
      expect(await onboardingStatus(userId)).toMatchObject({ state: "complete" });
    });

    it("a run that fails with its first invoice unpaid cancels that subscription; a rerun subscribes afresh with the new card: one live subscription", async () => {
      const { userId, event } = signUp({ tier: "pro", confirmationToken: token("unchargeable") });
      const { fn, sim, run, onboardingStatus } = await deliverWithoutTrial(event);
      await sim.settle();
      expect(await onboardingStatus(userId)).toMatchObject({
        state: "failed",
        reason: `No new card was submitted within 7 days. ${trialCancelled}`,
      });
      const [failed] = [...vendors.stripe.subscriptions.values()];
      expect(failed).toMatchObject({ status: "canceled" });

      // An operator reruns provisioning; the sign-up's card was used, so a new one is asked for.
      const rerun = sim.start(fn, { ...event, id: `clerk-msg_${randomUUID()}` });
      await sim.until(() => rerun.waitingFor("wait-for-payment-details-2"));
      sim.send(submitted(userId, "pro", token()));
      await sim.settle();

      expect(run.error).toMatchObject({ name: "NonRetriableError" });
      expect(rerun.error).toBeUndefined();
      expect(stripeBodies("/v1/subscriptions")).toHaveLength(2);
      const live = [...vendors.stripe.subscriptions.values()].filter(
        (s) => s.status !== "canceled",
      );
      expect(live).toHaveLength(1);
      const subscription = live[0]!;
      expect(subscription).toMatchObject({
        status: "active",
        default_payment_method: newestCard(),
      });
      expect(vendors.stripe.refunds.size).toBe(0);
      expect(vendors.clerk.users.get(userId)!.public_metadata).toMatchObject({
        onboardingComplete: true,
        stripeSubscriptionId: subscription.id,
      });
    });

    describe("paying the first invoice with a new card, exactly once", () => {
      type Meanwhile = (context: {
        sim: InngestSim;
        fn: typeof provisionSubscription;
        userId: string;
        event: { name: string; data: unknown };
      }) => unknown;

      /** A declined first charge; `meanwhile` runs once the run waits for a new card, which then comes. */
      async function payWithNewCard(meanwhile: Meanwhile = () => {}, faults?: Faults) {
        const { userId, event } = signUp({ tier: "pro", confirmationToken: token("unchargeable") });
        const { fn, sim, run, onboardingStatus } = await deliverWithoutTrial(event, faults);
        await sim.until(() => run.waitingFor("wait-for-payment-details-2"));
        await meanwhile({ sim, fn, userId, event });
        sim.send(submitted(userId, "pro", token()));
        await sim.settle();
        return { userId, sim, run, status: await onboardingStatus(userId) };
      }

      it("a payment failing once (5xx), every step's answer lost once after it ran, and user.created delivered again (a replay Inngest let through), still pays once", async () => {
        let redelivery: ReturnType<InngestSim["start"]> | undefined;
        const { userId, run, status } = await payWithNewCard(({ sim, fn, event }) => {
          vendors.stripe.failNext("POST", payPath, { status: 500 });
          redelivery = sim.start(fn, event);
        }, stepsRunTwice);

        expect(redelivery!.result).toEqual({
          userId,
          outcome: "skipped: another run provisions this user",
        });
        expect(run.error).toBeUndefined();
        expect(run.failures.filter((f) => f.name !== "AnswerLost")).toHaveLength(1);
        expect(vendors.stripe.count("POST", payPath, { status: 500 })).toBe(1);
        expect(vendors.stripe.count("POST", payPath, { status: "success" })).toBe(1);
        const keys = payments().map((r) => r.idempotencyKey);
        expect(keys[1]).toBe(keys[0]);
        expect(succeeded(userId)).toMatchObject({ subscriptions: 1 });
        expect(status.state).toBe("complete");
      });

      it("a payment Stripe made but whose answer was lost is found on retry (the invoice is paid), not made twice", async () => {
        const { run, status } = await payWithNewCard(() => {
          const stripe = vendors.stripe.handler();
          vendors.server.use(
            http.post(
              payUrl,
              async ({ request, requestId }) => {
                await stripe.run({ request, requestId });
                return HttpResponse.error();
              },
              { once: true },
            ),
          );
        });

        expect(run.error).toBeUndefined();
        expect(run.failures).toHaveLength(1);
        expect(payments()).toHaveLength(1);
        expect(theSubscription()).toMatchObject({ status: "active" });
        expect(status.state).toBe("complete");
      });

      it("Stripe failing every try of the payment, the last one charging the card but losing the answer: Stripe is asked again, and the user is onboarded, never told it failed", async () => {
        const { run, status } = await payWithNewCard(() => {
          vendors.stripe.failNext("POST", payPath, { status: 503, times: 5 });
          vendors.stripe.failNext("POST", payPath, { status: 500, when: "lost" });
        });

        expect(run.error).toBeUndefined();
        expect(payments()).toHaveLength(6);
        expect(theSubscription()).toMatchObject({ status: "active" });
        expect(status.state).toBe("complete");
        expect(vendors.stripe.refunds.size).toBe(0);
      });

      it("a payment Stripe made before failing with a 500, which its key then replays, is found on retry, not lost", async () => {
        const { run, status } = await payWithNewCard(() => {
          vendors.stripe.failAfterEffect("POST", payPath);
        });

        expect(run.error).toBeUndefined();
        expect(vendors.stripe.count("POST", payPath, { status: 500 })).toBe(1);
        expect(payments()).toHaveLength(1);
        expect(theSubscription()).toMatchObject({ status: "active" });
        expect(status.state).toBe("complete");
      });

      it("Stripe failing on every try to take the payment → payment_failed asking for the card again; the next card pays", async () => {
        const { userId, event } = signUp({ tier: "pro", confirmationToken: token("unchargeable") });
        const { sim, run, onboardingStatus } = await deliverWithoutTrial(event);
        await sim.until(() => run.waitingFor("wait-for-payment-details-2"));
        vendors.stripe.failNext("POST", payPath, { status: 500, times: 6 });
        sim.send(submitted(userId, "pro", token()));
        await sim.until(() => run.waitingFor("wait-for-payment-details-3"));
        const whileWaiting = await onboardingStatus(userId);
        sim.send(submitted(userId, "pro", token()));
        await sim.settle();

        expect(whileWaiting).toMatchObject({
          state: "payment_failed",
          reason: "We could not take the payment just now. Please enter your card again.",
        });
        expect(vendors.stripe.count("POST", payPath, { status: 500 })).toBe(6);
        expect(vendors.stripe.count("POST", payPath, { status: "success" })).toBe(1);
        expect(run.error).toBeUndefined();
        expect(theSubscription()).toMatchObject({
          status: "active",
          default_payment_method: newestCard(),
        });
        expect((await onboardingStatus(userId)).state).toBe("complete");
      });

      it("a user deleted before the payment (the tombstone there, its cancellation not yet arrived) is charged nothing; the run ends for good", async () => {
        const { userId, run, status } = await payWithNewCard(({ userId }) => {
          // The deletion lands while the new card is being saved.
          vendors.server.use(
            http.post(
              `${vendors.stripe.baseUrl}/v1/setup_intents`,
              async () => {
                await markUserDeleted(userId, new Date());
              },
              { once: true },
            ),
          );
        });

        expect(payments()).toEqual([]);
        expect(run.error).toMatchObject({ name: "NonRetriableError" });
        expect(vendors.clerk.requests).toEqual([]);
        expect(status).toMatchObject({
          state: "failed",
          reason: `The account ${userId} no longer exists ${trialCancelled}`,
        });
      });

      it("a user.deleted arriving while the payment is made lets that step finish; nothing after it runs, and onFailure is not called", async () => {
        const { run, sim } = await payWithNewCard(({ sim, userId }) => {
          vendors.server.use(
            http.post(
              payUrl,
              () => {
                sim.send(userDeleted(userId));
              },
              { once: true },
            ),
          );
        });

        expect(run.cancelled).toBe(true);
        // Inngest cannot interrupt a running step: the payment was made. Cancelling a deleted
        // user's live subscriptions is the deletion workflow's part.
        expect(run.steps.at(-1)).toBe("pay-invoice-2");
        expect(vendors.stripe.count("POST", payPath, { status: "success" })).toBe(1);
        expect(vendors.clerk.requests).toEqual([]);
        expect(sim.runsOf("onramp-provision-subscription-failure")).toEqual([]);
      });
    });
  });
});
