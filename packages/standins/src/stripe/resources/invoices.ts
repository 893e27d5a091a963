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
import { onlyItem } from "./subscriptions";

/** Why a charge did not pay, as the PaymentIntent's `last_payment_error` says it. */
interface PaymentRefusal {
  code: string;
  decline_code?: string;
  message: string;
}

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
   * charged now when there is a card to charge.
   */
  first(sub: Stripe.Subscription, trialing: boolean, paymentMethod?: string): StandInInvoice {
    const item = onlyItem(sub);
    const amount = trialing ? 0 : (item.price.unit_amount ?? 0) * (item.quantity ?? 1);
    const invoice: StandInInvoice = {
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
    this.state.invoices.set(invoice.id, invoice);
    if (amount > 0) {
      this.openPayment(invoice);
      if (paymentMethod) this.charge(invoice, paymentMethod);
    }
    return invoice;
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
      created: this.state.now(),
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
    this.state.paymentIntents.set(id, paymentIntent);
    const payment: Stripe.InvoicePayment = {
      ...fixture("invoice_payment"),
      id: newId("inpay_"),
      created: this.state.now(),
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
    const now = this.state.now();
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
   * What paying a subscription's invoice does to it later on: an incomplete subscription becomes
   * active, and with `save_default_payment_method: on_subscription` the card that paid becomes its
   * default. Stripe then sends customer.subscription.updated.
   */
  private subscriptionPaid(invoice: StandInInvoice, paymentMethod: string): void {
    const sub = invoice.subscription && this.state.subscriptions.get(invoice.subscription);
    if (!sub) return;
    if (sub.status === "incomplete") sub.status = "active";
    if (sub.payment_settings?.save_default_payment_method === "on_subscription")
      sub.default_payment_method = paymentMethod;
    this.state.emit("customer.subscription.updated", sub);
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
    const sub = invoice.subscription
      ? this.state.subscriptions.get(invoice.subscription)
      : undefined;
    const paymentMethod = params.payment_method ?? idOf(sub?.default_payment_method);
    if (!paymentMethod)
      return fail(400, {
        type: "invalid_request_error",
        code: "invoice_no_payment_method_types",
        message: "This invoice has no payment method to charge.",
      });
    const outcome = this.charge(invoice, paymentMethod);
    const { paymentIntent } = this.paymentOf(id);
    if (outcome === "succeeds") {
      this.subscriptionPaid(invoice, paymentMethod);
      return ok(invoice);
    }
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
