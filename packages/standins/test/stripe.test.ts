import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { parseStripeParams } from "@onramp/standins/stripe";
import { setupVendors } from "@onramp/standins/vitest";
import { stripeResources } from "../src/stripe/resources";
import { sdkParams } from "../src/stripe/sdk-params";
import { StripeState } from "../src/stripe/state";

// Promises of the Stripe stand-in's modules that vendors.test.ts does not reach: lists and their
// cursors, idempotency keys pruned after a day, endpoints it lacks, Checkout's life, and how it
// reads requests (Stripe's form encoding, the SDK's request types).
const vendors = setupVendors();
const { stripe: stripeApi } = vendors;
const stripe = new Stripe("sk_test_onramp", {
  host: "stripe.test",
  port: 80,
  protocol: "http",
  maxNetworkRetries: 0,
});

describe("Stripe stand-in lists", () => {
  it("pages newest first with starting_after and ending_before, and refuses an unknown cursor", async () => {
    const [a, b, c] = [1, 2, 3].map((n) => stripeApi.createCustomer({ email: `${n}@p.test` }));
    const first = await stripe.customers.list({ limit: 2 });
    expect(first.data.map((x) => x.id)).toEqual([c!.id, b!.id]);
    expect(first.has_more).toBe(true);
    const next = await stripe.customers.list({ limit: 2, starting_after: b!.id });
    expect(next.data.map((x) => x.id)).toEqual([a!.id]);
    expect(next.has_more).toBe(false);
    const back = await stripe.customers.list({ limit: 1, ending_before: a!.id });
    expect(back.data.map((x) => x.id)).toEqual([b!.id]);
    expect(back.has_more).toBe(true);
    expect(
      (await stripe.customers.list({ limit: 1 }).autoPagingToArray({ limit: 10 })).length,
    ).toBe(3);
    await expect(stripe.customers.list({ starting_after: "cus_gone" })).rejects.toMatchObject({
      statusCode: 400,
      code: "resource_missing",
      param: "starting_after",
    });
  });
});

describe("Stripe stand-in idempotency", () => {
  it("forgets a key once it is 24 hours old: the same request then acts again", async () => {
    const options = { idempotencyKey: "day-old" };
    const first = await stripe.customers.create({ email: "d@p.test" }, options);
    stripeApi.advanceClock(23 * 3_600);
    expect((await stripe.customers.create({ email: "d@p.test" }, options)).id).toBe(first.id);
    stripeApi.advanceClock(3_600);
    expect((await stripe.customers.create({ email: "d@p.test" }, options)).id).not.toBe(first.id);
    expect(stripeApi.customers.size).toBe(2);
  });
});

describe("Stripe stand-in routes", () => {
  it("answers an endpoint it does not model with Stripe's 404 and records the gap", async () => {
    await expect(stripe.products.create({ name: "Seat" })).rejects.toMatchObject({
      statusCode: 404,
      message: "Unrecognized request URL (POST: /v1/products).",
    });
    expect(stripeApi.violations).toEqual(["stripe stand-in does not implement POST /v1/products"]);
  });

  it("reads a literal path segment as its route, not as an object id", async () => {
    stripeApi.createCustomer({ email: "s@p.test" });
    const found = await stripe.customers.search({ query: "email:'s@p.test'" });
    expect(found.data).toHaveLength(1);
    expect(stripeApi.violations).toEqual([]);
  });
});

describe("Stripe stand-in Checkout", () => {
  it("pays an open session once, and cannot pay or expire it again", async () => {
    const customer = stripeApi.createCustomer();
    const events: string[] = [];
    stripeApi.onEvent = (event) => events.push(event.type);
    const session = await stripe.checkout.sessions.create({
      mode: "subscription",
      customer: customer.id,
      line_items: [{ price: "price_enterprise_test", quantity: 3 }],
      subscription_data: { metadata: { clerk_org_id: "org_1" } },
      success_url: "http://localhost/ok",
    });
    const subscription = stripeApi.payCheckout(session.id, 5);
    expect(subscription).toMatchObject({
      customer: customer.id,
      status: "active",
      metadata: { clerk_org_id: "org_1" },
      items: { data: [{ quantity: 5, price: { id: "price_enterprise_test" } }] },
    });
    expect(events).toEqual(["customer.subscription.created"]);
    expect(await stripe.checkout.sessions.retrieve(session.id)).toMatchObject({
      status: "complete",
      subscription: subscription!.id,
      url: null,
    });
    expect(stripeApi.payCheckout(session.id)).toBeNull();
    await expect(stripe.checkout.sessions.expire(session.id)).rejects.toMatchObject({
      statusCode: 400,
    });
    stripeApi.onEvent = null;
  });

  it("expires an open session, which then can no longer be paid", async () => {
    const customer = stripeApi.createCustomer();
    const session = await stripe.checkout.sessions.create({
      mode: "subscription",
      customer: customer.id,
      line_items: [{ price: "price_pro_test", quantity: 1 }],
      success_url: "http://localhost/ok",
    });
    expect(await stripe.checkout.sessions.expire(session.id)).toMatchObject({
      status: "expired",
      url: null,
    });
    expect(stripeApi.payCheckout(session.id)).toBeNull();
    const open = await stripe.checkout.sessions.list({ customer: customer.id, status: "open" });
    expect(open.data).toEqual([]);
  });
});

describe("how the Stripe stand-in reads a request", () => {
  it("parses Stripe's form encoding: nested objects, indexed and appended list items", () => {
    const form = new URLSearchParams(
      "customer=cus_1&items[0][price]=p1&items[0][quantity]=2&metadata[a]=x&expand[]=e1&expand[]=e2&lines[][id]=l1&lines[][id]=l2",
    );
    expect(parseStripeParams(form)).toEqual({
      customer: "cus_1",
      items: [{ price: "p1", quantity: "2" }],
      metadata: { a: "x" },
      expand: ["e1", "e2"],
      lines: [{ id: "l1" }, { id: "l2" }],
    });
  });

  it("knows each SDK request type's parameters, inherited ones included, and refuses a type the SDK lacks", () => {
    // The stand-in's own routes' types: read once per SDK version, then from the cache.
    const { routes } = stripeResources(new StripeState(), []);
    const params = sdkParams(routes.flatMap((route) => route.params ?? []));
    expect([...(params.get("Stripe.CustomerListParams") ?? [])]).toEqual(
      expect.arrayContaining(["email", "created", "limit", "starting_after", "ending_before"]),
    );
    expect(params.get("Stripe.Checkout.SessionCreateParams")).toContain("line_items");
    expect(() => sdkParams(["Stripe.CustomerListParams", "Stripe.NoSuchParams"])).toThrow(
      /cannot read request types from the stripe SDK: .*NoSuchParams/,
    );
  });
});
