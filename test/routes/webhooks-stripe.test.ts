import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { POST } from "@/app/api/webhooks/stripe/route";
import { maxWebhookBytes } from "@/lib/webhooks/ingress";
import { setupVendors } from "@onramp/standins/vitest";
import { getDb } from "@/lib/db/client";
import { DAY, HOUR, subscriberOnClock } from "@/test/support/subscriber-on-clock";
import { stripeDelivery } from "@/test/support/webhooks";
import { contractPath } from "@onramp/standins/contracts";

const vendors = setupVendors();
beforeAll(() => getDb());
// SYNTHETIC: Stripe's fixtures3.json subscription in its event envelope (see packages/standins/contracts/README.md).
const fixtureBody = readFileSync(
  contractPath("stripe-webhooks/customer.subscription.updated.json"),
  "utf8",
);

interface Delivery {
  body: string;
  /** seconds since the epoch */
  timestamp?: number;
  signWith?: string;
  signedBody?: string;
  signature?: string | null;
}

/** A delivery as Stripe makes it (test/support/webhooks), in this file's terms. */
const stripeRequest = ({ body, timestamp, signWith, signedBody, signature }: Delivery) =>
  stripeDelivery(body, {
    secret: signWith,
    signed: signedBody,
    at: timestamp === undefined ? undefined : new Date(timestamp * 1000),
    headers: signature === undefined ? undefined : { "stripe-signature": signature },
  });

const subscriptionEvent = () => {
  const customer = vendors.stripe.createCustomer();
  const subscription = vendors.stripe.createSubscription({ customer: customer.id, quantity: 3 });
  return vendors.stripe.webhookEvent("customer.subscription.updated", subscription);
};
const sent = () => vendors.inngest.count("POST", /^\/e\//);

describe("POST /api/webhooks/stripe", () => {
  it("forwards stripe/<type> with the evt id and the Stripe object as data", async () => {
    const event = subscriptionEvent();
    const response = await POST(stripeRequest({ body: JSON.stringify(event) }));

    expect(response.status).toBe(200);
    expect(vendors.inngest.events).toEqual([
      expect.objectContaining({
        id: event.id,
        name: "stripe/customer.subscription.updated",
        data: JSON.parse(JSON.stringify(event.data.object)),
      }),
    ]);
  });

  it("forwards the fixture event and any other verified type", async () => {
    const other = JSON.stringify({
      ...JSON.parse(fixtureBody),
      id: "evt_invoice_1",
      type: "invoice.paid",
    });
    expect((await POST(stripeRequest({ body: fixtureBody }))).status).toBe(200);
    expect((await POST(stripeRequest({ body: other }))).status).toBe(200);
    expect(vendors.inngest.events.map(({ id, name }) => ({ id, name }))).toEqual([
      { id: JSON.parse(fixtureBody).id, name: "stripe/customer.subscription.updated" },
      { id: "evt_invoice_1", name: "stripe/invoice.paid" },
    ]);
  });

  it("forwards the subscription's life as Stripe sends it on a test clock: trial_will_end and the invoice events, the object as data", async () => {
    const subscriber = await subscriberOnClock(vendors, { card: "chargeauth" });
    subscriber.advance(14 * DAY + HOUR);
    const lifecycle = subscriber.events.filter((event) =>
      [
        "customer.subscription.trial_will_end",
        "invoice.payment_action_required",
        "invoice.payment_failed",
        "invoice.paid",
      ].includes(event.type),
    );
    for (const event of lifecycle) {
      expect((await POST(stripeRequest({ body: JSON.stringify(event) }))).status).toBe(200);
    }
    expect(
      vendors.inngest.events.map(({ name, data }) => [name, (data as { id: string }).id]),
    ).toEqual([
      ["stripe/invoice.paid", expect.stringMatching(/^in_/)], // the trial's $0 invoice
      ["stripe/customer.subscription.trial_will_end", subscriber.subscriptionId],
      ["stripe/invoice.payment_action_required", subscriber.latestInvoice().id],
    ]);
  });

  it("gives a redelivery the same event id", async () => {
    const body = JSON.stringify(subscriptionEvent());
    await POST(stripeRequest({ body, timestamp: Math.floor(Date.now() / 1000) - 120 }));
    await POST(stripeRequest({ body }));
    const ids = vendors.inngest.events.map((event) => event.id);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(1);
  });

  describe("rejects with 400 and sends nothing", () => {
    const body = fixtureBody;
    const cases: [string, () => Request][] = [
      [
        "a tampered body",
        () =>
          stripeRequest({
            body: body.replace('"quantity": 1', '"quantity": 99'),
            signedBody: body,
          }),
      ],
      [
        "a signature made with another secret",
        () => stripeRequest({ body, signWith: "whsec_someone_else" }),
      ],
      [
        "a timestamp over 5 minutes old",
        () => stripeRequest({ body, timestamp: Math.floor(Date.now() / 1000) - 310 }),
      ],
      ["no Stripe-Signature header", () => stripeRequest({ body, signature: null })],
      [
        "a garbled Stripe-Signature header",
        () => stripeRequest({ body, signature: "t=abc,v1=zzz" }),
      ],
      [
        "a signed body that is not JSON",
        () => stripeRequest({ body: "customer.subscription.updated" }),
      ],
      [
        "signed JSON that is not an event",
        () => stripeRequest({ body: JSON.stringify({ id: "evt_1", type: "x", data: {} }) }),
      ],
    ];

    it.each(cases)("%s", async (_name, request) => {
      const response = await POST(request());
      expect(response.status).toBe(400);
      expect((await response.json()).error).toMatch(/Invalid Stripe webhook/);
      expect(sent()).toBe(0);
    });
  });

  it("answers 413 to a body over the limit, on content-length or actual bytes", async () => {
    const padded = JSON.stringify({
      ...JSON.parse(fixtureBody),
      padding: "x".repeat(maxWebhookBytes),
    });
    expect((await POST(stripeRequest({ body: padded }))).status).toBe(413);

    const declared = stripeRequest({ body: fixtureBody });
    declared.headers.set("content-length", String(maxWebhookBytes + 1));
    expect((await POST(declared)).status).toBe(413);
    expect(sent()).toBe(0);
  });

  it("answers 5xx when Inngest cannot take the event, so Stripe retries", async () => {
    vendors.inngest.failNext("POST", /^\/e\//, { status: 503, times: 5 });
    const response = await POST(stripeRequest({ body: fixtureBody }));
    expect(response.status).toBe(502);
    expect(vendors.inngest.events).toEqual([]);
  });

  it("answers 503 and sends nothing while STRIPE_WEBHOOK_SECRET is unset (billing off)", async () => {
    const request = stripeRequest({ body: fixtureBody });
    vi.resetModules();
    vi.stubEnv("STRIPE_WEBHOOK_SECRET", "");
    vi.stubEnv("STRIPE_SECRET_KEY", "");
    try {
      const route = await import("@/app/api/webhooks/stripe/route");
      const response = await route.POST(request);
      expect(response.status).toBe(503);
      expect((await response.json()).error).toMatch(/STRIPE_WEBHOOK_SECRET/);
      expect(sent()).toBe(0);
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});
