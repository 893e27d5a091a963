import Link from "next/link";
import { paths } from "@/lib/routes";
import type { PlanOption } from "./plan-picker";

/**
 * What the visitor agrees to by submitting the form, next to the card field: the terms, the
 * privacy policy, and when the card is charged. The links open in a new tab, so reading them
 * does not lose the form.
 */
export function TermsConsent({
  plan,
  trialDays,
  card = true,
}: {
  plan?: PlanOption;
  trialDays: number;
  /** False when billing is off: no card is asked for, so nothing is said about charging one. */
  card?: boolean;
}) {
  const link = "font-medium text-brand-700 underline hover:text-brand-600";
  return (
    <p className="text-xs text-slate-600" data-testid="terms-consent">
      By starting your trial you agree to our{" "}
      <Link href={paths.terms} target="_blank" className={link}>
        Terms of Service
      </Link>{" "}
      and{" "}
      <Link href={paths.privacy} target="_blank" className={link}>
        Privacy Policy
      </Link>
      .
      {card &&
        plan &&
        ` You allow us to charge this card ${plan.monthlyPrice} a month for ${plan.name}${
          trialDays > 0 ? ` from the end of your ${trialDays}-day trial` : ""
        } until you cancel.`}
    </p>
  );
}
