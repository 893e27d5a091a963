import { newId, type Reply } from "../../standin";
import { fail, missing } from "../errors";
import type { StripeState } from "../state";

/** Stripe's ConfirmationTokens can be used for 12 hours after Stripe.js creates them. */
const LIFETIME = 12 * 3_600;

/**
 * ConfirmationTokens, which Stripe.js makes in the browser (no API route here): when each was made
 * and whether an intent has used it. The id names the test card it stands for (see `issue`).
 */
export class ConfirmationTokens {
  private tokens = new Map<string, { created: number; used: boolean }>();

  constructor(private readonly state: StripeState) {}

  reset(): void {
    this.tokens.clear();
  }

  /**
   * A ConfirmationToken as Stripe.js makes it in the browser, `ageSeconds` ago. Its kind decides
   * what confirming it does (see SetupIntents.confirm) and what charging the card saved from it
   * does: "unchargeable" saves a card whose charges are declined, "chargeauth" one whose charges
   * need the customer to authenticate (Stripe's test cards 4000000000000341, 4000002760003184).
   * `used`: an intent was already confirmed with it (e.g. by the browser). A token id the
   * stand-in never issued does not exist, as in Stripe.
   */
  issue(kind = "ok", { ageSeconds = 0, used = false } = {}): string {
    const id = `ctoken_${kind}_${newId("", 24)}`;
    this.tokens.set(id, { created: this.state.now() - ageSeconds, used });
    return id;
  }

  /**
   * Why the token cannot confirm an intent, or null: a 400 on the `confirmation_token` param.
   * Never issued: `resource_missing`; used: `token_already_used` (both codes of Stripe's
   * error-code list, docs.stripe.com/error-codes, the `code` enum of its OpenAPI spec). Expired:
   * Stripe documents `expires_at` ("can no longer be used to confirm") but no code for it.
   */
  refusal(id: string): Reply | null {
    const token = this.tokens.get(id);
    if (!token) return missing("confirmationtoken", id, "confirmation_token");
    if (this.state.now() >= token.created + LIFETIME)
      return fail(400, {
        type: "invalid_request_error",
        param: "confirmation_token",
        message: `ConfirmationToken ${id} has expired. Create a new one and try again.`,
      });
    if (token.used)
      return fail(400, {
        type: "invalid_request_error",
        code: "token_already_used",
        param: "confirmation_token",
        message: `ConfirmationToken ${id} has already been used. Create a new one and try again.`,
      });
    return null;
  }

  /** An intent was confirmed with it (one `refusal` let through): it cannot be used again. */
  spend(id: string): void {
    this.tokens.get(id)!.used = true;
  }
}
