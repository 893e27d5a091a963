import type Stripe from "stripe";
import { clone, newId, type Json, type Reply } from "../../standin";
import { fail, missing, parameterMissing } from "../errors";
import { fixture } from "../fixtures";
import { list } from "../pagination";
import { bool, int, mergeMetadata } from "../params";
import { ok, retrieve, type Route } from "../router";
import type { StripeState } from "../state";
import type { Invoices } from "./invoices";
import type { PaymentMethods } from "./payment-methods";
import type { Prices } from "./prices";

const DAY = 86_400;

export interface SubscriptionPatch {
  quantity?: number;
  price?: string;
  status?: Stripe.Subscription.Status;
  cancel_at_period_end?: boolean;
  metadata?: Record<string, string>;
}

/** What a seeded subscription is made of (the API's create takes Stripe's params instead). */
export interface SubscriptionSeed {
  customer: string;
  price?: string;
  quantity?: number;
  trialDays?: number;
  status?: Stripe.Subscription.Status;
  metadata?: Record<string, string>;
  default_payment_method?: string | null;
}

/**
 * Subscriptions of one item: trial or charged at once (the first invoice, see Invoices), adopt
 * by listing, update, cancel without proration; each write sends `customer.subscription.*`.
 */
export class Subscriptions {
  constructor(
    private readonly state: StripeState,
    private readonly prices: Prices,
    private readonly paymentMethods: PaymentMethods,
    private readonly invoices: Invoices,
  ) {}

  routes(): Route[] {
    const { subscriptions } = this.state;
    return [
      {
        method: "POST",
        path: "/subscriptions",
        params: "Stripe.SubscriptionCreateParams",
        handle: ({ body }) => this.announce("created", this.createFromApi(body)),
      },
      {
        method: "GET",
        path: "/subscriptions",
        params: "Stripe.SubscriptionListParams",
        handle: ({ query }) => {
          const status = query.status ?? "active-like";
          const subs = [...subscriptions.values()].filter(
            (s) =>
              (!query.customer || s.customer === query.customer) &&
              (!query.price || s.items.data[0]?.price.id === query.price) &&
              (status === "all" ||
                (status === "active-like"
                  ? s.status !== "canceled" && s.status !== "incomplete_expired"
                  : s.status === status)),
          );
          return list("/v1/subscriptions", subs, query);
        },
      },
      {
        method: "GET",
        path: "/subscriptions/:id",
        params: "Stripe.SubscriptionRetrieveParams",
        handle: retrieve(subscriptions, "subscription"),
      },
      {
        method: "POST",
        path: "/subscriptions/:id",
        params: "Stripe.SubscriptionUpdateParams",
        handle: ({ id, body }) => this.announce("updated", this.updateFromApi(id, body)),
      },
      {
        method: "DELETE",
        path: "/subscriptions/:id",
        params: "Stripe.SubscriptionCancelParams",
        handle: ({ id, query }) => {
          const sub: Json = subscriptions.get(id);
          // Stripe treats an ended subscription as gone here (GET still returns it): cancelling
          // twice answers "No such subscription" (stripe/stripe-go#1887).
          if (!sub || sub.status === "canceled" || sub.status === "incomplete_expired")
            return missing("subscription", id);
          if (query.cancellation_details)
            sub.cancellation_details = {
              ...sub.cancellation_details,
              ...query.cancellation_details,
            };
          return this.announce("deleted", ok(this.update(id, { status: "canceled" })));
        },
      },
    ];
  }

  create(params: SubscriptionSeed): Stripe.Subscription {
    const created = this.state.now();
    const id = newId("sub_");
    const trialEnd = params.trialDays ? created + params.trialDays * DAY : null;
    const price = this.prices.get(params.price ?? process.env.STRIPE_PRICE_PRO ?? "price_pro_test");
    const base = fixture("subscription");
    const item = {
      ...base.items.data[0],
      id: newId("si_", 14),
      created,
      price: clone(price),
      plan: {
        ...base.items.data[0].plan,
        id: price.id,
        product: price.product,
        amount: price.unit_amount,
        currency: price.currency,
        interval: "month",
        interval_count: 1,
        billing_scheme: "per_unit",
        livemode: false,
        metadata: {},
      },
      quantity: params.quantity ?? 1,
      subscription: id,
      current_period_start: created,
      current_period_end: trialEnd ?? created + 30 * DAY,
    };
    const sub: Json = {
      ...base,
      id,
      created,
      start_date: created,
      billing_cycle_anchor: trialEnd ?? created,
      cancel_at: null,
      canceled_at: null,
      ended_at: null,
      cancel_at_period_end: false,
      next_pending_invoice_item_invoice: null,
      pending_update: null,
      pending_invoice_item_interval: null,
      pause_collection: null,
      transfer_data: null,
      customer: params.customer,
      default_payment_method: params.default_payment_method ?? null,
      metadata: params.metadata ?? {},
      status: params.status ?? (trialEnd ? "trialing" : "active"),
      trial_start: trialEnd ? created : null,
      trial_end: trialEnd,
      items: { ...base.items, data: [item], url: `/v1/subscription_items?subscription=${id}` },
    };
    this.state.subscriptions.set(id, sub);
    return sub;
  }

  /** What the Customer Portal (or a dashboard edit) does: change seats, price or status. */
  update(id: string, patch: SubscriptionPatch): Stripe.Subscription {
    const sub: Json = this.state.subscriptions.get(id);
    if (!sub) throw new Error(`StripeStandIn: no subscription ${id}`);
    const item = sub.items.data[0];
    if (patch.quantity !== undefined) item.quantity = patch.quantity;
    if (patch.price !== undefined) item.price = clone(this.prices.get(patch.price));
    if (patch.cancel_at_period_end !== undefined)
      sub.cancel_at_period_end = patch.cancel_at_period_end;
    if (patch.metadata) sub.metadata = mergeMetadata(sub.metadata, patch.metadata);
    if (patch.status) {
      const now = this.state.now();
      sub.status = patch.status;
      if (patch.status === "canceled") sub.canceled_at = sub.ended_at = now;
      if (patch.status === "active" && sub.trial_end && sub.trial_end > now) sub.trial_end = now;
    }
    return clone(sub);
  }

  /** What the Customer Portal does when the customer changes seats or cancels: the change, and its event. */
  change(id: string, patch: SubscriptionPatch): Stripe.Subscription {
    const sub = this.update(id, patch);
    this.state.emit(
      `customer.subscription.${sub.status === "canceled" ? "deleted" : "updated"}`,
      sub,
    );
    return sub;
  }

  /** Passes a successful subscription write on to `onEvent`, as Stripe's event. */
  private announce(change: "created" | "updated" | "deleted", reply: Reply): Reply {
    if (reply.status === 200)
      this.state.emit(`customer.subscription.${change}`, reply.body as Json);
    return reply;
  }

  private createFromApi(body: Json): Reply {
    if (!body.customer) return parameterMissing("customer");
    const customer: Json = this.state.customers.get(body.customer);
    if (!customer) return missing("customer", body.customer, "customer");
    const items: Json[] = body.items ?? [];
    if (items.length !== 1)
      return fail(400, {
        type: "invalid_request_error",
        code: "parameter_invalid",
        param: "items",
        message: "This stand-in models exactly one subscription item.",
      });
    const price = items[0].price;
    if (!this.state.prices.has(price)) return missing("price", price, "items[0][price]");
    const trialDays = int(body.trial_period_days);
    const trialEnd = body.trial_end === "now" ? undefined : int(body.trial_end);
    const refused = this.paymentMethods.refusedFor(customer.id, body.default_payment_method);
    if (refused) return refused;
    const paymentMethod: string | undefined =
      body.default_payment_method ?? customer.invoice_settings?.default_payment_method ?? undefined;
    const trialing = Boolean(trialDays || trialEnd);
    if (!trialing && !paymentMethod && body.payment_behavior !== "default_incomplete")
      return fail(400, {
        type: "invalid_request_error",
        code: "resource_missing",
        message: "This customer has no attached payment source or default payment method.",
      });
    // Without a trial the first invoice is charged at once (unless `default_incomplete`); a
    // failed charge leaves the subscription `incomplete` (Stripe's default, allow_incomplete).
    const sub: Json = this.create({
      customer: customer.id,
      price,
      quantity: int(items[0].quantity) ?? 1,
      trialDays,
      status: trialing ? "trialing" : "incomplete",
      metadata: mergeMetadata({}, body.metadata),
      default_payment_method: body.default_payment_method ?? null,
    });
    const charged = body.payment_behavior !== "default_incomplete" ? paymentMethod : undefined;
    const invoice = this.invoices.first(sub, trialing, charged);
    sub.latest_invoice = invoice.id;
    if (!trialing && invoice.status === "paid") sub.status = "active";
    if (trialEnd)
      Object.assign(sub, {
        trial_start: sub.created,
        trial_end: trialEnd,
        billing_cycle_anchor: trialEnd,
      });
    if (body.payment_settings)
      sub.payment_settings = { ...sub.payment_settings, ...body.payment_settings };
    if (body.collection_method) sub.collection_method = body.collection_method;
    if (body.description) sub.description = body.description;
    return ok(sub);
  }

  private updateFromApi(id: string, body: Json): Reply {
    const sub: Json = this.state.subscriptions.get(id);
    if (!sub) return missing("subscription", id);
    if (sub.status === "canceled")
      return fail(400, {
        type: "invalid_request_error",
        code: "resource_missing",
        message: `A canceled subscription can only update its cancellation_details and metadata.`,
      });
    const item = body.items?.[0];
    if (item?.price && !this.state.prices.has(item.price))
      return missing("price", item.price, "items[0][price]");
    const refused = this.paymentMethods.refusedFor(
      sub.customer,
      body.default_payment_method || undefined,
    );
    if (refused) return refused;
    this.update(id, {
      quantity: int(item?.quantity),
      price: item?.price,
      cancel_at_period_end:
        body.cancel_at_period_end === undefined ? undefined : bool(body.cancel_at_period_end),
    });
    sub.metadata = mergeMetadata(sub.metadata, body.metadata);
    if (body.default_payment_method !== undefined)
      sub.default_payment_method = body.default_payment_method || null;
    if (body.trial_end === "now" && sub.status === "trialing")
      Object.assign(sub, { status: "active", trial_end: this.state.now() });
    return ok(sub);
  }
}
