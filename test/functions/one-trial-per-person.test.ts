import { createHash, randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { provisionSubscription } from "@/inngest/functions/provision-subscription";
import { trialWithheld } from "@/lib/billing/trial-eligibility";
import { getDb } from "@/lib/db/client";
import { trialGrants } from "@/lib/db/schema";
import { onboardingStatus } from "@/lib/onboarding/status";
import { markUserDeleted } from "@/lib/users";
import { runFunction } from "@onramp/standins/inngest";
import { setupVendors } from "@onramp/standins/vitest";

/**
 * One free trial per person (issue 21): by card (Stripe's fingerprint, the same for one card
 * number) and by verified email address, remembered as keyed hashes that outlive the account.
 */

const vendors = setupVendors();
beforeAll(() => getDb());
afterEach(() => {
  expect(vendors.stripe.violations).toEqual([]);
  expect(vendors.clerk.violations).toEqual([]);
});

/** A card number of its own for each test (the database, and what it remembers, is the file's). */
const newCard = () => `4${String(Math.floor(Math.random() * 1e15)).padStart(15, "0")}`;

/** Someone signs up with `email` and the card `number`, and provisioning runs to its end. */
async function signUp(email: string, number: string) {
  const user = vendors.clerk.addUser({
    email,
    first_name: "Ada",
    unsafe_metadata: {
      tier: "pro",
      confirmationToken: vendors.stripe.issueConfirmationToken("ok", { card: number }),
    },
  });
  const run = await runFunction(provisionSubscription, {
    id: `clerk-msg_${randomUUID()}`,
    name: "clerk/user.created",
    data: user,
  });
  expect(run.error).toBeUndefined();
  const subscription = [...vendors.stripe.subscriptions.values()].find(
    (s) => s.metadata.clerk_user_id === user.id,
  )!;
  return { userId: user.id, subscription, run };
}

const unique = () => randomUUID().slice(0, 8);

describe("one free trial per person", () => {
  it("a second account with the same card gets no trial: its plan starts and is charged today, and the progress page says why", async () => {
    const card = newCard();
    const first = await signUp(`ada.${unique()}@example.com`, card);
    expect(first.subscription).toMatchObject({ status: "trialing" });

    const second = await signUp(`grace.${unique()}@example.com`, card);
    expect(second.subscription).toMatchObject({ status: "active", trial_end: null });
    const invoice = vendors.stripe.invoices.get(second.subscription.latest_invoice as string);
    expect(invoice).toMatchObject({ status: "paid", amount_paid: 2000 });
    const subscriptionRequest = vendors.stripe.requests.findLast(
      (r) => r.method === "POST" && r.path === "/v1/subscriptions",
    );
    expect(subscriptionRequest!.body).not.toHaveProperty("trial_period_days");

    const status = await onboardingStatus(second.userId);
    expect(status.state).toBe("complete");
    expect(status.steps.find((s) => s.id === "subscription")).toMatchObject({
      status: "done",
      reason: trialWithheld,
    });
    expect(vendors.clerk.users.get(second.userId)!.public_metadata).toMatchObject({
      subscriptionStatus: "active",
    });

    // Another card and another address: a trial.
    const third = await signUp(`mary.${unique()}@example.com`, newCard());
    expect(third.subscription.status).toBe("trialing");
  });

  it("the same verified address, however it is written, gets no second trial, even after the first account was deleted", async () => {
    const name = `ada.${unique()}`;
    const first = await signUp(`${name}@example.com`, newCard());
    expect(first.subscription.status).toBe("trialing");
    await markUserDeleted(first.userId, new Date());

    const again = await signUp(`  ${name.toUpperCase()}+again@Example.com`, newCard());
    expect(again.subscription.status).toBe("active");
  });

  it("keeps keyed hashes, never the card's fingerprint or the address", async () => {
    const email = `ada.${unique()}@example.com`;
    const { userId, subscription } = await signUp(email, newCard());
    const card = vendors.stripe.paymentMethods.get(subscription.default_payment_method as string)!;
    const fingerprint = card.card!.fingerprint!;

    const kept = await (
      await getDb()
    )
      .select()
      .from(trialGrants)
      .where(eq(trialGrants.clerkUserId, userId));
    expect(kept.map((row) => row.kind).sort()).toEqual(["card", "email"]);
    const plainHashes = [fingerprint, email].map((value) =>
      createHash("sha256").update(value).digest("base64url"),
    );
    for (const { keyedHash } of kept) {
      expect(keyedHash).not.toContain(fingerprint);
      expect(keyedHash).not.toContain(email);
      expect(plainHashes).not.toContain(keyedHash);
      expect(keyedHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
  });

  it("a retried step keeps the person's own trial", async () => {
    // Stripe fails creating the subscription once: the step that claimed the trial is not rerun,
    // and the retried subscription step still starts the trial.
    vendors.stripe.failNext("POST", "/v1/subscriptions", { status: 500 });
    const { subscription, run } = await signUp(`ada.${unique()}@example.com`, newCard());
    expect(subscription.status).toBe("trialing");
    expect(run.retries.length).toBeGreaterThan(0);
  });
});
