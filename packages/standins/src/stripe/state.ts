import type Stripe from "stripe";
import { clone, newId } from "../standin";
import { fixture, type StandInInvoice } from "./fixtures";

/**
 * What the resource modules share: Stripe's objects by id (the maps tests read), Stripe's clock,
 * and the events Stripe sends. Bookkeeping only one resource needs lives in that resource.
 */
export class StripeState {
  readonly customers = new Map<string, Stripe.Customer>();
  readonly prices = new Map<string, Stripe.Price>();
  readonly paymentMethods = new Map<string, Stripe.PaymentMethod>();
  readonly setupIntents = new Map<string, Stripe.SetupIntent>();
  readonly subscriptions = new Map<string, Stripe.Subscription>();
  readonly invoices = new Map<string, StandInInvoice>();
  readonly invoicePayments = new Map<string, Stripe.InvoicePayment>();
  readonly paymentIntents = new Map<string, Stripe.PaymentIntent>();
  readonly checkoutSessions = new Map<string, Stripe.Checkout.Session>();
  readonly portalSessions = new Map<string, Stripe.BillingPortal.Session>();
  readonly refunds = new Map<string, Stripe.Refund>();

  /** Receives each event Stripe would send (a test serving the stand-in delivers it as a webhook). */
  onEvent: ((event: Stripe.Event) => void) | null = null;
  /**
   * Where Stripe's hosted pages (Checkout, the Customer Portal) are served: demo mode serves its
   * own (hosted-pages.ts). Unset, sessions link to Stripe's hosts, as in test mode.
   */
  hostedPagesUrl: string | null = null;
  private clockOffset = 0;
  private followed: (() => number) | null = null;

  /**
   * Stripe's clock, in Unix seconds: the real one plus whatever `advanceClock` added, and never
   * behind the clock it follows (`followClock`).
   */
  now(): number {
    const own = Math.floor(Date.now() / 1000) + this.clockOffset;
    return this.followed ? Math.max(own, Math.floor(this.followed() / 1000)) : own;
  }

  /** Keeps Stripe's clock at least at `clock` (epoch ms), e.g. the Inngest simulator's. */
  followClock(clock: () => number): void {
    this.followed = clock;
  }

  advanceClock(seconds: number): void {
    this.clockOffset += seconds;
  }

  /** SYNTHETIC: Stripe publishes no verbatim subscription events; this wraps an object in fixtures3.json's `event` envelope. */
  event<T extends { object?: string }>(
    type: string,
    object: T,
    extra: { previous_attributes?: Record<string, unknown> } = {},
  ): Stripe.Event {
    const data: Stripe.Event.Data = { object: clone(object), ...extra };
    // Stripe.Event is a union keyed by `type`; an event made by name cannot name its member.
    return {
      ...fixture("event"),
      id: newId("evt_"),
      created: this.now(),
      type,
      api_version: "2026-10-28.endive",
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data,
    } as Stripe.Event;
  }

  /** Sends the event to `onEvent`, if anyone listens. */
  emit<T extends { object?: string }>(type: string, object: T): void {
    this.onEvent?.(this.event(type, object));
  }

  /** Forgets every object and rewinds the clock; `onEvent` and `hostedPagesUrl` are configuration and stay. */
  reset(): void {
    for (const objects of [
      this.customers,
      this.prices,
      this.paymentMethods,
      this.setupIntents,
      this.subscriptions,
      this.invoices,
      this.invoicePayments,
      this.paymentIntents,
      this.checkoutSessions,
      this.portalSessions,
      this.refunds,
    ])
      objects.clear();
    this.clockOffset = 0;
    this.followed = null;
  }
}
