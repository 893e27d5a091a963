/**
 * What the ordering test drives and reads of the app, in one module it can import twice: as
 * configured, and again after `vi.resetModules()` with TRIAL_DAYS=0 (lib/env reads it at import),
 * each copy with its own in-memory database.
 */
export { functions } from "@/inngest/index";
export { reconcileBilling } from "@/inngest/functions/reconcile-billing";
export { getDb } from "@/lib/db/client";
export { onboardingStatus } from "@/lib/onboarding/status";
export { storePaymentDetails } from "@/lib/onboarding/submissions";
