/**
 * onramp's own errors. Domain code throws these; the workflow layer (inngest/middleware) decides
 * what is retried, and pages show their messages as they are.
 */

/** A failure that repeats however often the work is retried; `message` is for the user. */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Work that needs Stripe on a server without STRIPE_SECRET_KEY. */
export class BillingNotConfiguredError extends PermanentError {
  constructor() {
    super("Billing is not configured on this server (STRIPE_SECRET_KEY).");
  }
}

/** A vendor write for a user or organization that has been deleted in Clerk: it must not happen. */
export class AccountDeletedError extends PermanentError {
  constructor(
    readonly accountId: string,
    options?: { cause?: unknown },
  ) {
    super(`The account ${accountId} no longer exists`, options);
  }
}
