import { inngest } from "@/inngest/client";
import { reconcilePage, type PageReport } from "@/lib/billing/reconcile";
import { addPage, emptySummary, formatSummary } from "@/lib/billing/reconcile-report";
import { env } from "@/lib/env";
import { requestPacer } from "@/lib/vendors/pace";
import { clerkConfigured } from "@/lib/vendors/clerk";
import { billingClient } from "@/lib/vendors/stripe";

/** Stripe customers per step: about as many Stripe requests, a few seconds' work. */
const RECONCILE_PAGE_SIZE = 100;
/**
 * Requests a second the reconciler allows itself (10 at once first): well inside Stripe's limit
 * (25 a second in test mode, 100 live), which it shares with the live app.
 */
const REQUESTS_PER_SECOND = 10;
/**
 * Clerk requests a second: a page asks about its accounts in one or two requests (100 ids each),
 * far inside Clerk's 100 per 10 seconds, which the live app shares.
 */
const CLERK_REQUESTS_PER_SECOND = 2;

/**
 * Every RECONCILE_CRON (hourly by default), Stripe against Clerk and our tables
 * (lib/billing/reconcile): live subscriptions of deleted accounts and of accounts Clerk no longer
 * has are cancelled (and what was paid for nothing refunded), rows our tables lack are written
 * from Clerk and Stripe, second live subscriptions cancelled, rows that differ from Stripe
 * rewritten; a failed onboarding's live subscription is held for an operator. One step per page of customers, the cursor in the step's result,
 * so a retry or a restart resumes at the page it was on. When Clerk seems to have none of the
 * accounts (a wrong key), it stops before closing any. The summary table goes to the log.
 */
export const reconcileBilling = inngest.createFunction(
  {
    id: "reconcile-billing",
    name: "Reconcile billing with Stripe",
    triggers: [{ cron: env.RECONCILE_CRON }],
    // One reconciliation at a time: a slow one is never overtaken by the next hour's.
    concurrency: { limit: 1 },
    retries: 3,
  },
  async ({ step, logger }) => {
    const stripe = billingClient();
    if (!stripe) return { skipped: "Billing is not configured" };
    // Clerk says which accounts exist: without it nothing can be closed or repaired safely.
    if (!clerkConfigured) return { skipped: "Clerk is not configured" };
    let summary = emptySummary(true);
    let cursor: string | null = null;
    do {
      const after: string | null = cursor;
      const page = await step.run(`reconcile-page-${summary.pages + 1}`, (): Promise<PageReport> =>
        reconcilePage(stripe, after, {
          apply: true,
          pageSize: RECONCILE_PAGE_SIZE,
          pace: requestPacer(REQUESTS_PER_SECOND),
          clerkPace: requestPacer(CLERK_REQUESTS_PER_SECOND),
        }),
      );
      summary = addPage(summary, page);
      cursor = page.stopped ? null : page.next;
    } while (cursor);
    if (summary.stopped) {
      logger.error(`Billing reconciliation stopped\n${formatSummary(summary)}`, {
        summary: summary.counts,
      });
    } else {
      logger.info(`Billing reconciled\n${formatSummary(summary)}`, { summary: summary.counts });
    }
    return summary;
  },
);
