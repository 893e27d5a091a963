import {
  findingKinds,
  outcomes,
  type Finding,
  type FindingKind,
  type Outcome,
  type PageReport,
} from "@/lib/billing/reconcile";

/** What a reconciliation found and did over all its pages: what an operator reads. */
export interface ReconcileSummary {
  applied: boolean;
  pages: number;
  customers: number;
  compared: number;
  subscriptions: number;
  counts: Record<FindingKind, Record<Outcome, number>>;
  /** The findings themselves, the first `detailLimit` of them. */
  details: Finding[];
  /** Findings beyond `detailLimit`, counted above but not listed. */
  omitted: number;
  /** Why the reconciliation stopped before its last page, with nothing closed on that page. */
  stopped: string | null;
}

const detailLimit = 100;

export function emptySummary(applied: boolean): ReconcileSummary {
  const zero = () => Object.fromEntries(outcomes.map((o) => [o, 0])) as Record<Outcome, number>;
  return {
    applied,
    pages: 0,
    customers: 0,
    compared: 0,
    subscriptions: 0,
    counts: Object.fromEntries(findingKinds.map((kind) => [kind, zero()])) as Record<
      FindingKind,
      Record<Outcome, number>
    >,
    details: [],
    omitted: 0,
    stopped: null,
  };
}

/** The summary with one more page in it. */
export function addPage(summary: ReconcileSummary, page: PageReport): ReconcileSummary {
  const counts = structuredClone(summary.counts);
  for (const finding of page.findings) counts[finding.kind][finding.outcome] += 1;
  const room = detailLimit - summary.details.length;
  return {
    ...summary,
    pages: summary.pages + 1,
    customers: summary.customers + page.customers,
    compared: summary.compared + page.compared,
    subscriptions: summary.subscriptions + page.subscriptions,
    counts,
    details: [...summary.details, ...page.findings.slice(0, Math.max(0, room))],
    omitted: summary.omitted + Math.max(0, page.findings.length - Math.max(0, room)),
    stopped: page.stopped,
  };
}

/** Whether nothing is left to repair or decide: every finding repaired, or none found. */
export function booksAreStraight(summary: ReconcileSummary): boolean {
  return (
    !summary.stopped &&
    Object.values(summary.counts).every(
      (count) => count.planned + count.held + count.failed + count.reported === 0,
    )
  );
}

/** Repairs carried out, of every kind. */
export const repairsDone = (summary: ReconcileSummary) =>
  Object.values(summary.counts).reduce((sum, count) => sum + count.done, 0);

const kindLabels: Record<FindingKind, string> = {
  "live-subscription-of-deleted-account": "live subscription of a deleted account",
  "account-deleted-in-clerk": "account Clerk no longer has",
  "account-missing-from-our-tables": "account missing from our tables",
  "live-subscription-without-onboarding": "live subscription, onboarding failed",
  "several-live-subscriptions": "second live subscription on a customer",
  "row-differs-from-stripe": "our row differs from Stripe",
  "several-customers-for-account": "second customer for an account",
};

const outcomeLabels: Record<Outcome, string> = {
  done: "repaired",
  planned: "to repair",
  held: "held",
  failed: "failed",
  reported: "reported",
};

/** The summary as a table an operator reads after an incident, with the findings listed. */
export function formatSummary(summary: ReconcileSummary): string {
  const header = ["finding", "found", ...outcomes.map((o) => outcomeLabels[o])];
  const total = (kind: FindingKind) =>
    outcomes.reduce((sum, outcome) => sum + summary.counts[kind][outcome], 0);
  const rows = findingKinds.map((kind) => [
    kindLabels[kind],
    String(total(kind)),
    ...outcomes.map((outcome) => String(summary.counts[kind][outcome])),
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ");

  const lines = [
    `Billing reconciliation (${summary.applied ? "applied" : "dry run: nothing was changed"})`,
    `${summary.compared} of ${summary.customers} Stripe customers compared (this deployment's, or on one of our rows), ${summary.subscriptions} subscriptions, ${summary.pages} page(s)`,
    "",
    line(header),
    line(widths.map((width) => "-".repeat(width))),
    ...rows.map(line),
  ];
  if (summary.details.length > 0) {
    lines.push("");
    for (const finding of summary.details) {
      const where = [
        finding.account,
        `customer ${finding.customerId}`,
        ...("subscriptionId" in finding ? [`subscription ${finding.subscriptionId}`] : []),
      ].join(", ");
      const reason = "reason" in finding ? ` (${finding.reason})` : "";
      lines.push(`- [${outcomeLabels[finding.outcome]}] ${where}: ${finding.detail}${reason}`);
    }
    if (summary.omitted > 0) lines.push(`… and ${summary.omitted} more`);
  }
  lines.push(
    "",
    summary.stopped
      ? `Stopped after page ${summary.pages}: ${summary.stopped}`
      : booksAreStraight(summary)
        ? "The books are straight: Stripe, Clerk and our tables agree."
        : summary.applied
          ? "Not everything could be repaired: see the held, failed and reported findings above."
          : "Run with --apply to repair what is listed as to repair.",
  );
  return lines.join("\n");
}
