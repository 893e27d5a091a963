/**
 * Demo mode: `npm run dev` without Clerk and Stripe keys simulates the vendors on this machine
 * (packages/standins/), so the whole product runs with no account. Which vendors are simulated is decided
 * here, once, by the dev launcher (scripts/dev.ts), which hands the app the result as ONRAMP_DEMO
 * with the stand-ins' keys and URLs; the app reads it through lib/env.ts, which refuses it in
 * production. Real keys switch their vendor back to the real one, each on its own.
 */

export const demoVendors = ["clerk", "stripe", "resend", "inngest"] as const;
export type DemoVendor = (typeof demoVendors)[number];

export const demoVendorNames: Record<DemoVendor, string> = {
  clerk: "Clerk",
  stripe: "Stripe",
  resend: "Resend",
  inngest: "Inngest",
};

/** ONRAMP_DEMO's value: the simulated vendors, comma-separated; "off" (or empty) for none. */
export function parseDemoVendors(value: string | undefined): DemoVendor[] | null {
  if (!value || value === "off") return [];
  const names = value.split(",").map((name) => name.trim());
  return names.every((name) => (demoVendors as readonly string[]).includes(name))
    ? (names as DemoVendor[])
    : null;
}

type Vars = Record<string, string | undefined>;

/**
 * The vendors `npm run dev` simulates, given the variables the app would see (the shell and the
 * .env files). Demo mode is on when Clerk or Stripe has no key at all (a key of either means
 * "use the real one"; the app then says what is missing); then Resend is simulated too unless it
 * has a key, and Inngest unless a dev server answers or INNGEST_BASE_URL names another.
 * `ONRAMP_DEMO=off` turns it off, and it never runs in production.
 */
export function vendorsToSimulate(
  vars: Vars,
  { inngestDevServerAnswers }: { inngestDevServerAnswers: boolean },
): DemoVendor[] {
  if (vars.ONRAMP_DEMO === "off" || vars.NODE_ENV === "production") return [];
  const unset = (...names: string[]) => names.every((name) => !vars[name]);
  const simulated: Record<DemoVendor, boolean> = {
    clerk: unset("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "CLERK_SECRET_KEY"),
    stripe: unset("STRIPE_SECRET_KEY", "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY"),
    resend: unset("RESEND_API_KEY"),
    inngest: !inngestDevServerAnswers && unset("INNGEST_BASE_URL"),
  };
  if (!simulated.clerk && !simulated.stripe) return [];
  return demoVendors.filter((vendor) => simulated[vendor]);
}

/** Clerk's and Stripe's live-mode keys: secret, restricted and publishable. */
const liveKey = /^(sk|pk|rk)_live_/;

/**
 * Why demo mode must not run with these variables, or null. A simulated Clerk lets anyone in
 * with any email and a simulated Stripe takes any card, so beside a live key of either, real
 * cards are charged for made-up sign-ups, or real users are marked onboarded after a fake card.
 * Every variable is looked at, whatever its name.
 */
export function liveKeysInDemo(vars: Vars, simulated: readonly DemoVendor[]): string | null {
  if (simulated.length === 0) return null;
  const live = Object.entries(vars)
    .filter(([, value]) => value !== undefined && liveKey.test(value))
    .map(([name, value]) => `${name} (${value!.slice(0, "sk_live_".length)}…)`)
    .sort();
  if (live.length === 0) return null;
  const names = simulated.map((vendor) => demoVendorNames[vendor]).join(", ");
  return (
    `Demo mode refuses live keys: ${live.join(", ")} ${live.length === 1 ? "is a live key" : "are live keys"}, ` +
    `while ${names} would be simulated on this machine (anyone signs up with any email, any card is accepted). ` +
    "Use test-mode keys locally (sk_test_… / pk_test_…, from Clerk's development instance and Stripe's test mode), " +
    "or set Clerk's and Stripe's keys both, so that neither is simulated."
  );
}
