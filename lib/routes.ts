/** The site's pages, in one place: pages, the proxy, emails and Stripe return URLs link through it. */
export const paths = {
  signIn: "/sign-in",
  signUp: "/sign-up",
  afterSignUp: "/after-sign-up",
  onboarding: "/onboarding",
  dashboard: "/dashboard",
  /** The active organization's pages (seats and licenses): members' pages like the dashboard. */
  organization: "/org",
  licensing: "/org/licensing",
} as const;

/**
 * A redirect target taken from the query string (sign-in's redirect_url): only a path on this
 * site, never another origin or a protocol-relative URL.
 */
export function safeRedirectPath(value: string | null | undefined, fallback: string): string {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) {
    return fallback;
  }
  return value;
}
