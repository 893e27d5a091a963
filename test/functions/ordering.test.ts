import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { eq } from "drizzle-orm";
import type Stripe from "stripe";
import { beforeAll, expect, it, vi } from "vitest";
import { onboardingSubmitted } from "@/inngest/events";
import { functions } from "@/inngest/index";
import { reconcileBilling } from "@/inngest/functions/reconcile-billing";
import { isLive } from "@/lib/billing/subscription-status";
import { getDb } from "@/lib/db/client";
import { orgs, users } from "@/lib/db/schema";
import type { ReconcileSummary } from "@/lib/billing/reconcile-report";
import { onboardingStatus } from "@/lib/onboarding/status";
import { storePaymentDetails } from "@/lib/onboarding/submissions";
import { InngestSim } from "@onramp/standins/inngest";
import { parseStripeParams, setupVendors, type InjectedFailure } from "@onramp/standins/vitest";

/**
 * The ordering test: seeded random schedules of what Clerk and Stripe send (user.created with and
 * without a card, user.updated, user.deleted, organization.created and .deleted, a Checkout paid,
 * subscription changes in Stripe), each webhook delivered 1 to 3 times at any moment, so in any
 * order, with one vendor fault per schedule (a Stripe 5xx before or after Stripe acted, a lost
 * answer, Clerk's 429), Stripe's search lag, and Inngest's own faults: every step's first answer
 * lost after it ran (so every step runs twice) and cancellations applied late. Every workflow
 * runs on the Inngest simulator. Once all has settled and
 * the reconciler has run once, the books must be straight:
 * - no live subscription for a deleted user or org;
 * - at most one Stripe customer per account, at most one live subscription per customer;
 * - our tables agree with Stripe;
 * - each email kind reaches a user at most once, and none after their deletion was processed;
 * - no vendor write for an account in a step that began after its deletion was processed: an
 *   account deleted before its creation was processed gets nothing, and never shows `complete`.
 *
 * A failure names its seed: `ORDERING_SEED=<seed> npx vitest run --project pglite
 * test/functions/ordering.test.ts` replays that schedule alone. ORDERING_SCHEDULES sets how many
 * run (200 by default).
 */

const vendors = setupVendors();
beforeAll(() => getDb());
beforeAll(() => {
  // The workflows' log lines of hundreds of schedules would bury the one that matters; a replay
  // (ORDERING_SEED) shows them.
  if (replay) return;
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
});

const replay = process.env.ORDERING_SEED;
const firstSeed = replay ? Number(replay) : Math.floor(Math.random() * 1e9);
const schedules = replay ? 1 : Number(process.env.ORDERING_SCHEDULES ?? 200);
const seatPrice = process.env.STRIPE_PRICE_ENTERPRISE!;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** When Svix or Stripe deliver a webhook again after the first try (their retry schedules). */
const REDELIVERY_DELAYS = [0, 5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR];

// ---------- the schedule ----------

/** mulberry32: a small PRNG whose sequence the seed fixes. */
function randomFrom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    chance: (p: number) => next() < p,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}
type Random = ReturnType<typeof randomFrom>;

interface PlannedUser {
  withCard: boolean;
  createdAt: number;
  updatedAt: number | null;
  deletedAt: number | null;
  submitsCardAt: number | null;
}
interface PlannedOrg {
  createdAt: number;
  paysCheckoutAt: number | null;
  deletedAt: number | null;
}
interface Fault {
  vendor: "stripe" | "clerk";
  method: string;
  path: string | RegExp;
  failure: InjectedFailure;
}
interface Schedule {
  seed: number;
  users: PlannedUser[];
  org: PlannedOrg | null;
  stripeChangeAt: number | null;
  fault: Fault | null;
}

const STRIPE_WRITES: [string, string | RegExp][] = [
  ["POST", "/v1/customers"],
  ["POST", "/v1/setup_intents"],
  ["POST", "/v1/subscriptions"],
  ["DELETE", /^\/v1\/subscriptions\//],
  ["POST", /^\/v1\/customers\/cus_/],
];
const STRIPE_READS: [string, string | RegExp][] = [
  ["GET", "/v1/customers/search"],
  ["GET", /^\/v1\/subscriptions\/sub_/],
  ["GET", "/v1/subscriptions"],
];

function faultFor(random: Random): Fault | null {
  switch (random.int(0, 4)) {
    case 0:
      return null;
    case 1: {
      const [method, path] = random.pick([...STRIPE_WRITES, ...STRIPE_READS]);
      return { vendor: "stripe", method, path, failure: { status: random.pick([500, 503]) } };
    }
    case 2:
    case 3: {
      const [method, path] = random.pick(STRIPE_WRITES);
      const when = random.pick(["after", "lost"] as const);
      return { vendor: "stripe", method, path, failure: { status: 500, when } };
    }
    default:
      return {
        vendor: "clerk",
        method: "PATCH",
        path: random.pick([
          /^\/v1\/users\/[^/]+\/metadata$/,
          /^\/v1\/organizations\/[^/]+\/metadata$/,
        ]),
        failure: { status: 429, headers: { "retry-after": String(random.int(1, 30)) } },
      };
  }
}

function planSchedule(seed: number): Schedule {
  const random = randomFrom(seed);
  const users = Array.from({ length: random.int(1, 2) }, (): PlannedUser => {
    const createdAt = random.int(0, 2 * MINUTE);
    const deletedAt = random.chance(0.5) ? createdAt + random.int(0, 20 * MINUTE) : null;
    const updatedAt = random.chance(0.4) ? createdAt + random.int(1, 20 * MINUTE) : null;
    const withCard = random.chance(0.7);
    return {
      withCard,
      createdAt,
      // Clerk sends no update of a user it deleted.
      updatedAt:
        updatedAt !== null && (deletedAt === null || updatedAt < deletedAt) ? updatedAt : null,
      deletedAt,
      submitsCardAt: !withCard && random.chance(0.6) ? createdAt + random.int(0, 3 * HOUR) : null,
    };
  });
  const org = random.chance(0.6)
    ? (() => {
        const createdAt = random.int(0, 2 * MINUTE);
        return {
          createdAt,
          paysCheckoutAt: random.chance(0.6) ? createdAt + random.int(SECOND, 30 * MINUTE) : null,
          deletedAt: random.chance(0.5) ? createdAt + random.int(0, 30 * MINUTE) : null,
        };
      })()
    : null;
  return {
    seed,
    users,
    org,
    stripeChangeAt: random.chance(0.4) ? random.int(MINUTE, 40 * MINUTE) : null,
    fault: faultFor(random),
  };
}

const describeSchedule = (schedule: Schedule) =>
  JSON.stringify(
    schedule,
    (_, value: unknown) => (value instanceof RegExp ? value.source : value),
    2,
  );

// ---------- running it ----------

interface Write {
  /** sim.history.length when the request started: it happened within the last request sent before */
  at: number;
  what: string;
  account: string;
  functionId: string;
}

/** Where the running schedule records the vendor writes (msw sees every request). */
let recording: { sim: InngestSim; writes: Promise<Write | null>[] } | null = null;

beforeAll(() => {
  vendors.server.events.on("request:start", ({ request }) => {
    if (!recording) return;
    const at = recording.sim.history.length;
    recording.writes.push(writeOf(request.clone(), at));
    // Stripe's search sees a new customer about a minute later.
    if (request.method === "POST" && request.url === `${vendors.stripe.baseUrl}/v1/customers`)
      recording.sim.after("1m", () => vendors.stripe.indexSearch());
  });
});

/** The account-creating vendor write a request is, if it is one. */
async function writeOf(request: Request, at: number): Promise<Write | null> {
  const url = new URL(request.url);
  const path = url.pathname;
  const write = (what: string, account: string | undefined, functionId: string) =>
    account ? { at, what, account, functionId } : null;
  if (url.host === "stripe.test" && request.method === "POST") {
    if (!["/v1/customers", "/v1/setup_intents", "/v1/subscriptions"].includes(path)) return null;
    const body = parseStripeParams(new URLSearchParams(await request.text()));
    const { clerk_user_id: userId, clerk_org_id: orgId } = (body.metadata ?? {}) as Record<
      string,
      string
    >;
    return userId
      ? write(`POST ${path}`, userId, "onramp-provision-subscription")
      : write(`POST ${path}`, orgId, "onramp-create-organization-customer");
  }
  if (url.host === "clerk.test" && request.method === "PATCH") {
    const user = /^\/v1\/users\/([^/]+)\/metadata$/.exec(path)?.[1];
    if (user) return write("Clerk user metadata", user, "onramp-provision-subscription");
    const org = /^\/v1\/organizations\/([^/]+)\/metadata$/.exec(path)?.[1];
    return write("Clerk org metadata", org, "onramp-create-organization-customer");
  }
  if (url.host === "resend.test" && request.method === "POST") {
    const [kind, userId] = (request.headers.get("idempotency-key") ?? "").split("/");
    return write(`${kind} email`, userId, "onramp-send-onboarding-emails");
  }
  return null;
}

interface Outcome {
  deletedBeforeCreation: number;
  reconcilerRepairs: number;
}

async function runSchedule(schedule: Schedule, problems: string[]): Promise<Outcome> {
  const random = randomFrom(schedule.seed ^ 0x5bd1e995);
  const sim = new InngestSim({
    functions,
    faults: { lostAnswers: "first", cancellationDelay: "2s" },
  });
  vendors.stripe.eventualSearch = true;
  const writes: Promise<Write | null>[] = [];
  recording = { sim, writes };

  /** Clerk's webhook, delivered 1 to 3 times from `at` on (one svix-id, so one event id). */
  const clerk = (at: number, type: string, data: unknown) => {
    const event = { id: `clerk-msg_${randomUUID()}`, name: `clerk/${type}`, data };
    for (let i = random.int(1, 3); i > 0; i--) {
      sim.after(at + random.pick(REDELIVERY_DELAYS) + random.int(0, SECOND), () => sim.send(event));
    }
  };
  // Stripe's webhook for each subscription change, 1 to 3 times, as the Stripe route forwards it.
  vendors.stripe.onEvent = (event: Stripe.Event) => {
    const forwarded = { id: event.id, name: `stripe/${event.type}`, data: event.data.object };
    for (let i = random.int(1, 3); i > 0; i--) {
      sim.after(random.pick(REDELIVERY_DELAYS) + random.int(0, SECOND), () => sim.send(forwarded));
    }
  };
  if (schedule.fault) {
    const { vendor, method, path, failure } = schedule.fault;
    vendors[vendor].failNext(method, path, failure);
  }

  const people = schedule.users.map((plan) => {
    const user = vendors.clerk.addUser({
      email: `u.${randomUUID().slice(0, 8)}@example.com`,
      first_name: "Ada",
      last_name: "Lovelace",
      unsafe_metadata: plan.withCard
        ? { tier: random.pick(["pro", "enterprise"]), confirmationToken: token() }
        : {},
    });
    clerk(plan.createdAt, "user.created", user);
    if (plan.updatedAt !== null) {
      clerk(plan.updatedAt, "user.updated", {
        ...user,
        last_name: "Byron",
        updated_at: user.updated_at + plan.updatedAt - plan.createdAt + 1,
      });
    }
    if (plan.submitsCardAt !== null) {
      const at = plan.submitsCardAt;
      sim.after(at, async () => {
        if (!vendors.clerk.users.has(user.id)) return;
        // What the onboarding page does: store the submission, then send its event.
        const confirmationToken = token();
        await storePaymentDetails(user.id, { tier: "pro", confirmationToken });
        sim.send(onboardingSubmitted.create({ userId: user.id, tier: "pro", confirmationToken }));
      });
    }
    if (plan.deletedAt !== null) {
      sim.after(plan.deletedAt, () => vendors.clerk.users.delete(user.id));
      clerk(plan.deletedAt, "user.deleted", { object: "user", id: user.id, deleted: true });
    }
    return { plan, userId: user.id };
  });

  const company = schedule.org && {
    plan: schedule.org,
    orgId: vendors.clerk.addOrganization({ name: "Acme Corp" }).id,
  };
  if (company) {
    const { plan, orgId } = company;
    clerk(plan.createdAt, "organization.created", vendors.clerk.organizations.get(orgId));
    if (plan.paysCheckoutAt !== null) {
      // A seat Checkout paid, as Stripe Checkout subscribes the org's customer (while it has none).
      sim.after(plan.paysCheckoutAt, () => {
        const [customer] = customersOf("clerk_org_id", orgId);
        if (!customer || subscriptionsOf([customer]).some((s) => isLive(s.status))) return;
        const subscription = vendors.stripe.createSubscription({
          customer: customer.id,
          price: seatPrice,
          quantity: random.int(1, 20),
          status: "active",
          metadata: { clerk_org_id: orgId },
        });
        vendors.stripe.onEvent?.(
          vendors.stripe.webhookEvent("customer.subscription.created", subscription),
        );
      });
    }
    if (plan.deletedAt !== null) {
      sim.after(plan.deletedAt, () => vendors.clerk.organizations.delete(orgId));
      clerk(plan.deletedAt, "organization.deleted", {
        object: "organization",
        id: orgId,
        deleted: true,
      });
    }
  }

  if (schedule.stripeChangeAt !== null) {
    // A change made in Stripe (a trial converting, seats changed in the Portal).
    sim.after(schedule.stripeChangeAt, () => {
      const live = [...vendors.stripe.subscriptions.values()].filter((s) => isLive(s.status));
      if (live.length === 0) return;
      const subscription = random.pick(live);
      const changed = subscription.metadata.clerk_org_id
        ? vendors.stripe.updateSubscription(subscription.id, {
            quantity: subscription.items.data[0]!.quantity! + 2,
          })
        : vendors.stripe.updateSubscription(subscription.id, { status: "active" });
      vendors.stripe.onEvent?.(
        vendors.stripe.webhookEvent("customer.subscription.updated", changed),
      );
    });
  }

  await sim.settle();
  // The workflows alone already leave nothing live for a deleted account; the reconciler is the
  // backstop for what they cannot see.
  for (const { plan, userId } of people) {
    if (plan.deletedAt !== null)
      checkNothingLive(`user ${userId}`, customersOf("clerk_user_id", userId), problems);
  }
  if (company?.plan.deletedAt != null) {
    checkNothingLive(
      `organization ${company.orgId}`,
      customersOf("clerk_org_id", company.orgId),
      problems,
    );
  }
  const reconciliation = sim.start(reconcileBilling, { name: "inngest/scheduled.timer", data: {} });
  await sim.settle();
  recording = null;
  if (reconciliation.error) problems.push(`the reconciler failed: ${reconciliation.error.message}`);
  const summary = reconciliation.result as ReconcileSummary;
  const reconcilerRepairs = Object.values(summary?.counts ?? {}).reduce((n, c) => n + c.done, 0);

  const recorded = (await Promise.all(writes)).filter((write): write is Write => write !== null);
  let deletedBeforeCreation = 0;
  for (const { plan, userId } of people) {
    const deletion =
      plan.deletedAt === null
        ? null
        : processedAt(sim, "close-deleted-user", "mark-user-deleted", userId);
    if (plan.deletedAt !== null && deletion === null)
      problems.push(`user.deleted of ${userId} was never processed`);
    if (deletion !== null && startedAfter(sim, "provision-subscription", userId, deletion)) {
      deletedBeforeCreation += 1;
      const status = await onboardingStatus(userId);
      if (status.state === "complete")
        problems.push(`${userId}, deleted before its creation was processed, shows complete`);
    }
    await checkUser(userId, plan.deletedAt !== null, problems);
    checkWrites(sim, recorded, userId, deletion, problems);
    const sent = vendors.resend.emails.filter((email) =>
      email.idempotencyKey?.endsWith(`/${userId}`),
    );
    for (const kind of ["welcome", "trial_offer"]) {
      const count = sent.filter((email) => email.tags.some((t) => t.value === kind)).length;
      if (count > 1) problems.push(`${userId} got ${count} ${kind} emails`);
    }
  }
  if (company) {
    const { plan, orgId } = company;
    const deletion =
      plan.deletedAt === null
        ? null
        : processedAt(sim, "close-deleted-organization", "mark-org-deleted", orgId);
    if (plan.deletedAt !== null && deletion === null)
      problems.push(`organization.deleted of ${orgId} was never processed`);
    if (deletion !== null && startedAfter(sim, "create-organization-customer", orgId, deletion)) {
      deletedBeforeCreation += 1;
    }
    await checkOrg(orgId, plan.deletedAt !== null, problems);
    checkWrites(sim, recorded, orgId, deletion, problems);
  }
  return { deletedBeforeCreation, reconcilerRepairs };
}

const token = () => vendors.stripe.issueConfirmationToken();

// ---------- what must hold ----------

const customersOf = (key: "clerk_user_id" | "clerk_org_id", id: string) =>
  [...vendors.stripe.customers.values()].filter((customer) => customer.metadata[key] === id);
const subscriptionsOf = (customers: Stripe.Customer[]) =>
  [...vendors.stripe.subscriptions.values()].filter((subscription) =>
    customers.some((customer) => customer.id === subscription.customer),
  );

/** Index in the history where `functionName`'s run for `id` finished `step`, or null. */
function processedAt(sim: InngestSim, functionName: string, step: string, id: string) {
  const runs = new Set(
    sim
      .runsOf(`onramp-${functionName}`)
      .filter((run) => run.event.data.id === id)
      .map((run) => run.id),
  );
  const index = sim.history.findIndex(
    (entry) => entry.type === "step-ran" && entry.step === step && runs.has(entry.runId),
  );
  return index === -1 ? null : index;
}

/** Whether every run of `functionName` for `id` made its first request after history index `at`. */
function startedAfter(sim: InngestSim, functionName: string, id: string, at: number) {
  const runs = new Set(
    sim
      .runsOf(`onramp-${functionName}`)
      .filter((run) => run.event.data.id === id)
      .map((run) => run.id),
  );
  const first = sim.history.findIndex(
    (entry) => entry.type === "request-sent" && runs.has(entry.runId),
  );
  return first === -1 || first > at;
}

/**
 * No vendor write for the account from a step that began after its deletion was processed: the
 * step began after the last request its run sent before the write, or after the step its run
 * checkpointed last (a checkpointing request runs one step after another).
 */
function checkWrites(
  sim: InngestSim,
  writes: Write[],
  account: string,
  deletion: number | null,
  problems: string[],
) {
  if (deletion === null) return;
  for (const write of writes.filter((w) => w.account === account)) {
    const runs = new Set(
      sim
        .runsOf(write.functionId)
        .filter((run) => run.event.data.id === account)
        .map((run) => run.id),
    );
    const step = sim.history
      .slice(0, write.at)
      .findLastIndex(
        (entry) =>
          (entry.type === "request-sent" || entry.type === "step-ran") && runs.has(entry.runId),
      );
    if (step > deletion) {
      problems.push(
        `${write.what} for ${account} from a step that began after its deletion was processed`,
      );
    }
  }
}

/** What a row says about its account's subscription, and what Stripe's subscription says. */
interface RowView {
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  /** the row's other fields to compare, and the same fields from a Stripe subscription */
  fields: Record<string, unknown>;
  fromStripe: (subscription: Stripe.Subscription) => Record<string, unknown>;
}

async function checkUser(userId: string, deleted: boolean, problems: string[]) {
  const [row] = await (await getDb()).select().from(users).where(eq(users.clerkUserId, userId));
  checkRow(
    `user ${userId}`,
    customersOf("clerk_user_id", userId),
    deleted,
    problems,
    row && {
      stripeCustomerId: row.stripeCustomerId,
      stripeSubscriptionId: row.stripeSubscriptionId,
      fields: { status: row.subscriptionStatus, trialEndsAt: row.trialEndsAt },
      fromStripe: (subscription) => ({
        status: subscription.status,
        trialEndsAt: subscription.trial_end ? new Date(subscription.trial_end * 1000) : null,
      }),
    },
  );
}

async function checkOrg(orgId: string, deleted: boolean, problems: string[]) {
  const [row] = await (await getDb()).select().from(orgs).where(eq(orgs.clerkOrgId, orgId));
  checkRow(
    `organization ${orgId}`,
    customersOf("clerk_org_id", orgId),
    deleted,
    problems,
    row && {
      stripeCustomerId: row.stripeCustomerId,
      stripeSubscriptionId: row.stripeSubscriptionId,
      fields: { status: row.subscriptionStatus, seats: row.purchasedSeats },
      fromStripe: (subscription) => ({
        status: subscription.status,
        seats: isLive(subscription.status) ? subscription.items.data[0]!.quantity : 0,
      }),
    },
  );
}

/** The account's customers and subscriptions in Stripe, and its row, agree. */
function checkRow(
  account: string,
  customers: Stripe.Customer[],
  deleted: boolean,
  problems: string[],
  row: RowView | undefined,
) {
  checkAccount(account, customers, deleted, problems);
  if (!row) return void problems.push(`${account} has no row`);
  // A deleted account's row may not know a customer made while its deletion was processed;
  // checkAccount has seen that nothing on it is live.
  for (const customer of customers) {
    if (customer.id !== row.stripeCustomerId && !deleted) {
      problems.push(
        `${account}: Stripe customer ${customer.id} is not on the row (${row.stripeCustomerId})`,
      );
    }
  }
  const current = currentSubscription(
    customers.filter((c) => c.id === row.stripeCustomerId),
    row.stripeSubscriptionId,
  );
  const expected = current && { subscription: current.id, ...row.fromStripe(current) };
  const actual = { subscription: row.stripeSubscriptionId, ...row.fields };
  if (expected ? JSON.stringify(actual) !== JSON.stringify(expected) : row.stripeSubscriptionId) {
    problems.push(
      `${account}: row ${JSON.stringify(actual)} but Stripe ${JSON.stringify(expected)}`,
    );
  }
}

function checkNothingLive(account: string, customers: Stripe.Customer[], problems: string[]) {
  const live = subscriptionsOf(customers).filter((s) => isLive(s.status));
  if (live.length > 0) {
    problems.push(
      `before the reconciler: ${account} was deleted, but ${live.map((s) => `${s.id} is ${s.status}`).join(", ")}`,
    );
  }
}

/** At most one customer, at most one live subscription on it, none live once deleted. */
function checkAccount(
  account: string,
  customers: Stripe.Customer[],
  deleted: boolean,
  problems: string[],
) {
  if (customers.length > 1) problems.push(`${account} has ${customers.length} Stripe customers`);
  for (const customer of customers) {
    const live = subscriptionsOf([customer]).filter((s) => isLive(s.status));
    if (live.length > 1)
      problems.push(`${account}: customer ${customer.id} has ${live.length} live subscriptions`);
    if (deleted && live.length > 0)
      problems.push(
        `${account} was deleted, but ${live.map((s) => `${s.id} is ${s.status}`).join(", ")}`,
      );
  }
}

/** The subscription the row should show: the live one, else the one it records, else the newest. */
function currentSubscription(customers: Stripe.Customer[], recorded: string | null) {
  const all = subscriptionsOf(customers);
  return (
    all.find((s) => isLive(s.status)) ??
    all.find((s) => s.id === recorded) ??
    all.toSorted((a, b) => b.created - a.created)[0]
  );
}

it(
  `${schedules} random schedules of Clerk and Stripe events, redelivered and faulted, leave the books straight`,
  { timeout: 30 * 60_000 },
  async () => {
    const started = performance.now();
    let deletedBeforeCreation = 0;
    let reconcilerRepairs = 0;
    for (let i = 0; i < schedules; i++) {
      const schedule = planSchedule(firstSeed + i);
      vendors.reset();
      const problems: string[] = [];
      let outcome: Outcome;
      try {
        outcome = await runSchedule(schedule, problems);
      } catch (error) {
        problems.push(
          `it threw: ${error instanceof Error ? (error.stack ?? error.message) : error}`,
        );
        outcome = { deletedBeforeCreation: 0, reconcilerRepairs: 0 };
      } finally {
        recording = null;
      }
      if (problems.length > 0) {
        expect.fail(
          `Schedule ${schedule.seed} left the books crooked (replay: ORDERING_SEED=${schedule.seed} npx vitest run --project pglite test/functions/ordering.test.ts):\n- ${problems.join("\n- ")}\n${describeSchedule(schedule)}`,
        );
      }
      deletedBeforeCreation += outcome.deletedBeforeCreation;
      reconcilerRepairs += outcome.reconcilerRepairs;
    }
    const seconds = (performance.now() - started) / 1000;
    // console.log is muted above.
    process.stdout.write(
      `${schedules} schedules (seeds ${firstSeed}–${firstSeed + schedules - 1}) in ${seconds.toFixed(1)} s ` +
        `(${((seconds * 1000) / schedules).toFixed(0)} ms each); ${deletedBeforeCreation} accounts deleted ` +
        `before their creation was processed; the reconciler repaired ${reconcilerRepairs} thing(s) after the workflows\n`,
    );
  },
);
