import { desc, eq } from "drizzle-orm";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { getDb } from "@/lib/db/client";
import { emails } from "@/lib/db/schema";
import { env } from "@/lib/env";
import { clerkConfigured } from "@/lib/vendors/clerk";

export const metadata: Metadata = { title: "Dev outbox" };
export const dynamic = "force-dynamic";

/**
 * The emails kept instead of sent while RESEND_API_KEY is unset, or, in demo mode, those sent to
 * the simulated Resend: newest first. Only where `npm run dev` turned it on (ONRAMP_DEV_EMAILS,
 * which production refuses): anywhere else the page does not exist. Each email renders in a
 * sandboxed iframe, so its HTML runs no script and cannot touch this page.
 */
export default async function DevOutboxPage() {
  if (!env.ONRAMP_DEV_EMAILS) notFound();
  const resendSimulated = env.ONRAMP_DEMO.includes("resend");
  const db = await getDb();
  const outbox = await db
    .select()
    .from(emails)
    .where(resendSimulated ? undefined : eq(emails.transport, "outbox"))
    .orderBy(desc(emails.sentAt))
    .limit(50);
  const why = resendSimulated
    ? "sent to the simulated Resend (demo mode)"
    : "kept because RESEND_API_KEY is not set";

  return (
    <main className="mx-auto max-w-4xl space-y-6 p-6">
      <header>
        <h1 className="text-2xl font-semibold">Dev outbox</h1>
        <p className="text-sm text-slate-600">
          {outbox.length > 0
            ? `${outbox.length} email${outbox.length === 1 ? "" : "s"} ${why}.`
            : clerkConfigured
              ? `No emails yet. Sign up and the welcome email appears here; the trial offer follows ${env.TRIAL_OFFER_DELAY} later.`
              : "No emails yet. Emails go out when someone signs up, and sign-up needs Clerk keys (see /sign-up), or npm run dev without any keys for demo mode."}
        </p>
      </header>
      {outbox.map((email) => (
        <article key={email.id} className="rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
          <dl className="grid grid-cols-[6rem_1fr] gap-x-3 gap-y-1 p-4 text-sm">
            <dt className="text-slate-500">Subject</dt>
            <dd className="font-medium">{email.subject}</dd>
            <dt className="text-slate-500">To</dt>
            <dd>{email.to}</dd>
            <dt className="text-slate-500">From</dt>
            <dd>{email.from}</dd>
            <dt className="text-slate-500">Kind</dt>
            <dd>{email.kind}</dd>
            <dt className="text-slate-500">Sent</dt>
            <dd>
              <time dateTime={email.sentAt.toISOString()}>{email.sentAt.toLocaleString()}</time>
            </dd>
          </dl>
          <iframe
            title={`${email.kind} email to ${email.to}`}
            sandbox=""
            srcDoc={email.html}
            className="h-96 w-full rounded-b-lg border-t border-slate-200 bg-white"
          />
        </article>
      ))}
    </main>
  );
}
