import type { InngestFunction } from "inngest";
import { closeDeletedOrganization } from "./functions/close-deleted-organization";
import { closeDeletedUser } from "./functions/close-deleted-user";
import { createOrganizationCustomer } from "./functions/create-organization-customer";
import { emailPaymentActionRequired } from "./functions/email-payment-action-required";
import { emailPaymentFailed } from "./functions/email-payment-failed";
import { emailPaymentReceived } from "./functions/email-payment-received";
import { emailTrialEnding } from "./functions/email-trial-ending";
import { provisionSubscription } from "./functions/provision-subscription";
import { reconcileBilling } from "./functions/reconcile-billing";
import { releaseSeatOfRemovedMember } from "./functions/release-seat-of-removed-member";
import { sendOnboardingEmails } from "./functions/send-onboarding-emails";
import { syncSubscription } from "./functions/sync-subscription";
import { syncUser } from "./functions/sync-user";

/** Every workflow, handed to serve() in app/api/inngest/route.ts. Add new functions here. */
export const functions: InngestFunction.Any[] = [
  syncUser,
  createOrganizationCustomer,
  syncSubscription,
  provisionSubscription,
  sendOnboardingEmails,
  releaseSeatOfRemovedMember,
  closeDeletedOrganization,
  closeDeletedUser,
  reconcileBilling,
  emailTrialEnding,
  emailPaymentFailed,
  emailPaymentActionRequired,
  emailPaymentReceived,
];
