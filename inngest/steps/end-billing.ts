import type { GetStepTools } from "inngest";
import type { inngest } from "@/inngest/client";
import {
  cancelLiveSubscriptions,
  customersOfAccount,
  markCustomerDeleted,
  type ClosedAccount,
} from "@/lib/billing/account-closure";
import { stripe } from "@/lib/vendors/stripe";

type Steps = GetStepTools<typeof inngest>;

/**
 * The steps that end a deleted account's billing, the same for a user and an organization: its
 * customers (the one its row records, and every one Stripe holds for its Clerk id), every live
 * subscription on them cancelled now without proration or a final invoice, the customers kept and
 * marked with the first deletion time. Each step re-reads Stripe before it writes.
 */
export async function endBilling(
  step: Steps,
  account: ClosedAccount,
  {
    recordedCustomer,
    deletedAt,
    comment,
  }: {
    /** The customer the account's row records, read inside the step. */
    recordedCustomer: () => Promise<string | null>;
    /** When the deletion was first processed (ISO), the same on every run. */
    deletedAt: string;
    /** Why, for each cancellation in Stripe. */
    comment: string;
  },
): Promise<{ customers: string[]; canceled: { id: string; status: string }[] }> {
  const customers = await step.run("find-stripe-customers", async () =>
    customersOfAccount(stripe, account, await recordedCustomer()),
  );
  if (!stripe || customers.length === 0) return { customers, canceled: [] };
  const billing = stripe;

  const canceled = await step.run("cancel-live-subscriptions", () =>
    cancelLiveSubscriptions(billing, customers, comment),
  );
  await step.run("mark-stripe-customers", async () => {
    for (const customerId of customers) {
      await markCustomerDeleted(billing, customerId, account, new Date(deletedAt));
    }
  });
  return { customers, canceled };
}
