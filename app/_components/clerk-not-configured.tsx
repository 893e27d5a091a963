import { env } from "@/lib/env";
import { clerkVariables, missingClerkVariables } from "@/lib/vendors/clerk";
import { Card, PageShell, PageTitle } from "./ui";

const chip = "rounded bg-slate-100 px-1 break-all";

/** What a page that needs a signed-in user shows when Clerk has no keys. */
export function ClerkNotConfigured({ page }: { page: string }) {
  const missing = missingClerkVariables();
  const underNextDev = env.NODE_ENV === "development";
  return (
    <PageShell>
      <PageTitle
        title={`${page} isn't available yet`}
        lead={`${page} needs a signed-in user, and sign-in (Clerk) has no keys on this server. The home page and /api/health work without them.`}
      />
      <Card>
        <h2 className="text-base font-semibold">Configure Clerk</h2>
        <ol className="mt-4 list-decimal space-y-3 pl-5 text-sm text-slate-700">
          <li>
            Create an application at{" "}
            <a className="font-medium text-brand-700 underline" href="https://dashboard.clerk.com">
              dashboard.clerk.com
            </a>{" "}
            with email sign-up by verification code.
          </li>
          <li>
            Copy its keys into <code className={chip}>.env.local</code>:
            <pre className="mt-2 rounded-lg bg-slate-900 p-3 text-xs break-all whitespace-pre-wrap text-slate-100">
              {clerkVariables
                .map((name) => `${name}=${name.startsWith("NEXT") ? "pk" : "sk"}_test_…`)
                .join("\n")}
            </pre>
            Optionally also <code className={chip}>CLERK_JWT_KEY</code> (API keys → JWT public key),
            so sessions are verified without a call to Clerk.
          </li>
          <li>
            Under Sessions → Customize session token, add the claim{" "}
            <code className={chip}>{'"metadata": "{{user.public_metadata}}"'}</code>.
          </li>
          <li>
            {underNextDev
              ? "Restart npm run dev."
              : "Rebuild and restart the server: the publishable key is fixed at build time."}
          </li>
        </ol>
        {missing.length > 0 && (
          <p className="mt-5 text-sm text-slate-600">
            Missing now:{" "}
            {missing.map((name) => (
              <code key={name} className="mr-2 rounded bg-amber-50 px-1 break-all text-amber-900">
                {name}
              </code>
            ))}
          </p>
        )}
        {underNextDev && (
          <p className="mt-5 text-sm text-slate-600">
            Or try everything first without an account: with no Clerk and no Stripe keys at all,{" "}
            <code className={chip}>npm run dev</code> starts demo mode, which simulates them on this
            machine.
          </p>
        )}
      </Card>
    </PageShell>
  );
}
