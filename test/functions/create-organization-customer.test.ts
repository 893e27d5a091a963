import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { closeDeletedOrganization } from "@/inngest/functions/close-deleted-organization";
import { createOrganizationCustomer } from "@/inngest/functions/create-organization-customer";
import { getDb } from "@/lib/db/client";
import { orgs } from "@/lib/db/schema";
import { runFunction } from "@onramp/standins/inngest";
import { setupVendors } from "@onramp/standins/vitest";
import { contractPath } from "@onramp/standins/contracts";

const vendors = setupVendors();
// The in-memory database starts (and migrates) once per file: in a hook, not in the first test.
beforeAll(() => getDb());
afterEach(() => {
  expect(vendors.clerk.violations).toEqual([]);
  expect(vendors.stripe.violations).toEqual([]);
});

const sample = JSON.parse(
  readFileSync(contractPath("clerk-webhooks/organization.created.json"), "utf8"),
).data;

/** Clerk's organization.created sample for an org that exists at the Clerk stand-in. */
function newOrganization(name = "Acme Corp") {
  const org = vendors.clerk.addOrganization({ name });
  return { name: "clerk/organization.created", data: { ...sample, id: org.id, name } };
}

type Fn = typeof createOrganizationCustomer;
const deliver = (
  event: { name: string; data: Record<string, unknown> },
  fn: Fn = createOrganizationCustomer,
) => runFunction(fn, event);

const customersOf = (orgId: string) =>
  [...vendors.stripe.customers.values()].filter(
    (customer) => customer.metadata.clerk_org_id === orgId,
  );

async function orgRows(orgId: string) {
  const db = await getDb();
  return db.select().from(orgs).where(eq(orgs.clerkOrgId, orgId));
}

describe("create-organization-customer", () => {
  it("creates the Stripe customer, the orgs row with 0 seats, and writes the id back to Clerk", async () => {
    const event = newOrganization();
    const orgId = event.data.id;
    const { result, error } = await deliver(event);

    expect(error).toBeUndefined();
    const [customer] = customersOf(orgId);
    expect(customer).toMatchObject({ name: "Acme Corp", metadata: { clerk_org_id: orgId } });
    expect(result).toEqual({ orgId, stripeCustomerId: customer!.id });
    expect(await orgRows(orgId)).toEqual([
      expect.objectContaining({
        name: "Acme Corp",
        stripeCustomerId: customer!.id,
        purchasedSeats: 0,
      }),
    ]);
    expect(vendors.clerk.organizations.get(orgId)!.public_metadata).toEqual({
      stripeCustomerId: customer!.id,
    });
    const [create] = vendors.stripe.requests.filter((r) => r.path === "/v1/customers");
    expect(create!.idempotencyKey).toBe(`org-customer-${orgId}`);
  });

  it("leaves one customer and one row when the same event comes 3 times with a Stripe failure between", async () => {
    const event = newOrganization();
    const orgId = event.data.id;

    vendors.stripe.failNext("POST", "/v1/customers", { status: 500 });
    const first = await deliver(event);
    const second = await deliver(event);
    const third = await deliver(event);

    // The 500 failed the step retriably; Inngest retried it within the first run.
    expect(first.failures).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/500/) }),
    ]);
    expect(first.failures[0]).not.toMatchObject({ name: "NonRetriableError" });
    expect(first.retries).toMatchObject([{ step: "create-stripe-customer", cause: "backoff" }]);
    expect(first.error).toBeUndefined();
    expect(second.error).toBeUndefined();
    expect(third.result).toEqual(second.result);
    expect(customersOf(orgId)).toHaveLength(1);
    expect(await orgRows(orgId)).toHaveLength(1);
    // The third found the customer on the row and did not ask Stripe again.
    expect(vendors.stripe.count("POST", "/v1/customers")).toBe(2);
    expect(vendors.clerk.organizations.get(orgId)!.public_metadata).toEqual({
      stripeCustomerId: customersOf(orgId)[0]!.id,
    });
  });

  it("gets the same customer back from Stripe when the row never recorded it", async () => {
    const event = newOrganization();
    const orgId = event.data.id;
    const first = await deliver(event);
    // As if the first run had stopped between creating the customer and saving the row.
    const db = await getDb();
    await db.update(orgs).set({ stripeCustomerId: null }).where(eq(orgs.clerkOrgId, orgId));
    const second = await deliver(event);

    expect(second.result).toEqual(first.result);
    expect(customersOf(orgId)).toHaveLength(1);
    const creates = vendors.stripe.requests.filter((r) => r.path === "/v1/customers");
    expect(creates.map((r) => r.idempotencyKey)).toEqual([
      `org-customer-${orgId}`,
      `org-customer-${orgId}`,
    ]);
  });

  it("asks Stripe only once when the row already has the customer", async () => {
    const event = newOrganization();
    await deliver(event);
    await deliver(event);
    await deliver(event);
    expect(vendors.stripe.count("POST", "/v1/customers")).toBe(1);
    expect(await orgRows(event.data.id)).toHaveLength(1);
  });

  it("fails without retrying when Stripe refuses the request", async () => {
    const event = newOrganization();
    vendors.stripe.failNext("POST", "/v1/customers", { status: 400 });
    const { error } = await deliver(event);
    // Our words for the run's failure; Stripe's own stay in the cause, which the log carries.
    expect(error).toMatchObject({
      name: "NonRetriableError",
      message:
        "Our payment provider refused a request we made for your account. Please contact support.",
    });
    expect(await orgRows(event.data.id)).toEqual([]);
  });

  it("retries after Clerk's Retry-After when Clerk is rate limiting", async () => {
    const event = newOrganization();
    vendors.clerk.failNext("PATCH", /\/metadata$/, {
      status: 429,
      headers: { "retry-after": "7" },
    });
    const run = await deliver(event);
    const [error] = run.failures;
    expect(error).toBeDefined();
    expect(error).toMatchObject({ name: "RetryAfterError" });
    // Retried after the 7 seconds Clerk asked for, then done.
    expect(run.retries).toMatchObject([
      { step: "save-customer-id-in-clerk", cause: "retry-after", delay: 7_000 },
    ]);
    expect(run.error).toBeUndefined();
  });

  it("fails without retrying when the organization is gone from Clerk", async () => {
    const event = newOrganization();
    vendors.clerk.organizations.delete(event.data.id);
    const { error } = await deliver(event);
    expect(error).toMatchObject({
      name: "NonRetriableError",
      message: expect.stringMatching(/no longer exists/),
    });
  });

  it("creates nothing when the organization's deletion arrived first", async () => {
    const event = newOrganization();
    const orgId = event.data.id;
    const deleted = { name: "clerk/organization.deleted", data: { id: orgId, deleted: true } };
    await runFunction(closeDeletedOrganization, deleted);

    const { result, error } = await deliver(event);
    expect(error).toBeUndefined();
    expect(result).toEqual({ orgId, skipped: "organization deleted" });
    expect(customersOf(orgId)).toEqual([]);
    expect(vendors.clerk.organizations.get(orgId)!.public_metadata).toEqual({});
    expect(await orgRows(orgId)).toEqual([
      expect.objectContaining({ deletedAt: expect.any(Date), stripeCustomerId: null }),
    ]);
  });

  it("tracks the org without a customer when billing is off", async () => {
    vi.resetModules();
    vi.stubEnv("STRIPE_SECRET_KEY", "");
    try {
      const { createOrganizationCustomer: withoutBilling } =
        await import("@/inngest/functions/create-organization-customer");
      const event = newOrganization();
      const { result, error } = await deliver(event, withoutBilling);
      expect(error).toBeUndefined();
      expect(result).toEqual({ orgId: event.data.id, stripeCustomerId: null });
      expect(await orgRows(event.data.id)).toEqual([
        expect.objectContaining({ stripeCustomerId: null, purchasedSeats: 0 }),
      ]);
      expect(vendors.stripe.requests).toEqual([]);
      expect(vendors.clerk.requests).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});
