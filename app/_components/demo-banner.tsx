import { demoVendorNames, demoVendors, type DemoVendor } from "@/lib/demo";
import { env } from "@/lib/env";

/** "Clerk, Stripe and Inngest" */
const listOf = (names: string[]) =>
  names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;

/** The keys that switch each vendor to the real one. */
const realKeys: Record<DemoVendor, string> = {
  clerk: "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY and CLERK_SECRET_KEY",
  stripe: "STRIPE_SECRET_KEY and NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY",
  resend: "RESEND_API_KEY",
  inngest: "an Inngest dev server on :8288",
};

/**
 * Demo mode's notice, on every page while it is on (lib/demo.ts): which vendors are simulated on
 * this machine, what to type into them, and how to switch to the real ones.
 */
export function DemoBanner() {
  const simulated = env.ONRAMP_DEMO;
  if (simulated.length === 0) return null;
  const real = demoVendors.filter((vendor) => !simulated.includes(vendor));
  const names = (vendors: readonly DemoVendor[]) =>
    listOf(vendors.map((vendor) => demoVendorNames[vendor]));

  return (
    <aside
      aria-label="Demo mode"
      data-testid="demo-banner"
      className="border-b border-amber-200 bg-amber-50 px-4 py-2.5 text-sm text-amber-950"
    >
      <div className="mx-auto max-w-5xl">
        <p>
          <strong className="font-semibold">Demo mode:</strong> {names(simulated)}{" "}
          {simulated.length === 1 ? "is" : "are"} simulated on this machine
          {real.length > 0 && <> ({names(real)} real)</>}.
          {simulated.includes("stripe") && " No card is charged."} To use the real services, put
          their keys in <code>.env.local</code> and restart <code>npm run dev</code>.
        </p>
        <details className="mt-1">
          <summary className="cursor-pointer font-medium text-amber-900 underline">
            What to try, and which keys
          </summary>
          <ul className="mt-2 list-disc space-y-1 pl-5 break-words">
            {simulated.includes("clerk") && (
              <li>Sign up with any email: the verification code is shown on the page.</li>
            )}
            {simulated.includes("stripe") && (
              <li>
                Cards: <code>4242 4242 4242 4242</code> succeeds, <code>4000 0000 0000 0002</code>{" "}
                is declined, <code>4000 0025 0000 3155</code> asks for 3-D Secure; any future expiry
                and CVC.
              </li>
            )}
            {simulated.includes("resend") && (
              <li>
                Emails (the welcome, then the trial offer after {env.TRIAL_OFFER_DELAY}) are at{" "}
                <a className="font-medium underline" href="/dev/emails">
                  /dev/emails
                </a>
                .
              </li>
            )}
            {simulated.map((vendor) => (
              <li key={vendor}>
                Real {demoVendorNames[vendor]}: {realKeys[vendor]}.
              </li>
            ))}
            <li>README.md, From demo to real keys, has the steps.</li>
          </ul>
        </details>
      </div>
    </aside>
  );
}
