import type { Metadata } from "next";
import { LegalPage } from "@/app/_components/legal-page";

export const metadata: Metadata = { title: "Privacy Policy" };

/** Placeholder privacy policy: what onramp as shipped actually keeps, and who processes it. */
export default function PrivacyPage() {
  return (
    <LegalPage title="Privacy Policy" source="app/privacy/page.tsx" questionsAbout="your data">
      <section>
        <h2>What we keep</h2>
        <ul>
          <li>Your email address and name, to sign you in and write to you.</li>
          <li>
            Your plan, your subscription&apos;s status and your trial&apos;s end date. Your card
            details go to Stripe and never reach our servers; we keep only Stripe&apos;s reference
            to your customer account.
          </li>
          <li>A copy of each email we send you, with the address and when it was sent.</li>
          <li>The projects you create.</li>
          <li>For organizations: who is a member and who holds a seat.</li>
        </ul>
      </section>
      <section>
        <h2>Who processes it for us</h2>
        <ul>
          <li>Clerk, for sign-in.</li>
          <li>Stripe, for cards, subscriptions and invoices.</li>
          <li>Resend, to send email.</li>
          <li>Our database and background-job providers, to run the service.</li>
        </ul>
      </section>
      <section>
        <h2>Deleting your data</h2>
        <p>
          When you delete your account, your subscriptions are cancelled and your personal details
          are erased from our records; Stripe keeps what the law requires of payments.
        </p>
        <p>
          One thing stays, so that each person gets one free trial: a keyed hash of your card (of
          the fingerprint Stripe gives it) and of your verified email address. A keyed hash is a
          one-way code made with a secret only we hold: it cannot be turned back into your card
          number or your address, and it only tells us, when someone starts a trial, that this card
          or address has had one before.
        </p>
      </section>
      <section>
        <h2>Emails</h2>
        <p>
          We email you about your account: a welcome, your trial, and your payments. Every email has
          an unsubscribe link; after it, we send you none, and your dashboard shows anything that
          needs you.
        </p>
      </section>
    </LegalPage>
  );
}
