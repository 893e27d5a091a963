/**
 * What the customer's bank came to, on saving a card or on paying an invoice: done, a 3-D Secure
 * challenge the browser finishes with the client secret, or refused with words for the user. The
 * card's and the payment's outcomes are this one type with their own details (SetupOutcome,
 * PaymentOutcome); the details' names are kept, since a run's memoized steps hold them.
 */
export type BankOutcome<
  Done extends object = Record<never, never>,
  Challenge extends object = Record<never, never>,
> =
  | ({ status: "succeeded" } & Done)
  | ({ status: "requires_action"; clientSecret: string } & Challenge)
  | { status: "failed"; reason: string };

/**
 * The outcome once the wait for 3-D Secure is over: still waiting for the bank means it did not
 * confirm.
 */
export function settledOutcome<Outcome extends BankOutcome>(
  outcome: Outcome,
  reason: string,
): Outcome | { status: "failed"; reason: string } {
  return outcome.status === "requires_action" ? { status: "failed", reason } : outcome;
}
