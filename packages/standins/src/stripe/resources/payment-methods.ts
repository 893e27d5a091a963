import type Stripe from "stripe";
import { newId, type Reply } from "../../standin";
import { fail, missing } from "../errors";
import { fixture } from "../fixtures";
import { retrieve, type Route } from "../router";
import type { StripeState } from "../state";

/** What charging a saved card does: the kind of ConfirmationToken it was saved from decides. */
export type ChargeOutcome = "succeeds" | "declines" | "requires_action";

/** PaymentMethods: saved cards (by confirming a SetupIntent), and what charging each one does. */
export class PaymentMethods {
  private chargeOutcomes = new Map<string, ChargeOutcome>();

  constructor(private readonly state: StripeState) {}

  reset(): void {
    this.chargeOutcomes.clear();
  }

  routes(): Route[] {
    return [
      {
        method: "GET",
        path: "/payment_methods/:id",
        params: "Stripe.PaymentMethodRetrieveParams",
        handle: retrieve(this.state.paymentMethods, "payment_method"),
      },
    ];
  }

  create(customer: string | null, id = newId("pm_")): Stripe.PaymentMethod {
    const pm: Stripe.PaymentMethod = {
      ...fixture("payment_method"),
      id,
      created: this.state.now(),
      customer,
      metadata: {},
    };
    this.state.paymentMethods.set(id, pm);
    return pm;
  }

  /** Charges to this card will `outcome` from now on. */
  setChargeOutcome(id: string, outcome: ChargeOutcome): void {
    this.chargeOutcomes.set(id, outcome);
  }

  chargeOutcome(id: string): ChargeOutcome {
    return this.chargeOutcomes.get(id) ?? "succeeds";
  }

  /**
   * Stripe's refusal of a default payment method that does not exist or is not attached to the
   * customer (a subscription can only charge the customer's own cards), or null.
   */
  refusedFor(customer: string, id: string | undefined): Reply | null {
    if (!id) return null;
    const paymentMethod = this.state.paymentMethods.get(id);
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
}
