import Stripe from "stripe";
import { afterEach, describe, expect, it } from "vitest";
import { setupVendors } from "@onramp/standins/vitest";
import { hostedPagesHandler } from "../src/stripe/hosted-pages";
import { stripeSdk } from "./stripe-sdk";

// Test clocks as Stripe has them (docs.stripe.com/billing/testing/test-clocks, the API reference
// of /v1/test_helpers/test_clocks), through the real SDK: a customer on a clock lives on its
// frozen time, and advancing the clock runs what Stripe's billing would have done meanwhile.
const vendors = setupVendors();
const { stripe: stripeApi } = vendors;
const stripe = stripeSdk();
afterEach(() => expect(stripeApi.violations).toEqual([]));

const PRICE = "price_pro_test";
const DAY = 86_400;
const HOUR = 3_600;
const start = Date.UTC(2030, 0, 10, 12) / 1000;

/** The events Stripe sent about billing (the clock's own left out), by type. */
function recordEvents() {
  const events: Stripe.Event[] = [];
  stripeApi.onEvent = (event) => {
    if (!event.type.startsWith("test_helpers.")) events.push(event);
  };
  return {
    types: () => events.map((event) => event.type),
    since: (n: number) => events.slice(n).map((event) => event.type),
    get length() {
      return events.length;
    },
    last: (type: string) => events.findLast((event) => event.type === type)?.data.object,
  };
}

/** A customer on a new clock, with a card saved from a token of `kind`, subscribed to Pro. */
async function subscribedOnClock(
  kind = "ok",
  params: Partial<Stripe.SubscriptionCreateParams> = {},
) {
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start, name: "month" });
  const customer = await stripe.customers.create({ test_clock: clock.id });
  const { payment_method } = await stripe.setupIntents.create({
    customer: customer.id,
    confirm: true,
    confirmation_token: stripeApi.issueConfirmationToken(kind),
  });
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: PRICE }],
    default_payment_method: payment_method as string,
    trial_period_days: 14,
    ...params,
  });
  const frozen = () => stripeApi.testClocks.get(clock.id)!.frozen_time;
  const advance = (seconds: number) =>
    stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: frozen() + seconds });
  const current = () => stripe.subscriptions.retrieve(subscription.id);
  const invoice = async () => stripe.invoices.retrieve((await current()).latest_invoice as string);
  return { clock, customer, subscription, advance, frozen, current, invoice };
}

describe("Stripe stand-in: test clocks", () => {
  it("creates, lists, retrieves and deletes clocks; a customer on one lives on its frozen time", async () => {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    expect(clock).toMatchObject({
      object: "test_helpers.test_clock",
      frozen_time: start,
      status: "ready",
      livemode: false,
    });
    const customer = await stripe.customers.create({ test_clock: clock.id });
    expect(customer).toMatchObject({ test_clock: clock.id, created: start });
    const { data } = await stripe.testHelpers.testClocks.list();
    expect(data.map((c) => c.id)).toEqual([clock.id]);
    expect((await stripe.testHelpers.testClocks.retrieve(clock.id)).frozen_time).toBe(start);

    expect(await stripe.testHelpers.testClocks.del(clock.id)).toMatchObject({ deleted: true });
    // Its customers go with it.
    await expect(stripe.customers.retrieve(customer.id)).rejects.toMatchObject({ statusCode: 404 });
  });

  it("holds at most three customers, refuses to go back and to go more than two intervals ahead", async () => {
    const { clock } = await subscribedOnClock();
    const clockEvents: string[] = [];
    stripeApi.onEvent = (event) => {
      if (event.type.startsWith("test_helpers.")) clockEvents.push(event.type);
    };
    await stripe.customers.create({ test_clock: clock.id });
    await stripe.customers.create({ test_clock: clock.id });
    await expect(stripe.customers.create({ test_clock: clock.id })).rejects.toMatchObject({
      statusCode: 400,
      param: "test_clock",
    });
    await expect(
      stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: start - 1 }),
    ).rejects.toMatchObject({ statusCode: 400, param: "frozen_time" });
    // A monthly subscription: two months at most (2030-01-10 → 2030-03-10).
    await expect(
      stripe.testHelpers.testClocks.advance(clock.id, {
        frozen_time: Date.UTC(2030, 2, 10, 12) / 1000 + 1,
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: "frozen_time" });
    const answer = await stripe.testHelpers.testClocks.advance(clock.id, {
      frozen_time: Date.UTC(2030, 2, 10, 12) / 1000,
    });
    // Stripe answers while it advances; the clock is ready when next asked, and says so.
    expect(answer.status).toBe("advancing");
    expect(clockEvents).toEqual([
      "test_helpers.test_clock.advancing",
      "test_helpers.test_clock.ready",
    ]);
    expect((await stripe.testHelpers.testClocks.retrieve(clock.id)).status).toBe("ready");
  });

  it("a trial: trial_will_end three days before, then the first invoice an hour after it ends, paid by the card", async () => {
    const events = recordEvents();
    const { advance, current, invoice, subscription } = await subscribedOnClock();
    expect(subscription).toMatchObject({ status: "trialing", trial_end: start + 14 * DAY });

    await advance(11 * DAY - 1);
    expect(events.types()).not.toContain("customer.subscription.trial_will_end");
    const before = events.length;
    await advance(1);
    expect(events.since(before)).toEqual(["customer.subscription.trial_will_end"]);

    await advance(3 * DAY);
    expect((await current()).status).toBe("active");
    expect(await invoice()).toMatchObject({
      status: "draft",
      billing_reason: "subscription_cycle",
      amount_due: 2000,
      next_payment_attempt: start + 14 * DAY + HOUR,
      parent: { subscription_details: { subscription: subscription.id } },
    });
    const atTrialEnd = events.length;
    await advance(HOUR);
    expect(events.since(atTrialEnd)).toEqual([
      "invoice.finalized",
      "invoice.paid",
      "invoice.payment_succeeded",
    ]);
    expect(await invoice()).toMatchObject({ status: "paid", attempt_count: 1 });
    // The next period: Feb 24 → Mar 24.
    expect((await current()).items.data[0]).toMatchObject({
      current_period_start: start + 14 * DAY,
      current_period_end: Date.UTC(2030, 1, 24, 12) / 1000,
    });
  });

  it("a renewal the card refuses: past_due, Smart Retries at their moments, and the subscription cancelled after the last", async () => {
    const events = recordEvents();
    const { advance, current, invoice, frozen } = await subscribedOnClock("unchargeable");
    await advance(14 * DAY + HOUR);
    const failed = await invoice();
    expect(failed).toMatchObject({ status: "open", attempt_count: 1 });
    const firstFailure = start + 14 * DAY + HOUR;
    // Stripe's default policy: 4 retries within 21 days.
    expect(failed.next_payment_attempt).toBe(firstFailure + Math.round((21 * DAY) / 4));
    expect((await current()).status).toBe("past_due");
    expect(events.types()).toContain("invoice.payment_failed");

    // Each retry at its moment, not a second before.
    for (const attempts of [2, 3, 4]) {
      const next = (await invoice()).next_payment_attempt!;
      await advance(next - frozen() - 1);
      expect((await invoice()).attempt_count).toBe(attempts - 1);
      await advance(1);
      expect((await invoice()).attempt_count).toBe(attempts);
      expect((await current()).status).toBe("past_due");
    }
    await advance(22 * DAY);
    const last = await invoice();
    expect(last).toMatchObject({ attempt_count: 5, next_payment_attempt: null, status: "open" });
    expect(await current()).toMatchObject({
      status: "canceled",
      cancellation_details: { reason: "payment_failed" },
    });
    expect(events.types().filter((t) => t === "invoice.payment_failed")).toHaveLength(5);
    // The last failure, then the end.
    expect(events.types().slice(-2)).toEqual([
      "invoice.payment_failed",
      "customer.subscription.deleted",
    ]);
  });

  it("after the last retry, marks the subscription unpaid when the settings say so", async () => {
    stripeApi.retrySettings = { maxRetries: 2, retriesEndAfterDays: 7, afterRetries: "unpaid" };
    const { advance, current, invoice } = await subscribedOnClock("unchargeable");
    await advance(14 * DAY + HOUR);
    expect((await invoice()).next_payment_attempt).toBe(
      start + 14 * DAY + HOUR + Math.round(3.5 * DAY),
    );
    await advance(8 * DAY);
    expect((await invoice()).attempt_count).toBe(3);
    expect((await current()).status).toBe("unpaid");
  });

  it("a card fixed while past due: paying the open invoice makes the subscription active again", async () => {
    const events = recordEvents();
    const { advance, current, invoice, customer } = await subscribedOnClock("unchargeable");
    await advance(14 * DAY + HOUR);
    const { payment_method: newCard } = await stripe.setupIntents.create({
      customer: customer.id,
      confirm: true,
      confirmation_token: stripeApi.issueConfirmationToken("ok"),
    });
    const before = events.length;
    const paid = await stripe.invoices.pay((await invoice()).id, {
      payment_method: newCard as string,
    });
    expect(paid).toMatchObject({ status: "paid", next_payment_attempt: null });
    expect((await current()).status).toBe("active");
    expect(events.since(before)).toEqual([
      "invoice.paid",
      "invoice.payment_succeeded",
      "customer.subscription.updated",
    ]);
  });

  it("a renewal that needs the customer to authenticate sends invoice.payment_action_required", async () => {
    const events = recordEvents();
    const { advance, current, invoice } = await subscribedOnClock("chargeauth");
    await advance(14 * DAY + HOUR);
    expect(events.types()).toContain("invoice.payment_action_required");
    expect(events.types()).not.toContain("invoice.payment_failed");
    expect((await current()).status).toBe("past_due");
    const [payment] = (
      await stripe.invoicePayments.list({
        invoice: (await invoice()).id,
        expand: ["data.payment.payment_intent"],
      })
    ).data;
    expect(payment!.payment.payment_intent).toMatchObject({ status: "requires_action" });
  });

  it("an incomplete subscription expires 23 hours after its first charge failed, its invoice voided", async () => {
    const events = recordEvents();
    const { advance, current, invoice } = await subscribedOnClock("unchargeable", {
      trial_period_days: undefined,
    });
    expect((await current()).status).toBe("incomplete");
    await advance(23 * HOUR - 1);
    expect((await current()).status).toBe("incomplete");
    await advance(1);
    expect((await current()).status).toBe("incomplete_expired");
    expect((await invoice()).status).toBe("void");
    expect(events.types().slice(-2)).toEqual(["invoice.voided", "customer.subscription.deleted"]);
    // No Smart Retries for a first invoice.
    expect((await invoice()).attempt_count).toBe(1);
  });

  it("cancel_at_period_end ends it at the period's end; resumed before, it renews", async () => {
    const events = recordEvents();
    const { advance, frozen, current, subscription } = await subscribedOnClock();
    await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
    await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: false });
    await advance(14 * DAY + HOUR);
    expect((await current()).status).toBe("active");

    await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
    const periodEnd = (await current()).items.data[0]!.current_period_end;
    await advance(periodEnd - frozen() - 1);
    expect((await current()).status).toBe("active");
    await advance(1);
    expect(await current()).toMatchObject({
      status: "canceled",
      ended_at: periodEnd,
      cancellation_details: { reason: "cancellation_requested" },
    });
    expect(events.types().at(-1)).toBe("customer.subscription.deleted");
  });

  it("serves an invoice's hosted page (demo mode): a declined card says so, a good one pays it", async () => {
    stripeApi.hostedPagesUrl = "http://pages.test";
    const events = recordEvents();
    const { advance, invoice, current } = await subscribedOnClock("unchargeable");
    await advance(14 * DAY + HOUR);
    const { id, hosted_invoice_url } = await invoice();
    expect(hosted_invoice_url).toBe(`http://pages.test/invoice/${id}`);
    const pages = hostedPagesHandler(stripeApi);
    const pay = (number: string) =>
      pages(
        new Request(hosted_invoice_url!, {
          method: "POST",
          body: new URLSearchParams({ cardnumber: number }),
        }),
      );

    const declined = await pay("4000 0000 0000 0002");
    expect(declined!.status).toBe(402);
    expect(await declined!.text()).toContain("Your card was declined.");
    expect((await pay("4242 4242 4242 4242"))!.status).toBe(303);
    expect(await invoice()).toMatchObject({ status: "paid" });
    expect((await current()).status).toBe("active");
    expect(events.types()).toContain("invoice.paid");
    const shown = await pages(new Request(hosted_invoice_url!));
    expect(await shown!.text()).toContain("Paid");
  });

  it("gives a card number one fingerprint, and a card whose number it was not told one of its own", async () => {
    const customer = stripeApi.createCustomer();
    const save = async (token: string) => {
      const { payment_method } = await stripe.setupIntents.create({
        customer: customer.id,
        confirm: true,
        confirmation_token: token,
      });
      const card = await stripe.paymentMethods.retrieve(payment_method as string);
      return card.card!;
    };
    const visa = await save(stripeApi.issueConfirmationToken("ok", { card: "4242424242424242" }));
    const again = await save(stripeApi.issueConfirmationToken("ok", { card: "4242424242424242" }));
    const other = await save(stripeApi.issueConfirmationToken("ok", { card: "5555555555554444" }));
    expect(again.fingerprint).toBe(visa.fingerprint);
    expect(other).toMatchObject({ last4: "4444" });
    expect(other.fingerprint).not.toBe(visa.fingerprint);
    const unknown = await save(stripeApi.issueConfirmationToken("ok"));
    expect(unknown.fingerprint).not.toBe(visa.fingerprint);
  });
});
