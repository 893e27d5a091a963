import { inArray, or } from "drizzle-orm";
import type Stripe from "stripe";
import { deletedMarkOf } from "@/lib/billing/account-closure";
import { saveSubscriptionState } from "@/lib/billing/subscription-sync";
import { isLive } from "@/lib/billing/subscription-status";
import {
  cancelSubscriptionNow,
  stateOf,
  subscriptionsOf,
  type SubscriptionState,
} from "@/lib/billing/subscriptions";
import { getDb } from "@/lib/db/client";
import { orgs, users } from "@/lib/db/schema";
import type { Pace } from "@/lib/vendors/pace";
import { classifyStripeError } from "@/lib/vendors/stripe";

/**
 * The billing reconciler: Stripe against our tables, one page of Stripe customers at a time. A
 * customer is compared when it carries a Clerk id (metadata `clerk_user_id` / `clerk_org_id`) or
 * one of our rows records it; its subscriptions are listed, and:
 * - a live subscription of a deleted account (our tombstone, or the mark close-deleted-* left on
 *   the customer) is cancelled;
 * - a live subscription of an account our tables do not know is cancelled only when the caller
 *   says so (an operator: a wrong DATABASE_URL would make every account unknown);
 * - of several live subscriptions on one customer, the one our row records (else the oldest)
 *   stays and the newer are cancelled;
 * - a row whose subscription, status, seats, tier or trial end differ from Stripe is rewritten
 *   from Stripe, through the writes the subscription sync uses;
 * - a second customer for one account is reported.
 * A dry run (`apply: false`) only plans. Cancellations are Stripe's no-proration,
 * no-final-invoice kind, re-read first, so a repeated page repeats nothing.
 */

export const findingKinds = [
  "live-subscription-of-deleted-account",
  "live-subscription-of-unknown-account",
  "several-live-subscriptions",
  "row-differs-from-stripe",
  "several-customers-for-account",
] as const;
export type FindingKind = (typeof findingKinds)[number];

/**
 * What became of a finding: `planned` (a dry run), `done`, `held` (for an operator), `failed`
 * (Stripe refused or the row moved on; the reason says), `reported` (nothing to repair here).
 */
export const outcomes = ["done", "planned", "held", "failed", "reported"] as const;
export type Outcome = (typeof outcomes)[number];

export interface Finding {
  kind: FindingKind;
  /** "user user_…" or "organization org_…" */
  account: string;
  customerId: string;
  subscriptionId: string | null;
  /** What is wrong, in words (a cancellation's comment in Stripe too). */
  detail: string;
  outcome: Outcome;
  /** Why it failed or is held. */
  reason?: string;
}

export interface ReconcileOptions {
  /** Repair what is found; false: a dry run that changes nothing. */
  apply: boolean;
  /** Also cancel live subscriptions of accounts our tables do not know (an operator's call). */
  cancelUnknownAccounts: boolean;
  /** Stripe customers per page (at most 100). */
  pageSize: number;
  /** Called before each Stripe request, to stay within Stripe's rate limit. */
  pace: Pace;
}

export interface PageReport {
  /** Stripe customers on the page. */
  customers: number;
  /** Those compared: with a Clerk id, or recorded on one of our rows. */
  compared: number;
  /** Their subscriptions. */
  subscriptions: number;
  findings: Finding[];
  /** Where the next page starts (the last customer of this one); null after the last page. */
  next: string | null;
}

/** One page of Stripe customers, after `cursor` (a customer id; null: the first page). */
export async function reconcilePage(
  stripe: Stripe,
  cursor: string | null,
  options: ReconcileOptions,
): Promise<PageReport> {
  await options.pace();
  const page = await stripe.customers.list({
    limit: options.pageSize,
    ...(cursor ? { starting_after: cursor } : {}),
  });
  const accounts = await accountsOf(page.data);
  const report: PageReport = {
    customers: page.data.length,
    compared: 0,
    subscriptions: 0,
    findings: [],
    next: page.has_more ? page.data.at(-1)!.id : null,
  };
  for (const customer of page.data) {
    const account = accounts.get(customer.id);
    if (!account) continue;
    report.compared += 1;
    const { subscriptions, findings } = await reconcileCustomer(
      stripe,
      customer.id,
      account,
      options,
    );
    report.subscriptions += subscriptions;
    report.findings.push(...findings);
  }
  return report;
}

/** The Clerk account a customer belongs to, as our tables and the customer's metadata say. */
interface Account {
  kind: "user" | "org";
  id: string;
  /** Our tables have a row for it. */
  known: boolean;
  /** Deleted in Clerk: our tombstone, or the mark on the customer. */
  deleted: boolean;
  /** The customer its row records. */
  recordedCustomer: string | null;
  /** Its row, when the row records this customer. */
  row: RowState | null;
}

/** What a row says about the account's subscription. */
interface RowState {
  subscriptionId: string | null;
  status: string | null;
  /** users only */
  tier?: string | null;
  trialEndsAt?: Date | null;
  /** orgs only */
  seats?: number;
}

const label = (account: Pick<Account, "kind" | "id">) =>
  `${account.kind === "user" ? "user" : "organization"} ${account.id}`;

async function accountsOf(customers: Stripe.Customer[]): Promise<Map<string, Account>> {
  const customerIds = customers.map((customer) => customer.id);
  const tagged = (key: "clerk_user_id" | "clerk_org_id") =>
    customers.flatMap((customer) => customer.metadata[key] ?? []);
  const [userIds, orgIds] = [tagged("clerk_user_id"), tagged("clerk_org_id")];
  const db = await getDb();
  // inArray needs at least one value; "" matches no Clerk or Stripe id.
  const some = (ids: string[]) => (ids.length ? ids : [""]);
  const [userRows, orgRows] = await Promise.all([
    db
      .select()
      .from(users)
      .where(
        or(
          inArray(users.clerkUserId, some(userIds)),
          inArray(users.stripeCustomerId, some(customerIds)),
        ),
      ),
    db
      .select()
      .from(orgs)
      .where(
        or(
          inArray(orgs.clerkOrgId, some(orgIds)),
          inArray(orgs.stripeCustomerId, some(customerIds)),
        ),
      ),
  ]);

  // Both tables in one shape: the account, the customer it records, what it says.
  const rows = [
    ...userRows.map((row) => ({
      kind: "user" as const,
      id: row.clerkUserId,
      customerId: row.stripeCustomerId,
      deletedAt: row.deletedAt,
      state: {
        subscriptionId: row.stripeSubscriptionId,
        status: row.subscriptionStatus,
        tier: row.tier,
        trialEndsAt: row.trialEndsAt,
      },
    })),
    ...orgRows.map((row) => ({
      kind: "org" as const,
      id: row.clerkOrgId,
      customerId: row.stripeCustomerId,
      deletedAt: row.deletedAt,
      state: {
        subscriptionId: row.stripeSubscriptionId,
        status: row.subscriptionStatus,
        seats: row.purchasedSeats,
      },
    })),
  ];

  const accounts = new Map<string, Account>();
  for (const customer of customers) {
    const { clerk_user_id: userId, clerk_org_id: orgId } = customer.metadata;
    const owner = userId
      ? { kind: "user" as const, id: userId }
      : orgId
        ? { kind: "org" as const, id: orgId }
        : rows.find((row) => row.customerId === customer.id);
    if (!owner) continue;
    const row = rows.find((r) => r.kind === owner.kind && r.id === owner.id);
    const mark = deletedMarkOf(owner.kind === "user" ? "clerk_user_id" : "clerk_org_id");
    accounts.set(customer.id, {
      kind: owner.kind,
      id: owner.id,
      known: Boolean(row),
      deleted: Boolean(row?.deletedAt) || Boolean(customer.metadata[mark]),
      recordedCustomer: row?.customerId ?? null,
      row: row && row.customerId === customer.id ? row.state : null,
    });
  }
  return accounts;
}

/** Compares one customer's subscriptions with its account, and repairs when asked to. */
async function reconcileCustomer(
  stripe: Stripe,
  customerId: string,
  account: Account,
  options: ReconcileOptions,
): Promise<{ subscriptions: number; findings: Finding[] }> {
  await options.pace();
  let subscriptions = await subscriptionsOf(stripe, customerId);
  const findings = planCancellations(account, customerId, subscriptions, options);

  const cancellations = findings.filter((finding) => finding.outcome === "planned");
  if (options.apply && cancellations.length > 0) {
    for (const finding of cancellations) {
      // A cancellation re-reads the subscription first: two requests.
      await options.pace(2);
      await settle(finding, () =>
        cancelSubscriptionNow(
          stripe,
          finding.subscriptionId!,
          `${finding.detail} (billing reconciler)`,
        ),
      );
    }
    await options.pace();
    subscriptions = await subscriptionsOf(stripe, customerId);
  }

  const difference = account.row && rowDifference(account, customerId, subscriptions);
  if (difference) {
    findings.push(difference.finding);
    if (options.apply && difference.state) {
      const state = difference.state;
      await settle(difference.finding, async () => {
        const saved = await saveSubscriptionState(state);
        if (!saved.userId && !saved.orgId) {
          throw new RowMovedOnError("the row now holds another subscription or customer");
        }
      });
    }
  }
  return { subscriptions: subscriptions.length, findings };
}

class RowMovedOnError extends Error {}

/**
 * Carries out a planned repair: done, or failed with the reason when Stripe refuses it for good
 * or the row moved on. Anything transient is thrown, so the page is retried as a whole.
 */
async function settle(finding: Finding, repair: () => Promise<unknown>) {
  try {
    await repair();
    finding.outcome = "done";
  } catch (error) {
    const failure = classifyStripeError(error);
    if (error instanceof RowMovedOnError || failure?.kind === "permanent") {
      finding.outcome = "failed";
      finding.reason = error instanceof Error ? error.message : String(error);
      return;
    }
    throw error;
  }
}

/** The cancellations a customer's live subscriptions call for, and a second customer reported. */
function planCancellations(
  account: Account,
  customerId: string,
  subscriptions: Stripe.Subscription[],
  options: Pick<ReconcileOptions, "cancelUnknownAccounts">,
): Finding[] {
  const live = subscriptions.filter((subscription) => isLive(subscription.status));
  const finding = (
    kind: FindingKind,
    subscriptionId: string | null,
    detail: string,
    outcome: Outcome = "planned",
    reason?: string,
  ): Finding => ({
    kind,
    account: label(account),
    customerId,
    subscriptionId,
    detail,
    outcome,
    ...(reason ? { reason } : {}),
  });

  if (account.deleted) {
    return live.map((subscription) =>
      finding(
        "live-subscription-of-deleted-account",
        subscription.id,
        `Clerk ${label(account)} was deleted`,
      ),
    );
  }
  if (!account.known) {
    return live.map((subscription) =>
      options.cancelUnknownAccounts
        ? finding(
            "live-subscription-of-unknown-account",
            subscription.id,
            `No ${label(account)} in onramp's database`,
          )
        : finding(
            "live-subscription-of-unknown-account",
            subscription.id,
            `No ${label(account)} in onramp's database`,
            "held",
            "an operator decides: npm run reconcile -- --apply cancels it",
          ),
    );
  }

  const findings: Finding[] = [];
  if (account.recordedCustomer && account.recordedCustomer !== customerId) {
    findings.push(
      finding(
        "several-customers-for-account",
        null,
        `our row records customer ${account.recordedCustomer}; Stripe also holds ${customerId} for it, with ${live.length} live subscription(s)`,
        "reported",
      ),
    );
  }
  const kept = currentSubscription(live, account.row?.subscriptionId ?? null);
  for (const subscription of live) {
    if (subscription === kept) continue;
    findings.push(
      finding(
        "several-live-subscriptions",
        subscription.id,
        `A second live subscription of customer ${customerId}; ${kept!.id} stays`,
      ),
    );
  }
  return findings;
}

/**
 * The subscription the account's row should show: the live one it records, else the oldest live
 * one (the one a repair keeps), else the ended one it records, else the newest.
 */
function currentSubscription(
  subscriptions: Stripe.Subscription[],
  recorded: string | null,
): Stripe.Subscription | undefined {
  const live = subscriptions.filter((subscription) => isLive(subscription.status));
  const oldest = (list: Stripe.Subscription[]) => list.toSorted((a, b) => a.created - b.created)[0];
  const newest = (list: Stripe.Subscription[]) => list.toSorted((a, b) => b.created - a.created)[0];
  return (
    live.find((subscription) => subscription.id === recorded) ??
    oldest(live) ??
    subscriptions.find((subscription) => subscription.id === recorded) ??
    newest(subscriptions)
  );
}

/** How the row differs from Stripe, with the state to write; null when they agree. */
function rowDifference(
  account: Account,
  customerId: string,
  subscriptions: Stripe.Subscription[],
): { finding: Finding; state: SubscriptionState | null } | null {
  const row = account.row!;
  const current = currentSubscription(subscriptions, row.subscriptionId);
  const base = {
    kind: "row-differs-from-stripe" as const,
    account: label(account),
    customerId,
  };
  if (!current) {
    if (!row.subscriptionId) return null;
    return {
      finding: {
        ...base,
        subscriptionId: row.subscriptionId,
        detail: `our row records subscription ${row.subscriptionId}, which Stripe does not list for customer ${customerId}`,
        outcome: "reported",
      },
      state: null,
    };
  }
  const state = stateOf(current);
  const differences = rowDifferences(account.kind, row, state);
  if (differences.length === 0) return null;
  return {
    finding: {
      ...base,
      subscriptionId: state.stripeSubscriptionId,
      detail: differences.join(", "),
      outcome: "planned",
    },
    state,
  };
}

/** Each field where the row and Stripe differ, as "field ours → Stripe's". */
function rowDifferences(kind: Account["kind"], row: RowState, state: SubscriptionState): string[] {
  const differences: string[] = [];
  const compare = (field: string, ours: unknown, theirs: unknown) => {
    if (ours !== theirs) differences.push(`${field} ${ours ?? "none"} → ${theirs ?? "none"}`);
  };
  compare("subscription", row.subscriptionId, state.stripeSubscriptionId);
  compare("status", row.status, state.status);
  if (kind === "user") {
    compare("trial end", row.trialEndsAt?.toISOString(), state.trialEndsAt?.toISOString());
    // A price outside the catalogue keeps the tier the user chose (as the sync writes it).
    if (state.tier) compare("tier", row.tier, state.tier);
  } else {
    compare("seats", row.seats, state.seats);
  }
  return differences;
}
