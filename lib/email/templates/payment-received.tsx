import { Button } from "@react-email/button";
import { Heading } from "@react-email/heading";
import { Text } from "@react-email/text";
import { EmailLayout, button, heading, paragraph } from "./layout";

export interface PaymentReceivedEmailProps {
  firstName: string | null;
  unsubscribeUrl: string;
  amount: string;
  dashboardUrl: string;
}

export const paymentReceivedSubject = "Payment received: thank you";

export function PaymentReceivedEmail(props: PaymentReceivedEmailProps) {
  const { firstName, amount, dashboardUrl, unsubscribeUrl } = props;
  return (
    <EmailLayout preview={`We received your payment of ${amount}.`} unsubscribeUrl={unsubscribeUrl}>
      <Heading style={heading}>
        Thanks{firstName ? `, ${firstName}` : ""}: you&apos;re all set
      </Heading>
      <Text style={paragraph}>
        We received your payment of {amount}. Your plan is paid up and nothing else is needed.
      </Text>
      <Button style={button} href={dashboardUrl}>
        Open your dashboard
      </Button>
    </EmailLayout>
  );
}
