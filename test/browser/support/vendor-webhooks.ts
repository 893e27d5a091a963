import type Stripe from "stripe";
import { clerkDelivery } from "@/test/support/webhooks";
import type { StripeStandIn } from "@/test/support/vendors";

/** The signing secrets the suite's app is configured with. */
export const webhookSecrets = {
  clerk: "whsec_b25yYW1wLWJyb3dzZXItdGVzdA==",
  stripe: "whsec_onramp_browser",
};

export interface Delivery {
  vendor: "clerk" | "stripe";
  type: string;
  /** The app's answer, or why there was none; "pending" until then. */
  status: number | string;
}

/**
 * Clerk (through Svix) and Stripe delivering their webhooks to the app, signed as they sign
 * them, each after the vendor call that caused it has been answered.
 */
export class VendorWebhooks {
  readonly deliveries: Delivery[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly appUrl: string,
    private readonly stripeApi: StripeStandIn,
  ) {}

  /** A Clerk event as Svix posts it. */
  clerk(type: string, data: unknown) {
    const body = JSON.stringify({
      data,
      object: "event",
      type,
      timestamp: Date.now(),
      instance_id: "ins_onrampbrowsertest",
    });
    const { headers } = clerkDelivery(body, { secret: webhookSecrets.clerk });
    this.deliver("clerk", type, "/api/webhooks/clerk", body, headers);
  }

  stripe(event: Stripe.Event) {
    const { body, headers } = this.stripeApi.signWebhook(event, webhookSecrets.stripe);
    this.deliver("stripe", event.type, "/api/webhooks/stripe", body, new Headers(headers));
  }

  /** Resolves once every delivery so far has been answered. */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.all(this.inFlight);
  }

  private deliver(
    vendor: Delivery["vendor"],
    type: string,
    path: string,
    body: string,
    headers: Headers,
  ) {
    const delivery: Delivery = { vendor, type, status: "pending" };
    this.deliveries.push(delivery);
    const sent = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
      try {
        const response = await fetch(new URL(path, this.appUrl), { method: "POST", headers, body });
        delivery.status = response.status;
      } catch (error) {
        delivery.status = error instanceof Error ? error.message : String(error);
      }
    })();
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }
}
