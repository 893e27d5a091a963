import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { emailPaymentActionRequired } from "@/inngest/functions/email-payment-action-required";
import { getDb } from "@/lib/db/client";
import { markUserDeleted } from "@/lib/users";
import { runFunction } from "@onramp/standins/inngest";
import { setupVendors } from "@onramp/standins/vitest";
import { DAY, HOUR, subscriberOnClock } from "@/test/support/subscriber-on-clock";

const vendors = setupVendors();
beforeAll(() => getDb());
afterEach(() => {
  expect(vendors.stripe.violations).toEqual([]);
  expect(vendors.resend.violations).toEqual([]);
});

/** A renewal the bank wants the customer to confirm (3-D Secure on an off-session charge). */
async function renewalAwaitingBank() {
  const subscriber = await subscriberOnClock(vendors, { card: "chargeauth" });
  subscriber.advance(14 * DAY + HOUR);
  return { ...subscriber, event: subscriber.forwarded("invoice.payment_action_required") };
}

describe("email-payment-action-required", () => {
  it("asks the user to confirm the payment on Stripe's page for the invoice, once", async () => {
    const { event, email, userId, latestInvoice } = await renewalAwaitingBank();
    await runFunction(emailPaymentActionRequired, event);
    const again = await runFunction(emailPaymentActionRequired, { ...event, id: "evt_again" });

    expect(vendors.resend.emails).toHaveLength(1);
    const [sent] = vendors.resend.emails;
    expect(sent).toMatchObject({
      recipients: [email],
      subject: "Confirm your onramp payment with your bank",
      idempotencyKey: `payment_action_required/${userId}/${latestInvoice().id}`,
    });
    expect(sent!.html).toContain(latestInvoice().hosted_invoice_url);
    expect(sent!.text).toContain("Confirm the payment");
    expect(again.result).toMatchObject({ email: "already sent" });
  });

  it("sends nothing to a deleted user", async () => {
    const { event, userId } = await renewalAwaitingBank();
    await markUserDeleted(userId, new Date());
    expect((await runFunction(emailPaymentActionRequired, event)).result).toMatchObject({
      email: "skipped: the account was deleted",
    });
    expect(vendors.resend.emails).toEqual([]);
  });
});
