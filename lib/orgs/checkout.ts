import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type Stripe from "stripe";
import { ownerMetadata, type BillingOwner } from "@/lib/billing/ownership";
import { billingPortalUrl } from "@/lib/billing/portal";
import { seatPrice } from "@/lib/billing/plans";
import { liveSubscriptionsOf } from "@/lib/billing/subscriptions";
import type { SessionAuth } from "@/lib/auth";
import { getDb } from "@/lib/db/client";
import { orgs } from "@/lib/db/schema";
import { env } from "@/lib/env";
import { logger } from "@/lib/logger";
import { paths } from "@/lib/routes";
import { clerk } from "@/lib/vendors/clerk";
import { billingClient, classifyStripeError } from "@/lib/vendors/stripe";
import { orgAdmin } from "./access";
import { ensureOrgCustomer } from "./customer";
import { LicensingError } from "./errors";
import { clerkRead } from "./members";
import { findOrgStripeCustomerId, isOrgDeleted } from "./orgs";
import { seatSummary } from "./seats";

/** Buying seats (Stripe Checkout) and managing them (the Customer Portal), for org admins. */

export const maxSeatsPerPurchase = 1000;

/** The Stripe client; a LicensingError the admin reads while billing is off. */
function seatsClient(): Stripe {
  const client = billingClient();
  if (!client) {
    throw new LicensingError(
      "billing_off",
      "Billing is not set up on this server, so seats cannot be bought.",
    );
  }
  return client;
}

function stripeFailure(error: unknown): LicensingError {
  logger.error("Stripe request failed", error);
  const failure = classifyStripeError(error);
  return failure?.kind === "permanent" && failure.code === "idempotency_conflict"
    ? new LicensingError(
        "not_ready",
        "This organization's billing account is still being set up. Try again in a few seconds.",
      )
    : new LicensingError(
        "vendor_unavailable",
        "Stripe isn't available right now. Try again in a minute.",
      );
}

/** The org's customer, created here when organization.created has not been processed yet. */
async function orgCustomer(client: Stripe, orgId: string): Promise<string> {
  const existing = await findOrgStripeCustomerId(orgId);
  if (existing) return existing;
  const org = await clerkRead(() => clerk.organizations.getOrganization({ organizationId: orgId }));
  try {
    return await ensureOrgCustomer(client, {
      id: org.id,
      name: org.name,
      clerkUpdatedAt: new Date(org.updatedAt),
    });
  } catch (error) {
    throw stripeFailure(error);
  }
}

const appUrl = (query: string) => new URL(`${paths.licensing}${query}`, env.APP_URL).href;

/**
 * An admin buys seats: a Stripe Checkout session (subscription mode, quantity adjustable on
 * Checkout) for the org's own customer. Refused while the org has a subscription: seats are
 * then changed in the Portal, so an org never pays for two. While a Checkout is open, every admin
 * who asks gets that same one (its quantity can be changed on Stripe's page).
 */
export async function startSeatCheckout(auth: SessionAuth, quantity: number): Promise<string> {
  const { orgId, userId } = orgAdmin(auth);
  const client = seatsClient();
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > maxSeatsPerPurchase) {
    throw new LicensingError(
      "invalid_quantity",
      `Choose a whole number of seats from 1 to ${maxSeatsPerPurchase}.`,
    );
  }
  const price = seatPrice();
  if (!price) {
    throw new LicensingError(
      "billing_off",
      "No seat price is configured on this server (STRIPE_PRICE_SEAT).",
    );
  }
  const owner: BillingOwner = { key: "clerk_org_id", id: orgId };
  const alreadySubscribed = new LicensingError(
    "already_subscribed",
    "This organization already has a subscription. Use Manage subscription to change its seats.",
  );
  if ((await seatSummary(orgId)).hasSubscription) throw alreadySubscribed;

  const customer = await orgCustomer(client, orgId);
  // A Checkout may have been paid while its subscription webhook is still on its way: ask Stripe.
  // An ended one (canceled, or incomplete_expired: a payment never made) pays for nothing.
  const live = await liveSubscriptionsOf(client, customer).catch((error: unknown) => {
    throw stripeFailure(error);
  });
  if (live.length > 0) throw alreadySubscribed;

  const expiresAt = new Date(Date.now() + checkoutLifetimeMs);
  if (!(await claimCheckout(orgId, expiresAt))) {
    const open = await openCheckoutUrl(orgId);
    if (open) return open;
    throw new LicensingError(
      "checkout_starting",
      "Another admin of this organization is opening Stripe Checkout right now. Try again in a few seconds.",
    );
  }
  try {
    const session = await client.checkout.sessions.create({
      mode: "subscription",
      customer,
      client_reference_id: orgId,
      line_items: [
        {
          price,
          quantity,
          adjustable_quantity: { enabled: true, minimum: 1, maximum: maxSeatsPerPurchase },
        },
      ],
      metadata: { ...ownerMetadata(owner), started_by: userId },
      subscription_data: { metadata: ownerMetadata(owner) },
      success_url: appUrl("?checkout=success"),
      cancel_url: appUrl("?checkout=canceled"),
      // Closes with the claim, so no second Checkout can open while this one can still be paid.
      expires_at: Math.floor(expiresAt.getTime() / 1000),
    });
    if (!session.url) throw new Error(`Checkout session ${session.id} has no URL`);
    // The org may have been deleted since the claim, and its open Checkouts expired already.
    if (await isOrgDeleted(orgId)) {
      await expireCheckout(client, session.id);
      throw orgDeleted();
    }
    await recordCheckout(orgId, expiresAt, { id: session.id, url: session.url });
    return session.url;
  } catch (error) {
    await releaseCheckoutClaim(orgId, expiresAt);
    if (error instanceof LicensingError) throw error;
    throw stripeFailure(error);
  }
}

const orgDeleted = () =>
  new LicensingError(
    "org_deleted",
    "This organization has been deleted, so seats cannot be bought.",
  );

/** Stripe's shortest Checkout lifetime (30 minutes), plus a margin for the clocks. */
const checkoutLifetimeMs = 31 * 60 * 1000;

/**
 * Claims the org's one open Checkout until `expiresAt`: whether this caller won. The database
 * decides between admins buying at the same moment (the UPDATE re-checks the row once the other
 * writer commits), so only one Checkout, and one subscription, can exist per org at a time.
 */
async function claimCheckout(orgId: string, expiresAt: Date): Promise<boolean> {
  const db = await getDb();
  const claimed = await db
    .update(orgs)
    .set({ checkoutSessionId: null, checkoutUrl: null, checkoutExpiresAt: expiresAt })
    .where(
      and(
        eq(orgs.clerkOrgId, orgId),
        // A deleted org opens no Checkout (its claim was cleared when it was closed).
        isNull(orgs.deletedAt),
        or(isNull(orgs.checkoutExpiresAt), lt(orgs.checkoutExpiresAt, sql`now()`)),
      ),
    )
    .returning({ orgId: orgs.clerkOrgId });
  return claimed.length > 0;
}

/** The Checkout another admin opened and that can still be paid, or null while it is opening. */
async function openCheckoutUrl(orgId: string): Promise<string | null> {
  const db = await getDb();
  const [row] = await db
    .select({ url: orgs.checkoutUrl })
    .from(orgs)
    .where(and(eq(orgs.clerkOrgId, orgId), gt(orgs.checkoutExpiresAt, sql`now()`)));
  return row?.url ?? null;
}

async function recordCheckout(
  orgId: string,
  expiresAt: Date,
  session: { id: string; url: string },
) {
  const db = await getDb();
  await db
    .update(orgs)
    .set({ checkoutSessionId: session.id, checkoutUrl: session.url })
    .where(and(eq(orgs.clerkOrgId, orgId), eq(orgs.checkoutExpiresAt, expiresAt)));
}

/** A claim whose Checkout was never opened (Stripe failed): the next admin may try at once. */
async function releaseCheckoutClaim(orgId: string, expiresAt: Date) {
  const db = await getDb();
  await db
    .update(orgs)
    .set({ checkoutExpiresAt: null })
    .where(
      and(
        eq(orgs.clerkOrgId, orgId),
        eq(orgs.checkoutExpiresAt, expiresAt),
        isNull(orgs.checkoutSessionId),
      ),
    );
}

/** An admin manages the org's subscription (seats, card, invoices, cancel) in the Stripe Portal. */
export async function openSeatPortal(auth: SessionAuth): Promise<string> {
  const { orgId } = orgAdmin(auth);
  const client = seatsClient();
  const customer = await findOrgStripeCustomerId(orgId);
  if (!customer) {
    throw new LicensingError(
      "no_subscription",
      "This organization has no subscription yet. Buy seats first.",
    );
  }
  try {
    return await billingPortalUrl(client, customer, appUrl(""));
  } catch (error) {
    throw stripeFailure(error);
  }
}

/**
 * Closes the Checkouts a deleted org could still pay: every open session of its customer is
 * expired. One that was paid or expired meanwhile is what we want, so Stripe's refusal then is
 * success. Returns the sessions expired.
 */
export async function expireOpenCheckouts(client: Stripe, customerId: string): Promise<string[]> {
  const expired: string[] = [];
  for await (const session of client.checkout.sessions.list({
    customer: customerId,
    status: "open",
    limit: 100,
  })) {
    if (await expireCheckout(client, session.id)) expired.push(session.id);
  }
  return expired;
}

/** Expires the session; false when it was paid or expired meanwhile (Stripe refuses then). */
async function expireCheckout(client: Stripe, sessionId: string): Promise<boolean> {
  try {
    await client.checkout.sessions.expire(sessionId);
    return true;
  } catch (error) {
    if (classifyStripeError(error)?.kind !== "permanent") throw error;
    const now = await client.checkout.sessions.retrieve(sessionId);
    if (now.status === "open") throw error;
    return false;
  }
}

/** The org's Checkout claim is over (the org was deleted): nobody opens or reuses it again. */
export async function clearCheckoutClaim(orgId: string) {
  const db = await getDb();
  await db
    .update(orgs)
    .set({ checkoutSessionId: null, checkoutUrl: null, checkoutExpiresAt: null })
    .where(eq(orgs.clerkOrgId, orgId));
}
