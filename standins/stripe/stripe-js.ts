import { randomBytes } from "node:crypto";
import type { StripeStandIn } from "./api";

type Json = Record<string, unknown>;

export interface StripeJsCall {
  op: string;
  payload: Json;
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
 * the page made and answers as Stripe would. ConfirmationTokens are minted here, so a test can
 * check that exactly the token the browser got is what the app sent on to Clerk or Inngest.
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

  handle(op: string, payload: Json): Json {
    this.calls.push({ op, payload: structuredClone(payload) });
    switch (op) {
      case "createConfirmationToken": {
        if (this.nextConfirmationTokenError) {
          const error = this.nextConfirmationTokenError;
          this.nextConfirmationTokenError = null;
          return { error };
        }
        const card = payload.card as { number?: string } | null;
        const outcome = testCardOutcomes[(card?.number ?? "").replace(/\s/g, "")];
        const id = `ctoken_${outcome ? `${outcome}_` : ""}${randomBytes(12).toString("hex")}`;
        this.issuedTokens.push(id);
        return {
          confirmationToken: {
            id,
            object: "confirmation_token",
            livemode: false,
            return_url: (payload.params as Json | null)?.return_url ?? null,
          },
        };
      }
      case "handleNextAction": {
        const clientSecret = String(payload.clientSecret);
        const id = clientSecret.split("_secret_")[0]!;
        if (this.stripeApi?.setupIntents.get(id)?.status === "requires_action") {
          const passed = payload.outcome === "complete";
          this.stripeApi.completeSetupIntentAction(id, passed ? "succeeded" : "failed");
        }
        if (payload.outcome === "complete") {
          return { setupIntent: { id, object: "setup_intent", status: "succeeded" } };
        }
        return {
          error: {
            type: "card_error",
            code: "setup_intent_authentication_failure",
            message:
              "We are unable to authenticate your payment method. Please choose a different payment method and try again.",
            setup_intent: { id, object: "setup_intent", status: "requires_payment_method" },
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
