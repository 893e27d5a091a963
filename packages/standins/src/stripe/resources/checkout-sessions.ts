import type Stripe from "stripe";
import { clone, newId, type Json, type Reply } from "../../standin";
import { fail, missing } from "../errors";
import { fixture } from "../fixtures";
import { list } from "../pagination";
import { int, mergeMetadata } from "../params";
import { ok, retrieve, type Route } from "../router";
import type { StripeState } from "../state";
import type { Subscriptions } from "./subscriptions";

const DAY = 86_400;

/** What a Checkout session will subscribe to once paid. */
interface Order {
  price: string;
  quantity: number;
  metadata: Record<string, string>;
}

/** Checkout sessions (subscription mode, one line item): open, then paid or expired. */
export class CheckoutSessions {
  /** By session id: its line item and subscription metadata. */
  private orders = new Map<string, Order>();

  constructor(
    private readonly state: StripeState,
    private readonly subscriptions: Subscriptions,
  ) {}

  reset(): void {
    this.orders.clear();
  }

  routes(): Route[] {
    const { checkoutSessions } = this.state;
    return [
      {
        method: "POST",
        path: "/checkout/sessions",
        params: "Stripe.Checkout.SessionCreateParams",
        handle: ({ body }) => this.create(body),
      },
      {
        method: "GET",
        path: "/checkout/sessions",
        params: "Stripe.Checkout.SessionListParams",
        handle: ({ query }) =>
          list(
            "/v1/checkout/sessions",
            [...checkoutSessions.values()].filter(
              (s) =>
                (!query.customer || s.customer === query.customer) &&
                (!query.status || s.status === query.status),
            ),
            query,
          ),
      },
      {
        method: "GET",
        path: "/checkout/sessions/:id",
        params: "Stripe.Checkout.SessionRetrieveParams",
        handle: retrieve(checkoutSessions, "checkout.session"),
      },
      {
        method: "POST",
        path: "/checkout/sessions/:id/expire",
        params: "Stripe.Checkout.SessionExpireParams",
        handle: ({ id }) => {
          const session: Json = checkoutSessions.get(id);
          if (!session) return missing("checkout.session", id);
          if (session.status !== "open")
            return fail(400, {
              type: "invalid_request_error",
              message: `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
            });
          Object.assign(session, { status: "expired", url: null });
          return ok(session);
        },
      },
    ];
  }

  /** The line item a Checkout session sells, or undefined for a session it does not know. */
  order(sessionId: string): { price: Stripe.Price; quantity: number } | undefined {
    const order = this.orders.get(sessionId);
    const price = order && this.state.prices.get(order.price);
    return order && price ? { price: clone(price), quantity: order.quantity } : undefined;
  }

  /**
   * The customer pays an open Checkout session (subscription mode), as Stripe Checkout does: the
   * subscription is created on the session's customer with the session's price, quantity (or the
   * `quantity` the customer chose, where the line item lets them) and `subscription_data.metadata`,
   * the session completes, and `customer.subscription.created` goes to `onEvent`. Returns null when
   * the session can no longer be paid (expired or complete).
   */
  pay(sessionId: string, quantity?: number): Stripe.Subscription | null {
    const session: Json = this.state.checkoutSessions.get(sessionId);
    const order = this.orders.get(sessionId);
    if (!session || !order) throw new Error(`StripeStandIn: no Checkout session ${sessionId}`);
    if (session.status !== "open") return null;
    const subscription = this.subscriptions.create({
      customer: session.customer,
      price: order.price,
      quantity: quantity ?? order.quantity,
      status: "active",
      metadata: mergeMetadata({}, order.metadata),
    });
    Object.assign(session, {
      status: "complete",
      payment_status: "paid",
      subscription: subscription.id,
      url: null,
    });
    this.state.emit("customer.subscription.created", subscription);
    return clone(subscription);
  }

  private create(body: Json): Reply {
    const now = this.state.now();
    if (body.customer && !this.state.customers.has(body.customer))
      return missing("customer", body.customer, "customer");
    for (const [i, li] of (body.line_items ?? []).entries())
      if (li.price && !this.state.prices.has(li.price))
        return missing("price", li.price, `line_items[${i}][price]`);
    // Stripe accepts an expiry from 30 minutes to 24 hours ahead.
    const expiresAt = body.expires_at === undefined ? now + DAY : Number(body.expires_at);
    if (!(expiresAt >= now + 30 * 60 && expiresAt <= now + DAY)) {
      return fail(400, {
        type: "invalid_request_error",
        param: "expires_at",
        message: "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
      });
    }
    const id = newId("cs_test_", 58);
    const [lineItem] = body.line_items ?? [];
    if (lineItem?.price)
      this.orders.set(id, {
        price: lineItem.price,
        quantity: int(lineItem.quantity) ?? 1,
        metadata: mergeMetadata({}, body.subscription_data?.metadata),
      });
    const session: Json = {
      ...fixture("checkout.session"),
      id,
      created: now,
      expires_at: expiresAt,
      customer: body.customer ?? null,
      customer_email: body.customer_email ?? null,
      client_reference_id: body.client_reference_id ?? null,
      mode: body.mode ?? "payment",
      metadata: mergeMetadata({}, body.metadata),
      success_url: body.success_url ?? null,
      cancel_url: body.cancel_url ?? null,
      status: "open",
      payment_status: "unpaid",
      url: this.state.hostedPagesUrl
        ? `${this.state.hostedPagesUrl}/checkout/${id}`
        : `https://checkout.stripe.com/c/pay/${id}`,
    };
    this.state.checkoutSessions.set(id, session);
    return ok(session);
  }
}
