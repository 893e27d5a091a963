import type Stripe from "stripe";
import { customerSearchQuery, ownerMetadata, type BillingOwner } from "@/lib/billing/ownership";
import {
  findUserStripeCustomerId,
  ensureUserNotDeleted,
  recordUserStripeCustomer,
} from "@/lib/users";

const userCustomerIdempotencyKey = (userId: string) => `onboarding:${userId}:customer`;

/**
 * The user's Stripe customer, at most one per Clerk user whenever this runs: the one their row
 * records, else, when an earlier attempt or run may have made one (`lookInStripe`), the one
 * Stripe holds for their Clerk id (its answer may have been lost, or be a 500 Stripe replays for
 * its key, or its row write lost longer ago than Stripe keeps keys), else one created under the
 * per-user key. Linked to the row either way. A deleted user gets none.
 */
export async function ensureUserCustomer(
  stripe: Stripe,
  user: { id: string; email: string | null; name: string | null },
  { lookInStripe }: { lookInStripe: boolean },
): Promise<string> {
  const recorded = await findUserStripeCustomerId(user.id);
  if (recorded) return recorded;
  await ensureUserNotDeleted(user.id);
  const owner: BillingOwner = { key: "clerk_user_id", id: user.id };
  const customerId =
    (lookInStripe ? ((await customersOf(stripe, owner))[0] ?? null) : null) ??
    (
      await stripe.customers.create(
        {
          ...(user.email ? { email: user.email } : {}),
          ...(user.name ? { name: user.name } : {}),
          metadata: ownerMetadata(owner),
        },
        { idempotencyKey: userCustomerIdempotencyKey(user.id) },
      )
    ).id;
  await recordUserStripeCustomer(user.id, customerId);
  return customerId;
}

/**
 * Every customer this deployment made in Stripe for a Clerk user or org (their metadata), oldest
 * first when an earlier bug made several. Stripe's search sees new customers within about a
 * minute: a rerun comes long after, and a retried step that does not find it yet creates again
 * under its key, whose replayed answer fails the step once more while the backoff gives search
 * the time.
 */
export async function customersOf(stripe: Stripe, owner: BillingOwner): Promise<string[]> {
  const found = await stripe.customers.search({ query: customerSearchQuery(owner), limit: 100 });
  return found.data.toSorted((a, b) => a.created - b.created).map((customer) => customer.id);
}
