/** A plausible email address: something@domain.tld, no spaces. Clerk has the final word. */
export function isEmailAddress(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
}
