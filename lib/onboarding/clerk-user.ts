import type { ClerkUser } from "@/lib/webhooks/payloads";

const primaryOf = (user: ClerkUser) =>
  (user.email_addresses ?? []).find((address) => address.id === user.primary_email_address_id);

/** The user's primary email address as Clerk sent it, or null (a phone-only sign-up has none). */
export function primaryEmailAddress(user: ClerkUser): string | null {
  return primaryOf(user)?.email_address ?? null;
}

/** The primary address when Clerk has verified it (the sign-up's email code), else null. */
export function verifiedPrimaryEmail(user: ClerkUser): string | null {
  const primary = primaryOf(user);
  return primary?.verification?.status === "verified" ? primary.email_address : null;
}

/** "First Last", or null when Clerk has neither. */
export function fullName(user: ClerkUser): string | null {
  const name = [user.first_name, user.last_name].filter(Boolean).join(" ");
  return name === "" ? null : name;
}

/**
 * What the sign-up form left in unsafeMetadata: a tier key and a Stripe ConfirmationToken id.
 * Both are the browser's word: the tier is checked against the plan catalogue before use.
 */
export function submittedPayment(
  user: ClerkUser,
): { tier: string; confirmationToken: string } | null {
  const tier = user.unsafe_metadata?.tier;
  const confirmationToken = user.unsafe_metadata?.confirmationToken;
  return typeof tier === "string" && typeof confirmationToken === "string"
    ? { tier, confirmationToken }
    : null;
}
