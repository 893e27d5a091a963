import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { emailPaymentFailed } from "@/inngest/functions/email-payment-failed";
import { getDb } from "@/lib/db/client";
import { markUserDeleted } from "@/lib/users";
import { billingClient } from "@/lib/vendors/stripe";
import { InngestSim } from "@onramp/standins/inngest";
import { setupVendors } from "@onramp/standins/vitest";
import { DAY, HOUR, subscriberOnClock } from "@/test/support/subscriber-on-clock";

const vendors = setupVendors();
beforeAll(() => getDb());
afterEach(() => {
  expect(vendors.stripe.violations).toEqual([]);
  expect(vendors.resend.violations).toEqual([]);
});

/** A subscriber whose renewal the card refused: the trial ended, the first charge failed. */
async function renewalRefused() {
  const subscriber = await subscriberOnClock(vendors, { card: "unchargeable" });
  subscriber.advance(14 * DAY + HOUR);
  expect(subscriber.subscription().status).toBe("past_due");
  const sim = new InngestSim({ functions: [emailPaymentFailed] });
  return { ...subscriber, sim };
}

const kinds = () => vendors.resend.emails.map((email) => email.tags[0]!.value);

describe("email-payment-failed", () => {
  it("tells the user at once, with Stripe's page for the invoice and the next try, then reminds them once if it is still unpaid", async () => {
    const { sim, forwarded, latestInvoice, userId, email } = await renewalRefused();
    const invoice = latestInvoice();
    const [run] = sim.send(forwarded("invoice.payment_failed"));
    await sim.until(() => run!.waitingFor("wait-for-payment"));

    const [failed] = vendors.resend.emails;
    expect(failed).toMatchObject({
      recipients: [email],
      subject: "Your onramp payment didn't go through",
      idempotencyKey: `payment_failed/${userId}/${invoice.id}`,
    });
    expect(failed!.html).toContain(invoice.hosted_invoice_url);
    const nextTry = new Intl.DateTimeFormat("en-US", { dateStyle: "long", timeZone: "UTC" }).format(
      invoice.next_payment_attempt! * 1000,
    );
    expect(failed!.text).toContain(`We'll try your card again on ${nextTry}`);
    expect(failed!.text).toContain("$20.00");
    // The one-click unsubscribe of RFC 8058.
    expect(failed!.request).toMatchObject({
      headers: { "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
    });

    // Seven days (PAYMENT_REMINDER_AFTER) on Inngest's clock, still unpaid: the reminder.
    await sim.settle();
    expect(run!.result).toMatchObject({ email: "sent", reminder: "sent" });
    expect(kinds()).toEqual(["payment_failed", "payment_reminder"]);
    expect(vendors.resend.emails[1]!.subject).toBe("Reminder: your onramp payment is still due");
  });

  it("a later attempt's event finds the user told, and sends nothing", async () => {
    const { sim, forwarded, advance, frozen, latestInvoice } = await renewalRefused();
    const first = forwarded("invoice.payment_failed");
    sim.send(first);
    await sim.until(() => vendors.resend.emails.length === 1);
    // Smart Retries' next attempt fails too: Stripe sends the event again, with a new id.
    advance(latestInvoice().next_payment_attempt! - frozen());
    const second = forwarded("invoice.payment_failed");
    expect(second.id).not.toBe(first.id);
    const [run] = sim.send(second);
    await sim.until(() => run!.status === "completed");
    expect(run!.result).toMatchObject({ skipped: expect.stringMatching(/told/) });
    expect(kinds()).toEqual(["payment_failed"]);
  });

  it("paid while it waits: no reminder", async () => {
    const { sim, forwarded, latestInvoice, customerId } = await renewalRefused();
    const [run] = sim.send(forwarded("invoice.payment_failed"));
    await sim.until(() => run!.waitingFor("wait-for-payment"));
    // The user pays with a new card on Stripe's page.
    const paidEvent = await payWithNewCard(customerId, latestInvoice().id, forwarded);
    sim.send(paidEvent);
    await sim.settle();
    expect(run!.result).toMatchObject({ reminder: "skipped: paid" });
    expect(kinds()).toEqual(["payment_failed"]);
  });

  it("no reminder once the subscription has ended, nor any email to a deleted user", async () => {
    const ended = await renewalRefused();
    const [run] = ended.sim.send(ended.forwarded("invoice.payment_failed"));
    await ended.sim.until(() => run!.waitingFor("wait-for-payment"));
    vendors.stripe.updateSubscription(ended.subscriptionId, { status: "canceled" });
    await ended.sim.settle();
    expect(run!.result).toMatchObject({ reminder: "skipped: the subscription is canceled" });

    const deleted = await renewalRefused();
    await markUserDeleted(deleted.userId, new Date());
    const [second] = deleted.sim.send(deleted.forwarded("invoice.payment_failed"));
    await deleted.sim.settle();
    expect(second!.result).toMatchObject({ email: "skipped: the account was deleted" });
    expect(kinds()).toEqual(["payment_failed"]);
  });

  it("sends nothing for a first invoice, which the user pays where they subscribe", async () => {
    const { sim, forwarded } = await (async () => {
      const subscriber = await subscriberOnClock(vendors, { card: "unchargeable", trialDays: 0 });
      return { ...subscriber, sim: new InngestSim({ functions: [emailPaymentFailed] }) };
    })();
    const [run] = sim.send(forwarded("invoice.payment_failed"));
    await sim.settle();
    expect(run!.result).toMatchObject({
      skipped: "a first invoice is paid where the user subscribes",
    });
    expect(vendors.resend.emails).toEqual([]);
  });
});

/** The customer pays the open invoice with a new card; Stripe's invoice.paid, as forwarded. */
async function payWithNewCard(
  customerId: string,
  invoiceId: string,
  forwarded: (type: string) => { id: string; name: string; data: unknown },
) {
  const stripe = billingClient()!;
  const { payment_method } = await stripe.setupIntents.create({
    customer: customerId,
    confirm: true,
    confirmation_token: vendors.stripe.issueConfirmationToken("ok"),
  });
  await stripe.invoices.pay(invoiceId, { payment_method: payment_method as string });
  return forwarded("invoice.paid");
}
