import type Stripe from "stripe";
import { clone, newId, type Reply } from "../../standin";
import { fail, missing, parameterMissing } from "../errors";
import { idOf } from "../expandable";
import { fixture } from "../fixtures";
import { list } from "../pagination";
import {
  bool,
  int,
  items,
  mergeMetadata,
  metadataParam,
  nested,
  text,
  type Params,
} from "../params";
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

/** The subscription's item: the stand-in models exactly one per subscription. */
export function onlyItem(sub: Stripe.Subscription): Stripe.SubscriptionItem {
  const [item] = sub.items.data;
  if (!item) throw new Error(`StripeStandIn: subscription ${sub.id} has no item`);
  return item;
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
        handle: ({ body }) => this.createFromApi(readCreateParams(body)),
      },
      {
        method: "GET",
        path: "/subscriptions",
        params: "Stripe.SubscriptionListParams",
        handle: ({ query }) => {
          const { customer, price, status } = readListParams(query);
          const found = [...subscriptions.values()].filter(
            (s) =>
              (!customer || s.customer === customer) &&
              (!price || s.items.data[0]?.price.id === price) &&
              listedUnder(status, s.status),
          );
          return list("/v1/subscriptions", found, query);
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
        handle: ({ id, body }) => this.updateFromApi(id, readUpdateParams(body)),
      },
      {
        method: "DELETE",
        path: "/subscriptions/:id",
        params: "Stripe.SubscriptionCancelParams",
        handle: ({ id, query }) => this.cancel(id, readCancelParams(query)),
      },
    ];
  }

  create(params: SubscriptionSeed): Stripe.Subscription {
    const created = this.state.now();
    const id = newId("sub_");
    const trialEnd = params.trialDays ? created + params.trialDays * DAY : null;
    const price = this.prices.get(params.price ?? process.env.STRIPE_PRICE_PRO ?? "price_pro_test");
    const base = fixture("subscription");
    const baseItem = onlyItem(base);
    const item: Stripe.SubscriptionItem = {
      ...baseItem,
      id: newId("si_", 14),
      created,
      price: clone(price),
      plan: {
        ...baseItem.plan,
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
    const sub: Stripe.Subscription = {
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
    const sub = this.state.subscriptions.get(id);
    if (!sub) throw new Error(`StripeStandIn: no subscription ${id}`);
    const item = onlyItem(sub);
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
    this.announce(sub.status === "canceled" ? "deleted" : "updated", sub);
    return sub;
  }

  /** Stripe's `customer.subscription.*` event for a write, to `onEvent`. */
  private announce(change: "created" | "updated" | "deleted", sub: Stripe.Subscription): void {
    this.state.emit(`customer.subscription.${change}`, sub);
  }

  private createFromApi(params: Stripe.SubscriptionCreateParams): Reply {
    if (!params.customer) return parameterMissing("customer");
    const customer = this.state.customers.get(params.customer);
    if (!customer) return missing("customer", params.customer, "customer");
    const [item, ...more] = params.items ?? [];
    if (!item || more.length > 0)
      return fail(400, {
        type: "invalid_request_error",
        code: "parameter_invalid",
        param: "items",
        message: "This stand-in models exactly one subscription item.",
      });
    const price = item.price ?? "";
    if (!this.state.prices.has(price)) return missing("price", price, "items[0][price]");
    const trialDays = params.trial_period_days;
    const trialEnd = params.trial_end === "now" ? undefined : params.trial_end;
    const refused = this.paymentMethods.refusedFor(customer.id, params.default_payment_method);
    if (refused) return refused;
    const paymentMethod =
      params.default_payment_method ??
      idOf(customer.invoice_settings?.default_payment_method) ??
      undefined;
    const trialing = Boolean(trialDays || trialEnd);
    const incompleteAllowed = params.payment_behavior === "default_incomplete";
    if (!trialing && !paymentMethod && !incompleteAllowed)
      return fail(400, {
        type: "invalid_request_error",
        code: "resource_missing",
        message: "This customer has no attached payment source or default payment method.",
      });
    // Without a trial the first invoice is charged at once (unless `default_incomplete`); a
    // failed charge leaves the subscription `incomplete` (Stripe's default, allow_incomplete).
    const sub = this.create({
      customer: customer.id,
      price,
      quantity: item.quantity ?? 1,
      trialDays,
      status: trialing ? "trialing" : "incomplete",
      metadata: mergeMetadata({}, params.metadata),
      default_payment_method: params.default_payment_method ?? null,
    });
    const invoice = this.invoices.first(
      sub,
      trialing,
      incompleteAllowed ? undefined : paymentMethod,
    );
    sub.latest_invoice = invoice.id;
    if (!trialing && invoice.status === "paid") sub.status = "active";
    if (trialEnd) {
      sub.trial_start = sub.created;
      sub.trial_end = trialEnd;
      sub.billing_cycle_anchor = trialEnd;
    }
    const saveDefault = params.payment_settings?.save_default_payment_method;
    if (saveDefault)
      sub.payment_settings = {
        payment_method_options: null,
        payment_method_types: null,
        ...sub.payment_settings,
        save_default_payment_method: saveDefault,
      };
    if (params.collection_method) sub.collection_method = params.collection_method;
    if (params.description) sub.description = params.description;
    this.announce("created", sub);
    return ok(sub);
  }

  private updateFromApi(id: string, params: Stripe.SubscriptionUpdateParams): Reply {
    const sub = this.state.subscriptions.get(id);
    if (!sub) return missing("subscription", id);
    if (sub.status === "canceled")
      return fail(400, {
        type: "invalid_request_error",
        code: "resource_missing",
        message: `A canceled subscription can only update its cancellation_details and metadata.`,
      });
    const item = params.items?.[0];
    if (item?.price && !this.state.prices.has(item.price))
      return missing("price", item.price, "items[0][price]");
    const customer = idOf(sub.customer) ?? "";
    const refused = this.paymentMethods.refusedFor(
      customer,
      params.default_payment_method || undefined,
    );
    if (refused) return refused;
    this.update(id, {
      quantity: item?.quantity,
      price: item?.price,
      cancel_at_period_end: params.cancel_at_period_end,
    });
    sub.metadata = mergeMetadata(sub.metadata, params.metadata);
    if (params.default_payment_method !== undefined)
      sub.default_payment_method = params.default_payment_method || null;
    if (params.trial_end === "now" && sub.status === "trialing") {
      sub.status = "active";
      sub.trial_end = this.state.now();
    }
    this.announce("updated", sub);
    return ok(sub);
  }

  private cancel(id: string, params: Stripe.SubscriptionCancelParams): Reply {
    const sub = this.state.subscriptions.get(id);
    // Stripe treats an ended subscription as gone here (GET still returns it): cancelling
    // twice answers "No such subscription" (stripe/stripe-go#1887).
    if (!sub || sub.status === "canceled" || sub.status === "incomplete_expired")
      return missing("subscription", id);
    const { comment, feedback } = params.cancellation_details ?? {};
    const details = sub.cancellation_details;
    if (details && comment !== undefined) details.comment = comment || null;
    if (details && feedback !== undefined) details.feedback = feedback || null;
    const canceled = this.update(id, { status: "canceled" });
    this.announce("deleted", canceled);
    return ok(canceled);
  }
}

function readItem(value: unknown): Stripe.SubscriptionCreateParams.Item {
  const item = nested(value) ?? {};
  return { price: text(item.price), quantity: int(item.quantity) };
}

function readTrialEnd(value: unknown): "now" | number | undefined {
  return value === "now" ? "now" : int(value);
}

function readCreateParams(body: Params): Stripe.SubscriptionCreateParams {
  const paymentSettings = nested(body.payment_settings);
  return {
    customer: text(body.customer),
    items: items(body.items).map(readItem),
    trial_period_days: int(body.trial_period_days),
    trial_end: readTrialEnd(body.trial_end),
    default_payment_method: text(body.default_payment_method),
    payment_behavior: text(body.payment_behavior),
    payment_settings: paymentSettings && {
      save_default_payment_method: text(paymentSettings.save_default_payment_method),
    },
    collection_method: text(body.collection_method),
    description: text(body.description),
    metadata: metadataParam(body.metadata),
  };
}

function readUpdateParams(body: Params): Stripe.SubscriptionUpdateParams {
  return {
    items: items(body.items).map(readItem),
    cancel_at_period_end:
      body.cancel_at_period_end === undefined ? undefined : bool(body.cancel_at_period_end),
    default_payment_method: text(body.default_payment_method),
    trial_end: readTrialEnd(body.trial_end),
    metadata: metadataParam(body.metadata),
  };
}

function readCancelParams(query: Params): Stripe.SubscriptionCancelParams {
  const details = nested(query.cancellation_details);
  return {
    cancellation_details: details && {
      comment: text(details.comment),
      feedback: text(details.feedback),
    },
  };
}

/** `status` also takes "all" and, left out, means every status but the ended ones. */
/**
 * Whether a list with this `status` shows the subscription. Without one, Stripe lists every
 * subscription that is not canceled (incomplete_expired ones too); `ended` is canceled and
 * incomplete_expired; `all` is every one.
 */
function listedUnder(
  filter: Stripe.SubscriptionListParams["status"],
  status: Stripe.Subscription.Status,
): boolean {
  if (filter === undefined) return status !== "canceled";
  if (filter === "all") return true;
  if (filter === "ended") return status === "canceled" || status === "incomplete_expired";
  return status === filter;
}

function readListParams(query: Params): Stripe.SubscriptionListParams {
  return { customer: text(query.customer), price: text(query.price), status: text(query.status) };
}
