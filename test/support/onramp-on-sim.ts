import { randomUUID } from "node:crypto";
import type Stripe from "stripe";
import { POST as clerkRoute } from "@/app/api/webhooks/clerk/route";
import { POST as stripeRoute } from "@/app/api/webhooks/stripe/route";
import { functions } from "@/inngest/index";
import { InngestSim } from "@onramp/standins/inngest";
import type { Vendors } from "@onramp/standins/vitest";
import { clerkDelivery, stripeDelivery } from "./webhooks";

/**
 * All of onramp's workflows on the Inngest simulator, reached the way production reaches them:
 * Clerk's and Stripe's signed webhooks go through the app's routes, and every event the app sends
 * (the routes' and any other) reaches the simulator through the Inngest stand-in. Each
 * subscription write the Stripe stand-in makes is delivered back to the Stripe route as Stripe's
 * `customer.subscription.*` webhook.
 *
 *   const app = onrampOnSimulator(vendors);
 *   await app.clerk("user.created", user);
 *   await app.settle();
 */
export function onrampOnSimulator(vendors: Vendors) {
  const sim = new InngestSim({ functions });
  // Stripe's clock keeps up with Inngest's, so a payment's time and a deletion's compare.
  vendors.stripe.followClock(() => sim.now());
  const deliveries = new Set<Promise<void>>();
  vendors.inngest.onEvent = (event) => sim.send(event);
  vendors.stripe.onEvent = (event) => {
    const delivery = stripe(event).finally(() => deliveries.delete(delivery));
    deliveries.add(delivery);
  };

  /** A Clerk webhook, signed by Svix; a redelivery passes the first delivery's `msgId`. */
  async function clerk(type: string, data: unknown, options: { msgId?: string } = {}) {
    const msgId = options.msgId ?? `msg_${randomUUID()}`;
    const body = JSON.stringify({ object: "event", type, timestamp: Date.now(), data });
    const response = await clerkRoute(clerkDelivery(body, { msgId }));
    if (response.status !== 200) {
      throw new Error(`The Clerk route answered ${response.status}: ${await response.text()}`);
    }
    return msgId;
  }

  /** A Stripe webhook, signed with the endpoint's secret. */
  async function stripe(event: Stripe.Event) {
    const response = await stripeRoute(stripeDelivery(JSON.stringify(event)));
    if (response.status !== 200) {
      throw new Error(`The Stripe route answered ${response.status}: ${await response.text()}`);
    }
  }

  /** Until every run has ended and every webhook Stripe owed has been delivered and handled. */
  async function settle() {
    for (;;) {
      await sim.settle();
      if (deliveries.size === 0) return;
      await Promise.all([...deliveries]);
    }
  }

  return { sim, clerk, stripe, settle };
}
