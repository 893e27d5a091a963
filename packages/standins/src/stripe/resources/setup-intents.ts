import type Stripe from "stripe";
import { clone, newId, type Json, type Reply } from "../../standin";
import { fail, missing } from "../errors";
import { fixture } from "../fixtures";
import { list } from "../pagination";
import { bool, mergeMetadata } from "../params";
import { retrieve, type Route } from "../router";
import type { StripeState } from "../state";
import { awaitingAction, threeDSecureAction } from "../three-d-secure";
import type { ConfirmationTokens } from "./confirmation-tokens";
import type { PaymentMethods } from "./payment-methods";

/**
 * SetupIntents: saving a card for later, confirmed with a ConfirmationToken (or a PaymentMethod)
 * whose id says how the test card behaves: declined, 3-D Secure, or saved.
 */
export class SetupIntents {
  constructor(
    private readonly state: StripeState,
    private readonly confirmationTokens: ConfirmationTokens,
    private readonly paymentMethods: PaymentMethods,
  ) {}

  routes(): Route[] {
    const { setupIntents } = this.state;
    return [
      {
        method: "POST",
        path: "/setup_intents",
        params: "Stripe.SetupIntentCreateParams",
        handle: ({ body }) => this.create(body),
      },
      {
        method: "GET",
        path: "/setup_intents",
        params: "Stripe.SetupIntentListParams",
        handle: ({ query }) =>
          list(
            "/v1/setup_intents",
            [...setupIntents.values()].filter(
              (si) => !query.customer || si.customer === query.customer,
            ),
            query,
          ),
      },
      {
        method: "GET",
        path: "/setup_intents/:id",
        params: "Stripe.SetupIntentRetrieveParams",
        handle: retrieve(setupIntents, "setup_intent"),
      },
      {
        method: "POST",
        path: "/setup_intents/:id/confirm",
        params: "Stripe.SetupIntentConfirmParams",
        handle: ({ id, body }) => {
          const si: Json = setupIntents.get(id);
          if (!si) return missing("setup_intent", id);
          return this.confirm(si, body);
        },
      },
    ];
  }

  /** Finish a `requires_action` SetupIntent as if the customer passed 3D Secure in the browser. */
  completeAction(id: string, outcome: "succeeded" | "failed" = "succeeded"): Stripe.SetupIntent {
    const si = awaitingAction(this.state.setupIntents, id);
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

  private create(body: Json): Reply {
    if (body.customer && !this.state.customers.has(body.customer))
      return missing("customer", body.customer, "customer");
    const id = newId("seti_");
    const si: Json = {
      ...fixture("setup_intent"),
      id,
      client_secret: `${id}_secret_${newId("", 24)}`,
      created: this.state.now(),
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
      this.state.setupIntents.set(id, si);
      return { status: 200, body: si };
    }
    const reply = this.confirm(si, body);
    // A failed parameter check creates nothing; a decline leaves the SetupIntent behind, as in Stripe.
    if (reply.status < 300 || reply.status === 402) this.state.setupIntents.set(id, si);
    return reply;
  }

  /**
   * Outcome by ConfirmationToken (or PaymentMethod) id: "decline" → 402 card_declined, "3ds" →
   * requires_action, else succeeded. A token expired or already used → 400.
   */
  private confirm(si: Json, body: Json): Reply {
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
    const refused = token ? this.confirmationTokens.refusal(token) : null;
    if (refused) return refused;
    if (si.status === "succeeded")
      return fail(400, {
        type: "invalid_request_error",
        code: "setup_intent_unexpected_state",
        message: "You cannot confirm this SetupIntent because it has already succeeded.",
      });
    if (token) this.confirmationTokens.spend(token);
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
    const paymentMethod = pm && !token ? pm : this.paymentMethods.create(si.customer).id;
    if (!this.state.paymentMethods.has(paymentMethod))
      this.paymentMethods.create(si.customer, paymentMethod);
    if (source.includes("unchargeable"))
      this.paymentMethods.setChargeOutcome(paymentMethod, "declines");
    if (source.includes("chargeauth"))
      this.paymentMethods.setChargeOutcome(paymentMethod, "requires_action");
    if (source.includes("3ds")) {
      Object.assign(si, {
        status: "requires_action",
        payment_method: paymentMethod,
        next_action: threeDSecureAction("setup_intent", si.id),
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
}
