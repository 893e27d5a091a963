import { Button } from "@react-email/button";
import { Heading } from "@react-email/heading";
import { Text } from "@react-email/text";
import { EmailLayout, button, heading, paragraph } from "./layout";

export interface TrialOfferEmailProps {
  firstName: string | null;
  unsubscribeUrl: string;
  billingUrl: string;
}

export const trialOfferSubject = "Make the most of your onramp trial";

export function TrialOfferEmail({ firstName, billingUrl, unsubscribeUrl }: TrialOfferEmailProps) {
  return (
    <EmailLayout
      preview="Keep everything you have set up when your trial ends."
      unsubscribeUrl={unsubscribeUrl}
    >
      <Heading style={heading}>How is your trial going{firstName ? `, ${firstName}` : ""}?</Heading>
      <Text style={paragraph}>
        Your trial is under way. Keep your plan when it ends and everything you have set up stays
        exactly where it is: nothing to move, nothing to re-enter.
      </Text>
      <Button style={button} href={billingUrl}>
        Review your plan
      </Button>
    </EmailLayout>
  );
}
