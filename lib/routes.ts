/** The site's pages, in one place: pages, the proxy, emails and Stripe return URLs link through it. */
export const paths = {
  home: "/",
  signIn: "/sign-in",
  signUp: "/sign-up",
  afterSignUp: "/after-sign-up",
  onboarding: "/onboarding",
  dashboard: "/dashboard",
  /** The active organization's pages (seats and licenses): members' pages like the dashboard. */
  organization: "/org",
  licensing: "/org/licensing",
  terms: "/terms",
  privacy: "/privacy",
  /** What the progress page asks (GET /api/onboarding/status). */
  onboardingStatus: "/api/onboarding/status",
} as const;

/** The sign-in page, coming back to `path` once signed in. */
export const signInReturningTo = (path: string) =>
  `${paths.signIn}?${new URLSearchParams({ redirect_url: path })}`;

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
