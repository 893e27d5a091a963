import { inngest } from "@/inngest/client";
import { reconcilePage, type PageReport } from "@/lib/billing/reconcile";
import { addPage, emptySummary, formatSummary } from "@/lib/billing/reconcile-report";
import { env } from "@/lib/env";
import { requestPacer } from "@/lib/vendors/pace";
import { stripe } from "@/lib/vendors/stripe";

/** Stripe customers per step: about as many Stripe requests, a few seconds' work. */
const RECONCILE_PAGE_SIZE = 100;
/**
 * Requests a second the reconciler allows itself (10 at once first): well inside Stripe's limit
 * (25 a second in test mode, 100 live), which it shares with the live app.
 */
const REQUESTS_PER_SECOND = 10;

/**
 * Every RECONCILE_CRON (hourly by default), Stripe against our tables (lib/billing/reconcile):
 * live subscriptions of deleted accounts are cancelled, second live subscriptions on a customer
 * cancelled (the newer), rows that differ from Stripe rewritten. Live subscriptions of accounts
 * our tables do not know are only reported: that is an operator's call (`npm run reconcile --
 * --apply`). One step per page of customers, the cursor in the step's result, so a retry or a
 * restart resumes at the page it was on. The summary table goes to the log.
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
    if (!stripe) return { skipped: "Billing is not configured" };
    const billing = stripe;
    let summary = emptySummary(true);
    let cursor: string | null = null;
    do {
      const after: string | null = cursor;
      const page = await step.run(`reconcile-page-${summary.pages + 1}`, (): Promise<PageReport> =>
        reconcilePage(billing, after, {
          apply: true,
          cancelUnknownAccounts: false,
          pageSize: RECONCILE_PAGE_SIZE,
          pace: requestPacer(REQUESTS_PER_SECOND),
        }),
      );
      summary = addPage(summary, page);
      cursor = page.next;
    } while (cursor);
    logger.info(`Billing reconciled\n${formatSummary(summary)}`, { summary: summary.counts });
    return summary;
  },
);
