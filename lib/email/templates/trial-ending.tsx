import { Button } from "@react-email/button";
import { Heading } from "@react-email/heading";
import { Text } from "@react-email/text";
import { EmailLayout, button, heading, paragraph } from "./layout";

export interface TrialEndingEmailProps {
  firstName: string | null;
  unsubscribeUrl: string;
  /** The plan's name, the day the trial ends and what the card is charged then, as written. */
  plan: string;
  trialEndsOn: string;
  amount: string;
  billingUrl: string;
}

export const trialEndingSubject = "Your onramp trial ends in 3 days";

export function TrialEndingEmail(props: TrialEndingEmailProps) {
  const { firstName, plan, trialEndsOn, amount, billingUrl, unsubscribeUrl } = props;
  return (
    <EmailLayout
      preview={`Your card is charged ${amount} on ${trialEndsOn}.`}
      unsubscribeUrl={unsubscribeUrl}
    >
      <Heading style={heading}>
        Your trial ends on {trialEndsOn}
        {firstName ? `, ${firstName}` : ""}
      </Heading>
      <Text style={paragraph}>
        On {trialEndsOn} your {plan} plan starts and the card you saved is charged {amount}, then
        every month until you cancel. Nothing to do if you want to keep it.
      </Text>
      <Text style={paragraph}>
        To change your plan or card, or to cancel before you are charged, manage your billing:
      </Text>
      <Button style={button} href={billingUrl}>
        Manage billing
      </Button>
    </EmailLayout>
  );
}
