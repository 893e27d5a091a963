import type Stripe from "stripe";
import { clone, newId, type Reply } from "../../standin";
import { fail, missing } from "../errors";
import { idOf } from "../expandable";
import { fixture } from "../fixtures";
import { list } from "../pagination";
import { int, items, mergeMetadata, metadataParam, nested, text, type Params } from "../params";
import { ok, retrieve, type Route } from "../router";
import type { StripeState } from "../state";
import type { Invoices } from "./invoices";
import type { PaymentMethods } from "./payment-methods";
import type { Subscriptions } from "./subscriptions";

const DAY = 86_400;

/** What a Checkout session will subscribe to once paid. */
interface Order {
  price: string;
  quantity: number;
  metadata: Stripe.Metadata;
}

/** Checkout sessions (subscription mode, one line item): open, then paid or expired. */
export class CheckoutSessions {
  /** By session id: its line item and subscription metadata. */
  private orders = new Map<string, Order>();

  constructor(
    private readonly state: StripeState,
    private readonly subscriptions: Subscriptions,
    private readonly paymentMethods: PaymentMethods,
    private readonly invoices: Invoices,
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
        handle: ({ body }) => this.create(readCreateParams(body)),
      },
      {
        method: "GET",
        path: "/checkout/sessions",
        params: "Stripe.Checkout.SessionListParams",
        handle: ({ query }) => {
          const customer = text(query.customer);
          const status = text(query.status);
          const found = [...checkoutSessions.values()].filter(
            (s) => (!customer || s.customer === customer) && (!status || s.status === status),
          );
          return list("/v1/checkout/sessions", found, query);
        },
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
          const session = checkoutSessions.get(id);
          if (!session) return missing("checkout.session", id);
          if (session.status !== "open")
            return fail(400, {
              type: "invalid_request_error",
              message: `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
            });
          session.status = "expired";
          session.url = null;
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
    const session = this.state.checkoutSessions.get(sessionId);
    const order = this.orders.get(sessionId);
    const customer = idOf(session?.customer);
    if (!session || !order || !customer)
      throw new Error(`StripeStandIn: no Checkout session ${sessionId} for a customer`);
    if (session.status !== "open") return null;
    const subscription = this.subscriptions.create({
      customer,
      price: order.price,
      quantity: quantity ?? order.quantity,
      status: "active",
      metadata: { ...order.metadata },
    });
    // The card entered on Checkout pays the first invoice.
    const stored = this.state.subscriptions.get(subscription.id)!;
    const card = this.paymentMethods.create(customer);
    stored.default_payment_method = card.id;
    stored.latest_invoice = this.invoices.first(stored, false, card.id).id ?? null;
    session.status = "complete";
    session.payment_status = "paid";
    session.subscription = subscription.id;
    session.url = null;
    this.state.emit("customer.subscription.created", stored);
    return clone(stored);
  }

  private create(params: Stripe.Checkout.SessionCreateParams): Reply {
    const now = this.state.now();
    if (params.customer && !this.state.customers.has(params.customer))
      return missing("customer", params.customer, "customer");
    const lineItems = params.line_items ?? [];
    for (const [i, { price }] of lineItems.entries())
      if (price && !this.state.prices.has(price))
        return missing("price", price, `line_items[${i}][price]`);
    // Stripe accepts an expiry from 30 minutes to 24 hours ahead.
    const expiresAt = params.expires_at ?? now + DAY;
    if (!(expiresAt >= now + 30 * 60 && expiresAt <= now + DAY)) {
      return fail(400, {
        type: "invalid_request_error",
        param: "expires_at",
        message: "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
      });
    }
    const id = newId("cs_test_", 58);
    const [lineItem] = lineItems;
    if (lineItem?.price)
      this.orders.set(id, {
        price: lineItem.price,
        quantity: lineItem.quantity ?? 1,
        metadata: mergeMetadata({}, params.subscription_data?.metadata),
      });
    const { hostedPagesUrl } = this.state;
    const session: Stripe.Checkout.Session = {
      ...fixture("checkout.session"),
      id,
      created: now,
      expires_at: expiresAt,
      customer: params.customer ?? null,
      customer_email: params.customer_email ?? null,
      client_reference_id: params.client_reference_id ?? null,
      mode: params.mode ?? "payment",
      metadata: mergeMetadata({}, params.metadata),
      success_url: params.success_url ?? null,
      cancel_url: params.cancel_url ?? null,
      status: "open",
      payment_status: "unpaid",
      url: hostedPagesUrl
        ? `${hostedPagesUrl}/checkout/${id}`
        : `https://checkout.stripe.com/c/pay/${id}`,
    };
    this.state.checkoutSessions.set(id, session);
    return ok(session);
  }
}

function readCreateParams(body: Params): Stripe.Checkout.SessionCreateParams {
  const subscriptionData = nested(body.subscription_data);
  return {
    customer: text(body.customer),
    customer_email: text(body.customer_email),
    client_reference_id: text(body.client_reference_id),
    mode: text(body.mode),
    metadata: metadataParam(body.metadata) || undefined,
    success_url: text(body.success_url),
    cancel_url: text(body.cancel_url),
    expires_at: int(body.expires_at),
    line_items: items(body.line_items).map((value) => {
      const item = nested(value) ?? {};
      return { price: text(item.price), quantity: int(item.quantity) };
    }),
    subscription_data: subscriptionData && {
      metadata: metadataParam(subscriptionData.metadata) || undefined,
    },
  };
}
