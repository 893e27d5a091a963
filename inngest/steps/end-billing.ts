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
import { stripe } from "@/lib/vendors/stripe";

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
  const customers = await step.run("find-stripe-customers", async () =>
    customersOfAccount(stripe, account, await recordedCustomer()),
  );
  if (!stripe || customers.length === 0) return { customers, canceled: [], refunded: [] };
  const billing = stripe;

  await beforeCancelling?.(billing, customers);
  const canceled = await step.run("cancel-live-subscriptions", () =>
    cancelLiveSubscriptions(billing, customers, deletedComment(account)),
  );
  const refunded = await step.run("refund-payments", () =>
    refundDeletedAccount(billing, account, customers, new Date(deletedAt)),
  );
  await step.run("mark-stripe-customers", async () => {
    for (const customerId of customers) {
      await markCustomerDeleted(billing, customerId, account, new Date(deletedAt));
    }
  });
  return { customers, canceled, refunded };
}
