import type Stripe from "stripe";
import { newId, type Reply } from "../../standin";
import { fail, missing, parameterMissing } from "../errors";
import { fixture } from "../fixtures";
import { list } from "../pagination";
import { int, mergeMetadata, metadataParam, text } from "../params";
import { ok, retrieve, type Route } from "../router";
import type { StripeState } from "../state";

/**
 * Refunds of a PaymentIntent's charge: what it received and no refund has given back yet (or
 * `amount` of it), refunded at once as test-mode card refunds are; once nothing is left, Stripe's
 * charge_already_refunded.
 */
export class Refunds {
  constructor(
    private readonly state: StripeState,
    private readonly violations: string[],
  ) {}

  routes(): Route[] {
    const { refunds } = this.state;
    return [
      {
        method: "POST",
        path: "/refunds",
        params: "Stripe.RefundCreateParams",
        handle: ({ body }) =>
          this.create({
            payment_intent: text(body.payment_intent),
            charge: text(body.charge),
            amount: int(body.amount),
            metadata: metadataParam(body.metadata),
          }),
      },
      {
        method: "GET",
        path: "/refunds",
        params: "Stripe.RefundListParams",
        handle: ({ query }) => {
          const paymentIntent = text(query.payment_intent);
          const found = [...refunds.values()].filter(
            (refund) => !paymentIntent || refund.payment_intent === paymentIntent,
          );
          return list("/v1/refunds", found, query);
        },
      },
      {
        method: "GET",
        path: "/refunds/:id",
        params: "Stripe.RefundRetrieveParams",
        handle: retrieve(refunds, "refund"),
      },
    ];
  }

  private create(params: Stripe.RefundCreateParams): Reply {
    if (!params.payment_intent) {
      if (params.charge)
        this.violations.push("stripe stand-in models refunds of a payment_intent only");
      return parameterMissing("payment_intent");
    }
    const intent = this.state.paymentIntents.get(params.payment_intent);
    if (!intent) return missing("payment_intent", params.payment_intent, "payment_intent");
    const refunded = [...this.state.refunds.values()]
      .filter((refund) => refund.payment_intent === intent.id && refund.status !== "failed")
      .reduce((sum, refund) => sum + refund.amount, 0);
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
    const amount = params.amount ?? left;
    if (amount > left)
      return fail(400, {
        type: "invalid_request_error",
        code: "amount_too_large",
        param: "amount",
        message: `Refund amount (${amount}) is greater than the amount left to refund (${left}).`,
      });
    const refund: Stripe.Refund = {
      ...fixture("refund"),
      id: newId("re_"),
      created: this.state.now(),
      amount,
      currency: intent.currency,
      payment_intent: intent.id,
      charge: intent.latest_charge ?? null,
      customer: intent.customer ?? null,
      payment_method: intent.payment_method ?? null,
      metadata: mergeMetadata({}, params.metadata),
      reason: null,
      status: "succeeded",
    };
    this.state.refunds.set(refund.id, refund);
    return ok(refund);
  }
}
