import { missingClerkVariables } from "@/lib/vendors/clerk";
import { Card, PageShell, PageTitle } from "./ui";

/** What a page that needs a signed-in user shows when Clerk has no keys (zero-account dev). */
export function ClerkNotConfigured({ page }: { page: string }) {
  const missing = missingClerkVariables();
  return (
    <PageShell>
      <PageTitle
        title="Sign-in isn't set up yet"
        lead={`${page} needs Clerk, and this server has no Clerk keys. Everything else (the home page, /api/health) works without them.`}
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
            Copy its keys into <code className="rounded bg-slate-100 px-1">.env.local</code>:
            <pre className="mt-2 overflow-x-auto rounded-lg bg-slate-900 p-3 text-xs text-slate-100">
              {[
                "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY=pk_test_…",
                "CLERK_SECRET_KEY=sk_test_…",
                'CLERK_JWT_KEY="-----BEGIN PUBLIC KEY-----…"',
              ].join("\n")}
            </pre>
          </li>
          <li>
            Under Sessions → Customize session token, add the claim{" "}
            <code className="rounded bg-slate-100 px-1">
              {'"metadata": "{{user.public_metadata}}"'}
            </code>
            .
          </li>
          <li>Restart the server (and rebuild: the publishable key is fixed at build time).</li>
        </ol>
        {missing.length > 0 && (
          <p className="mt-5 text-sm text-slate-600">
            Missing now:{" "}
            {missing.map((name) => (
              <code key={name} className="mr-2 rounded bg-amber-50 px-1 text-amber-900">
                {name}
              </code>
            ))}
          </p>
        )}
      </Card>
    </PageShell>
  );
}
