import { randomBytes } from "node:crypto";
import type { StripeStandIn } from "./api";
import { nested, text } from "./params";

/** What the page passed to, or gets back from, a Stripe.js call: JSON. */
type Payload = Record<string, unknown>;

export interface StripeJsCall {
  op: string;
  payload: Payload;
}

export interface StripeJsError {
  type: string;
  code?: string;
  message: string;
}

/**
 * Stripe's test cards that do not simply succeed (https://docs.stripe.com/testing), by the
 * outcome the Stripe stand-in gives a ConfirmationToken whose id names it.
 */
export const testCardOutcomes: Record<string, "decline" | "3ds"> = {
  "4000000000000002": "decline",
  "4000000000009995": "decline",
  "4000002500003155": "3ds",
  "4000002760003184": "3ds",
};

/**
 * The other side of the simulated Stripe.js (standins/browser/stripe-js.ts): records every call
 * the page made and answers as Stripe would. ConfirmationTokens are minted here (issued by the
 * Stripe API stand-in, as Stripe.js has Stripe make them), so a test can check that exactly the
 * token the browser got is what the app sent on to Clerk or Inngest.
 * With the Stripe API stand-in, the test cards behave as in test mode (declined, 3-D Secure),
 * and 3-D Secure done in the browser settles the SetupIntent there.
 */
export class FakeStripeJs {
  readonly calls: StripeJsCall[] = [];
  /** The ConfirmationToken ids handed to the page, in order. */
  readonly issuedTokens: string[] = [];
  /** The error the next createConfirmationToken answers with (then cleared). */
  nextConfirmationTokenError: StripeJsError | null = null;

  constructor(private readonly stripeApi?: StripeStandIn) {}

  handle(op: string, payload: Payload): Payload {
    this.calls.push({ op, payload: structuredClone(payload) });
    switch (op) {
      case "createConfirmationToken": {
        if (this.nextConfirmationTokenError) {
          const error = this.nextConfirmationTokenError;
          this.nextConfirmationTokenError = null;
          return { error };
        }
        const number = text(nested(payload.card)?.number) ?? "";
        const outcome = testCardOutcomes[number.replace(/\s/g, "")];
        const id =
          this.stripeApi?.issueConfirmationToken(outcome) ??
          `ctoken_${outcome ? `${outcome}_` : ""}${randomBytes(12).toString("hex")}`;
        this.issuedTokens.push(id);
        return {
          confirmationToken: {
            id,
            object: "confirmation_token",
            livemode: false,
            return_url: nested(payload.params)?.return_url ?? null,
          },
        };
      }
      case "handleNextAction": {
        // Stripe.js answers for the intent the client secret belongs to: a SetupIntent (saving
        // the card) or a PaymentIntent (paying the first invoice).
        const clientSecret = String(payload.clientSecret);
        const [id = ""] = clientSecret.split("_secret_");
        const passed = payload.outcome === "complete";
        const payment = id.startsWith("pi_");
        if (payment && this.stripeApi?.paymentIntents.get(id)?.status === "requires_action") {
          this.stripeApi.completePaymentIntentAction(id, passed ? "succeeded" : "failed");
        }
        if (!payment && this.stripeApi?.setupIntents.get(id)?.status === "requires_action") {
          this.stripeApi.completeSetupIntentAction(id, passed ? "succeeded" : "failed");
        }
        const intent = payment
          ? { key: "payment_intent", object: { id, object: "payment_intent" } }
          : { key: "setup_intent", object: { id, object: "setup_intent" } };
        if (passed) {
          return {
            [payment ? "paymentIntent" : "setupIntent"]: { ...intent.object, status: "succeeded" },
          };
        }
        return {
          error: {
            type: "card_error",
            code: `${intent.key}_authentication_failure`,
            message:
              "We are unable to authenticate your payment method. Please choose a different payment method and try again.",
            [intent.key]: { ...intent.object, status: "requires_payment_method" },
          },
        };
      }
      default:
        return {};
    }
  }

  /** The calls named `op`, in order. */
  named(op: string): StripeJsCall[] {
    return this.calls.filter((call) => call.op === op);
  }
}
