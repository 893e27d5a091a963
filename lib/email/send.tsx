// The packages themselves, not the @react-email/components barrel, which also loads Tailwind and
// Prism on every cold start (about a second) for components these emails do not use.
import { render, toPlainText } from "@react-email/render";
import { and, eq } from "drizzle-orm";
import type { ReactElement } from "react";
import { getDb } from "@/lib/db/client";
import { emails, users, type EmailKind } from "@/lib/db/schema";
import { env } from "@/lib/env";
import { paths } from "@/lib/routes";
import { isUserDeleted } from "@/lib/users";
import { resend, sendEmail } from "@/lib/vendors/resend";
import { eraseStoredEmails } from "./erase";
import { PaymentDueEmail, paymentDueSubject } from "./templates/payment-due";
import { PaymentReceivedEmail, paymentReceivedSubject } from "./templates/payment-received";
import { TrialEndingEmail, trialEndingSubject } from "./templates/trial-ending";
import { TrialOfferEmail, trialOfferSubject } from "./templates/trial-offer";
import { WelcomeEmail, welcomeSubject } from "./templates/welcome";
import { unsubscribeUrl } from "./unsubscribe";

/** What an email says beyond the greeting, by kind: the facts are written out by the caller. */
type EmailContent =
  | { kind: "welcome" | "trial_offer" }
  | { kind: "trial_ending"; plan: string; trialEndsOn: string; amount: string }
  | {
      kind: "payment_failed" | "payment_reminder" | "payment_action_required";
      amount: string;
      invoiceUrl: string;
      nextAttemptOn: string | null;
    }
  | { kind: "payment_received"; amount: string };

/** One email to one user: what it is about (`reference`, "" for the onboarding emails), and to whom. */
export type UserEmail = EmailContent & {
  userId: string;
  to: string;
  firstName: string | null;
  /** The trial or invoice it is about: each kind reaches a user once per reference. */
  reference?: string;
};

export type SendResult =
  | { kind: EmailKind; outcome: "sent"; transport: "resend" | "outbox" }
  | {
      kind: EmailKind;
      outcome:
        | "already sent"
        | "skipped: the account was deleted"
        | "skipped: the user unsubscribed from emails";
    };

/** The Resend idempotency key: one per user, kind and reference, the same on every retry. */
const emailIdempotencyKey = (email: UserEmail) =>
  [email.kind, email.userId, ...(email.reference ? [email.reference] : [])].join("/");

/**
 * Sends one email at most once per user, kind and reference. The emails row is the receipt: with
 * it the email is not sent again; without it the email is sent (through Resend under a key of its
 * own, so a retry after a lost receipt is answered from Resend's cache) and the receipt written.
 * Without RESEND_API_KEY the row itself is the email: the dev outbox. A user deleted in Clerk, or
 * who unsubscribed, gets nothing: both are read last before sending, and the tombstone again once
 * the receipt is written, so a deletion in between leaves no address or body behind.
 */
export async function sendUserEmail(email: UserEmail): Promise<SendResult> {
  const db = await getDb();
  const reference = email.reference ?? "";
  const [receipt] = await db
    .select({ id: emails.id })
    .from(emails)
    .where(
      and(
        eq(emails.clerkUserId, email.userId),
        eq(emails.kind, email.kind),
        eq(emails.reference, reference),
      ),
    );
  if (receipt) return { kind: email.kind, outcome: "already sent" };

  const content = await renderEmail(email);
  const unsubscribe = unsubscribeUrl(email.userId);
  const message = { from: env.EMAIL_FROM, to: email.to, ...content };
  const skip = await skipReason(email.userId);
  if (skip) return { kind: email.kind, outcome: skip };
  let resendId: string | null = null;
  if (resend) {
    const sent = await sendEmail(
      resend,
      {
        ...message,
        tags: [{ name: "kind", value: email.kind }],
        // One-click unsubscribe (RFC 8058), which mail clients show beside the sender.
        headers: {
          "List-Unsubscribe": `<${unsubscribe.oneClick}>`,
          "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
      },
      emailIdempotencyKey(email),
    );
    resendId = sent.id;
  }

  const [row] = await db
    .insert(emails)
    .values({
      clerkUserId: email.userId,
      kind: email.kind,
      reference,
      to: message.to,
      from: message.from,
      subject: message.subject,
      html: message.html,
      transport: resend ? "resend" : "outbox",
      resendId,
    })
    .onConflictDoNothing()
    .returning({ id: emails.id });
  // An erasure that ran while the email was on its way found no receipt to erase: the tombstone
  // is read again now that it is stored. An erasure starting later (it follows the tombstone)
  // finds the receipt itself.
  if (await isUserDeleted(email.userId)) await eraseStoredEmails(email.userId);
  // No row: a concurrent run wrote the receipt first (Resend answered both from one send).
  return row
    ? { kind: email.kind, outcome: "sent", transport: resend ? "resend" : "outbox" }
    : { kind: email.kind, outcome: "already sent" };
}

/** Why nothing may be sent to the user: deleted in Clerk, or unsubscribed; null otherwise. */
async function skipReason(userId: string) {
  const db = await getDb();
  const [row] = await db
    .select({ deletedAt: users.deletedAt, unsubscribedAt: users.emailsUnsubscribedAt })
    .from(users)
    .where(eq(users.clerkUserId, userId));
  if (row?.deletedAt) return "skipped: the account was deleted" as const;
  if (row?.unsubscribedAt) return "skipped: the user unsubscribed from emails" as const;
  return null;
}

/** Whether the user already got this email (its receipt exists). */
export async function wasSent(userId: string, kinds: EmailKind[], reference: string) {
  const db = await getDb();
  const receipts = await db
    .select({ kind: emails.kind })
    .from(emails)
    .where(and(eq(emails.clerkUserId, userId), eq(emails.reference, reference)));
  return receipts.some((receipt) => kinds.includes(receipt.kind));
}

/**
 * Subject, HTML and text of one email. Nothing in it depends on the time of sending (dates and
 * amounts come written out), so a retry sends byte-identical parameters under the same
 * idempotency key, as Resend requires.
 */
async function renderEmail(email: UserEmail) {
  const { subject, template } = templateFor(email, {
    firstName: email.firstName,
    unsubscribeUrl: unsubscribeUrl(email.userId).page,
  });
  const html = await render(template);
  return { subject, html, text: toPlainText(html) };
}

const dashboardUrl = () => new URL(paths.dashboard, env.APP_URL).href;

function templateFor(
  email: EmailContent,
  common: { firstName: string | null; unsubscribeUrl: string },
): { subject: string; template: ReactElement } {
  switch (email.kind) {
    case "welcome":
      return {
        subject: welcomeSubject,
        template: <WelcomeEmail {...common} dashboardUrl={dashboardUrl()} />,
      };
    case "trial_offer":
      return {
        subject: trialOfferSubject,
        template: <TrialOfferEmail {...common} billingUrl={dashboardUrl()} />,
      };
    case "trial_ending":
      return {
        subject: trialEndingSubject,
        template: <TrialEndingEmail {...common} {...email} billingUrl={dashboardUrl()} />,
      };
    case "payment_failed":
    case "payment_reminder":
    case "payment_action_required": {
      const reason = (
        {
          payment_failed: "failed",
          payment_reminder: "reminder",
          payment_action_required: "action_required",
        } as const
      )[email.kind];
      return {
        subject: paymentDueSubject(reason),
        template: (
          <PaymentDueEmail {...common} {...email} reason={reason} billingUrl={dashboardUrl()} />
        ),
      };
    }
    case "payment_received":
      return {
        subject: paymentReceivedSubject,
        template: <PaymentReceivedEmail {...common} {...email} dashboardUrl={dashboardUrl()} />,
      };
  }
}
