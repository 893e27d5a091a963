import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import Stripe from "stripe";
import { readContractJson } from "./openapi";
import { StandIn, canonical, clone, newId, type Incoming, type Json, type Reply } from "./standin";

/** Stripe's own response fixtures (stripe/openapi fixtures3.json): every object starts from one. */
const fixtures: Record<string, Json> = readContractJson(
  "contracts",
  "stripe",
  "fixtures3.json",
).resources;
const fixture = (name: string): Json => clone(fixtures[name]);

const now = () => Math.floor(Date.now() / 1000);
const DAY = 86_400;

type StripeError = {
  type: "card_error" | "invalid_request_error" | "idempotency_error" | "api_error";
  code?: string;
  decline_code?: string;
  param?: string;
  message: string;
  setup_intent?: Json;
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
  "GET /setup_intents/:id": ["SetupIntents", "SetupIntentRetrieveParams"],
  "POST /setup_intents/:id/confirm": ["SetupIntents", "SetupIntentConfirmParams"],
  "POST /subscriptions": ["Subscriptions", "SubscriptionCreateParams"],
  "GET /subscriptions": ["Subscriptions", "SubscriptionListParams"],
  "GET /subscriptions/:id": ["Subscriptions", "SubscriptionRetrieveParams"],
  "POST /subscriptions/:id": ["Subscriptions", "SubscriptionUpdateParams"],
  "DELETE /subscriptions/:id": ["Subscriptions", "SubscriptionCancelParams"],
  "GET /payment_methods/:id": ["PaymentMethods", "PaymentMethodRetrieveParams"],
  "POST /checkout/sessions": ["Checkout/Sessions", "SessionCreateParams"],
  "GET /checkout/sessions": ["Checkout/Sessions", "SessionListParams"],
  "GET /checkout/sessions/:id": ["Checkout/Sessions", "SessionRetrieveParams"],
  "POST /checkout/sessions/:id/expire": ["Checkout/Sessions", "SessionExpireParams"],
  "POST /billing_portal/sessions": ["BillingPortal/Sessions", "SessionCreateParams"],
};
const PAGINATION = ["ending_before", "limit", "starting_after"];
/** Path segments that name a collection or an action; any other segment after the first is an id. */
const WORDS = new Set(["search", "sessions", "confirm", "expire"]);
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

/**
 * An in-memory Stripe for the real `stripe` SDK (host stripe.test, http, port 80).
 * Modelled: idempotency (replay / idempotency_error, and forgetting keys as Stripe does after
 * 24 hours), ConfirmationToken outcomes by token id, trial subscriptions, metadata search on
 * customers, lists newest first with cursors, Checkout sessions (open, paid, expired),
 * 404/400 resource_missing errors.
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
   * Set true to model that: new customers stay invisible to /search until `indexSearch()`.
   */
  eventualSearch = false;
  private searchable = new Set<string>();
  private idempotency = new Map<string, { fingerprint: string; reply: Reply; requestId: string }>();
  private consumedTokens = new Set<string>();
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
      this.idempotency,
      this.checkoutOrders,
    ])
      m.clear();
    this.searchable.clear();
    this.consumedTokens.clear();
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
    const price = { ...fixture("price"), created: now(), ...overrides } as Stripe.Price;
    this.prices.set(price.id, price);
    return price;
  }

  createCustomer(params: Partial<Stripe.Customer> = {}): Stripe.Customer {
    const customer: Json = {
      ...fixture("customer"),
      id: newId("cus_", 14),
      created: now(),
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
    const created = now();
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
      if (patch.status === "canceled") sub.canceled_at = sub.ended_at = now();
      if (patch.status === "active" && sub.trial_end && sub.trial_end > now())
        sub.trial_end = now();
    }
    return clone(sub);
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
      created: now(),
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
   * What Stripe does 24 hours after a request: it no longer knows the idempotency keys, so a
   * request repeated under one of them acts again.
   */
  forgetIdempotencyKeys(): void {
    this.idempotency.clear();
  }

  /**
   * The customer pays an open Checkout session (subscription mode), as Stripe Checkout does: the
   * subscription is created on the session's customer with the session's price, quantity and
   * `subscription_data.metadata`, the session completes, and `customer.subscription.created` goes
   * to `onEvent`. Returns null when the session can no longer be paid (expired or complete).
   */
  payCheckout(sessionId: string): Stripe.Subscription | null {
    const session: Json = this.checkoutSessions.get(sessionId);
    const order = this.checkoutOrders.get(sessionId);
    if (!session || !order) throw new Error(`StripeStandIn: no Checkout session ${sessionId}`);
    if (session.status !== "open") return null;
    const subscription = this.createSubscription({
      customer: session.customer,
      price: order.price,
      quantity: order.quantity,
      status: "active",
      metadata: order.metadata,
    });
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

    const key = req.method === "POST" ? req.headers["idempotency-key"] : undefined;
    const fingerprint = `${req.method} ${req.path} ${canonical(req.body)}`;
    const saved = key ? this.idempotency.get(key) : undefined;
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
    const reply = this.dispatch(req);
    // Stripe saves a result once the endpoint has started executing (success or card error);
    // parameter validation failures are not saved, so a corrected retry can reuse the key.
    if (key && (reply.status < 300 || reply.status === 402))
      this.idempotency.set(key, { fingerprint, reply: clone(reply), requestId });
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
        return this.customers.has(id!) ? ok(this.customers.get(id!)) : missing("customer", id!);
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
      case "GET /setup_intents/:id":
        return this.setupIntents.has(id!)
          ? ok(this.setupIntents.get(id!))
          : missing("setup_intent", id!);
      case "POST /setup_intents/:id/confirm": {
        const si: Json = this.setupIntents.get(id!);
        if (!si) return missing("setup_intent", id!);
        return this.confirmSetupIntent(si, body);
      }
      case "POST /subscriptions":
        return this.announce("created", this.createSubscriptionFromApi(body));
      case "GET /subscriptions": {
        const status = query.status ?? "active-like";
        const subs = [...this.subscriptions.values()].filter(
          (s) =>
            (!query.customer || s.customer === query.customer) &&
            (!query.price || s.items.data[0]?.price.id === query.price) &&
            (status === "all" ||
              (status === "active-like"
                ? s.status !== "canceled" && s.status !== "incomplete_expired"
                : s.status === status)),
        );
        return this.list("/v1/subscriptions", subs, query);
      }
      case "GET /subscriptions/:id":
        return this.subscriptions.has(id!)
          ? ok(this.subscriptions.get(id!))
          : missing("subscription", id!);
      case "POST /subscriptions/:id":
        return this.announce("updated", this.updateSubscriptionFromApi(id!, body));
      case "DELETE /subscriptions/:id": {
        const sub: Json = this.subscriptions.get(id!);
        if (!sub) return missing("subscription", id!);
        if (sub.status === "canceled")
          return fail(400, {
            type: "invalid_request_error",
            message: `A canceled subscription can only update its cancellation_details and metadata.`,
          });
        if (query.cancellation_details)
          sub.cancellation_details = { ...sub.cancellation_details, ...query.cancellation_details };
        return this.announce("deleted", ok(this.updateSubscription(id!, { status: "canceled" })));
      }
      case "GET /payment_methods/:id":
        return this.paymentMethods.has(id!)
          ? ok(this.paymentMethods.get(id!))
          : missing("payment_method", id!);
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
        return this.checkoutSessions.has(id!)
          ? ok(this.checkoutSessions.get(id!))
          : missing("checkout.session", id!);
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

  /** Passes a successful subscription write on to `onEvent`, as Stripe's event. */
  private announce(change: "created" | "updated" | "deleted", reply: Reply): Reply {
    if (reply.status === 200 && this.onEvent) {
      this.onEvent(this.webhookEvent(`customer.subscription.${change}`, reply.body as Json));
    }
    return reply;
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
    const data = [...this.customers.values()].filter(
      (c) =>
        this.searchable.has(c.id) &&
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
      created: now(),
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
   * Outcome by ConfirmationToken (or PaymentMethod) id:
   * "decline" → 402 card_declined, "expired" → 400 resource_missing, "3ds" → requires_action, else succeeded.
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
    if (token && (token.includes("expired") || this.consumedTokens.has(token)))
      return fail(400, {
        type: "invalid_request_error",
        code: "resource_missing",
        param: "confirmation_token",
        message: `No such confirmation_token: '${token}'`,
      });
    if (si.status === "succeeded")
      return fail(400, {
        type: "invalid_request_error",
        code: "setup_intent_unexpected_state",
        message: "You cannot confirm this SetupIntent because it has already succeeded.",
      });
    if (token) this.consumedTokens.add(token); // ConfirmationTokens are single-use
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
    const si: Json = this.setupIntents.get(id);
    if (!si || si.status !== "requires_action")
      throw new Error(`StripeStandIn: ${id} is not awaiting action`);
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

  private createPaymentMethod(customer: string | null, id = newId("pm_")): Stripe.PaymentMethod {
    const pm = {
      ...fixture("payment_method"),
      id,
      created: now(),
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
    const hasPaymentMethod = Boolean(
      body.default_payment_method ?? customer.invoice_settings?.default_payment_method,
    );
    const trialing = Boolean(trialDays || trialEnd);
    if (!trialing && !hasPaymentMethod && body.payment_behavior !== "default_incomplete")
      return fail(400, {
        type: "invalid_request_error",
        code: "resource_missing",
        message: "This customer has no attached payment source or default payment method.",
      });
    const sub: Json = this.createSubscription({
      customer: customer.id,
      price,
      quantity: int(items[0].quantity) ?? 1,
      trialDays,
      status: trialing ? "trialing" : hasPaymentMethod ? "active" : "incomplete",
      metadata: mergeMetadata({}, body.metadata),
      default_payment_method: body.default_payment_method ?? null,
    });
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
      Object.assign(sub, { status: "active", trial_end: now() });
    return { status: 200, body: sub };
  }

  private createCheckoutSession(body: Json): Reply {
    if (body.customer && !this.customers.has(body.customer))
      return missing("customer", body.customer, "customer");
    for (const [i, li] of (body.line_items ?? []).entries())
      if (li.price && !this.prices.has(li.price))
        return missing("price", li.price, `line_items[${i}][price]`);
    // Stripe accepts an expiry from 30 minutes to 24 hours ahead.
    const expiresAt = body.expires_at === undefined ? now() + DAY : Number(body.expires_at);
    if (!(expiresAt >= now() + 30 * 60 && expiresAt <= now() + DAY)) {
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
      created: now(),
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
      url: `https://checkout.stripe.com/c/pay/${id}`,
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
      created: now(),
      customer: body.customer,
      flow: null,
      livemode: false,
      return_url: body.return_url ?? null,
      url: `https://billing.stripe.com/p/session/test_${newId("", 32)}`,
    };
    this.portalSessions.set(id, session);
    return { status: 200, body: session };
  }
}
