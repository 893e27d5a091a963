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
  /** A resubscribe page for a plan that has ended, and one to pay an overdue invoice. */
  resubscribe: "/dashboard/resubscribe",
  payOverdue: "/dashboard/pay",
  /** Projects: the personal plans' paid feature. */
  projects: "/projects",
  terms: "/terms",
  privacy: "/privacy",
  /** Where an email's unsubscribe link leads (a confirmation), and its one-click POST target. */
  unsubscribe: "/unsubscribe",
  oneClickUnsubscribe: "/api/email/unsubscribe",
  /** What the progress page asks (GET /api/onboarding/status). */
  onboardingStatus: "/api/onboarding/status",
} as const;

/** The sign-in page, coming back to `path` once signed in. */
export const signInReturningTo = (path: string) =>
  `${paths.signIn}?${new URLSearchParams({ redirect_url: path })}`;

/** C0 and C1 controls (browsers drop tab and newlines inside URLs) and backslashes (read as "/"). */
const unsafeCharacters = /[\u0000-\u001f\u007f-\u009f\\]/;

/**
 * A redirect target taken from the query string (sign-in's redirect_url) as a path on this site,
 * or `fallback`. Decided the way the browser will read it: resolved against the app's origin
 * (APP_URL), it must stay on that origin. Control characters and backslashes are refused
 * outright, percent-encoded too, since browsers strip or rewrite them (`/\t/evil.example` opens
 * evil.example), and so is a result a client router would read as another host (`//…`).
 */
export function safeRedirectPath(
  value: string | null | undefined,
  fallback: string,
  appOrigin: string,
): string {
  if (!value) return fallback;
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return fallback;
  }
  const origin = new URL(appOrigin).origin;
  const staysHere = (candidate: string) => {
    if (unsafeCharacters.test(candidate)) return null;
    try {
      const url = new URL(candidate, origin);
      const path = url.pathname + url.search + url.hash;
      return url.origin === origin && !path.startsWith("//") ? path : null;
    } catch {
      return null;
    }
  };
  const path = staysHere(value);
  return path !== null && staysHere(decoded) !== null ? path : fallback;
}
