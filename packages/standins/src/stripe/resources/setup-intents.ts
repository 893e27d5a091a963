import type Stripe from "stripe";
import { clone, newId, type Reply } from "../../standin";
import { fail, missing } from "../errors";
import { fixture } from "../fixtures";
import { list } from "../pagination";
import { bool, items, mergeMetadata, metadataParam, nested, text, type Params } from "../params";
import { ok, retrieve, type Route } from "../router";
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
        handle: ({ body }) => this.create(readCreateParams(body)),
      },
      {
        method: "GET",
        path: "/setup_intents",
        params: "Stripe.SetupIntentListParams",
        handle: ({ query }) => {
          const customer = text(query.customer);
          const found = [...setupIntents.values()].filter(
            (si) => !customer || si.customer === customer,
          );
          return list("/v1/setup_intents", found, query);
        },
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
          const si = setupIntents.get(id);
          if (!si) return missing("setup_intent", id);
          return this.confirm(si, readConfirmParams(body));
        },
      },
    ];
  }

  /** Finish a `requires_action` SetupIntent as if the customer passed 3D Secure in the browser. */
  completeAction(id: string, outcome: "succeeded" | "failed" = "succeeded"): Stripe.SetupIntent {
    const si = awaitingAction(this.state.setupIntents, id);
    si.next_action = null;
    if (outcome === "succeeded") {
      si.status = "succeeded";
    } else {
      si.status = "requires_payment_method";
      si.payment_method = null;
      si.last_setup_error = {
        type: "card_error",
        code: "setup_intent_authentication_failure",
        message: "Authentication failed.",
      };
    }
    return clone(si);
  }

  private create(params: Stripe.SetupIntentCreateParams): Reply {
    const customer = typeof params.customer === "string" ? params.customer : null;
    if (customer && !this.state.customers.has(customer))
      return missing("customer", customer, "customer");
    const id = newId("seti_");
    const automatic = params.automatic_payment_methods;
    const si: Stripe.SetupIntent = {
      ...fixture("setup_intent"),
      id,
      client_secret: `${id}_secret_${newId("", 24)}`,
      created: this.state.now(),
      customer,
      description: params.description ?? null,
      metadata: mergeMetadata({}, params.metadata),
      usage: params.usage ?? "off_session",
      automatic_payment_methods: automatic
        ? { enabled: automatic.enabled, allow_redirects: automatic.allow_redirects ?? "always" }
        : { enabled: true, allow_redirects: "always" },
      payment_method_types: params.allowed_payment_method_types ?? ["card"],
      payment_method_configuration_details: null,
      last_setup_error: null,
      next_action: null,
      payment_method: null,
      status: "requires_payment_method",
    };
    if (!params.confirm) {
      if (params.payment_method) {
        si.payment_method = params.payment_method;
        si.status = "requires_confirmation";
      }
      this.state.setupIntents.set(id, si);
      return ok(si);
    }
    const reply = this.confirm(si, params);
    // A failed parameter check creates nothing; a decline leaves the SetupIntent behind, as in Stripe.
    if (reply.status < 300 || reply.status === 402) this.state.setupIntents.set(id, si);
    return reply;
  }

  /**
   * Outcome by ConfirmationToken (or PaymentMethod) id: "decline" → 402 card_declined, "3ds" →
   * requires_action, else succeeded. A token never issued, expired or already used → 400.
   */
  private confirm(si: Stripe.SetupIntent, params: Stripe.SetupIntentConfirmParams): Reply {
    const token = params.confirmation_token;
    const current =
      typeof si.payment_method === "string" ? si.payment_method : si.payment_method?.id;
    const pm = params.payment_method ?? current;
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
    const customer = typeof si.customer === "string" ? si.customer : (si.customer?.id ?? null);
    if (source.includes("decline")) {
      const error = {
        type: "card_error" as const,
        code: "card_declined",
        decline_code: "generic_decline",
        message: "Your card was declined.",
      };
      si.status = "requires_payment_method";
      si.payment_method = null;
      si.last_setup_error = { ...error };
      return fail(402, { ...error, setup_intent: clone(si) });
    }
    const paymentMethod = pm && !token ? pm : this.paymentMethods.create(customer).id;
    if (!this.state.paymentMethods.has(paymentMethod))
      this.paymentMethods.create(customer, paymentMethod);
    if (source.includes("unchargeable"))
      this.paymentMethods.setChargeOutcome(paymentMethod, "declines");
    if (source.includes("chargeauth"))
      this.paymentMethods.setChargeOutcome(paymentMethod, "requires_action");
    si.payment_method = paymentMethod;
    if (source.includes("3ds")) {
      si.status = "requires_action";
      si.next_action = threeDSecureAction("setup_intent", si.id);
    } else {
      si.status = "succeeded";
      si.next_action = null;
      si.last_setup_error = null;
    }
    return ok(si);
  }
}

/** What confirms a SetupIntent, on create (`confirm=true`) or confirm. */
function readConfirmParams(body: Params): { confirmation_token?: string; payment_method?: string } {
  return {
    confirmation_token: text(body.confirmation_token),
    payment_method: text(body.payment_method),
  };
}

function readCreateParams(body: Params): Stripe.SetupIntentCreateParams {
  const automatic = nested(body.automatic_payment_methods);
  const allowed = items(body.allowed_payment_method_types).flatMap((t) => text(t) ?? []);
  return {
    ...readConfirmParams(body),
    customer: text(body.customer),
    description: text(body.description),
    metadata: metadataParam(body.metadata) || undefined,
    usage: text(body.usage),
    confirm: bool(body.confirm),
    automatic_payment_methods: automatic && {
      enabled: bool(automatic.enabled),
      allow_redirects: text(automatic.allow_redirects),
    },
    allowed_payment_method_types:
      body.allowed_payment_method_types === undefined ? undefined : allowed,
  };
}
