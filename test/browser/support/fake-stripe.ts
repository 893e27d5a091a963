import { randomBytes } from "node:crypto";

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
 * The test's side of the fake Stripe.js (test/browser/fakes/stripe-js.ts): records every call
 * the page made and answers as Stripe would. ConfirmationTokens are minted here, so a test can
 * check that exactly the token the browser got is what the app sent on to Clerk or Inngest.
 */
export class FakeStripeJs {
  readonly calls: StripeJsCall[] = [];
  /** The ConfirmationToken ids handed to the page, in order. */
  readonly issuedTokens: string[] = [];
  /** The error the next createConfirmationToken answers with (then cleared). */
  nextConfirmationTokenError: StripeJsError | null = null;

  handle(op: string, payload: Json): Json {
    this.calls.push({ op, payload: structuredClone(payload) });
    switch (op) {
      case "createConfirmationToken": {
        if (this.nextConfirmationTokenError) {
          const error = this.nextConfirmationTokenError;
          this.nextConfirmationTokenError = null;
          return { error };
        }
        const id = `ctoken_${randomBytes(12).toString("hex")}`;
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
        const id = clientSecret.split("_secret_")[0];
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
