import { Button } from "@react-email/button";
import { Heading } from "@react-email/heading";
import { Link } from "@react-email/link";
import { Text } from "@react-email/text";
import { EmailLayout, button, heading, paragraph } from "./layout";

/** Why a payment is still due: refused, still unpaid days later, or waiting for the bank's check. */
export type PaymentDueReason = "failed" | "reminder" | "action_required";

export interface PaymentDueEmailProps {
  reason: PaymentDueReason;
  firstName: string | null;
  unsubscribeUrl: string;
  amount: string;
  /** Stripe's hosted page where the invoice is paid (a new card, or the bank's check). */
  invoiceUrl: string;
  /** When Stripe next tries the card, as written; null when it will not try again by itself. */
  nextAttemptOn: string | null;
  billingUrl: string;
}

const words: Record<PaymentDueReason, { subject: string; heading: string; lead: string }> = {
  failed: {
    subject: "Your onramp payment didn't go through",
    heading: "We couldn't charge your card",
    lead: "Your bank declined this month's payment of",
  },
  reminder: {
    subject: "Reminder: your onramp payment is still due",
    heading: "Your payment is still due",
    lead: "We still haven't been able to collect this month's payment of",
  },
  action_required: {
    subject: "Confirm your onramp payment with your bank",
    heading: "Your bank wants to confirm this payment",
    lead: "Your bank asks you to confirm this month's payment of",
  },
};

export const paymentDueSubject = (reason: PaymentDueReason) => words[reason].subject;

export function PaymentDueEmail(props: PaymentDueEmailProps) {
  const { reason, firstName, amount, invoiceUrl, nextAttemptOn, billingUrl, unsubscribeUrl } =
    props;
  const { heading: title, lead } = words[reason];
  const action = reason === "action_required" ? "Confirm the payment" : "Pay now";
  return (
    <EmailLayout preview={`${lead} ${amount}.`} unsubscribeUrl={unsubscribeUrl}>
      <Heading style={heading}>
        {title}
        {firstName ? `, ${firstName}` : ""}
      </Heading>
      <Text style={paragraph}>
        {lead} {amount}. You keep full access meanwhile.
      </Text>
      <Text style={paragraph}>
        {nextAttemptOn
          ? `We'll try your card again on ${nextAttemptOn}. If the payment still can't be collected after our last try, your plan ends and its paid features stop.`
          : "If it isn't paid, your plan ends and its paid features stop."}
      </Text>
      <Button style={button} href={invoiceUrl}>
        {action}
      </Button>
      <Text style={paragraph}>
        Or update your card in <Link href={billingUrl}>your dashboard</Link>.
      </Text>
    </EmailLayout>
  );
}
