import { readFileSync } from "node:fs";
import { InngestTestEngine } from "@inngest/test";
import type { InngestFunction } from "inngest";
import type Stripe from "stripe";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createOrganizationCustomer } from "@/inngest/functions/create-organization-customer";
import { releaseSeatOfRemovedMember } from "@/inngest/functions/release-seat-of-removed-member";
import { syncSubscription } from "@/inngest/functions/sync-subscription";
import { POST as stripeWebhook } from "@/app/api/webhooks/stripe/route";
import { clerk } from "@/lib/vendors/clerk";
import { getDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import { type SessionAuth } from "@/lib/auth";
import { openSeatPortal, startSeatCheckout } from "@/lib/orgs/checkout";
import { LicensingError, type LicensingErrorCode } from "@/lib/orgs/errors";
import { licensingOverview, setLicensed } from "@/lib/orgs/licensing";
import { markOrgDeleted } from "@/lib/orgs/orgs";
import { isLicensed, seatSummary } from "@/lib/orgs/seats";
import { whileOrgLocked } from "@/test/support/contention";
import { foreignKeyPair, mintSessionToken, sessionHeaders } from "@/test/support/session";
import { setupVendors } from "@onramp/standins/vitest";
import { contractPath } from "@onramp/standins/contracts";

/**
 * /org/licensing's server actions are thin wrappers that hand Clerk's verified session to
 * lib/orgs. These tests mint real session tokens (Clerk's v2 claims, `o` for the active
 * organization), verify them the way the app does, and call the same functions the actions call.
 */

const vendors = setupVendors();
afterEach(() => {
  expect(vendors.clerk.violations).toEqual([]);
  expect(vendors.stripe.violations).toEqual([]);
});

const seatPrice = process.env.STRIPE_PRICE_ENTERPRISE!;

/** The session a request carries, as Clerk verifies it for the app (networkless, test key). */
async function sessionOf(token: string, via: "bearer" | "cookie" = "bearer"): Promise<SessionAuth> {
  const request = new Request("http://localhost:3000/org/licensing", {
    headers: sessionHeaders(token, via),
  });
  const state = await clerk.authenticateRequest(request, {
    acceptsToken: "session_token",
    jwtKey: env.CLERK_JWT_KEY,
    authorizedParties: [new URL(env.APP_URL).origin],
  });
  return state.toAuth() ?? { userId: null };
}

type Role = "admin" | "member";
const orgClaim = (org: { id: string; slug: string | null }, role: Role) => ({
  o: { id: org.id, slg: org.slug, rol: role },
});

/**
 * An organization at the Clerk stand-in with an admin, a member and a user of no organization,
 * its row and Stripe customer made by the org.created workflow, and sessions for each.
 */
async function organization() {
  const org = vendors.clerk.addOrganization({ name: "Acme Corp" });
  const admin = vendors.clerk.addUser({
    email: "ada@acme.test",
    first_name: "Ada",
    last_name: "Lovelace",
  });
  const member = vendors.clerk.addUser({ email: "max@acme.test", first_name: "Max" });
  const outsider = vendors.clerk.addUser({ email: "olga@other.test" });
  vendors.clerk.addMembership({ organizationId: org.id, userId: admin.id, role: "org:admin" });
  vendors.clerk.addMembership({ organizationId: org.id, userId: member.id, role: "org:member" });
  const session = (userId: string, role?: Role) =>
    sessionOf(mintSessionToken({ userId, claims: role ? orgClaim(org, role) : {} }));
  return {
    org,
    admin,
    member,
    outsider,
    asAdmin: () => session(admin.id, "admin"),
    asMember: () => session(member.id, "member"),
    asOutsider: () => session(outsider.id),
  };
}

const orgCreated = (org: { id: string; name: string }) => ({
  name: "clerk/organization.created",
  data: { ...clerkSample("organization.created.json"), id: org.id, name: org.name },
});
const run = (fn: InngestFunction.Any, event: object) =>
  new InngestTestEngine({ function: fn, events: [event as never] }).execute();

function clerkSample(file: string) {
  const body = readFileSync(contractPath("clerk-webhooks", file), "utf8");
  return JSON.parse(body).data;
}

/** An org that bought `seats` seats: its customer, a subscription, and the synced row. */
async function organizationWithSeats(seats: number) {
  const setup = await organization();
  const workflow = await run(createOrganizationCustomer, orgCreated(setup.org));
  const customerId = (workflow.result as { stripeCustomerId: string }).stripeCustomerId;
  const subscription = vendors.stripe.createSubscription({
    customer: customerId,
    price: seatPrice,
    quantity: seats,
  });
  const created = vendors.stripe.webhookEvent("customer.subscription.created", subscription);
  await deliverThroughIngress(created);
  return { ...setup, customerId, subscription, created };
}

/**
 * A Stripe event as Stripe delivers it: signed, through POST /api/webhooks/stripe, then the run of
 * sync-subscription that Inngest would start for the event the route queued.
 */
async function deliverThroughIngress(event: Stripe.Event) {
  const { body, headers } = vendors.stripe.signWebhook(event);
  const response = await stripeWebhook(
    new Request("http://localhost:3000/api/webhooks/stripe", { method: "POST", headers, body }),
  );
  expect(response.status).toBe(200);
  const queued = vendors.inngest.events.at(-1)!;
  expect(queued).toMatchObject({ id: event.id, name: `stripe/${event.type}` });
  const { error } = await run(syncSubscription, { name: queued.name, data: queued.data });
  expect(error).toBeUndefined();
}

async function refusal(work: Promise<unknown>): Promise<LicensingErrorCode> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LicensingError);
  return (error as LicensingError).code;
}

const membershipMetadata = (orgId: string, userId: string) =>
  vendors.clerk.memberships.get(`${orgId}:${userId}`)?.public_metadata;

// The database starts in a hook, not inside the first test (which timed out under load).
beforeAll(() => getDb());

describe("licensing authorization (minted session tokens)", () => {
  it("reads the active organization and role from the session token's v2 `o` claim", async () => {
    const { org, admin, asAdmin, asMember } = await organization();
    expect(await asAdmin()).toMatchObject({
      userId: admin.id,
      orgId: org.id,
      orgRole: "org:admin",
    });
    expect(await asMember()).toMatchObject({ orgId: org.id, orgRole: "org:member" });
    const viaCookie = await sessionOf(
      mintSessionToken({ userId: admin.id, claims: orgClaim(org, "admin") }),
      "cookie",
    );
    expect(viaCookie).toMatchObject({ orgId: org.id, orgRole: "org:admin" });
  });

  it("lets an admin license and unlicense a member: the database decides, then Clerk's membership metadata", async () => {
    const { org, member, asAdmin } = await organizationWithSeats(2);

    const licensed = await setLicensed(await asAdmin(), { userId: member.id, licensed: true });
    expect(licensed).toEqual({ licensed: true, message: "Seat assigned." });
    expect(await isLicensed(org.id, member.id)).toBe(true);
    expect(membershipMetadata(org.id, member.id)).toEqual({ isLicensed: true });
    expect(await seatSummary(org.id)).toMatchObject({ purchased: 2, assigned: 1, free: 1 });

    const again = await setLicensed(await asAdmin(), { userId: member.id, licensed: true });
    expect(again.message).toBe("This member already holds a seat.");
    expect(await seatSummary(org.id)).toMatchObject({ assigned: 1 });

    const freed = await setLicensed(await asAdmin(), { userId: member.id, licensed: false });
    expect(freed).toEqual({ licensed: false, message: "Seat freed." });
    expect(await isLicensed(org.id, member.id)).toBe(false);
    expect(membershipMetadata(org.id, member.id)).toEqual({ isLicensed: false });
  });

  it("refuses a member: no toggle, no checkout, no portal, and nothing reaches Stripe or Clerk's writes", async () => {
    const { org, member, admin, asMember } = await organizationWithSeats(2);
    const session = await asMember();
    const stripeCalls = vendors.stripe.requests.length;

    expect(await refusal(setLicensed(session, { userId: member.id, licensed: true }))).toBe(
      "forbidden",
    );
    expect(await refusal(setLicensed(session, { userId: admin.id, licensed: false }))).toBe(
      "forbidden",
    );
    expect(await refusal(startSeatCheckout(session, 3))).toBe("forbidden");
    expect(await refusal(openSeatPortal(session))).toBe("forbidden");

    expect(vendors.stripe.requests.length).toBe(stripeCalls);
    expect(vendors.clerk.count("PATCH", /.*/)).toBe(1); // the workflow's org metadata only
    expect(await seatSummary(org.id)).toMatchObject({ assigned: 0 });

    // Members still see the seats and their own license, but not the member list.
    const overview = await licensingOverview(session);
    expect(overview).toMatchObject({
      actor: { userId: member.id, orgId: org.id, isAdmin: false },
      seats: { purchased: 2 },
      selfLicensed: false,
      members: null,
    });
  });

  it("the refusal says what to do", async () => {
    const { member, asMember } = await organization();
    await expect(
      setLicensed(await asMember(), { userId: member.id, licensed: true }),
    ).rejects.toThrow(
      /Only organization admins can buy seats, manage the subscription or change licenses/,
    );
  });

  it("refuses a user without an active organization, and a signed-out or forged session", async () => {
    const { member, asOutsider } = await organizationWithSeats(2);
    const outsider = await asOutsider();
    expect(outsider.orgId ?? null).toBeNull();
    expect(await refusal(setLicensed(outsider, { userId: member.id, licensed: true }))).toBe(
      "no_organization",
    );
    expect(await refusal(startSeatCheckout(outsider, 1))).toBe("no_organization");
    expect(await refusal(licensingOverview(outsider))).toBe("no_organization");

    const forged = await sessionOf(
      mintSessionToken({
        userId: member.id,
        claims: { o: { id: "org_any", rol: "admin" } },
        privateKey: foreignKeyPair().privateKey,
      }),
    );
    expect(forged.userId).toBeNull();
    expect(await refusal(setLicensed(forged, { userId: member.id, licensed: true }))).toBe(
      "signed_out",
    );
    expect(await refusal(openSeatPortal({ userId: null }))).toBe("signed_out");
  });

  it("an admin of another organization cannot license this organization's members", async () => {
    const { org, member } = await organizationWithSeats(2);
    const theirs = await organizationWithSeats(2);

    const code = await refusal(
      setLicensed(await theirs.asAdmin(), { userId: member.id, licensed: true }),
    );
    expect(code).toBe("not_a_member");
    expect(await seatSummary(org.id)).toMatchObject({ assigned: 0 });
    expect(await seatSummary(theirs.org.id)).toMatchObject({ assigned: 0 });
    expect(membershipMetadata(org.id, member.id)).toEqual({});
  });

  it("refuses a seat beyond the purchased ones with a clear message, and leaves Clerk alone", async () => {
    const { org, admin, member, asAdmin } = await organizationWithSeats(1);
    await setLicensed(await asAdmin(), { userId: admin.id, licensed: true });

    await expect(
      setLicensed(await asAdmin(), { userId: member.id, licensed: true }),
    ).rejects.toMatchObject({
      code: "no_free_seats",
      message: "All 1 purchased seats are assigned. Free a seat or buy more seats first.",
    });
    expect(membershipMetadata(org.id, member.id)).toEqual({});
  });

  it("keeps the seat when Clerk's write fails, shows it as not synced, and a retry repairs it", async () => {
    const { org, member, asAdmin } = await organizationWithSeats(2);
    vendors.clerk.failNext("PATCH", /\/memberships\/[^/]+\/metadata$/, { status: 503 });

    expect(await refusal(setLicensed(await asAdmin(), { userId: member.id, licensed: true }))).toBe(
      "vendor_unavailable",
    );
    expect(await isLicensed(org.id, member.id)).toBe(true);
    const before = await licensingOverview(await asAdmin());
    expect(before.members?.find((m) => m.userId === member.id)).toMatchObject({
      licensed: true,
      licensedInClerk: false,
    });

    await setLicensed(await asAdmin(), { userId: member.id, licensed: true });
    const after = await licensingOverview(await asAdmin());
    expect(after.members?.find((m) => m.userId === member.id)).toMatchObject({
      licensed: true,
      licensedInClerk: true,
    });
    expect(after.seats).toMatchObject({ assigned: 1 });
  });

  it("gives the seat back when the member left between the check and Clerk's write", async () => {
    const { org, member, asAdmin } = await organizationWithSeats(2);
    vendors.clerk.failNext("PATCH", /\/memberships\/[^/]+\/metadata$/, { status: 404 });
    expect(await refusal(setLicensed(await asAdmin(), { userId: member.id, licensed: true }))).toBe(
      "not_a_member",
    );
    expect(await seatSummary(org.id)).toMatchObject({ assigned: 0 });
  });

  it("lists every member for admins, with the database's and Clerk's view of their seat", async () => {
    const { org, admin, member, asAdmin } = await organizationWithSeats(3);
    await setLicensed(await asAdmin(), { userId: admin.id, licensed: true });
    const overview = await licensingOverview(await asAdmin());
    expect(overview).toMatchObject({
      actor: { isAdmin: true, orgId: org.id },
      selfLicensed: true,
      billingEnabled: true,
      seats: { purchased: 3, assigned: 1, free: 2, hasSubscription: true },
    });
    expect(overview.members).toEqual([
      expect.objectContaining({
        userId: admin.id,
        name: "Ada Lovelace",
        identifier: "ada@acme.test",
        role: "org:admin",
        licensed: true,
        licensedInClerk: true,
      }),
      expect.objectContaining({ userId: member.id, role: "org:member", licensed: false }),
    ]);
  });
});

describe("buying seats", () => {
  it("uses the customer the org.created workflow creates, even before its webhook has landed", async () => {
    const { org, admin, asAdmin } = await organization();

    const url = await startSeatCheckout(await asAdmin(), 4);

    const customers = [...vendors.stripe.customers.values()];
    expect(customers).toHaveLength(1);
    expect(customers[0]).toMatchObject({ name: "Acme Corp", metadata: { clerk_org_id: org.id } });
    const [session] = [...vendors.stripe.checkoutSessions.values()];
    expect(url).toBe(session!.url);
    const checkout = vendors.stripe.requests.find((r) => r.path === "/v1/checkout/sessions")!;
    expect(checkout.body).toMatchObject({
      mode: "subscription",
      customer: customers[0]!.id,
      client_reference_id: org.id,
      line_items: [
        {
          price: seatPrice,
          quantity: "4",
          adjustable_quantity: { enabled: "true", minimum: "1", maximum: "1000" },
        },
      ],
      subscription_data: { metadata: { clerk_org_id: org.id } },
      metadata: { clerk_org_id: org.id, started_by: admin.id },
      success_url: "http://localhost:3000/org/licensing?checkout=success",
      cancel_url: "http://localhost:3000/org/licensing?checkout=canceled",
    });

    // The webhook lands late; the workflow finds the row (or Stripe replays the same key).
    const { result, error } = await run(createOrganizationCustomer, orgCreated(org));
    expect(error).toBeUndefined();
    expect(result).toEqual({ orgId: org.id, stripeCustomerId: customers[0]!.id });
    expect(vendors.stripe.customers.size).toBe(1);
    const keys = vendors.stripe.requests
      .filter((r) => r.method === "POST" && r.path === "/v1/customers")
      .map((r) => r.idempotencyKey);
    expect(keys).toEqual([`org-customer-${org.id}`]);
  });

  it("gets the same customer from Stripe when the workflow created it but has not saved its row", async () => {
    const { org, asAdmin } = await organization();
    // The workflow's Stripe request, with the row not written yet.
    const { orgCustomerIdempotencyKey } = await import("@/lib/orgs/customer");
    const { billingClient } = await import("@/lib/vendors/stripe");
    const { ownerMetadata } = await import("@/lib/billing/ownership");
    const workflows = await billingClient()!.customers.create(
      { name: org.name, metadata: ownerMetadata({ key: "clerk_org_id", id: org.id }) },
      { idempotencyKey: orgCustomerIdempotencyKey(org.id) },
    );

    await startSeatCheckout(await asAdmin(), 2);

    expect(vendors.stripe.customers.size).toBe(1);
    const checkout = vendors.stripe.requests.find((r) => r.path === "/v1/checkout/sessions")!;
    expect(checkout.body.customer).toBe(workflows.id);
  });

  it("refuses a second purchase while a subscription exists, also before its webhook has landed", async () => {
    const { org, asAdmin } = await organization();
    await run(createOrganizationCustomer, orgCreated(org));
    await startSeatCheckout(await asAdmin(), 2);
    // Checkout completed at Stripe; the subscription's webhook is still on its way.
    const customer = [...vendors.stripe.customers.values()][0]!;
    vendors.stripe.createSubscription({ customer: customer.id, price: seatPrice, quantity: 2 });

    expect(await refusal(startSeatCheckout(await asAdmin(), 3))).toBe("already_subscribed");
    expect(vendors.stripe.checkoutSessions.size).toBe(1);
  });

  it("buys seats again once the earlier subscription has ended, incomplete_expired included (a first payment never made)", async () => {
    const { org, asAdmin } = await organization();
    await run(createOrganizationCustomer, orgCreated(org));
    const customer = [...vendors.stripe.customers.values()][0]!;
    for (const status of ["incomplete_expired", "canceled"] as const) {
      vendors.stripe.createSubscription({ customer: customer.id, price: seatPrice, status });
    }

    expect(await startSeatCheckout(await asAdmin(), 3)).toMatch(/^https:\/\/checkout\.stripe\.com/);
    const [session] = [...vendors.stripe.checkoutSessions.values()];
    // The org's Checkout and the subscription it will make name this deployment.
    expect(session!.metadata).toMatchObject({
      clerk_org_id: org.id,
      onramp_environment: "development",
    });
  });

  it("expires on sight a Checkout opened while the org's deletion was landing, so nobody can pay it", async () => {
    const { org, asAdmin } = await organization();
    await run(createOrganizationCustomer, orgCreated(org));
    // The deletion is processed between the admin's claim and Stripe's answer.
    vendors.stripe.holdNext("POST", "/v1/checkout/sessions", () =>
      markOrgDeleted(org.id, new Date()),
    );

    expect(await refusal(startSeatCheckout(await asAdmin(), 2))).toBe("org_deleted");
    const [session] = [...vendors.stripe.checkoutSessions.values()];
    expect(session).toMatchObject({ status: "expired" });
    expect(vendors.stripe.payCheckout(session!.id)).toBeNull();
  });

  it("gives admins buying at the same moment one Checkout between them, so the org pays once", async () => {
    const { org, asAdmin } = await organization();
    await run(createOrganizationCustomer, orgCreated(org));
    const admins = await Promise.all(Array.from({ length: 6 }, () => asAdmin()));

    // On a server, 5 claims (the app's pool) are in flight together, each taken before any commits.
    const outcomes = await whileOrgLocked(org.id, 5, () =>
      Promise.allSettled(admins.map((auth) => startSeatCheckout(auth, 3))),
    );

    expect(vendors.stripe.checkoutSessions.size).toBe(1);
    const [session] = [...vendors.stripe.checkoutSessions.values()];
    for (const outcome of outcomes) {
      if (outcome.status === "fulfilled") expect(outcome.value).toBe(session!.url);
      else expect(await refusal(Promise.reject(outcome.reason))).toBe("checkout_starting");
    }
    expect(outcomes.some((outcome) => outcome.status === "fulfilled")).toBe(true);
    // It closes when the claim does (Stripe's shortest lifetime plus a margin).
    const lifetime = session!.expires_at - session!.created;
    expect(lifetime).toBeGreaterThanOrEqual(30 * 60);
    expect(lifetime).toBeLessThanOrEqual(32 * 60);

    // An admin who asks later, for another quantity, continues the same Checkout.
    expect(await startSeatCheckout(await asAdmin(), 7)).toBe(session!.url);
    expect(vendors.stripe.checkoutSessions.size).toBe(1);
  });

  it("frees the claim when Stripe refuses the Checkout, so the next try opens one", async () => {
    const { org, asAdmin } = await organization();
    await run(createOrganizationCustomer, orgCreated(org));
    vendors.stripe.failNext("POST", "/v1/checkout/sessions", {
      status: 400,
      body: { error: { type: "invalid_request_error", message: "No such price" } },
    });

    expect(await refusal(startSeatCheckout(await asAdmin(), 2))).toBe("vendor_unavailable");
    const url = await startSeatCheckout(await asAdmin(), 2);
    const [session] = [...vendors.stripe.checkoutSessions.values()];
    expect(url).toBe(session!.url);
  });

  it.each([0, -1, 1.5, 1001, Number.NaN])("refuses %s seats", async (quantity) => {
    const { asAdmin } = await organization();
    expect(await refusal(startSeatCheckout(await asAdmin(), quantity))).toBe("invalid_quantity");
    expect(vendors.stripe.requests).toEqual([]);
  });

  it("opens the Customer Portal on the org's own customer, back to the licensing page", async () => {
    const { customerId, asAdmin } = await organizationWithSeats(2);
    const url = await openSeatPortal(await asAdmin());
    const [portal] = [...vendors.stripe.portalSessions.values()];
    expect(url).toBe(portal!.url);
    expect(portal).toMatchObject({
      customer: customerId,
      return_url: "http://localhost:3000/org/licensing",
    });
  });

  it("has no Portal before the org has a customer", async () => {
    const { asAdmin } = await organization();
    expect(await refusal(openSeatPortal(await asAdmin()))).toBe("no_subscription");
  });
});

describe("seats from Stripe events", () => {
  it("out of order and duplicated deliveries end at Stripe's seat count; lowering seats over-assigns, unlicensing nobody", async () => {
    const { org, admin, member, subscription, created, asAdmin } = await organizationWithSeats(3);
    await setLicensed(await asAdmin(), { userId: admin.id, licensed: true });
    await setLicensed(await asAdmin(), { userId: member.id, licensed: true });

    // The Portal raises the seats to 5: the update arrives, then the creation again, late.
    const raised = vendors.stripe.webhookEvent(
      "customer.subscription.updated",
      vendors.stripe.updateSubscription(subscription.id, { quantity: 5 }),
    );
    await deliverThroughIngress(raised);
    await deliverThroughIngress(created);
    await deliverThroughIngress(raised);
    expect(await seatSummary(org.id)).toMatchObject({ purchased: 5, assigned: 2, free: 3 });

    // Then lowered to 1, below the 2 assigned; older events keep arriving, twice.
    const lowered = vendors.stripe.webhookEvent(
      "customer.subscription.updated",
      vendors.stripe.updateSubscription(subscription.id, { quantity: 1 }),
    );
    await deliverThroughIngress(lowered);
    for (const late of [raised, created, lowered, raised, created])
      await deliverThroughIngress(late);

    const stripeQuantity = vendors.stripe.subscriptions.get(subscription.id)!.items.data[0]!
      .quantity;
    expect(stripeQuantity).toBe(1);
    expect(await seatSummary(org.id)).toMatchObject({
      purchased: stripeQuantity,
      assigned: 2,
      overAssignedBy: 1,
      free: 0,
    });
    expect(await isLicensed(org.id, admin.id)).toBe(true);
    expect(await isLicensed(org.id, member.id)).toBe(true);
    // Each event went to Inngest with its evt id, which is what dedups a redelivery there.
    const queuedIds = vendors.inngest.events.map((e) => e.id);
    expect(new Set(queuedIds)).toEqual(new Set([created.id, raised.id, lowered.id]));

    // The admin resolves it: unlicensing works; licensing waits for a free seat.
    const newcomer = vendors.clerk.addUser();
    vendors.clerk.addMembership({ organizationId: org.id, userId: newcomer.id });
    const licenseNewcomer = async () =>
      refusal(setLicensed(await asAdmin(), { userId: newcomer.id, licensed: true }));
    expect(await licenseNewcomer()).toBe("no_free_seats");
    await setLicensed(await asAdmin(), { userId: member.id, licensed: false });
    expect(await seatSummary(org.id)).toMatchObject({
      purchased: 1,
      assigned: 1,
      overAssignedBy: 0,
    });
    expect(await licenseNewcomer()).toBe("no_free_seats");
  });

  it("a cancelled subscription sets the seats to 0 and suspends licenses without removing them", async () => {
    const { org, admin, subscription, asAdmin } = await organizationWithSeats(2);
    await setLicensed(await asAdmin(), { userId: admin.id, licensed: true });
    const canceled = vendors.stripe.updateSubscription(subscription.id, { status: "canceled" });
    await deliverThroughIngress(
      vendors.stripe.webhookEvent("customer.subscription.deleted", canceled),
    );

    expect(await seatSummary(org.id)).toMatchObject({
      purchased: 0,
      assigned: 1,
      hasSubscription: false,
      paying: false,
    });
    expect(await isLicensed(org.id, admin.id)).toBe(false);
  });
});

describe("release-seat-of-removed-member", () => {
  // Clerk sends organizationMembership.deleted with the membership object, shaped as its
  // published organizationMembership.created example.
  const removed = (membership: {
    id: string;
    organization: { id: string };
    public_user_data: { user_id: string };
  }) => ({
    name: "clerk/organizationMembership.deleted",
    data: {
      ...clerkSample("organizationMembership.created.json"),
      id: membership.id,
      organization: {
        ...clerkSample("organizationMembership.created.json").organization,
        id: membership.organization.id,
      },
      public_user_data: {
        ...clerkSample("organizationMembership.created.json").public_user_data,
        user_id: membership.public_user_data.user_id,
      },
    },
  });

  it("frees the removed member's seat once, however often the event comes", async () => {
    const { org, member, asAdmin } = await organizationWithSeats(2);
    await setLicensed(await asAdmin(), { userId: member.id, licensed: true });
    const membership = vendors.clerk.memberships.get(`${org.id}:${member.id}`)!;

    const first = await run(releaseSeatOfRemovedMember, removed(membership));
    const second = await run(releaseSeatOfRemovedMember, removed(membership));

    expect(first.result).toEqual({ orgId: org.id, membershipId: membership.id, released: true });
    expect(second.result).toMatchObject({ released: false });
    expect(await seatSummary(org.id)).toMatchObject({ assigned: 0, free: 2 });
    expect(await isLicensed(org.id, member.id)).toBe(false);
  });

  it("a late removal of an old membership leaves the seat of the member's new membership", async () => {
    const { org, member, asAdmin } = await organizationWithSeats(2);
    const old = vendors.clerk.memberships.get(`${org.id}:${member.id}`)!;
    await setLicensed(await asAdmin(), { userId: member.id, licensed: true });
    // Removed and invited back; the admin licenses the new membership before the removal lands.
    vendors.clerk.addMembership({ organizationId: org.id, userId: member.id });
    await setLicensed(await asAdmin(), { userId: member.id, licensed: true });

    const { result } = await run(releaseSeatOfRemovedMember, removed(old));

    expect(result).toMatchObject({ released: false });
    expect(await isLicensed(org.id, member.id)).toBe(true);
  });
});
