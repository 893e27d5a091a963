import { randomBytes, randomUUID } from "node:crypto";
import Stripe from "stripe";
import { Webhook } from "svix";

/** The endpoints' signing secrets, as the app is configured with them. */
export interface WebhookSecrets {
  /** Svix's: `whsec_` and base64 */
  clerk: string;
  stripe: string;
}

/** Fresh secrets, as new webhook endpoints get. */
export function newWebhookSecrets(): WebhookSecrets {
  return {
    clerk: `whsec_${randomBytes(24).toString("base64")}`,
    stripe: `whsec_${randomBytes(24).toString("hex")}`,
  };
}

/** The headers Svix signs a Clerk delivery with, over exactly `signed`. */
export function svixHeaders(
  secret: string,
  signed: string,
  { msgId = `msg_${randomUUID()}`, at = new Date() }: { msgId?: string; at?: Date } = {},
): Record<string, string> {
  return {
    "svix-id": msgId,
    "svix-timestamp": String(Math.floor(at.getTime() / 1000)),
    "svix-signature": new Webhook(secret).sign(msgId, at, signed),
  };
}

export interface Delivery {
  vendor: "clerk" | "stripe";
  type: string;
  /** The app's answer, or why there was none; "pending" until then. */
  status: number | string;
}

export interface DeliveryOptions {
  /** Waits before each further attempt after a failed one (none by default), as Svix and Stripe retry. */
  retryDelaysMs?: number[];
  /** Told about each delivery that failed for good. */
  onFailure?: (delivery: Delivery) => void;
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
    private readonly secrets: WebhookSecrets,
    private readonly options: DeliveryOptions = {},
  ) {}

  /** A Clerk event as Svix posts it. */
  clerk(type: string, data: unknown) {
    const body = JSON.stringify({
      data,
      object: "event",
      type,
      timestamp: Date.now(),
      instance_id: "ins_onrampstandin",
    });
    const headers = new Headers({
      "content-type": "application/json",
      ...svixHeaders(this.secrets.clerk, body),
    });
    this.deliver("clerk", type, "/api/webhooks/clerk", body, headers);
  }

  stripe(event: Stripe.Event) {
    const body = JSON.stringify(event);
    const headers = new Headers({
      "content-type": "application/json",
      "stripe-signature": Stripe.webhooks.generateTestHeaderString({
        payload: body,
        secret: this.secrets.stripe,
      }),
    });
    this.deliver("stripe", event.type, "/api/webhooks/stripe", body, headers);
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
      for (const delayMs of [0, ...(this.options.retryDelaysMs ?? [])]) {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        try {
          const response = await fetch(new URL(path, this.appUrl), {
            method: "POST",
            headers,
            body,
          });
          delivery.status = response.status;
          if (response.ok) return;
        } catch (error) {
          delivery.status = error instanceof Error ? error.message : String(error);
        }
      }
      this.options.onFailure?.(delivery);
    })();
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }
}
