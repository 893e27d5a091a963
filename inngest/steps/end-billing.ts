import type { GetStepTools } from "inngest";
import type Stripe from "stripe";
import type { inngest } from "@/inngest/client";
import {
  cancelLiveSubscriptions,
  customersOfAccount,
  deletedComment,
  markCustomerDeleted,
  refundDeletedAccount,
} from "@/lib/billing/account-closure";
import type { BillingOwner } from "@/lib/billing/ownership";
import { PermanentError } from "@/lib/errors";
import { billingClient } from "@/lib/vendors/stripe";

type Steps = GetStepTools<typeof inngest>;

/**
 * The steps that end a deleted account's billing, the same for a user and an organization: its
 * customers (the one its row records, and every one Stripe holds for its Clerk id), every live
 * subscription on them cancelled now without proration or a final invoice, what was paid for
 * nothing refunded (refundCutoff), the customers kept and marked with the first deletion time.
 * Each step re-reads Stripe before it writes.
 */
export async function endBilling(
  step: Steps,
  account: BillingOwner,
  {
    recordedCustomer,
    deletedAt,
    beforeCancelling,
  }: {
    /** The customer the account's row records, read inside the step. */
    recordedCustomer: () => Promise<string | null>;
    /** When the deletion happened (ISO), the same on every run. */
    deletedAt: string;
    /** Steps that close what could start a new subscription, once the customers are known. */
    beforeCancelling?: (stripe: Stripe, customers: string[]) => Promise<void>;
  },
) {
  const stripe = billingClient();
  const customers = await step.run("find-stripe-customers", async () => {
    const recorded = await recordedCustomer();
    if (stripe) return customersOfAccount(stripe, account, recorded);
    // Without billing there is nothing to search; a recorded customer then needs an operator.
    if (!recorded) return [];
    throw new PermanentError(
      `Billing is not configured on this server (STRIPE_SECRET_KEY): cancel the subscriptions of Stripe customer ${recorded} by hand`,
    );
  });
  if (!stripe || customers.length === 0) return { customers, canceled: [], refunded: [] };

  await beforeCancelling?.(stripe, customers);
  const canceled = await step.run("cancel-live-subscriptions", () =>
    cancelLiveSubscriptions(stripe, customers, deletedComment(account)),
  );
  const refunded = await step.run("refund-payments", () =>
    refundDeletedAccount(stripe, account, customers, new Date(deletedAt)),
  );
  await step.run("mark-stripe-customers", async () => {
    for (const customerId of customers) {
      await markCustomerDeleted(stripe, customerId, account, new Date(deletedAt));
    }
  });
  return { customers, canceled, refunded };
}
