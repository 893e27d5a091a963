import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { emailPaymentFailed } from "@/inngest/functions/email-payment-failed";
import { emailPaymentReceived } from "@/inngest/functions/email-payment-received";
import { getDb } from "@/lib/db/client";
import { billingClient } from "@/lib/vendors/stripe";
import { InngestSim, runFunction } from "@onramp/standins/inngest";
import { setupVendors } from "@onramp/standins/vitest";
import { DAY, HOUR, subscriberOnClock } from "@/test/support/subscriber-on-clock";

const vendors = setupVendors();
beforeAll(() => getDb());
afterEach(() => {
  expect(vendors.stripe.violations).toEqual([]);
  expect(vendors.resend.violations).toEqual([]);
});

describe("email-payment-received", () => {
  it("thanks the user whose overdue invoice was paid, once", async () => {
    const subscriber = await subscriberOnClock(vendors, { card: "unchargeable" });
    subscriber.advance(14 * DAY + HOUR);
    const sim = new InngestSim({ functions: [emailPaymentFailed, emailPaymentReceived] });
    sim.send(subscriber.forwarded("invoice.payment_failed"));
    await sim.until(() => vendors.resend.emails.length === 1);

    const stripe = billingClient()!;
    const { payment_method } = await stripe.setupIntents.create({
      customer: subscriber.customerId,
      confirm: true,
      confirmation_token: vendors.stripe.issueConfirmationToken("ok"),
    });
    await stripe.invoices.pay(subscriber.latestInvoice().id, {
      payment_method: payment_method as string,
    });
    const paid = subscriber.forwarded("invoice.paid");
    sim.send(paid);
    sim.send({ ...paid, id: `${paid.id}-redelivered-as-new` });
    await sim.settle();

    expect(vendors.resend.emails.map((email) => email.tags[0]!.value)).toEqual([
      "payment_failed",
      "payment_received",
    ]);
    expect(vendors.resend.emails[1]).toMatchObject({
      subject: "Payment received: thank you",
      recipients: [subscriber.email],
    });
    expect(vendors.resend.emails[1]!.text).toContain("$20.00");
  });

  it("an invoice paid on time (each trial's, each renewal's) ends at once, without asking Stripe", async () => {
    const subscriber = await subscriberOnClock(vendors);
    subscriber.advance(14 * DAY + HOUR);
    const before = vendors.stripe.requests.length;
    const run = await runFunction(emailPaymentReceived, subscriber.forwarded("invoice.paid"));
    expect(run.result).toMatchObject({ skipped: "the user was never told it was due" });
    expect(vendors.stripe.requests.length).toBe(before);
    expect(vendors.resend.emails).toEqual([]);
  });
});
