import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { emailTrialEnding } from "@/inngest/functions/email-trial-ending";
import { getDb } from "@/lib/db/client";
import { unsubscribeFromEmails } from "@/lib/email/unsubscribe";
import { markUserDeleted } from "@/lib/users";
import { InngestSim, runFunction } from "@onramp/standins/inngest";
import { setupVendors } from "@onramp/standins/vitest";
import { DAY, subscriberOnClock } from "@/test/support/subscriber-on-clock";

const vendors = setupVendors();
beforeAll(() => getDb());
afterEach(() => {
  expect(vendors.stripe.violations).toEqual([]);
  expect(vendors.resend.violations).toEqual([]);
});

/** A trialing subscriber three days before the trial's end, and Stripe's trial_will_end. */
async function trialEndingSoon() {
  const subscriber = await subscriberOnClock(vendors);
  subscriber.advance(11 * DAY);
  return { ...subscriber, event: subscriber.forwarded("customer.subscription.trial_will_end") };
}

describe("email-trial-ending", () => {
  it("tells the user the date, the amount and where to manage billing, once per trial however often Stripe says it", async () => {
    const { event, email, userId, subscriptionId, subscription } = await trialEndingSoon();
    const sim = new InngestSim({ functions: [emailTrialEnding] });
    const runs = [...sim.send(event), ...sim.send({ ...event, id: `${event.id}-again` })];
    await sim.settle();

    expect(vendors.resend.emails).toHaveLength(1);
    const [sent] = vendors.resend.emails;
    const endsOn = new Intl.DateTimeFormat("en-US", { dateStyle: "long", timeZone: "UTC" }).format(
      subscription().trial_end! * 1000,
    );
    expect(sent).toMatchObject({
      recipients: [email],
      subject: "Your onramp trial ends in 3 days",
      tags: [{ name: "kind", value: "trial_ending" }],
      idempotencyKey: `trial_ending/${userId}/${subscriptionId}:${subscription().trial_end}`,
    });
    expect(sent!.text).toContain(`On ${endsOn} your Pro plan starts`);
    expect(sent!.text).toContain("$20.00");
    expect(sent!.html).toContain("http://localhost:3000/dashboard");
    expect(runs.map((run) => run.result)).toEqual([
      expect.objectContaining({ email: "sent" }),
      expect.objectContaining({ email: "already sent" }),
    ]);
  });

  it("re-fetches the subscription: a trial converted meanwhile gets no reminder", async () => {
    const { event, advance } = await trialEndingSoon();
    advance(3 * DAY);
    const run = await runFunction(emailTrialEnding, event);
    expect(run.result).toMatchObject({ skipped: "the subscription is active, no longer trialing" });
    expect(vendors.resend.emails).toEqual([]);
  });

  it("nothing to a deleted user, nor to one who unsubscribed", async () => {
    const deleted = await trialEndingSoon();
    await markUserDeleted(deleted.userId, new Date());
    expect((await runFunction(emailTrialEnding, deleted.event)).result).toMatchObject({
      email: "skipped: the account was deleted",
    });

    const unsubscribed = await trialEndingSoon();
    await unsubscribeFromEmails(unsubscribed.userId);
    expect((await runFunction(emailTrialEnding, unsubscribed.event)).result).toMatchObject({
      email: "skipped: the user unsubscribed from emails",
    });
    expect(vendors.resend.emails).toEqual([]);
  });
});
