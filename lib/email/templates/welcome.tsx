import { Button } from "@react-email/button";
import { Heading } from "@react-email/heading";
import { Text } from "@react-email/text";
import { EmailLayout, button, heading, paragraph } from "./layout";

export interface WelcomeEmailProps {
  firstName: string | null;
  unsubscribeUrl: string;
  dashboardUrl: string;
}

export const welcomeSubject = "Welcome to onramp";

export function WelcomeEmail({ firstName, dashboardUrl, unsubscribeUrl }: WelcomeEmailProps) {
  return (
    <EmailLayout preview="Your onramp account is being set up." unsubscribeUrl={unsubscribeUrl}>
      <Heading style={heading}>Welcome{firstName ? `, ${firstName}` : ""}!</Heading>
      <Text style={paragraph}>
        Thanks for signing up. We are setting up your account and your trial right now; it takes a
        few seconds.
      </Text>
      <Button style={button} href={dashboardUrl}>
        Open your dashboard
      </Button>
    </EmailLayout>
  );
}
