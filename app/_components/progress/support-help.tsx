import type { ReactNode } from "react";
import { Alert } from "../ui";
import { SupportLink } from "./support-link";
import { SupportReference } from "./support-reference";

/** A message that ends with how to reach support, quoting the run's reference. */
export function SupportHelp({
  tone,
  title,
  email,
  reference,
  children,
}: {
  tone: "info" | "warning" | "error";
  title?: string;
  email: string;
  reference?: string;
  children: ReactNode;
}) {
  return (
    <Alert tone={tone} title={title}>
      <p>{children}</p>
      <p>
        Support: <SupportLink email={email} reference={reference} />
      </p>
      <SupportReference reference={reference} />
    </Alert>
  );
}
