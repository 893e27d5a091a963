import { Body } from "@react-email/body";
import { Container } from "@react-email/container";
import { Head } from "@react-email/head";
import { Html } from "@react-email/html";
import { Link } from "@react-email/link";
import { Preview } from "@react-email/preview";
import { Section } from "@react-email/section";
import { Text } from "@react-email/text";
import type { ReactNode } from "react";

const body = { backgroundColor: "#f6f7f9", fontFamily: "Helvetica, Arial, sans-serif" };
const container = {
  backgroundColor: "#ffffff",
  margin: "32px auto",
  padding: "32px",
  maxWidth: "520px",
};
const footer = { color: "#6b7280", fontSize: "12px", marginTop: "32px" };
const footerLink = { color: "#6b7280", textDecoration: "underline" };

/** The frame every onramp email shares: preview line, card, footer with the unsubscribe link. */
export function EmailLayout({
  preview,
  unsubscribeUrl,
  children,
}: {
  preview: string;
  unsubscribeUrl: string;
  children: ReactNode;
}) {
  return (
    <Html lang="en">
      <Head />
      <Preview>{preview}</Preview>
      <Body style={body}>
        <Container style={container}>
          <Section>{children}</Section>
          <Text style={footer}>
            You are receiving this because you signed up for onramp.{" "}
            <Link href={unsubscribeUrl} style={footerLink}>
              Unsubscribe
            </Link>
          </Text>
        </Container>
      </Body>
    </Html>
  );
}

export const heading = { fontSize: "22px", fontWeight: 600, color: "#111827" };
export const paragraph = { fontSize: "15px", lineHeight: "24px", color: "#374151" };
export const button = {
  backgroundColor: "#111827",
  borderRadius: "6px",
  color: "#ffffff",
  fontSize: "15px",
  padding: "12px 20px",
  textDecoration: "none",
};
