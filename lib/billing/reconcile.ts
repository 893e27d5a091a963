import type Stripe from "stripe";
import { closeAccount, deletedComment, refundCutoff } from "@/lib/billing/account-closure";
import { lookUpInClerk, type ClerkAccount } from "@/lib/billing/clerk-accounts";
import { accountLabel, belongsTo, type BillingOwner } from "@/lib/billing/ownership";
import { seatPrice, tierOfPrice } from "@/lib/billing/plans";
import { refundPayments } from "@/lib/billing/refunds";
import { accountsOf, type Account, type RowState } from "@/lib/billing/reconcile-accounts";
import { saveSubscriptionState } from "@/lib/billing/subscription-sync";
import { isLive } from "@/lib/billing/subscription-status";
import {
  cancelSubscriptionNow,
  stateOf,
  subscriptionsOf,
  type SubscriptionState,
} from "@/lib/billing/subscriptions";
import { upsertOrg } from "@/lib/orgs/orgs";
import { recordUserStripeCustomer, upsertUserProfile } from "@/lib/users";
import type { Pace } from "@/lib/vendors/pace";
import { classifyStripeError } from "@/lib/vendors/stripe";

/**
 * The billing reconciler: Stripe against our tables and Clerk, one page of Stripe customers at a
 * time. It keeps one invariant: every live subscription onramp made belongs to an account that
 * exists in Clerk, is not deleted, and is onboarded or inside an onboarding run still going. A
 * customer is compared when this deployment made it (its ONRAMP_ENVIRONMENT tag) or one of our
 * rows records it; another deployment's are left alone. Its subscriptions are listed, Clerk is
 * asked about the owners of live ones (batched: lib/billing/clerk-accounts), and:
 * - a live subscription of a deleted account (our tombstone, or the mark close-deleted-* left on
 *   the customer) is cancelled, and what was paid for nothing refunded;
 * - an account Clerk does not have (its user.deleted was lost) is closed as its deletion would
 *   be: tombstone, cancellations, refunds, the customer marked;
 * - an account Clerk has but our tables lack (a restore, the wrong database) gets its row back
 *   from Clerk and Stripe, and nothing of it is cancelled;
 * - a live subscription of a user whose onboarding failed for good (and whom Clerk does not count
 *   onboarded) is held for an operator: the failed run's handler should have ended it, and the
 *   reconciler never cancels an account Clerk still has;
 * - of several live subscriptions onramp made for one account, the one its Clerk metadata names
 *   (else the one our row records, else the oldest) stays and the others are cancelled;
 *   subscriptions onramp did not make (an add-on from Stripe's dashboard) are not its to judge;
 * - a row whose subscription, status, seats, tier or trial end differ from Stripe is rewritten
 *   from Stripe, through the writes the subscription sync uses;
 * - a second customer for one account is reported.
 * When most accounts Clerk was asked about on a page look absent (a key of another Clerk
 * instance makes every account absent), nothing is closed and the reconciliation stops, saying
 * why. A dry run (`apply: false`) only plans. Cancellations are Stripe's no-proration,
 * no-final-invoice kind, and every repair re-reads first, so a repeated page repeats nothing.
 */

export const findingKinds = [
  "live-subscription-of-deleted-account",
  "account-deleted-in-clerk",
  "account-missing-from-our-tables",
  "live-subscription-without-onboarding",
  "several-live-subscriptions",
  "row-differs-from-stripe",
  "several-customers-for-account",
] as const;
export type FindingKind = (typeof findingKinds)[number];

/**
 * What became of a finding: `planned` (a dry run), `done`, `held` (for an operator, or the
 * reconciliation stopped before it), `failed` (Stripe refused or the row moved on; the reason
 * says), `reported` (nothing to repair here).
 */
export const outcomes = ["done", "planned", "held", "failed", "reported"] as const;
export type Outcome = (typeof outcomes)[number];

/** What a repair came to: done, or failed for good with the reason. */
type Settled = { outcome: "done" } | { outcome: "failed"; reason: string };
/** A finding with a repair: planned (a dry run, or not yet carried out), then settled. */
type Repairable = { outcome: "planned" } | Settled;
type Held = { outcome: "held"; reason: string };
type Reported = { outcome: "reported" };

interface About {
  /** "user user_…" or "organization org_…" */
  account: string;
  customerId: string;
  /** What is wrong, in words (a cancellation's comment in Stripe too). */
  detail: string;
}

/** A finding about one subscription, before its outcome. */
type AboutSubscription<Kind extends FindingKind> = About & { kind: Kind; subscriptionId: string };

/** Kinds whose finding comes with a repair (unless the reconciliation stopped). */
type RepairKind = Exclude<
  FindingKind,
  "live-subscription-without-onboarding" | "several-customers-for-account"
>;

export type Finding =
  | (AboutSubscription<RepairKind> & Repairable)
  | (AboutSubscription<"account-deleted-in-clerk"> & Held)
  | (AboutSubscription<"live-subscription-without-onboarding"> & Held)
  | (AboutSubscription<"row-differs-from-stripe"> & Reported)
  | (About & { kind: "several-customers-for-account" } & Reported);

export interface ReconcileOptions {
  /** Repair what is found; false: a dry run that changes nothing. */
  apply: boolean;
  /** Stripe customers per page (at most 100). */
  pageSize: number;
  /** Called before each Stripe request, to stay within Stripe's rate limit. */
  pace: Pace;
  /** Called before each Clerk request, to stay within Clerk's. */
  clerkPace: Pace;
}

export interface PageReport {
  /** Stripe customers on the page. */
  customers: number;
  /** Those compared: this deployment's, or recorded on one of our rows. */
  compared: number;
  /** Their subscriptions. */
  subscriptions: number;
  findings: Finding[];
  /** Where the next page starts (the last customer of this one); null after the last page. */
  next: string | null;
  /** Why the reconciliation stops at this page, with nothing closed on it; null: it goes on. */
  stopped: string | null;
}

/** Accounts Clerk must say are absent, at the least, before absences stop a page. */
const ABSENCES_WORTH_DOUBTING = 3;

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
  const compared: Compared[] = [];
  for (const customer of page.data) {
    const account = accounts.get(customer.id);
    if (!account) continue;
    await options.pace();
    compared.push({ customer, account, subscriptions: await subscriptionsOf(stripe, customer.id) });
  }

  // Clerk is asked about every owner of a live subscription it has not deleted.
  const asked = compared
    .filter(({ account, subscriptions }) => !account.deletedAt && subscriptions.some(live))
    .map(({ account }) => account.owner);
  const inClerk = await lookUpInClerk(asked, options.clerkPace);
  const askedIds = new Set(asked.map((owner) => owner.id));
  const absent = [...askedIds].filter((id) => !inClerk.has(id)).length;
  const stopped =
    absent >= ABSENCES_WORTH_DOUBTING && absent * 2 > askedIds.size
      ? `Clerk has none of ${absent} of the ${askedIds.size} accounts asked about on this page. ` +
        "Is CLERK_SECRET_KEY the key of this deployment's Clerk instance? Nothing was closed."
      : null;

  const findings: Finding[] = [];
  for (const item of compared) {
    const clerkAccount = inClerk.get(item.account.owner.id);
    const plan = planCustomer(item, clerkAccount, stopped);
    // A repair of the customer makes a few Stripe requests (each re-reads first).
    const found = await carryOut(plan, stripe, options, () => options.pace(4));
    let { subscriptions } = item;
    if (!options.apply) {
      subscriptions = asIfRepaired(subscriptions, plan);
    } else if (found.some((finding) => finding.outcome === "done")) {
      await options.pace();
      subscriptions = await subscriptionsOf(stripe, item.customer.id);
    }
    // The row, against what Stripe holds once the repairs are made.
    const difference =
      item.account.row?.customerId === item.customer.id &&
      !plan.some(({ finding }) => finding.kind === "account-missing-from-our-tables") &&
      rowDifference(item.account, item.customer.id, subscriptions, clerkAccount);
    // Rewriting the row asks nothing of Stripe.
    if (difference) found.push(...(await carryOut([difference], stripe, options, async () => {})));
    findings.push(...found);
  }
  return {
    customers: page.data.length,
    compared: compared.length,
    subscriptions: compared.reduce((sum, c) => sum + c.subscriptions.length, 0),
    findings,
    next: page.has_more ? page.data.at(-1)!.id : null,
    stopped,
  };
}

const live = (subscription: Stripe.Subscription) => isLive(subscription.status);

/** A customer being compared, whose account it is, and its subscriptions (ended ones too). */
interface Compared {
  customer: Stripe.Customer;
  account: Account;
  subscriptions: Stripe.Subscription[];
}

/**
 * A finding with the repair that settles it, or one with nothing to repair here (held for an
 * operator, or only reported).
 */
type Planned =
  | { finding: AboutSubscription<RepairKind>; repair: (stripe: Stripe) => Promise<unknown> }
  | { finding: Extract<Finding, Held | Reported> };

/**
 * The plan's findings once carried out (`apply`; `pace` before each repair), or as planned (a dry
 * run).
 */
async function carryOut(
  plan: Planned[],
  stripe: Stripe,
  { apply }: ReconcileOptions,
  pace: () => Promise<void>,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const planned of plan) {
    if (!("repair" in planned)) {
      findings.push(planned.finding);
    } else if (!apply) {
      findings.push({ ...planned.finding, outcome: "planned" });
    } else {
      await pace();
      findings.push({ ...planned.finding, ...(await settle(() => planned.repair(stripe))) });
    }
  }
  return findings;
}

/** What the customer's subscriptions and its account's row call for. */
function planCustomer(
  { customer, account, subscriptions }: Compared,
  clerkAccount: ClerkAccount | undefined,
  stopped: string | null,
): Planned[] {
  const customerId = customer.id;
  const { owner } = account;
  const label = accountLabel(owner);
  const liveOnes = subscriptions.filter(live);
  const about = <Kind extends FindingKind>(kind: Kind, subscriptionId: string, detail: string) => ({
    kind,
    account: label,
    customerId,
    subscriptionId,
    detail,
  });
  const cancelAndRefund =
    (subscriptionId: string, comment: string, refundSince: () => Promise<Date | null>) =>
    async (stripe: Stripe) => {
      await cancelSubscriptionNow(stripe, subscriptionId, `${comment} (billing reconciler)`);
      await refundPayments(stripe, subscriptionId, owner, await refundSince());
    };

  if (account.deletedAt) {
    const deletedAt = account.deletedAt;
    return liveOnes.map((subscription) => ({
      finding: about(
        "live-subscription-of-deleted-account",
        subscription.id,
        deletedComment(owner),
      ),
      repair: cancelAndRefund(subscription.id, deletedComment(owner), () =>
        refundCutoff(owner, deletedAt),
      ),
    }));
  }
  if (liveOnes.length > 0 && !clerkAccount) {
    if (stopped) {
      return liveOnes.map((subscription) => ({
        finding: {
          ...about("account-deleted-in-clerk", subscription.id, `Clerk has no ${label}`),
          outcome: "held",
          reason: "not closed: the reconciliation stopped, see below",
        },
      }));
    }
    const closedAt = new Date();
    return liveOnes.map((subscription, i) => ({
      finding: about(
        "account-deleted-in-clerk",
        subscription.id,
        `Clerk has no ${label}: closed as its deletion would be`,
      ),
      repair: async (stripe: Stripe) => {
        // The tombstone first, so that nothing new is started for the account meanwhile.
        if (i === 0) await closeAccount(stripe, owner, customerId, closedAt);
        await cancelAndRefund(subscription.id, `Clerk has no ${label}`, () =>
          refundCutoff(owner, closedAt),
        )(stripe);
      },
    }));
  }

  if (liveOnes.length > 0 && clerkAccount && (!account.row || !account.row.customerId)) {
    const current = currentSubscription(subscriptions, null)!;
    return [
      {
        finding: about(
          "account-missing-from-our-tables",
          current.id,
          `Clerk has ${label} but our tables do not link it to customer ${customerId}: its row is written from Clerk and Stripe`,
        ),
        repair: () => writeRow(owner, customerId, clerkAccount, stateOf(current)),
      },
    ];
  }

  const planned: Planned[] = [];
  if (account.row?.customerId && account.row.customerId !== customerId) {
    planned.push({
      finding: {
        kind: "several-customers-for-account",
        account: label,
        customerId,
        detail: `our row records customer ${account.row.customerId}; Stripe also holds ${customerId} for it, with ${liveOnes.length} live subscription(s)`,
        outcome: "reported",
      },
    });
  }

  const ours = liveOnes.filter(
    (subscription) =>
      belongsTo(subscription.metadata, owner) &&
      subscription.items.data.some((item) => onOurCatalogue(item.price.id)),
  );
  const failedOnboarding =
    owner.key === "clerk_user_id" && account.onboarding === "failed" && !clerkAccount?.onboarded;
  if (failedOnboarding) {
    // The failed run's handler ends what it started; this one it could not. Clerk still has the
    // account, so a person decides rather than the reconciler.
    for (const subscription of ours) {
      planned.push({
        finding: {
          ...about(
            "live-subscription-without-onboarding",
            subscription.id,
            `The onboarding of ${label} failed, and Clerk does not count them onboarded`,
          ),
          outcome: "held",
          reason:
            "an operator decides: rerun the onboarding, or cancel and refund it in Stripe's dashboard",
        },
      });
    }
  } else {
    const kept =
      ours.find((subscription) => subscription.id === clerkAccount?.subscriptionId) ??
      currentSubscription(ours, account.row?.state.subscriptionId ?? null);
    for (const subscription of ours) {
      if (subscription === kept) continue;
      const comment = `A second live subscription of ${label}; ${kept!.id} stays`;
      planned.push({
        finding: about("several-live-subscriptions", subscription.id, comment),
        repair: (stripe) =>
          cancelSubscriptionNow(stripe, subscription.id, `${comment} (billing reconciler)`),
      });
    }
  }
  return planned;
}

/** The subscriptions as Stripe will hold them once the planned cancellations are made. */
function asIfRepaired(subscriptions: Stripe.Subscription[], plan: Planned[]) {
  const canceling = new Set(
    plan.flatMap((planned) => ("repair" in planned ? [planned.finding.subscriptionId] : [])),
  );
  return subscriptions.map((subscription) =>
    canceling.has(subscription.id)
      ? { ...subscription, status: "canceled" as const }
      : subscription,
  );
}

/** The account's row, rebuilt from Clerk (who it is) and Stripe (its customer, its subscription). */
async function writeRow(
  owner: BillingOwner,
  customerId: string,
  clerkAccount: ClerkAccount,
  state: SubscriptionState,
) {
  const { profile } = clerkAccount;
  if (profile.kind === "user") {
    await upsertUserProfile({
      clerkUserId: owner.id,
      email: profile.email,
      firstName: profile.firstName,
      lastName: profile.lastName,
      clerkUpdatedAt: profile.updatedAt,
    });
    await recordUserStripeCustomer(owner.id, customerId);
  } else {
    await upsertOrg({
      clerkOrgId: owner.id,
      name: profile.name,
      stripeCustomerId: customerId,
      clerkUpdatedAt: profile.updatedAt,
    });
  }
  await saveStripeState(state, "the row now holds another customer");
}

/** Writes Stripe's state of the subscription to the row; RowMovedOnError when no row took it. */
async function saveStripeState(state: SubscriptionState, movedOn: string) {
  const saved = await saveSubscriptionState(state);
  if (!saved.userId && !saved.orgId) throw new RowMovedOnError(movedOn);
}

/** A price onramp sells: a plan's, or the seat price. */
const onOurCatalogue = (priceId: string) =>
  Boolean(tierOfPrice(priceId)) || priceId === seatPrice();

class RowMovedOnError extends Error {}

/**
 * Carries out a planned repair: done, or failed with the reason when Stripe refuses it for good
 * or the row moved on. Anything transient is thrown, so the page is retried as a whole.
 */
async function settle(repair: () => Promise<unknown>): Promise<Settled> {
  try {
    await repair();
    return { outcome: "done" };
  } catch (error) {
    const failure = classifyStripeError(error);
    if (error instanceof RowMovedOnError || failure?.kind === "permanent") {
      return { outcome: "failed", reason: error instanceof Error ? error.message : String(error) };
    }
    throw error;
  }
}

/**
 * The subscription the account's row should show: the live one it records, else the oldest live
 * one (the one a repair keeps), else the ended one it records, else the newest.
 */
function currentSubscription(
  subscriptions: Stripe.Subscription[],
  recorded: string | null,
): Stripe.Subscription | undefined {
  const liveOnes = subscriptions.filter(live);
  const oldest = (list: Stripe.Subscription[]) => list.toSorted((a, b) => a.created - b.created)[0];
  const newest = (list: Stripe.Subscription[]) => list.toSorted((a, b) => b.created - a.created)[0];
  return (
    liveOnes.find((subscription) => subscription.id === recorded) ??
    oldest(liveOnes) ??
    subscriptions.find((subscription) => subscription.id === recorded) ??
    newest(subscriptions)
  );
}

/**
 * How the row differs from the subscriptions Stripe holds, with the repair that writes Stripe's
 * state; null when they agree. The row should show the live subscription Clerk's metadata names,
 * else the one currentSubscription picks.
 */
function rowDifference(
  account: Account,
  customerId: string,
  subscriptions: Stripe.Subscription[],
  clerkAccount: ClerkAccount | undefined,
): Planned | null {
  const row = account.row!.state;
  const named = subscriptions.find((s) => live(s) && s.id === clerkAccount?.subscriptionId);
  const current = named ?? currentSubscription(subscriptions, row.subscriptionId);
  const about = (subscriptionId: string, detail: string) => ({
    kind: "row-differs-from-stripe" as const,
    account: accountLabel(account.owner),
    customerId,
    subscriptionId,
    detail,
  });
  if (!current) {
    if (!row.subscriptionId) return null;
    return {
      finding: {
        ...about(
          row.subscriptionId,
          `our row records subscription ${row.subscriptionId}, which Stripe does not list for customer ${customerId}`,
        ),
        outcome: "reported",
      },
    };
  }
  const state = stateOf(current);
  const differences = rowDifferences(row, state);
  if (differences.length === 0) return null;
  return {
    finding: about(state.stripeSubscriptionId, differences.join(", ")),
    repair: () => saveStripeState(state, "the row now holds another subscription or customer"),
  };
}

/** Each field where the row and Stripe differ, as "field ours → Stripe's". */
function rowDifferences(row: RowState, state: SubscriptionState): string[] {
  const differences: string[] = [];
  const compare = (field: string, ours: unknown, theirs: unknown) => {
    if (ours !== theirs) differences.push(`${field} ${ours ?? "none"} → ${theirs ?? "none"}`);
  };
  compare("subscription", row.subscriptionId, state.stripeSubscriptionId);
  compare("status", row.status, state.status);
  if (row.key === "clerk_user_id") {
    compare("trial end", row.trialEndsAt?.toISOString(), state.trialEndsAt?.toISOString());
    // A price outside the catalogue keeps the tier the user chose (as the sync writes it).
    if (state.tier) compare("tier", row.tier, state.tier);
  } else {
    compare("seats", row.seats, state.seats);
  }
  return differences;
}
