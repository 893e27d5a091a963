import type { Metadata } from "next";
import { connection } from "next/server";
import { LegalPage } from "@/app/_components/legal-page";
import { trialDays } from "@/lib/billing/plans";

export const metadata: Metadata = { title: "Terms of Service" };

/** Placeholder terms: what the service does with a trial and a card, in plain words. */
export default async function TermsPage() {
  await connection(); // the trial length is the server's configuration, read per request
  const days = trialDays();
  return (
    <LegalPage title="Terms of Service" source="app/terms/page.tsx" questionsAbout="these terms">
      <section>
        <h2>The service</h2>
        <p>
          You get access to the plan you choose for as long as your subscription is active. We may
          change or end features; we will tell you before a change that affects what you pay.
        </p>
      </section>
      <section>
        <h2>Trial and billing</h2>
        <ul>
          {days > 0 && (
            <li>
              Every plan starts with a {days}-day free trial. Your card is saved when you sign up
              and is not charged during the trial.
            </li>
          )}
          <li>
            Unless you cancel, your card is charged the plan&apos;s monthly price
            {days > 0 ? " when the trial ends" : ""} and then every month.
          </li>
          <li>
            You can change your plan, update your card, download invoices or cancel at any time from
            your dashboard (Manage billing). Cancelling stops future charges.
          </li>
        </ul>
      </section>
      <section>
        <h2>Your account</h2>
        <p>
          Keep access to your email address safe: it is how you sign in. If your account is deleted,
          your subscription is cancelled with it.
        </p>
      </section>
    </LegalPage>
  );
}
