import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import Stripe from "stripe";
import { readContractJson } from "../openapi";
import {
  StandIn,
  canonical,
  clone,
  matches,
  newId,
  type Incoming,
  type Json,
  type PathMatcher,
  type Reply,
} from "../standin";

/** Stripe's own response fixtures (stripe/openapi fixtures3.json): every object starts from one. */
const fixtures: Record<string, Json> = readContractJson("stripe", "fixtures3.json").resources;
const fixture = (name: string): Json => clone(fixtures[name]);

const DAY = 86_400;
const HOUR = 3_600;
/** Stripe's ConfirmationTokens can be used for 12 hours after Stripe.js creates them. */
const CONFIRMATION_TOKEN_LIFETIME = 12 * HOUR;
/** Stripe prunes idempotency keys once they are at least 24 hours old; a later reuse runs anew. */
const IDEMPOTENCY_KEY_LIFETIME = 24 * HOUR;
/** How long a new customer takes to show in search results, when `eventualSearch` is on. */
const SEARCH_LAG = 60;

type StripeError = {
  type: "card_error" | "invalid_request_error" | "idempotency_error" | "api_error";
  code?: string;
  decline_code?: string;
  param?: string;
  message: string;
  setup_intent?: Json;
  payment_intent?: Json;
};

/**
 * Top-level params each endpoint accepts, read from the installed SDK's own request types (the
 * source of truth for request shapes at the pinned API version). Real Stripe answers an unknown
 * param with 400 parameter_unknown, e.g. SetupIntent `payment_method_types`, removed in 2026.
 */
const PARAM_TYPES: Record<string, [file: string, iface: string]> = {
  "POST /customers": ["Customers", "CustomerCreateParams"],
  "GET /customers": ["Customers", "CustomerListParams"],
  "GET /customers/:id": ["Customers", "CustomerRetrieveParams"],
  "GET /customers/search": ["Customers", "CustomerSearchParams"],
  "POST /customers/:id": ["Customers", "CustomerUpdateParams"],
  "POST /setup_intents": ["SetupIntents", "SetupIntentCreateParams"],
  "GET /setup_intents": ["SetupIntents", "SetupIntentListParams"],
  "GET /setup_intents/:id": ["SetupIntents", "SetupIntentRetrieveParams"],
  "POST /setup_intents/:id/confirm": ["SetupIntents", "SetupIntentConfirmParams"],
  "POST /subscriptions": ["Subscriptions", "SubscriptionCreateParams"],
  "GET /subscriptions": ["Subscriptions", "SubscriptionListParams"],
  "GET /subscriptions/:id": ["Subscriptions", "SubscriptionRetrieveParams"],
  "POST /subscriptions/:id": ["Subscriptions", "SubscriptionUpdateParams"],
  "DELETE /subscriptions/:id": ["Subscriptions", "SubscriptionCancelParams"],
  "GET /payment_methods/:id": ["PaymentMethods", "PaymentMethodRetrieveParams"],
  "GET /invoices": ["Invoices", "InvoiceListParams"],
  "GET /invoices/:id": ["Invoices", "InvoiceRetrieveParams"],
  "POST /invoices/:id/pay": ["Invoices", "InvoicePayParams"],
  "GET /invoice_payments": ["InvoicePayments", "InvoicePaymentListParams"],
  "GET /payment_intents/:id": ["PaymentIntents", "PaymentIntentRetrieveParams"],
  "POST /refunds": ["Refunds", "RefundCreateParams"],
  "GET /refunds": ["Refunds", "RefundListParams"],
  "GET /refunds/:id": ["Refunds", "RefundRetrieveParams"],
  "POST /checkout/sessions": ["Checkout/Sessions", "SessionCreateParams"],
  "GET /checkout/sessions": ["Checkout/Sessions", "SessionListParams"],
  "GET /checkout/sessions/:id": ["Checkout/Sessions", "SessionRetrieveParams"],
  "POST /checkout/sessions/:id/expire": ["Checkout/Sessions", "SessionExpireParams"],
  "POST /billing_portal/sessions": ["BillingPortal/Sessions", "SessionCreateParams"],
};
const PAGINATION = ["ending_before", "limit", "starting_after"];
/** Path segments that name a collection or an action; any other segment after the first is an id. */
const WORDS = new Set(["search", "sessions", "confirm", "expire", "pay"]);
const sdkMain = createRequire(import.meta.url).resolve("stripe");
const sdkResources = path.join(sdkMain.slice(0, sdkMain.lastIndexOf("/cjs/")), "esm/resources");
const knownParams = new Map<string, Set<string> | null>();
function paramsOf(route: string): Set<string> | null {
  if (knownParams.has(route)) return knownParams.get(route)!;
  const [file, iface] = PARAM_TYPES[route] ?? [];
  let names: Set<string> | null = null;
  if (file && iface) {
    const lines = readFileSync(path.join(sdkResources, `${file}.d.ts`), "utf8").split("\n");
    const start = lines.findIndex((l) =>
      new RegExp(`^\\s*(export )?interface ${iface} (extends \\w+ )?\\{`).test(l),
    );
    if (start >= 0) {
      const indent = /^\s*/.exec(lines[start]!)![0];
      const prop = new RegExp(`^${indent} {4}(\\w+)\\??:`);
      names = new Set(lines[start]!.includes("PaginationParams") ? PAGINATION : []);
      for (const line of lines.slice(start + 1)) {
        if (line === `${indent}}`) break;
        const m = prop.exec(line);
        if (m) names.add(m[1]!);
      }
    }
  }
  knownParams.set(route, names);
  return names;
}

const fail = (status: number, error: StripeError): Reply => ({ status, body: { error } });
const missing = (kind: string, id: string, param?: string): Reply =>
  fail(param ? 400 : 404, {
    type: "invalid_request_error",
    code: "resource_missing",
    message: `No such ${kind}: '${id}'`,
    param: param ?? "id",
  });

/** `a[b][0][c]=v` → { a: { b: [ { c: "v" } ] } } — how Stripe reads form and query params. */
export function parseStripeParams(params: URLSearchParams): Record<string, Json> {
  const root: Json = {};
  for (const [key, value] of params) {
    const segments = key.includes("[") ? [key.slice(0, key.indexOf("["))] : [key];
    for (const m of key.matchAll(/\[([^\]]*)\]/g)) segments.push(m[1] ?? "");
    let node = root;
    segments.forEach((seg, i) => {
      const last = i === segments.length - 1;
      const nextIsIndex = !last && /^\d*$/.test(segments[i + 1] ?? "");
      const k = seg === "" && Array.isArray(node) ? node.length : seg;
      if (last) node[k] = value;
      else node = node[k] ??= nextIsIndex ? [] : {};
    });
  }
  return root;
}

/** Stripe metadata updates: merge; "" unsets a key; metadata="" clears all. */
function mergeMetadata(current: Record<string, string>, update: Json): Record<string, string> {
  if (update === undefined) return current;
  if (update === "") return {};
  const out = { ...current };
  for (const [k, v] of Object.entries(update as Record<string, string>)) {
    if (v === "") delete out[k];
    else out[k] = String(v);
  }
  return out;
}

const bool = (v: Json) => v === true || v === "true";
const int = (v: Json) => (v === undefined || v === "" ? undefined : Number(v));

export interface SubscriptionPatch {
  quantity?: number;
  price?: string;
  status?: Stripe.Subscription.Status;
  cancel_at_period_end?: boolean;
  metadata?: Record<string, string>;
}

/** What charging a saved card does: the kind of ConfirmationToken it was saved from decides. */
type ChargeOutcome = "succeeds" | "declines" | "requires_action";

/**
 * An in-memory Stripe for the real `stripe` SDK (host stripe.test, http, port 80).
 * Modelled: idempotency on POST (replay, idempotency_error, a 5xx that happened while executing
 * is saved and replayed too, keys pruned after 24 h), ConfirmationTokens (outcome by token id,
 * single use, expiring 12 h after creation), trial subscriptions and, without a trial, a first
 * invoice collected by a PaymentIntent (linked through the invoice's payments, as since
 * 2025-03-31) that can be declined or need 3-D Secure (`incomplete`), paid later with
 * `invoices.pay`, default payment methods that must be the customer's, SetupIntent lists,
 * metadata search on customers, lists newest first with cursors, Checkout sessions (open, paid,
 * expired), forgetting idempotency keys as Stripe does after 24 hours, 404/400 resource_missing
 * errors. Its clock (`now`, `advanceClock`) is the test's to move.
 */
export class StripeStandIn extends StandIn {
  readonly customers = new Map<string, Stripe.Customer>();
  readonly subscriptions = new Map<string, Stripe.Subscription>();
  readonly setupIntents = new Map<string, Stripe.SetupIntent>();
  readonly paymentMethods = new Map<string, Stripe.PaymentMethod>();
  readonly prices = new Map<string, Stripe.Price>();
  readonly checkoutSessions = new Map<string, Stripe.Checkout.Session>();
  readonly portalSessions = new Map<string, Stripe.BillingPortal.Session>();
  /**
   * Real Stripe search is eventually consistent (new objects show up within ~1 min).
   * Set true to model that: a new customer stays invisible to /search for a minute of Stripe's
   * clock (`advanceClock`), or until `indexSearch()`.
   */
  eventualSearch = false;
  private searchable = new Set<string>();
  readonly invoices = new Map<string, Stripe.Invoice>();
  readonly invoicePayments = new Map<string, Stripe.InvoicePayment>();
  readonly paymentIntents = new Map<string, Stripe.PaymentIntent>();
  readonly refunds = new Map<string, Stripe.Refund>();
  private idempotency = new Map<
    string,
    { fingerprint: string; reply: Reply; requestId: string; at: number }
  >();
  /** ConfirmationTokens by id: when Stripe.js made them and whether an intent has used them. */
  private confirmationTokens = new Map<string, { created: number; used: boolean }>();
  private chargeOutcomes = new Map<string, ChargeOutcome>();
  private failuresAfterEffect: Array<{
    method: string;
    path: PathMatcher;
    status: number;
    left: number;
  }> = [];
  private clockOffset = 0;
  private followed: (() => number) | null = null;

  /** Stripe's clock, in Unix seconds: the real one plus whatever `advanceClock` added. */
  now(): number {
    const own = Math.floor(Date.now() / 1000) + this.clockOffset;
    return this.followed ? Math.max(own, Math.floor(this.followed() / 1000)) : own;
  }

  /**
   * Keeps Stripe's clock at least at `clock` (epoch ms), e.g. the Inngest simulator's, so that
   * times Stripe stamps (a payment's, a key's age) and times the workflows see agree.
   */
  followClock(clock: () => number): void {
    this.followed = clock;
  }

  /** Moves Stripe's clock forward (token expiry, idempotency key pruning, Checkout expiry). */
  advanceClock(seconds: number): void {
    this.clockOffset += seconds;
  }
  /** What a Checkout session will subscribe to once paid, by session id. */
  private checkoutOrders = new Map<
    string,
    { price: string; quantity: number; metadata: Record<string, string> }
  >();
  /**
   * Receives the `customer.subscription.*` event Stripe sends for each subscription the API
   * creates, changes or cancels (a test serving the stand-in delivers it as a webhook).
   */
  onEvent: ((event: Stripe.Event) => void) | null = null;
  /**
   * Where Stripe's hosted pages (Checkout, the Customer Portal) are served: demo mode serves its
   * own (standins/stripe/hosted-pages.ts). Unset, sessions link to Stripe's hosts, as in test mode.
   */
  hostedPagesUrl: string | null = null;
  /** What each Checkout session was created with: its line item and subscription metadata. */

  constructor(baseUrl: string) {
    super(baseUrl);
    this.resetState();
  }

  protected resetState(): void {
    for (const m of [
      this.customers,
      this.subscriptions,
      this.setupIntents,
      this.paymentMethods,
      this.prices,
      this.checkoutSessions,
      this.portalSessions,
      this.invoices,
      this.invoicePayments,
      this.paymentIntents,
      this.refunds,
      this.idempotency,
      this.confirmationTokens,
      this.chargeOutcomes,
      this.checkoutOrders,
    ])
      m.clear();
    this.searchable.clear();
    this.failuresAfterEffect = [];
    this.clockOffset = 0;
    this.followed = null;
    this.eventualSearch = false;
    // The plan catalogue's prices (vitest.config.ts env) plus the fixture's own price.
    const priceIds = [
      process.env.STRIPE_PRICE_PRO ?? "price_pro_test",
      process.env.STRIPE_PRICE_ENTERPRISE ?? "price_enterprise_test",
      fixtures.price.id,
    ];
    for (const id of priceIds) this.addPrice({ id });
  }

  protected parseBody(raw: string, headers: Record<string, string>): Json {
    if (!raw) return {};
    if ((headers["content-type"] ?? "").includes("json")) return super.parseBody(raw, headers);
    return parseStripeParams(new URLSearchParams(raw));
  }

  protected parseQuery(search: URLSearchParams): Record<string, Json> {
    return parseStripeParams(search);
  }

  protected failureBody(status: number): unknown {
    if (status === 429)
      return {
        error: {
          type: "invalid_request_error",
          code: "rate_limit",
          message: "Too many requests (injected).",
        },
      };
    if (status === 402)
      return {
        error: {
          type: "card_error",
          code: "card_declined",
          decline_code: "generic_decline",
          message: "Your card was declined. (injected)",
        },
      };
    return {
      error: {
        type: status >= 500 ? "api_error" : "invalid_request_error",
        message: `Injected failure ${status}.`,
      },
    };
  }

  // ---------- seeding helpers ----------

  addPrice(overrides: Partial<Stripe.Price> & { id: string }): Stripe.Price {
    const price = { ...fixture("price"), created: this.now(), ...overrides } as Stripe.Price;
    this.prices.set(price.id, price);
    return price;
  }

  createCustomer(params: Partial<Stripe.Customer> = {}): Stripe.Customer {
    const customer: Json = {
      ...fixture("customer"),
      id: newId("cus_", 14),
      created: this.now(),
      discount: null,
      invoice_prefix: newId("", 8).toUpperCase(),
      ...params,
    };
    this.customers.set(customer.id, customer);
    if (!this.eventualSearch) this.searchable.add(customer.id);
    return customer;
  }

  createSubscription(params: {
    customer: string;
    price?: string;
    quantity?: number;
    trialDays?: number;
    status?: Stripe.Subscription.Status;
    metadata?: Record<string, string>;
    default_payment_method?: string | null;
  }): Stripe.Subscription {
    const created = this.now();
    const id = newId("sub_");
    const trialEnd = params.trialDays ? created + params.trialDays * DAY : null;
    const priceId = params.price ?? process.env.STRIPE_PRICE_PRO ?? "price_pro_test";
    const price = this.prices.get(priceId) ?? this.addPrice({ id: priceId });
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
    this.subscriptions.set(id, sub);
    return sub;
  }

  /** What the Customer Portal (or a dashboard edit) does: change seats, price or status. */
  updateSubscription(id: string, patch: SubscriptionPatch): Stripe.Subscription {
    const sub: Json = this.subscriptions.get(id);
    if (!sub) throw new Error(`StripeStandIn: no subscription ${id}`);
    const item = sub.items.data[0];
    if (patch.quantity !== undefined) item.quantity = patch.quantity;
    if (patch.price !== undefined)
      item.price = clone(this.prices.get(patch.price) ?? this.addPrice({ id: patch.price }));
    if (patch.cancel_at_period_end !== undefined)
      sub.cancel_at_period_end = patch.cancel_at_period_end;
    if (patch.metadata) sub.metadata = mergeMetadata(sub.metadata, patch.metadata);
    if (patch.status) {
      sub.status = patch.status;
      if (patch.status === "canceled") sub.canceled_at = sub.ended_at = this.now();
      if (patch.status === "active" && sub.trial_end && sub.trial_end > this.now())
        sub.trial_end = this.now();
    }
    return clone(sub);
  }

  /** The line item a Checkout session sells, or undefined for a session it does not know. */
  checkoutOrder(sessionId: string): { price: Stripe.Price; quantity: number } | undefined {
    const order = this.checkoutOrders.get(sessionId);
    const price = order && this.prices.get(order.price);
    return order && price ? { price: clone(price), quantity: order.quantity } : undefined;
  }

  /** What the Customer Portal does when the customer changes seats or cancels: the change, and its event. */
  changeSubscription(id: string, patch: SubscriptionPatch): Stripe.Subscription {
    const sub = this.updateSubscription(id, patch);
    this.onEvent?.(
      this.webhookEvent(
        `customer.subscription.${sub.status === "canceled" ? "deleted" : "updated"}`,
        sub,
      ),
    );
    return sub;
  }

  /** SYNTHETIC: Stripe publishes no verbatim subscription events; this wraps an object in fixtures3.json's `event` envelope. */
  webhookEvent<T extends { object?: string }>(
    type: string,
    object: T,
    extra: { previous_attributes?: Json } = {},
  ): Stripe.Event {
    const base = fixture("event");
    return {
      ...base,
      id: newId("evt_"),
      created: this.now(),
      type,
      api_version: "2026-10-28.endive",
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: clone(object), ...extra },
    } as Stripe.Event;
  }

  /** A webhook delivery as Stripe would POST it: the exact body and its `stripe-signature` header. */
  signWebhook(
    event: Stripe.Event,
    secret = process.env.STRIPE_WEBHOOK_SECRET ?? "whsec_onramp_stripe_test",
  ): { body: string; headers: Record<string, string> } {
    const body = JSON.stringify(event);
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret });
    return { body, headers: { "content-type": "application/json", "stripe-signature": signature } };
  }

  /**
   * A ConfirmationToken as Stripe.js makes it in the browser, `ageSeconds` ago. Its kind decides
   * what confirming it does (see confirmSetupIntent) and what charging the card saved from it
   * does: "unchargeable" saves a card whose charges are declined, "chargeauth" one whose charges
   * need the customer to authenticate (Stripe's test cards 4000000000000341, 4000002760003184).
   * `used`: an intent was already confirmed with it (e.g. by the browser). A token id the
   * stand-in never issued counts as made by Stripe.js when first seen.
   */
  issueConfirmationToken(kind = "ok", { ageSeconds = 0, used = false } = {}): string {
    const id = `ctoken_${kind}_${newId("", 24)}`;
    this.confirmationTokens.set(id, { created: this.now() - ageSeconds, used });
    return id;
  }

  /**
   * The next `times` matching requests run (their effect happens, e.g. the object is created),
   * then answer `status` (default 500) as a Stripe failure mid-request does; like Stripe, that
   * answer is what the idempotency key then replays. `failNext` fails before anything runs.
   */
  failAfterEffect(
    method: string,
    path: PathMatcher,
    { status = 500, times = 1 }: { status?: number; times?: number } = {},
  ): void {
    this.failuresAfterEffect.push({ method: method.toUpperCase(), path, status, left: times });
  }

  /**
   * What Stripe does 24 hours after a request: it no longer knows the idempotency keys, so a
   * request repeated under one of them acts again.
   */
  forgetIdempotencyKeys(): void {
    this.idempotency.clear();
  }

  /**
   * The customer pays an open Checkout session (subscription mode), as Stripe Checkout does: the
   * subscription is created on the session's customer with the session's price, quantity (or the
   * `quantity` the customer chose, where the line item lets them) and `subscription_data.metadata`,
   * the session completes, its first invoice is paid with the card entered there, and
   * `customer.subscription.created` goes to `onEvent`. Returns null when
   * the session can no longer be paid (expired or complete).
   */
  payCheckout(sessionId: string, quantity?: number): Stripe.Subscription | null {
    const session: Json = this.checkoutSessions.get(sessionId);
    const order = this.checkoutOrders.get(sessionId);
    if (!session || !order) throw new Error(`StripeStandIn: no Checkout session ${sessionId}`);
    if (session.status !== "open") return null;
    const subscription: Json = this.createSubscription({
      customer: session.customer,
      price: order.price,
      quantity: quantity ?? order.quantity,
      status: "active",
      metadata: mergeMetadata({}, order.metadata),
    });
    // The card entered on Checkout pays the first invoice.
    const card = this.createPaymentMethod(session.customer);
    subscription.default_payment_method = card.id;
    subscription.latest_invoice = this.firstInvoice(subscription, false, card.id).id;
    Object.assign(session, {
      status: "complete",
      payment_status: "paid",
      subscription: subscription.id,
      url: null,
    });
    this.onEvent?.(this.webhookEvent("customer.subscription.created", subscription));
    return clone(subscription);
  }

  /** Let search see customers created while `eventualSearch` was on. */
  indexSearch(): void {
    for (const id of this.customers.keys()) this.searchable.add(id);
  }

  // ---------- HTTP ----------

  protected async route(req: Incoming): Promise<Reply> {
    const requestId = newId("req_", 14);
    if (!/^Bearer (sk|rk)_/.test(req.headers.authorization ?? ""))
      return this.finish(
        fail(401, { type: "invalid_request_error", message: "Invalid API Key provided." }),
        requestId,
      );

    // Stripe honours keys on POST only; GET and DELETE ignore them.
    const key = req.method === "POST" ? req.headers["idempotency-key"] : undefined;
    const fingerprint = `${req.method} ${req.path} ${canonical(req.body)}`;
    const prior = key ? this.idempotency.get(key) : undefined;
    const saved = prior && this.now() - prior.at < IDEMPOTENCY_KEY_LIFETIME ? prior : undefined;
    if (saved) {
      if (saved.fingerprint !== fingerprint)
        return this.finish(
          fail(400, {
            type: "idempotency_error",
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          }),
          requestId,
        );
      return this.finish(
        {
          ...saved.reply,
          headers: {
            ...saved.reply.headers,
            "idempotent-replayed": "true",
            "original-request": saved.requestId,
          },
        },
        requestId,
      );
    }
    let reply = this.dispatch(req);
    const failure = this.failuresAfterEffect.find(
      (f) => f.left > 0 && f.method === req.method && matches(f.path, req.path),
    );
    if (failure && reply.status < 300) {
      failure.left -= 1;
      this.failuresAfterEffect = this.failuresAfterEffect.filter((f) => f.left > 0);
      reply = { status: failure.status, body: this.failureBody(failure.status) };
    }
    // Stripe saves a result once the endpoint has started executing: a success, a card error, or
    // a server error on the way; parameter validation failures are not saved, so a corrected
    // retry can reuse the key.
    if (key && (reply.status < 300 || reply.status === 402 || reply.status >= 500))
      this.idempotency.set(key, { fingerprint, reply: clone(reply), requestId, at: this.now() });
    return this.finish(reply, requestId, key);
  }

  private finish(reply: Reply, requestId: string, key?: string): Reply {
    return {
      ...reply,
      body: clone(reply.body),
      headers: {
        "request-id": requestId,
        ...(key ? { "idempotency-key": key } : {}),
        ...reply.headers,
      },
    };
  }

  private dispatch(req: Incoming): Reply {
    const { method, path: p, body, query } = req;
    const seg = p.split("/").filter(Boolean); // ["v1", "customers", id?, action?]
    const isId = (s: string, i: number) => i >= 2 && !WORDS.has(s);
    const id = seg.find(isId);
    const ok = (o: unknown): Reply => ({ status: 200, body: o });
    /** GET of one object by the path's id: the object, or Stripe's resource_missing. */
    const found = (objects: Map<string, unknown>, kind: string): Reply =>
      objects.has(id!) ? ok(objects.get(id!)) : missing(kind, id!);
    const route = `${method} /${seg
      .slice(1)
      .map((s, i) => (isId(s, i + 1) ? ":id" : s))
      .join("/")}`;
    const accepted = paramsOf(route);
    const sent = Object.keys({ ...query, ...(method === "GET" ? {} : body) });
    const unknown = accepted && sent.find((k) => !accepted.has(k));
    if (unknown) {
      this.violations.push(`${route}: unknown parameter ${unknown}`);
      return fail(400, {
        type: "invalid_request_error",
        code: "parameter_unknown",
        param: unknown,
        message: `Received unknown parameter: ${unknown}`,
      });
    }
    switch (route) {
      case "POST /customers":
        return ok(this.createCustomer(this.customerParams(body)));
      case "GET /customers":
        return this.list(
          "/v1/customers",
          [...this.customers.values()].filter((c) => !query.email || c.email === query.email),
          query,
        );
      case "GET /customers/search":
        return this.searchCustomers(query);
      case "GET /customers/:id":
        return found(this.customers, "customer");
      case "POST /customers/:id": {
        const c: Json = this.customers.get(id!);
        if (!c) return missing("customer", id!);
        const { invoice_settings, ...fields } = this.customerParams(body) as Json;
        Object.assign(c, fields, { metadata: mergeMetadata(c.metadata, body.metadata) });
        if (invoice_settings) c.invoice_settings = { ...c.invoice_settings, ...invoice_settings };
        return ok(c);
      }
      case "DELETE /customers/:id":
        if (!this.customers.delete(id!)) return missing("customer", id!);
        return ok({ id, object: "customer", deleted: true });
      case "POST /setup_intents":
        return this.createSetupIntent(body);
      case "GET /setup_intents":
        return this.list(
          "/v1/setup_intents",
          [...this.setupIntents.values()].filter(
            (si) => !query.customer || si.customer === query.customer,
          ),
          query,
        );
      case "GET /setup_intents/:id":
        return found(this.setupIntents, "setup_intent");
      case "POST /setup_intents/:id/confirm": {
        const si: Json = this.setupIntents.get(id!);
        if (!si) return missing("setup_intent", id!);
        return this.confirmSetupIntent(si, body);
      }
      case "POST /subscriptions":
        return this.announce("created", this.createSubscriptionFromApi(body));
      case "GET /subscriptions":
        return this.listSubscriptions(query);
      case "GET /subscriptions/:id":
        return found(this.subscriptions, "subscription");
      case "POST /subscriptions/:id":
        return this.announce("updated", this.updateSubscriptionFromApi(id!, body));
      case "DELETE /subscriptions/:id": {
        const sub: Json = this.subscriptions.get(id!);
        // Stripe treats an ended subscription as gone here (GET still returns it): cancelling
        // twice answers "No such subscription" (stripe/stripe-go#1887).
        if (!sub || sub.status === "canceled" || sub.status === "incomplete_expired")
          return missing("subscription", id!);
        if (query.cancellation_details)
          sub.cancellation_details = { ...sub.cancellation_details, ...query.cancellation_details };
        return this.announce("deleted", ok(this.updateSubscription(id!, { status: "canceled" })));
      }
      case "GET /payment_methods/:id":
        return found(this.paymentMethods, "payment_method");
      case "GET /invoices":
        return this.list(
          "/v1/invoices",
          [...this.invoices.values()].filter(
            (invoice: Json) =>
              (!query.customer || invoice.customer === query.customer) &&
              (!query.subscription || invoice.subscription === query.subscription) &&
              (!query.status || invoice.status === query.status),
          ),
          query,
        );
      case "GET /invoices/:id":
        return found(this.invoices, "invoice");
      case "POST /invoices/:id/pay":
        return this.payInvoice(id!, body);
      case "GET /invoice_payments":
        return this.listInvoicePayments(query);
      case "GET /payment_intents/:id":
        return found(this.paymentIntents, "payment_intent");
      case "POST /refunds":
        return this.createRefund(body);
      case "GET /refunds":
        return this.list(
          "/v1/refunds",
          [...this.refunds.values()].filter(
            (refund) => !query.payment_intent || refund.payment_intent === query.payment_intent,
          ),
          query,
        );
      case "GET /refunds/:id":
        return found(this.refunds, "refund");
      case "POST /checkout/sessions":
        return this.createCheckoutSession(body);
      case "GET /checkout/sessions":
        return this.list(
          "/v1/checkout/sessions",
          [...this.checkoutSessions.values()].filter(
            (s) =>
              (!query.customer || s.customer === query.customer) &&
              (!query.status || s.status === query.status),
          ),
          query,
        );
      case "GET /checkout/sessions/:id":
        return found(this.checkoutSessions, "checkout.session");
      case "POST /checkout/sessions/:id/expire": {
        const session: Json = this.checkoutSessions.get(id!);
        if (!session) return missing("checkout.session", id!);
        if (session.status !== "open")
          return fail(400, {
            type: "invalid_request_error",
            message: `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
          });
        Object.assign(session, { status: "expired", url: null });
        return ok(session);
      }
      case "POST /billing_portal/sessions":
        return this.createPortalSession(body);
    }
    this.violations.push(`stripe stand-in does not implement ${method} ${p}`);
    return fail(404, {
      type: "invalid_request_error",
      message: `Unrecognized request URL (${method}: ${p}).`,
    });
  }

  /**
   * GET /v1/subscriptions. Without `status`, Stripe lists every subscription that is not
   * canceled (incomplete_expired ones too); `ended` is canceled and incomplete_expired; `all` is
   * every one.
   */
  private listSubscriptions(query: Json): Reply {
    const status: string = query.status ?? "not-canceled";
    const ended = (s: Stripe.Subscription) =>
      s.status === "canceled" || s.status === "incomplete_expired";
    const wanted = (s: Stripe.Subscription) =>
      status === "all" ||
      (status === "not-canceled" && s.status !== "canceled") ||
      (status === "ended" && ended(s)) ||
      s.status === status;
    const subs = [...this.subscriptions.values()].filter(
      (s) =>
        (!query.customer || s.customer === query.customer) &&
        (!query.price || s.items.data[0]?.price.id === query.price) &&
        wanted(s),
    );
    return this.list("/v1/subscriptions", subs, query);
  }

  /**
   * POST /v1/refunds for a PaymentIntent: what it received and no refund has given back yet (or
   * `amount` of it), refunded at once, as test-mode card refunds are.
   */
  private createRefund(body: Json): Reply {
    if (!body.payment_intent) {
      this.violations.push("stripe stand-in models refunds of a payment_intent only");
      return fail(400, {
        type: "invalid_request_error",
        code: "parameter_missing",
        param: "payment_intent",
        message: "Missing required param: payment_intent.",
      });
    }
    const intent: Json = this.paymentIntents.get(body.payment_intent);
    if (!intent) return missing("payment_intent", body.payment_intent, "payment_intent");
    const refunded = [...this.refunds.values()]
      .filter((r) => r.payment_intent === intent.id && r.status !== "failed")
      .reduce((sum, r) => sum + r.amount, 0);
    const left = intent.status === "succeeded" ? intent.amount_received - refunded : 0;
    if (left <= 0)
      return fail(400, {
        type: "invalid_request_error",
        code: intent.status === "succeeded" ? "charge_already_refunded" : "charge_not_refundable",
        message:
          intent.status === "succeeded"
            ? `Charge for PaymentIntent ${intent.id} has already been refunded.`
            : `PaymentIntent ${intent.id} has no successful charge to refund.`,
      });
    const amount = int(body.amount) ?? left;
    if (amount > left)
      return fail(400, {
        type: "invalid_request_error",
        code: "amount_too_large",
        param: "amount",
        message: `Refund amount (${amount}) is greater than the amount left to refund (${left}).`,
      });
    const refund: Json = {
      ...fixture("refund"),
      id: newId("re_"),
      created: this.now(),
      amount,
      currency: intent.currency,
      payment_intent: intent.id,
      charge: intent.latest_charge ?? null,
      customer: intent.customer ?? null,
      payment_method: intent.payment_method ?? null,
      metadata: mergeMetadata({}, body.metadata),
      reason: body.reason ?? null,
      status: "succeeded",
    };
    this.refunds.set(refund.id, refund);
    return { status: 200, body: refund };
  }

  /** Passes a successful subscription write on to `onEvent`, as Stripe's event. */
  private announce(change: "created" | "updated" | "deleted", reply: Reply): Reply {
    if (reply.status === 200 && this.onEvent) {
      this.onEvent(this.webhookEvent(`customer.subscription.${change}`, reply.body as Json));
    }
    return reply;
  }

  /** An invoice's payments, newest first; `expand[]=data.payment.payment_intent` inlines the intent. */
  private listInvoicePayments(query: Json) {
    const expand: string[] = [query.expand ?? []].flat();
    const data = [...this.invoicePayments.values()]
      .filter((p) => !query.invoice || p.invoice === query.invoice)
      .map((p: Json) =>
        expand.includes("data.payment.payment_intent")
          ? {
              ...p,
              payment: {
                ...p.payment,
                payment_intent: this.paymentIntents.get(p.payment.payment_intent),
              },
            }
          : p,
      );
    return this.list("/v1/invoice_payments", data, query);
  }

  /** A page of a list, newest first as Stripe lists, after `starting_after` or before `ending_before`. */
  private list<T extends { id: string }>(url: string, data: T[], query: Json): Reply {
    const limit = int(query.limit) ?? 10;
    const all = data.toReversed();
    const before = query.ending_before !== undefined;
    const cursor = before ? query.ending_before : query.starting_after;
    const at = cursor === undefined ? -1 : all.findIndex((o) => o.id === cursor);
    if (cursor !== undefined && at === -1) {
      return missing("object", cursor, before ? "ending_before" : "starting_after");
    }
    // [start, end) of the page in `all`; has_more says whether more lie beyond it that way.
    const [start, end] = before ? [Math.max(0, at - limit), at] : [at + 1, at + 1 + limit];
    const hasMore = before ? start > 0 : end < all.length;
    return {
      status: 200,
      body: { object: "list", data: all.slice(start, end), has_more: hasMore, url },
    };
  }

  private customerParams(body: Json): Partial<Stripe.Customer> {
    const { email, name, phone, description, metadata, invoice_settings } = body;
    const out: Json = {};
    // "" unsets a field in Stripe's form encoding
    for (const [k, v] of Object.entries({ email, name, phone, description }))
      if (v !== undefined) out[k] = v === "" ? null : v;
    if (metadata !== undefined) out.metadata = mergeMetadata({}, metadata);
    if (invoice_settings)
      out.invoice_settings = { ...fixture("customer").invoice_settings, ...invoice_settings };
    return out;
  }

  /** Stripe search syntax subset: `field:'v'` / `metadata['k']:'v'` clauses joined by AND or OR. */
  private searchCustomers(query: Json): Reply {
    const q = String(query.query ?? "");
    const joiner = / OR /.test(q) ? "OR" : "AND";
    const clauses = q.split(joiner === "OR" ? / OR / : / AND /).map((c) => c.trim());
    const parsed = clauses.map((c) =>
      /^(?:metadata\[(['"])(.+?)\1\]|(email|name|phone|description)):(['"])(.*)\4$/.exec(c),
    );
    if (!q || parsed.some((m) => !m)) {
      this.violations.push(`stripe stand-in cannot parse search query ${JSON.stringify(q)}`);
      return fail(400, {
        type: "invalid_request_error",
        message: `Invalid search query: ${q}`,
        param: "query",
      });
    }
    const test = (c: Json, m: RegExpExecArray) =>
      m[2] !== undefined ? c.metadata?.[m[2]] === m[5] : c[m[3]!] === m[5];
    const indexed = (c: Stripe.Customer) =>
      this.searchable.has(c.id) || this.now() >= c.created + SEARCH_LAG;
    const data = [...this.customers.values()].filter(
      (c) =>
        indexed(c) &&
        (joiner === "OR" ? parsed.some((m) => test(c, m!)) : parsed.every((m) => test(c, m!))),
    );
    const limit = int(query.limit) ?? 10;
    return {
      status: 200,
      body: {
        object: "search_result",
        data: data.slice(0, limit),
        has_more: data.length > limit,
        next_page: null,
        url: "/v1/customers/search",
      },
    };
  }

  private createSetupIntent(body: Json): Reply {
    if (body.customer && !this.customers.has(body.customer))
      return missing("customer", body.customer, "customer");
    const id = newId("seti_");
    const si: Json = {
      ...fixture("setup_intent"),
      id,
      client_secret: `${id}_secret_${newId("", 24)}`,
      created: this.now(),
      customer: body.customer ?? null,
      description: body.description ?? null,
      metadata: mergeMetadata({}, body.metadata),
      usage: body.usage ?? "off_session",
      automatic_payment_methods: body.automatic_payment_methods
        ? {
            enabled: bool(body.automatic_payment_methods.enabled),
            allow_redirects: body.automatic_payment_methods.allow_redirects ?? "always",
          }
        : { enabled: true, allow_redirects: "always" },
      payment_method_types: body.allowed_payment_method_types ?? ["card"],
      payment_method_configuration_details: null,
      last_setup_error: null,
      next_action: null,
      payment_method: null,
      status: "requires_payment_method",
    };
    if (!bool(body.confirm)) {
      if (body.payment_method) {
        si.payment_method = body.payment_method;
        si.status = "requires_confirmation";
      }
      this.setupIntents.set(id, si);
      return { status: 200, body: si };
    }
    const reply = this.confirmSetupIntent(si, body);
    // A failed parameter check creates nothing; a decline leaves the SetupIntent behind, as in Stripe.
    if (reply.status < 300 || reply.status === 402) this.setupIntents.set(id, si);
    return reply;
  }

  /**
   * Outcome by ConfirmationToken (or PaymentMethod) id: "decline" → 402 card_declined, "3ds" →
   * requires_action, else succeeded. A token expired or already used → 400.
   */
  private confirmSetupIntent(si: Json, body: Json): Reply {
    const token: string | undefined = body.confirmation_token;
    const pm: string | undefined = body.payment_method ?? si.payment_method ?? undefined;
    const source = token ?? pm;
    if (!source)
      return fail(400, {
        type: "invalid_request_error",
        code: "parameter_missing",
        param: "payment_method",
        message:
          "You must provide a payment_method or confirmation_token to confirm this SetupIntent.",
      });
    const issued = token ? this.confirmationToken(token) : undefined;
    // Stripe documents both limits (`expires_at`, single use) but not its error body; what it
    // says is modelled as a 400 on the `confirmation_token` param.
    if (issued && this.now() >= issued.created + CONFIRMATION_TOKEN_LIFETIME)
      return fail(400, {
        type: "invalid_request_error",
        param: "confirmation_token",
        message: `ConfirmationToken ${token} has expired. Create a new one and try again.`,
      });
    if (issued?.used)
      return fail(400, {
        type: "invalid_request_error",
        param: "confirmation_token",
        message: `ConfirmationToken ${token} has already been used. Create a new one and try again.`,
      });
    if (si.status === "succeeded")
      return fail(400, {
        type: "invalid_request_error",
        code: "setup_intent_unexpected_state",
        message: "You cannot confirm this SetupIntent because it has already succeeded.",
      });
    if (issued) issued.used = true;
    if (source.includes("decline")) {
      const error = {
        type: "card_error" as const,
        code: "card_declined",
        decline_code: "generic_decline",
        message: "Your card was declined.",
      };
      Object.assign(si, {
        status: "requires_payment_method",
        payment_method: null,
        last_setup_error: { ...error, payment_method: null },
      });
      return fail(402, { ...error, setup_intent: clone(si) });
    }
    const paymentMethod = pm && !token ? pm : this.createPaymentMethod(si.customer).id;
    if (!this.paymentMethods.has(paymentMethod))
      this.createPaymentMethod(si.customer, paymentMethod);
    if (source.includes("unchargeable")) this.chargeOutcomes.set(paymentMethod, "declines");
    if (source.includes("chargeauth")) this.chargeOutcomes.set(paymentMethod, "requires_action");
    if (source.includes("3ds")) {
      Object.assign(si, {
        status: "requires_action",
        payment_method: paymentMethod,
        next_action: {
          type: "use_stripe_sdk",
          use_stripe_sdk: {
            type: "three_d_secure_redirect",
            stripe_js: `https://hooks.stripe.com/3d_secure_2/hosted?setup_intent=${si.id}`,
            source: newId("src_"),
          },
        },
      });
    } else {
      Object.assign(si, {
        status: "succeeded",
        payment_method: paymentMethod,
        next_action: null,
        last_setup_error: null,
      });
    }
    return { status: 200, body: si };
  }

  /** Finish a `requires_action` SetupIntent as if the customer passed 3D Secure in the browser. */
  completeSetupIntentAction(
    id: string,
    outcome: "succeeded" | "failed" = "succeeded",
  ): Stripe.SetupIntent {
    const si = this.awaitingAction(this.setupIntents, id);
    Object.assign(
      si,
      outcome === "succeeded"
        ? { status: "succeeded", next_action: null }
        : {
            status: "requires_payment_method",
            next_action: null,
            payment_method: null,
            last_setup_error: {
              type: "card_error",
              code: "setup_intent_authentication_failure",
              message: "Authentication failed.",
            },
          },
    );
    return clone(si);
  }

  /**
   * Finish a `requires_action` PaymentIntent as if the customer passed 3-D Secure in the browser
   * (Stripe.js handleNextAction): its invoice is paid and the subscription starts, or the
   * PaymentIntent needs another payment method.
   */
  completePaymentIntentAction(
    id: string,
    outcome: "succeeded" | "failed" = "succeeded",
  ): Stripe.PaymentIntent {
    const paymentIntent = this.awaitingAction(this.paymentIntents, id);
    const payment: Json = [...this.invoicePayments.values()].find(
      (p) => p.payment.payment_intent === id,
    );
    const invoice: Json = this.invoices.get(payment.invoice);
    const paymentMethod: string = paymentIntent.payment_method;
    if (outcome === "succeeded") {
      this.settleInvoice(invoice, paymentMethod);
      this.subscriptionPaid(invoice, paymentMethod);
    } else {
      this.refusePayment(paymentIntent, paymentMethod, {
        code: "payment_intent_authentication_failure",
        message:
          "We are unable to authenticate your payment method. Please choose a different payment method and try again.",
      });
    }
    return clone(paymentIntent);
  }

  /** The SetupIntent or PaymentIntent, which must be waiting for the customer to authenticate. */
  private awaitingAction(intents: Map<string, { status: string }>, id: string): Json {
    const intent = intents.get(id);
    if (intent?.status !== "requires_action")
      throw new Error(`StripeStandIn: ${id} is not awaiting action`);
    return intent;
  }

  /** A token's record; one the stand-in never issued was made by Stripe.js just now. */
  private confirmationToken(id: string) {
    let token = this.confirmationTokens.get(id);
    if (!token) this.confirmationTokens.set(id, (token = { created: this.now(), used: false }));
    return token;
  }

  private createPaymentMethod(customer: string | null, id = newId("pm_")): Stripe.PaymentMethod {
    const pm = {
      ...fixture("payment_method"),
      id,
      created: this.now(),
      customer,
      metadata: {},
    } as Stripe.PaymentMethod;
    this.paymentMethods.set(id, pm);
    return pm;
  }

  private createSubscriptionFromApi(body: Json): Reply {
    if (!body.customer)
      return fail(400, {
        type: "invalid_request_error",
        code: "parameter_missing",
        param: "customer",
        message: "Missing required param: customer.",
      });
    const customer: Json = this.customers.get(body.customer);
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
    if (!this.prices.has(price)) return missing("price", price, "items[0][price]");
    const trialDays = int(body.trial_period_days);
    const trialEnd = body.trial_end === "now" ? undefined : int(body.trial_end);
    const refused = this.refusedPaymentMethod(customer.id, body.default_payment_method);
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
    const sub: Json = this.createSubscription({
      customer: customer.id,
      price,
      quantity: int(items[0].quantity) ?? 1,
      trialDays,
      status: trialing ? "trialing" : "incomplete",
      metadata: mergeMetadata({}, body.metadata),
      default_payment_method: body.default_payment_method ?? null,
    });
    const charged = body.payment_behavior !== "default_incomplete" ? paymentMethod : undefined;
    const invoice = this.firstInvoice(sub, trialing, charged);
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
    return { status: 200, body: sub };
  }

  /**
   * Stripe's refusal of a default payment method that does not exist or is not attached to the
   * customer (a subscription can only charge the customer's own cards), or null.
   */
  private refusedPaymentMethod(customer: string, id: string | undefined): Reply | null {
    if (!id) return null;
    const paymentMethod = this.paymentMethods.get(id);
    if (!paymentMethod) return missing("PaymentMethod", id, "default_payment_method");
    if (paymentMethod.customer !== customer)
      return fail(400, {
        type: "invalid_request_error",
        code: "resource_missing",
        param: "default_payment_method",
        message: `The customer does not have a payment method with the ID ${id}. The payment method must be attached to the customer.`,
      });
    return null;
  }

  /**
   * The subscription's first invoice: nothing due in a trial; else a PaymentIntent collects it,
   * charged now when there is a card to charge.
   */
  private firstInvoice(sub: Json, trialing: boolean, paymentMethod?: string): Stripe.Invoice {
    const item = sub.items.data[0];
    const amount = trialing ? 0 : (item.price.unit_amount ?? 0) * item.quantity;
    const invoice: Json = {
      ...fixture("invoice"),
      id: newId("in_"),
      created: sub.created,
      customer: sub.customer,
      subscription: sub.id,
      billing_reason: "subscription_create",
      amount_due: amount,
      amount_paid: 0,
      amount_remaining: amount,
      attempted: false,
      attempt_count: 0,
      status: amount > 0 ? "open" : "paid",
    };
    this.invoices.set(invoice.id, invoice);
    if (amount > 0) {
      this.openInvoicePayment(invoice);
      if (paymentMethod) this.chargeInvoice(invoice, paymentMethod);
    }
    return invoice;
  }

  /**
   * The PaymentIntent that collects an invoice, and the invoice's default InvoicePayment naming
   * it (how the API, since 2025-03-31, links the two).
   */
  private openInvoicePayment(invoice: Json): void {
    const id = newId("pi_");
    const paymentIntent: Json = {
      ...fixture("payment_intent"),
      id,
      client_secret: `${id}_secret_${newId("", 24)}`,
      created: this.now(),
      amount: invoice.amount_due,
      amount_received: 0,
      currency: invoice.currency,
      customer: invoice.customer,
      description: "Subscription creation",
      metadata: {},
      payment_method: null,
      last_payment_error: null,
      next_action: null,
      latest_charge: null,
      status: "requires_payment_method",
    };
    this.paymentIntents.set(id, paymentIntent);
    const payment: Json = {
      ...fixture("invoice_payment"),
      id: newId("inpay_"),
      created: this.now(),
      currency: invoice.currency,
      invoice: invoice.id,
      is_default: true,
      livemode: false,
      amount_requested: invoice.amount_due,
      amount_paid: null,
      payment: { type: "payment_intent", payment_intent: id },
      status: "open",
      status_transitions: { canceled_at: null, paid_at: null },
    };
    this.invoicePayments.set(payment.id, payment);
  }

  /** The invoice's default InvoicePayment and its PaymentIntent. */
  private paymentOf(invoiceId: string): { payment: Json; paymentIntent: Json } {
    const payment: Json = [...this.invoicePayments.values()].find(
      (p) => p.invoice === invoiceId && p.is_default,
    );
    return { payment, paymentIntent: this.paymentIntents.get(payment.payment.payment_intent) };
  }

  /**
   * Charges an open invoice with a card of the customer, as the card allows (see
   * issueConfirmationToken): paid, declined (the PaymentIntent needs another payment method) or
   * awaiting the customer's authentication.
   */
  private chargeInvoice(invoice: Json, paymentMethod: string): ChargeOutcome {
    const outcome = this.chargeOutcomes.get(paymentMethod) ?? "succeeds";
    const { paymentIntent } = this.paymentOf(invoice.id);
    invoice.attempted = true;
    invoice.attempt_count += 1;
    if (outcome === "succeeds") {
      this.settleInvoice(invoice, paymentMethod);
    } else if (outcome === "declines") {
      this.refusePayment(paymentIntent, paymentMethod, {
        code: "card_declined",
        decline_code: "generic_decline",
        message: "Your card was declined.",
      });
    } else {
      Object.assign(paymentIntent, {
        status: "requires_action",
        payment_method: paymentMethod,
        last_payment_error: null,
        next_action: {
          type: "use_stripe_sdk",
          use_stripe_sdk: {
            type: "three_d_secure_redirect",
            stripe_js: `https://hooks.stripe.com/3d_secure_2/hosted?payment_intent=${paymentIntent.id}`,
            source: newId("src_"),
          },
        },
      });
    }
    return outcome;
  }

  /** The card did not pay: the PaymentIntent needs another payment method, and says why. */
  private refusePayment(
    paymentIntent: Json,
    paymentMethod: string,
    error: { code: string; decline_code?: string; message: string },
  ): void {
    Object.assign(paymentIntent, {
      status: "requires_payment_method",
      payment_method: null,
      next_action: null,
      last_payment_error: {
        type: "card_error",
        ...error,
        payment_method: clone(this.paymentMethods.get(paymentMethod)),
      },
    });
  }

  /** The invoice is paid with the card: its PaymentIntent succeeded. */
  private settleInvoice(invoice: Json, paymentMethod: string): void {
    const { payment, paymentIntent } = this.paymentOf(invoice.id);
    Object.assign(paymentIntent, {
      status: "succeeded",
      amount_received: paymentIntent.amount,
      payment_method: paymentMethod,
      next_action: null,
      last_payment_error: null,
    });
    Object.assign(invoice, {
      status: "paid",
      amount_paid: invoice.amount_due,
      amount_remaining: 0,
      status_transitions: { ...invoice.status_transitions, paid_at: this.now() },
    });
    Object.assign(payment, {
      status: "paid",
      amount_paid: invoice.amount_due,
      status_transitions: { ...payment.status_transitions, paid_at: this.now() },
    });
  }

  /**
   * What paying a subscription's invoice does to it later on: an incomplete subscription becomes
   * active, and with `save_default_payment_method: on_subscription` the card that paid becomes its
   * default. Stripe then sends customer.subscription.updated.
   */
  private subscriptionPaid(invoice: Json, paymentMethod: string): void {
    const sub: Json = this.subscriptions.get(invoice.subscription);
    if (!sub) return;
    if (sub.status === "incomplete") sub.status = "active";
    if (sub.payment_settings?.save_default_payment_method === "on_subscription")
      sub.default_payment_method = paymentMethod;
    this.announce("updated", { status: 200, body: sub });
  }

  /** POST /v1/invoices/:id/pay: charges an open invoice now, with the card given or the default. */
  private payInvoice(id: string, body: Json): Reply {
    const invoice: Json = this.invoices.get(id);
    if (!invoice) return missing("invoice", id);
    if (invoice.status !== "open")
      return fail(400, {
        type: "invalid_request_error",
        code: "invoice_not_open",
        message: `Invoice is ${invoice.status === "paid" ? "already paid" : invoice.status}.`,
      });
    const refused = this.refusedPaymentMethod(invoice.customer, body.payment_method);
    if (refused) return refused;
    const sub: Json = this.subscriptions.get(invoice.subscription);
    const paymentMethod: string | undefined =
      body.payment_method ?? sub?.default_payment_method ?? undefined;
    if (!paymentMethod)
      return fail(400, {
        type: "invalid_request_error",
        code: "invoice_no_payment_method_types",
        message: "This invoice has no payment method to charge.",
      });
    const outcome = this.chargeInvoice(invoice, paymentMethod);
    const { paymentIntent } = this.paymentOf(id);
    if (outcome === "succeeds") {
      this.subscriptionPaid(invoice, paymentMethod);
      return { status: 200, body: invoice };
    }
    return fail(
      402,
      outcome === "declines"
        ? { ...paymentIntent.last_payment_error, payment_intent: clone(paymentIntent) }
        : {
            type: "card_error",
            code: "invoice_payment_intent_requires_action",
            message:
              "This payment requires additional user action before it can be completed successfully. Payment can be completed using the PaymentIntent associated with the invoice.",
            payment_intent: clone(paymentIntent),
          },
    );
  }

  private updateSubscriptionFromApi(id: string, body: Json): Reply {
    const sub: Json = this.subscriptions.get(id);
    if (!sub) return missing("subscription", id);
    if (sub.status === "canceled")
      return fail(400, {
        type: "invalid_request_error",
        code: "resource_missing",
        message: `A canceled subscription can only update its cancellation_details and metadata.`,
      });
    const item = body.items?.[0];
    if (item?.price && !this.prices.has(item.price))
      return missing("price", item.price, "items[0][price]");
    const refused = this.refusedPaymentMethod(
      sub.customer,
      body.default_payment_method || undefined,
    );
    if (refused) return refused;
    this.updateSubscription(id, {
      quantity: int(item?.quantity),
      price: item?.price,
      cancel_at_period_end:
        body.cancel_at_period_end === undefined ? undefined : bool(body.cancel_at_period_end),
    });
    sub.metadata = mergeMetadata(sub.metadata, body.metadata);
    if (body.default_payment_method !== undefined)
      sub.default_payment_method = body.default_payment_method || null;
    if (body.trial_end === "now" && sub.status === "trialing")
      Object.assign(sub, { status: "active", trial_end: this.now() });
    return { status: 200, body: sub };
  }

  private createCheckoutSession(body: Json): Reply {
    if (body.customer && !this.customers.has(body.customer))
      return missing("customer", body.customer, "customer");
    for (const [i, li] of (body.line_items ?? []).entries())
      if (li.price && !this.prices.has(li.price))
        return missing("price", li.price, `line_items[${i}][price]`);
    // Stripe accepts an expiry from 30 minutes to 24 hours ahead.
    const expiresAt = body.expires_at === undefined ? this.now() + DAY : Number(body.expires_at);
    if (!(expiresAt >= this.now() + 30 * 60 && expiresAt <= this.now() + DAY)) {
      return fail(400, {
        type: "invalid_request_error",
        param: "expires_at",
        message: "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
      });
    }
    const id = newId("cs_test_", 58);
    const [lineItem] = body.line_items ?? [];
    if (lineItem?.price)
      this.checkoutOrders.set(id, {
        price: lineItem.price,
        quantity: int(lineItem.quantity) ?? 1,
        metadata: mergeMetadata({}, body.subscription_data?.metadata),
      });
    const session: Json = {
      ...fixture("checkout.session"),
      id,
      created: this.now(),
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
      url: this.hostedPagesUrl
        ? `${this.hostedPagesUrl}/checkout/${id}`
        : `https://checkout.stripe.com/c/pay/${id}`,
    };
    this.checkoutSessions.set(id, session);
    return { status: 200, body: session };
  }

  private createPortalSession(body: Json): Reply {
    if (!body.customer)
      return fail(400, {
        type: "invalid_request_error",
        code: "parameter_missing",
        param: "customer",
        message: "Missing required param: customer.",
      });
    if (!this.customers.has(body.customer)) return missing("customer", body.customer, "customer");
    const id = newId("bps_");
    const session: Json = {
      ...fixture("billing_portal.session"),
      id,
      created: this.now(),
      customer: body.customer,
      flow: null,
      livemode: false,
      return_url: body.return_url ?? null,
      url: this.hostedPagesUrl
        ? `${this.hostedPagesUrl}/portal/${id}`
        : `https://billing.stripe.com/p/session/test_${newId("", 32)}`,
    };
    this.portalSessions.set(id, session);
    return { status: 200, body: session };
  }
}
