import Stripe from "stripe";
import {
  StandIn,
  canonical,
  clone,
  matches,
  newId,
  type Incoming,
  type PathMatcher,
  type Reply,
} from "../standin";
import { fail, injectedFailureBody } from "./errors";
import { IdempotencyKeys } from "./idempotency";
import { parseStripeParams, type Params } from "./params";
import { stripeResources } from "./resources";
import type { SubscriptionPatch, SubscriptionSeed } from "./resources/subscriptions";
import { StripeRouter } from "./router";
import { StripeState } from "./state";

/**
 * An in-memory Stripe for the real `stripe` SDK (host stripe.test, http, port 80). Each resource
 * lives in its module under `resources/` (its routes and behaviour); the objects, Stripe's clock
 * and its events are shared in `state.ts`. This class composes them behind one HTTP entry:
 * the API key, idempotency on POST (replay, idempotency_error, a 5xx that happened while
 * executing is saved and replayed too, keys pruned after 24 h), failures injected after the
 * effect, then the router. Its clock (`now`, `advanceClock`) is the test's to move.
 */
export class StripeStandIn extends StandIn {
  private readonly state = new StripeState();
  private readonly idempotencyKeys = new IdempotencyKeys(this.state);
  private readonly resources = stripeResources(this.state, this.violations);
  private readonly router = new StripeRouter(this.resources.routes, this.violations);
  private failuresAfterEffect: Array<{
    method: string;
    path: PathMatcher;
    status: number;
    left: number;
  }> = [];

  // Stripe's objects by id, as the API last left them.
  readonly customers = this.state.customers;
  readonly subscriptions = this.state.subscriptions;
  readonly setupIntents = this.state.setupIntents;
  readonly paymentMethods = this.state.paymentMethods;
  readonly prices = this.state.prices;
  readonly checkoutSessions = this.state.checkoutSessions;
  readonly portalSessions = this.state.portalSessions;
  readonly invoices = this.state.invoices;
  readonly invoicePayments = this.state.invoicePayments;
  readonly paymentIntents = this.state.paymentIntents;
  readonly refunds = this.state.refunds;

  constructor(baseUrl: string) {
    super(baseUrl);
    this.resetState();
  }

  /**
   * Real Stripe search is eventually consistent (new objects show up within ~1 min).
   * Set true to model that: a new customer stays invisible to /search for a minute of Stripe's
   * clock, or until `indexSearch()`.
   */
  get eventualSearch(): boolean {
    return this.resources.customers.eventualSearch;
  }
  set eventualSearch(on: boolean) {
    this.resources.customers.eventualSearch = on;
  }

  /**
   * Receives the `customer.subscription.*` event Stripe sends for each subscription the API
   * creates, changes or cancels (a test serving the stand-in delivers it as a webhook).
   */
  get onEvent(): ((event: Stripe.Event) => void) | null {
    return this.state.onEvent;
  }
  set onEvent(listener: ((event: Stripe.Event) => void) | null) {
    this.state.onEvent = listener;
  }

  /**
   * Where Stripe's hosted pages (Checkout, the Customer Portal) are served: demo mode serves its
   * own (hosted-pages.ts). Unset, sessions link to Stripe's hosts, as in test mode.
   */
  get hostedPagesUrl(): string | null {
    return this.state.hostedPagesUrl;
  }
  set hostedPagesUrl(url: string | null) {
    this.state.hostedPagesUrl = url;
  }

  /** Stripe's clock, in Unix seconds: the real one plus whatever `advanceClock` added. */
  now(): number {
    return this.state.now();
  }

  /** Moves Stripe's clock forward (token expiry, idempotency key pruning, Checkout expiry). */
  advanceClock(seconds: number): void {
    this.state.advanceClock(seconds);
  }

  /**
   * Keeps Stripe's clock at least at `clock` (epoch ms), e.g. the Inngest simulator's, so that
   * times Stripe stamps (a payment's, a key's age, search lag) and times the workflows see agree.
   */
  followClock(clock: () => number): void {
    this.state.followClock(clock);
  }

  protected resetState(): void {
    this.state.reset();
    this.idempotencyKeys.clear();
    this.resources.reset();
    this.failuresAfterEffect = [];
  }

  protected parseBody(raw: string, headers: Record<string, string>): unknown {
    if (!raw) return {};
    if ((headers["content-type"] ?? "").includes("json")) return super.parseBody(raw, headers);
    return parseStripeParams(new URLSearchParams(raw));
  }

  protected parseQuery(search: URLSearchParams): Params {
    return parseStripeParams(search);
  }

  protected failureBody(status: number): unknown {
    return injectedFailureBody(status);
  }

  // ---------- seeding and acting as Stripe's other side (hosted pages, Stripe.js) ----------

  addPrice(overrides: Partial<Stripe.Price> & { id: string }): Stripe.Price {
    return this.resources.prices.add(overrides);
  }

  createCustomer(params: Partial<Stripe.Customer> = {}): Stripe.Customer {
    return this.resources.customers.create(params);
  }

  /** Let search see customers created while `eventualSearch` was on. */
  indexSearch(): void {
    this.resources.customers.indexSearch();
  }

  createSubscription(params: SubscriptionSeed): Stripe.Subscription {
    return this.resources.subscriptions.create(params);
  }

  /** What the Customer Portal (or a dashboard edit) does: change seats, price or status. */
  updateSubscription(id: string, patch: SubscriptionPatch): Stripe.Subscription {
    return this.resources.subscriptions.update(id, patch);
  }

  /** What the Customer Portal does when the customer changes seats or cancels: the change, and its event. */
  changeSubscription(id: string, patch: SubscriptionPatch): Stripe.Subscription {
    return this.resources.subscriptions.change(id, patch);
  }

  /** The line item a Checkout session sells, or undefined for a session it does not know. */
  checkoutOrder(sessionId: string): { price: Stripe.Price; quantity: number } | undefined {
    return this.resources.checkoutSessions.order(sessionId);
  }

  /** The customer pays an open Checkout session (see CheckoutSessions.pay); null once it cannot be. */
  payCheckout(sessionId: string, quantity?: number): Stripe.Subscription | null {
    return this.resources.checkoutSessions.pay(sessionId, quantity);
  }

  /** A ConfirmationToken as Stripe.js makes it (see ConfirmationTokens.issue for the kinds). */
  issueConfirmationToken(
    kind = "ok",
    options: { ageSeconds?: number; used?: boolean } = {},
  ): string {
    return this.resources.confirmationTokens.issue(kind, options);
  }

  /** Finish a `requires_action` SetupIntent as if the customer passed 3D Secure in the browser. */
  completeSetupIntentAction(
    id: string,
    outcome: "succeeded" | "failed" = "succeeded",
  ): Stripe.SetupIntent {
    return this.resources.setupIntents.completeAction(id, outcome);
  }

  /** Finish a `requires_action` PaymentIntent as if the customer passed 3-D Secure in the browser. */
  completePaymentIntentAction(
    id: string,
    outcome: "succeeded" | "failed" = "succeeded",
  ): Stripe.PaymentIntent {
    return this.resources.invoices.completePaymentIntentAction(id, outcome);
  }

  /** SYNTHETIC: Stripe publishes no verbatim subscription events; this wraps an object in fixtures3.json's `event` envelope. */
  webhookEvent<T extends { object?: string }>(
    type: string,
    object: T,
    extra: { previous_attributes?: Record<string, unknown> } = {},
  ): Stripe.Event {
    return this.state.event(type, object, extra);
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

  // ---------- failures ----------

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
    this.idempotencyKeys.clear();
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
    const saved = key ? this.idempotencyKeys.find(key) : undefined;
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
    let reply = this.router.dispatch(req);
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
      this.idempotencyKeys.save(key, { fingerprint, reply: clone(reply), requestId });
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
}
