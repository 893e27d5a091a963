import type Stripe from "stripe";
import { clone, newId, type Reply } from "../../standin";
import { fail, missing, type StripeError } from "../errors";
import { idOf } from "../expandable";
import { fixture, type StandInInvoice } from "../fixtures";
import { list } from "../pagination";
import { text, type Params } from "../params";
import { ok, retrieve, type Route } from "../router";
import type { StripeState } from "../state";
import { awaitingAction, threeDSecureAction } from "../three-d-secure";
import type { ChargeOutcome, PaymentMethods } from "./payment-methods";
import { endedBecause, onlyItem } from "./subscriptions";

/** Why a charge did not pay, as the PaymentIntent's `last_payment_error` says it. */
interface PaymentRefusal {
  code: string;
  decline_code?: string;
  message: string;
}

const DAY = 86_400;
/** Stripe finalizes and charges a subscription's invoice an hour after creating it. */
const FINALIZE_AFTER = 3_600;

/**
 * Stripe's retry settings (Dashboard → Billing → Revenue recovery → Retries): Smart Retries
 * charge a failed invoice again up to `maxRetries` times within `retriesEndAfterDays`, and when
 * the last fails the subscription is cancelled, marked unpaid, or left past due.
 */
export interface RetrySettings {
  maxRetries: number;
  retriesEndAfterDays: number;
  afterRetries: "cancel" | "unpaid" | "past_due";
}

/** Stripe's default retry policy: up to 4 retries within 21 days, then cancel. */
const defaultRetrySettings: RetrySettings = {
  maxRetries: 4,
  retriesEndAfterDays: 21,
  afterRetries: "cancel",
};

const DECLINED: PaymentRefusal = {
  code: "card_declined",
  decline_code: "generic_decline",
  message: "Your card was declined.",
};

/**
 * Invoices and how they are collected: each open invoice has a PaymentIntent, linked through the
 * invoice's default InvoicePayment (as the API does since 2025-03-31). Charging follows the card:
 * paid, declined, or awaiting 3-D Secure; `invoices.pay` charges again later.
 */
export class Invoices {
  constructor(
    private readonly state: StripeState,
    private readonly paymentMethods: PaymentMethods,
  ) {}

  routes(): Route[] {
    return [
      {
        method: "GET",
        path: "/invoices",
        params: "Stripe.InvoiceListParams",
        handle: ({ query }) => {
          const [customer, subscription, status] = [
            text(query.customer),
            text(query.subscription),
            text(query.status),
          ];
          const found = [...this.state.invoices.values()].filter(
            (invoice) =>
              (!customer || invoice.customer === customer) &&
              (!subscription || invoice.subscription === subscription) &&
              (!status || invoice.status === status),
          );
          return list("/v1/invoices", found, query);
        },
      },
      {
        method: "GET",
        path: "/invoices/:id",
        params: "Stripe.InvoiceRetrieveParams",
        handle: retrieve(this.state.invoices, "invoice"),
      },
      {
        method: "POST",
        path: "/invoices/:id/pay",
        params: "Stripe.InvoicePayParams",
        handle: ({ id, body }) => this.pay(id, { payment_method: text(body.payment_method) }),
      },
      {
        method: "GET",
        path: "/invoice_payments",
        params: "Stripe.InvoicePaymentListParams",
        handle: ({ query }) => this.listPayments(query),
      },
      {
        method: "GET",
        path: "/payment_intents/:id",
        params: "Stripe.PaymentIntentRetrieveParams",
        handle: retrieve(this.state.paymentIntents, "payment_intent"),
      },
    ];
  }

  /**
   * The subscription's first invoice: nothing due in a trial; else a PaymentIntent collects it,
   * charged now when there is a card to charge. Stripe sends its invoice.* events as it goes.
   */
  first(sub: Stripe.Subscription, trialing: boolean, paymentMethod?: string): StandInInvoice {
    const item = onlyItem(sub);
    const amount = trialing ? 0 : (item.price.unit_amount ?? 0) * (item.quantity ?? 1);
    const invoice = this.make(sub, "subscription_create", amount, {
      start: sub.created,
      end: sub.created,
    });
    this.finalize(invoice);
    if (amount === 0) this.settleNothingDue(invoice);
    else if (paymentMethod) this.collect(invoice, paymentMethod);
    return invoice;
  }

  /**
   * The invoice for the subscription's next period (its trial ended, or a period renewed): a
   * draft Stripe finalizes and charges an hour later (`finalizeDue`), as it does once the
   * invoice.created webhook has been answered.
   */
  renewal(sub: Stripe.Subscription, period: { start: number; end: number }): StandInInvoice {
    const item = onlyItem(sub);
    const amount = (item.price.unit_amount ?? 0) * (item.quantity ?? 1);
    const invoice = this.make(sub, "subscription_cycle", amount, period);
    invoice.next_payment_attempt = period.start + FINALIZE_AFTER;
    invoice.automatically_finalizes_at = period.start + FINALIZE_AFTER;
    sub.latest_invoice = invoice.id;
    return invoice;
  }

  /** The draft invoices and the open ones Stripe will charge again, with when it will. */
  due(customer: string): { invoice: StandInInvoice; at: number }[] {
    return [...this.state.invoices.values()].flatMap((invoice) =>
      idOf(invoice.customer) === customer &&
      (invoice.status === "draft" || invoice.status === "open") &&
      invoice.next_payment_attempt !== null &&
      invoice.billing_reason !== "subscription_create"
        ? [{ invoice, at: invoice.next_payment_attempt }]
        : [],
    );
  }

  /**
   * What Stripe does when an invoice's moment comes: a draft is finalized and charged; an open
   * invoice is charged again (Smart Retries), and after the last retry the subscription ends as
   * the retry settings say.
   */
  runDue(invoice: StandInInvoice): void {
    if (invoice.status === "draft") this.finalize(invoice);
    const paymentMethod = this.defaultPaymentMethod(invoice);
    if (paymentMethod) this.collect(invoice, paymentMethod);
    else this.failWithoutCard(invoice);
  }

  /** The retry settings (Stripe's Billing → Revenue recovery): Smart Retries, and what follows them. */
  retries: RetrySettings = { ...defaultRetrySettings };

  reset(): void {
    this.retries = { ...defaultRetrySettings };
    this.firstFailedAt.clear();
  }

  /** When each invoice's first charge failed: Smart Retries spread over the window from then. */
  private firstFailedAt = new Map<string, number>();

  private make(
    sub: Stripe.Subscription,
    reason: "subscription_create" | "subscription_cycle",
    amount: number,
    period: { start: number; end: number },
  ): StandInInvoice {
    const id = newId("in_");
    const { hostedPagesUrl } = this.state;
    const invoice: StandInInvoice = {
      ...fixture("invoice"),
      id,
      created: period.start,
      customer: sub.customer,
      subscription: sub.id,
      parent: {
        type: "subscription_details",
        quote_details: null,
        subscription_details: { subscription: sub.id, metadata: clone(sub.metadata) },
      },
      billing_reason: reason,
      period_start: period.start,
      period_end: period.end,
      amount_due: amount,
      amount_paid: 0,
      amount_remaining: amount,
      subtotal: amount,
      total: amount,
      attempted: false,
      attempt_count: 0,
      auto_advance: true,
      automatically_finalizes_at: null,
      next_payment_attempt: null,
      status: "draft",
      status_transitions: {
        finalized_at: null,
        marked_uncollectible_at: null,
        paid_at: null,
        voided_at: null,
      },
      hosted_invoice_url: hostedPagesUrl
        ? `${hostedPagesUrl}/invoice/${id}`
        : `https://invoice.stripe.com/i/acct_onramp_test/test_${newId("", 40)}`,
      test_clock: sub.test_clock ?? null,
    };
    this.state.invoices.set(id, invoice);
    this.state.emit("invoice.created", invoice);
    return invoice;
  }

  /** Voided (an incomplete subscription expired): nothing is owed, and its payment is cancelled. */
  void(invoice: StandInInvoice, at: number): void {
    Object.assign(invoice, {
      status: "void",
      next_payment_attempt: null,
      status_transitions: { ...invoice.status_transitions, voided_at: at },
    } satisfies Partial<Stripe.Invoice>);
    const payment = [...this.state.invoicePayments.values()].find(
      (p) => p.invoice === invoice.id && p.is_default,
    );
    if (payment) {
      Object.assign(payment, {
        status: "canceled",
        status_transitions: { ...payment.status_transitions, canceled_at: at },
      } satisfies Partial<Stripe.InvoicePayment>);
      const intent = this.state.paymentIntents.get(idOf(payment.payment.payment_intent) ?? "");
      if (intent) Object.assign(intent, { status: "canceled", canceled_at: at, next_action: null });
    }
    this.state.emit("invoice.voided", invoice);
  }

  /** Draft → open: its number of record, and a PaymentIntent to collect it. */
  private finalize(invoice: StandInInvoice): void {
    invoice.status = "open";
    invoice.automatically_finalizes_at = null;
    invoice.next_payment_attempt = null;
    invoice.status_transitions = {
      ...invoice.status_transitions,
      finalized_at: this.state.nowFor(idOf(invoice.customer)),
    };
    if (invoice.amount_due > 0) this.openPayment(invoice);
    this.state.emit("invoice.finalized", invoice);
  }

  /** A $0 invoice (a trial's first) is paid as soon as it is final. */
  private settleNothingDue(invoice: StandInInvoice): void {
    Object.assign(invoice, {
      status: "paid",
      status_transitions: {
        ...invoice.status_transitions,
        paid_at: this.state.nowFor(idOf(invoice.customer)),
      },
    } satisfies Partial<Stripe.Invoice>);
    this.announcePaid(invoice);
  }

  /** The card renewals charge: the subscription's default, else the customer's. */
  private defaultPaymentMethod(invoice: StandInInvoice): string | undefined {
    const sub = invoice.subscription ? this.state.subscriptions.get(invoice.subscription) : null;
    const customer = this.state.customers.get(idOf(invoice.customer) ?? "");
    return (
      idOf(sub?.default_payment_method) ??
      idOf(customer?.invoice_settings?.default_payment_method) ??
      undefined
    );
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
    const paymentIntent = awaitingAction(this.state.paymentIntents, id);
    const payment = [...this.state.invoicePayments.values()].find(
      (p) => idOf(p.payment.payment_intent) === id,
    );
    const invoice = payment && this.state.invoices.get(idOf(payment.invoice) ?? "");
    const paymentMethod = idOf(paymentIntent.payment_method);
    if (!invoice || !paymentMethod)
      throw new Error(`StripeStandIn: ${id} collects no invoice with a payment method`);
    if (outcome === "succeeded") {
      this.settle(invoice, paymentMethod);
      this.announcePaid(invoice);
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

  /**
   * The PaymentIntent that collects an invoice, and the invoice's default InvoicePayment naming
   * it (how the API, since 2025-03-31, links the two).
   */
  private openPayment(invoice: StandInInvoice): void {
    const id = newId("pi_");
    const paymentIntent: Stripe.PaymentIntent = {
      ...fixture("payment_intent"),
      id,
      client_secret: `${id}_secret_${newId("", 24)}`,
      created: this.state.nowFor(idOf(invoice.customer)),
      amount: invoice.amount_due,
      amount_received: 0,
      currency: invoice.currency,
      customer: invoice.customer,
      description:
        invoice.billing_reason === "subscription_create"
          ? "Subscription creation"
          : "Subscription update",
      metadata: {},
      payment_method: null,
      last_payment_error: null,
      next_action: null,
      latest_charge: null,
      status: "requires_payment_method",
    };
    this.state.paymentIntents.set(id, paymentIntent);
    const payment: Stripe.InvoicePayment = {
      ...fixture("invoice_payment"),
      id: newId("inpay_"),
      created: this.state.nowFor(idOf(invoice.customer)),
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
    this.state.invoicePayments.set(payment.id, payment);
  }

  /** The invoice's default InvoicePayment and its PaymentIntent. */
  private paymentOf(invoiceId: string): {
    payment: Stripe.InvoicePayment;
    paymentIntent: Stripe.PaymentIntent;
  } {
    const payment = [...this.state.invoicePayments.values()].find(
      (p) => p.invoice === invoiceId && p.is_default,
    );
    const paymentIntent =
      payment && this.state.paymentIntents.get(idOf(payment.payment.payment_intent) ?? "");
    if (!payment || !paymentIntent)
      throw new Error(`StripeStandIn: invoice ${invoiceId} has no PaymentIntent`);
    return { payment, paymentIntent };
  }

  /**
   * Charges an open invoice with a card of the customer, as the card allows (see
   * ConfirmationTokens.issue): paid, declined (the PaymentIntent needs another payment method) or
   * awaiting the customer's authentication.
   */
  private charge(invoice: StandInInvoice, paymentMethod: string): ChargeOutcome {
    const outcome = this.paymentMethods.chargeOutcome(paymentMethod);
    const { paymentIntent } = this.paymentOf(invoice.id);
    invoice.attempted = true;
    invoice.attempt_count += 1;
    if (outcome === "succeeds") {
      this.settle(invoice, paymentMethod);
    } else if (outcome === "declines") {
      this.refusePayment(paymentIntent, paymentMethod, DECLINED);
    } else {
      paymentIntent.status = "requires_action";
      paymentIntent.payment_method = paymentMethod;
      paymentIntent.last_payment_error = null;
      paymentIntent.next_action = threeDSecureAction("payment_intent", paymentIntent.id);
    }
    return outcome;
  }

  /** The card did not pay: the PaymentIntent needs another payment method, and says why. */
  private refusePayment(
    paymentIntent: Stripe.PaymentIntent,
    paymentMethod: string,
    refusal: PaymentRefusal,
  ): void {
    paymentIntent.status = "requires_payment_method";
    paymentIntent.payment_method = null;
    paymentIntent.next_action = null;
    paymentIntent.last_payment_error = this.cardError(refusal, paymentMethod);
  }

  /** Stripe's card_error for a refused charge, naming the card. */
  private cardError(refusal: PaymentRefusal, paymentMethod: string) {
    return {
      type: "card_error" as const,
      ...refusal,
      payment_method: clone(this.state.paymentMethods.get(paymentMethod)),
    };
  }

  /** The invoice is paid with the card: its PaymentIntent succeeded. */
  private settle(invoice: StandInInvoice, paymentMethod: string): void {
    const { payment, paymentIntent } = this.paymentOf(invoice.id);
    const now = this.state.nowFor(idOf(invoice.customer));
    Object.assign(paymentIntent, {
      status: "succeeded",
      amount_received: paymentIntent.amount,
      payment_method: paymentMethod,
      next_action: null,
      last_payment_error: null,
    } satisfies Partial<Stripe.PaymentIntent>);
    Object.assign(invoice, {
      status: "paid",
      amount_paid: invoice.amount_due,
      amount_remaining: 0,
      status_transitions: { ...invoice.status_transitions, paid_at: now },
    } satisfies Partial<Stripe.Invoice>);
    Object.assign(payment, {
      status: "paid",
      amount_paid: invoice.amount_due,
      status_transitions: { ...payment.status_transitions, paid_at: now },
    } satisfies Partial<Stripe.InvoicePayment>);
  }

  /**
   * Automatic collection, as Stripe charges an invoice it finalized or retries: paid; or refused,
   * or waiting for the customer to authenticate, when Stripe tells the customer's app
   * (invoice.payment_failed, invoice.payment_action_required). A subscription's renewal then goes
   * past due and Smart Retries schedule the next attempt; after the last, the subscription ends as
   * the retry settings say. A first invoice is not retried: its subscription stays incomplete.
   */
  private collect(invoice: StandInInvoice, paymentMethod: string): void {
    const outcome = this.charge(invoice, paymentMethod);
    if (outcome === "succeeds") {
      this.announcePaid(invoice);
      this.subscriptionPaid(invoice, paymentMethod);
      return;
    }
    this.unpaidAfterAttempt(invoice, outcome);
  }

  /** No card to charge: an attempt that failed, as Stripe counts it. */
  private failWithoutCard(invoice: StandInInvoice): void {
    invoice.attempted = true;
    invoice.attempt_count += 1;
    this.unpaidAfterAttempt(invoice, "declines");
  }

  /** After an automatic attempt that did not pay: the next one, the events, the subscription. */
  private unpaidAfterAttempt(invoice: StandInInvoice, outcome: Exclude<ChargeOutcome, "succeeds">) {
    const renewal = invoice.billing_reason !== "subscription_create";
    if (renewal) invoice.next_payment_attempt = this.nextRetry(invoice);
    this.announceUnpaid(invoice, outcome);
    if (!renewal) return;
    const sub = invoice.subscription ? this.state.subscriptions.get(invoice.subscription) : null;
    if (!sub) return;
    if (invoice.next_payment_attempt === null) this.retriesExhausted(sub);
    else this.setStatus(sub, "past_due");
  }

  /**
   * When Smart Retries charge next: `maxRetries` attempts spread evenly over the window that
   * starts with the first failure (Stripe picks each moment by machine learning; the stand-in
   * fixes them so tests can aim at them); null once the last has failed.
   */
  private nextRetry(invoice: StandInInvoice): number | null {
    const now = this.state.nowFor(idOf(invoice.customer));
    const first = this.firstFailedAt.get(invoice.id) ?? now;
    this.firstFailedAt.set(invoice.id, first);
    const { maxRetries, retriesEndAfterDays } = this.retries;
    const retriesMade = invoice.attempt_count - 1;
    if (retriesMade >= maxRetries) return null;
    return first + Math.round(((retriesMade + 1) * retriesEndAfterDays * DAY) / maxRetries);
  }

  /** The last retry failed: the subscription is cancelled, marked unpaid, or left past due. */
  private retriesExhausted(sub: Stripe.Subscription): void {
    const { afterRetries } = this.retries;
    if (afterRetries === "past_due") return this.setStatus(sub, "past_due");
    if (afterRetries === "unpaid") return this.setStatus(sub, "unpaid");
    const now = this.state.nowFor(idOf(sub.customer));
    Object.assign(sub, {
      status: "canceled",
      canceled_at: now,
      ended_at: now,
      cancellation_details: endedBecause(sub, "payment_failed"),
    } satisfies Partial<Stripe.Subscription>);
    this.state.emit("customer.subscription.deleted", sub);
  }

  /** The subscription's new status, and Stripe's event when it changed. */
  private setStatus(sub: Stripe.Subscription, status: Stripe.Subscription.Status): void {
    if (sub.status === status) return;
    sub.status = status;
    this.state.emit("customer.subscription.updated", sub);
  }

  /** Stripe's events for a paid invoice. */
  private announcePaid(invoice: StandInInvoice): void {
    invoice.next_payment_attempt = null;
    this.state.emit("invoice.paid", invoice);
    this.state.emit("invoice.payment_succeeded", invoice);
  }

  /** Stripe's event for an attempt that did not pay: refused, or awaiting the customer. */
  private announceUnpaid(invoice: StandInInvoice, outcome: Exclude<ChargeOutcome, "succeeds">) {
    this.state.emit(
      outcome === "declines" ? "invoice.payment_failed" : "invoice.payment_action_required",
      invoice,
    );
  }

  /**
   * What paying a subscription's invoice does to it: an incomplete, past-due or unpaid
   * subscription becomes active, and with `save_default_payment_method: on_subscription` the card
   * that paid becomes its default. Stripe then sends customer.subscription.updated.
   */
  private subscriptionPaid(invoice: StandInInvoice, paymentMethod: string): void {
    const sub = invoice.subscription && this.state.subscriptions.get(invoice.subscription);
    if (!sub) return;
    const before = JSON.stringify([sub.status, sub.default_payment_method]);
    if (["incomplete", "past_due", "unpaid"].includes(sub.status)) sub.status = "active";
    if (sub.payment_settings?.save_default_payment_method === "on_subscription")
      sub.default_payment_method = paymentMethod;
    if (JSON.stringify([sub.status, sub.default_payment_method]) !== before)
      this.state.emit("customer.subscription.updated", sub);
  }

  /**
   * What Stripe's hosted invoice page does with a card typed into it: the card is saved for the
   * customer and charges the invoice now (declined when it is one of the declining test cards).
   */
  payOnHostedPage(id: string, cardNumber: string, declines: boolean): "paid" | "declined" {
    const invoice = this.state.invoices.get(id);
    if (!invoice || invoice.status !== "open") return "declined";
    const card = this.paymentMethods.create(idOf(invoice.customer) ?? null, undefined, cardNumber);
    if (declines) this.paymentMethods.setChargeOutcome(card.id, "declines");
    return this.pay(id, { payment_method: card.id }).status === 200 ? "paid" : "declined";
  }

  /** POST /v1/invoices/:id/pay: charges an open invoice now, with the card given or the default. */
  private pay(id: string, params: Stripe.InvoicePayParams): Reply {
    const invoice = this.state.invoices.get(id);
    if (!invoice) return missing("invoice", id);
    if (invoice.status !== "open")
      return fail(400, {
        type: "invalid_request_error",
        code: "invoice_not_open",
        message: `Invoice is ${invoice.status === "paid" ? "already paid" : invoice.status}.`,
      });
    const refused = this.paymentMethods.refusedFor(
      idOf(invoice.customer) ?? "",
      params.payment_method,
    );
    if (refused) return refused;
    const paymentMethod = params.payment_method ?? this.defaultPaymentMethod(invoice);
    if (!paymentMethod)
      return fail(400, {
        type: "invalid_request_error",
        code: "invoice_no_payment_method_types",
        message: "This invoice has no payment method to charge.",
      });
    const outcome = this.charge(invoice, paymentMethod);
    const { paymentIntent } = this.paymentOf(id);
    if (outcome === "succeeds") {
      this.announcePaid(invoice);
      this.subscriptionPaid(invoice, paymentMethod);
      return ok(invoice);
    }
    this.announceUnpaid(invoice, outcome);
    const error: StripeError =
      outcome === "declines"
        ? { ...this.cardError(DECLINED, paymentMethod), payment_intent: clone(paymentIntent) }
        : {
            type: "card_error",
            code: "invoice_payment_intent_requires_action",
            message:
              "This payment requires additional user action before it can be completed successfully. Payment can be completed using the PaymentIntent associated with the invoice.",
            payment_intent: clone(paymentIntent),
          };
    return fail(402, error);
  }

  /** An invoice's payments, newest first; `expand[]=data.payment.payment_intent` inlines the intent. */
  private listPayments(query: Params): Reply {
    const invoice = text(query.invoice);
    const expand = [query.expand ?? []].flat();
    const data = [...this.state.invoicePayments.values()]
      .filter((p) => !invoice || p.invoice === invoice)
      .map((p): Stripe.InvoicePayment =>
        expand.includes("data.payment.payment_intent")
          ? {
              ...p,
              payment: {
                ...p.payment,
                payment_intent: this.state.paymentIntents.get(idOf(p.payment.payment_intent) ?? ""),
              },
            }
          : p,
      );
    return list("/v1/invoice_payments", data, query);
  }
}
