import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { eq, or } from "drizzle-orm";
import type { InngestFunction } from "inngest";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  reportCardConfirmation,
  submitNewCard,
  submitPlanAndCard,
} from "@/app/_lib/onboarding-actions";
import { POST as clerkRoute } from "@/app/api/webhooks/clerk/route";
import { POST as stripeRoute } from "@/app/api/webhooks/stripe/route";
import { functions } from "@/inngest";
import { onboardingSubmitted } from "@/inngest/events";
import { provisionSubscription } from "@/inngest/functions/provision-subscription";
import { sendOnboardingEmails } from "@/inngest/functions/send-onboarding-emails";
import { syncSubscription } from "@/inngest/functions/sync-subscription";
import { syncUser } from "@/inngest/functions/sync-user";
import { ownerMetadata } from "@/lib/billing/ownership";
import { getDb } from "@/lib/db/client";
import { onboardingSubmissions, orgs, users } from "@/lib/db/schema";
import { onboardingStatus } from "@/lib/onboarding/status";
import { SUBMISSIONS_PER_MINUTE } from "@/lib/onboarding/submissions";
import { maxWebhookBytes } from "@/lib/webhooks/ingress";
import { InngestSim, runFunction } from "@onramp/standins/inngest";
import { setupVendors, type ReceivedEvent } from "@onramp/standins/vitest";
import {
  clerkDelivery,
  clerkWebhookUrl,
  stripeDelivery,
  stripeWebhookUrl,
} from "@/test/support/webhooks";
import { contractPath } from "@onramp/standins/contracts";

/**
 * The bad-input corpus (issue 7): every kind of bad or odd delivery through the real webhook
 * routes, with the answer README "Webhooks and events" documents and what reached Inngest. "Loses
 * nothing" means: a rejected delivery queues no event (and, not being 2xx, is retried by its
 * sender), an accepted one queues exactly one; and where an accepted payload is odd, the
 * functions that consume it end in their documented state. test/routes/webhooks-*.test.ts and
 * test/functions/*.test.ts go deeper on single rows; this table is the one place with all answers.
 */

// The server actions read the signed-in user from Clerk's auth(); here it is whoever the test says.
const signedIn = vi.hoisted(() => ({ userId: null as string | null }));
vi.mock("@clerk/nextjs/server", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@clerk/nextjs/server")>()),
  auth: async () => ({ userId: signedIn.userId }),
}));

const vendors = setupVendors();
beforeAll(() => getDb());
afterEach(() => {
  expect(vendors.clerk.violations).toEqual([]);
  expect(vendors.stripe.violations).toEqual([]);
  expect(vendors.resend.violations).toEqual([]);
  expect(vendors.inngest.violations).toEqual([]);
});

const clerkSample = JSON.parse(
  readFileSync(contractPath("clerk-webhooks/user.created.json"), "utf8"),
);
/** A Clerk webhook body: the envelope of Clerk's published sample around `data`. */
const clerkBody = (type: string, data: object) => JSON.stringify({ ...clerkSample, type, data });
const newUserCreated = () =>
  clerkBody("user.created", {
    ...clerkSample.data,
    id: `user_${randomUUID().replaceAll("-", "")}`,
  });

const stripeBody = (type: string, object: { id: string; object: string }) =>
  JSON.stringify(vendors.stripe.webhookEvent(type, object));
const knownSubscriptionUpdated = () => {
  const customer = vendors.stripe.createCustomer();
  const subscription = vendors.stripe.createSubscription({ customer: customer.id });
  return stripeBody("customer.subscription.updated", subscription);
};

/** A body whose JSON event carries `padding` so that it is `bytes` long. */
function oversized(body: string, bytes: number) {
  const event = JSON.parse(body);
  const withPadding = (padding: string) => JSON.stringify({ ...event, padding });
  return withPadding("x".repeat(bytes - withPadding("").length));
}

const unsigned = (url: string, body: string) =>
  new Request(url, { method: "POST", headers: { "content-type": "application/json" }, body });

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
const confirmationToken = () => vendors.stripe.issueConfirmationToken();

/** The queued event, run as Inngest would run it for `fn` (retries included). */
const consume = (fn: InngestFunction.Any, queued: ReceivedEvent) =>
  runFunction(fn, { id: queued.id, name: queued.name, data: queued.data });

/** The functions Inngest would start for an event name, from their registered triggers. */
function listenersOf(name: string) {
  return functions.filter((fn) => {
    const [config] = (
      fn as unknown as {
        getConfig(opts: { baseUrl: URL; appPrefix: string }): { triggers: { event?: string }[] }[];
      }
    ).getConfig({ baseUrl: new URL("http://localhost:3000/api/inngest"), appPrefix: "onramp" });
    return config!.triggers.some((trigger) => trigger.event === name);
  });
}

const userRow = async (userId: string) =>
  (await (await getDb()).select().from(users).where(eq(users.clerkUserId, userId)))[0];

/** JSON log lines written while `work` runs (lib/logger writes warn and error to stderr). */
async function logsOf<T>(work: () => Promise<T>) {
  const lines: Record<string, unknown>[] = [];
  const collect = (line: unknown) => void lines.push(JSON.parse(String(line)));
  const spies = [
    vi.spyOn(console, "log").mockImplementation(collect),
    vi.spyOn(console, "error").mockImplementation(collect),
  ];
  try {
    return { result: await work(), lines };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

interface Delivery {
  request: Request;
  /** For accepted-but-odd payloads: run the consuming functions on the queued event, check them. */
  consume?: (queued: ReceivedEvent) => Promise<void>;
}

interface Row {
  route: "clerk" | "stripe";
  input: string;
  /** The documented answer. */
  status: 200 | 400 | 413;
  /** Events that reached Inngest: 0 when rejected, 1 when accepted. */
  events: 0 | 1;
  deliver: () => Delivery;
}

// ---------- the odd payloads, and what their functions must do with them ----------

/** user.created for a user with no email address at all (a phone-only or some social sign-ups). */
function userWithoutPrimaryEmail(): Delivery {
  const user = vendors.clerk.addUser({
    first_name: "Nomail",
    last_name: "Phoneonly",
    unsafe_metadata: { tier: "pro", confirmationToken: confirmationToken() },
  });
  expect(user).toMatchObject({ primary_email_address_id: null, email_addresses: [] });
  return {
    request: clerkDelivery(clerkBody("user.created", user)),
    consume: async (queued) => {
      const synced = await consume(syncUser, queued);
      expect(synced.result).toEqual({ userId: user.id, outcome: "written" });

      // Provisioning needs no email: the customer is created without one, and the run completes.
      const provisioned = await consume(provisionSubscription, queued);
      expect(provisioned.error).toBeUndefined();
      expect(provisioned.result).toMatchObject({ userId: user.id, outcome: "complete" });
      const [customerRequest] = vendors.stripe.requests.filter((r) => r.path === "/v1/customers");
      expect(customerRequest!.body).toEqual({
        name: "Nomail Phoneonly",
        metadata: ownerMetadata({ key: "clerk_user_id", id: user.id }),
      });

      // The drip has nobody to write to: it says so instead of failing.
      const emailed = await consume(sendOnboardingEmails, queued);
      expect(emailed.result).toEqual({ userId: user.id, welcome: "skipped: no email address" });
      expect(vendors.resend.requests).toEqual([]);

      const status = await onboardingStatus(user.id);
      expect(status.state).toBe("complete");
      expect(status.steps.find((s) => s.id === "welcome-email")).toMatchObject({
        status: "skipped",
        reason: "No email address",
      });
      expect(await userRow(user.id)).toMatchObject({
        email: null,
        firstName: "Nomail",
        stripeCustomerId: (provisioned.result as { customerId: string }).customerId,
        deletedAt: null,
      });
    },
  };
}

/** user.created without any metadata (Clerk may leave the keys out, or send null). */
function userWithoutMetadata(): Delivery {
  const user = vendors.clerk.addUser({ email: `meta.${randomUUID().slice(0, 8)}@example.com` });
  const data: Record<string, unknown> = { ...user, private_metadata: null };
  delete data.public_metadata;
  delete data.unsafe_metadata;
  return {
    request: clerkDelivery(clerkBody("user.created", data)),
    consume: async (queued) => {
      expect(queued.data).not.toHaveProperty("unsafe_metadata");
      expect((await consume(syncUser, queued)).result).toEqual({
        userId: user.id,
        outcome: "written",
      });

      // No plan or card yet: the run asks for them (README "Provisioning") and, given them, continues.
      const sim = new InngestSim({ functions: [provisionSubscription] });
      const [provisioned] = sim.send({ id: queued.id, name: queued.name, data: queued.data });
      await sim.until(() => provisioned!.waitingFor("wait-for-payment-details"));
      const whileWaiting = await onboardingStatus(user.id);
      sim.send(
        onboardingSubmitted.create({
          userId: user.id,
          tier: "pro",
          confirmationToken: confirmationToken(),
        }),
      );
      await sim.settle();
      expect(whileWaiting).toMatchObject({
        state: "awaiting_payment",
        action: { type: "choose_plan" },
      });
      expect(provisioned!.error).toBeUndefined();
      expect(provisioned!.result).toMatchObject({ outcome: "complete", tier: "pro" });
      expect(await userRow(user.id)).toMatchObject({
        email: user.email_addresses[0]!.email_address,
      });
    },
  };
}

/** A subscription event whose customer no user or org has (another app on the Stripe account). */
function subscriptionOfUnknownCustomer(): Delivery {
  const stranger = vendors.stripe.createCustomer();
  const subscription = vendors.stripe.createSubscription({ customer: stranger.id });
  return {
    request: stripeDelivery(stripeBody("customer.subscription.updated", subscription)),
    consume: async (queued) => {
      // A bystander whose row must come through untouched.
      const bystander = vendors.stripe.createCustomer();
      const bystanderId = `user_${randomUUID().replaceAll("-", "")}`;
      const db = await getDb();
      await db.insert(users).values({
        clerkUserId: bystanderId,
        stripeCustomerId: bystander.id,
        tier: "pro",
        subscriptionStatus: "trialing",
      });
      const before = await userRow(bystanderId);

      const { result: run, lines } = await logsOf(() => consume(syncSubscription, queued));

      expect(run.error).toBeUndefined();
      expect(run.failures).toEqual([]);
      expect(run.result).toEqual({
        subscriptionId: subscription.id,
        skipped: expect.stringContaining(`no user or org row has Stripe customer ${stranger.id}`),
      });
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: "warn",
          msg: expect.stringMatching(
            new RegExp(`^Subscription ${subscription.id} not applied: .*${stranger.id}`),
          ),
        }),
      );
      const touched = await db
        .select()
        .from(users)
        .where(
          or(
            eq(users.stripeCustomerId, stranger.id),
            eq(users.stripeSubscriptionId, subscription.id),
          ),
        );
      expect(touched).toEqual([]);
      expect(
        await db
          .select()
          .from(orgs)
          .where(
            or(
              eq(orgs.stripeCustomerId, stranger.id),
              eq(orgs.stripeSubscriptionId, subscription.id),
            ),
          ),
      ).toEqual([]);
      expect(await userRow(bystanderId)).toEqual(before);
    },
  };
}

/** A verified type no function listens to: queued (Inngest keeps it), and nothing runs. */
function unknownType(route: "clerk" | "stripe"): Delivery {
  const request =
    route === "clerk"
      ? clerkDelivery(
          clerkBody("email.created", {
            object: "email",
            id: `ema_${randomUUID().replaceAll("-", "")}`,
            slug: "verification_code",
            status: "queued",
          }),
        )
      : stripeDelivery(
          stripeBody("checkout.session.completed", {
            object: "checkout.session",
            id: `cs_test_${randomUUID().replaceAll("-", "")}`,
          }),
        );
  return {
    request,
    consume: async (queued) => {
      expect(queued.name).toMatch(/^(clerk\/email\.created|stripe\/checkout\.session\.completed)$/);
      expect(listenersOf(queued.name)).toEqual([]);
      // (The lookup does find the listeners of a type onramp handles.)
      const handled =
        route === "clerk" ? "clerk/user.created" : "stripe/customer.subscription.updated";
      expect(listenersOf(handled)).not.toEqual([]);
    },
  };
}

// ---------- the corpus ----------

const corpus: Row[] = [
  // Clerk (Svix): README "Webhooks and events", "How they answer".
  {
    route: "clerk",
    input: "a genuine delivery",
    status: 200,
    events: 1,
    deliver: () => ({ request: clerkDelivery(newUserCreated()) }),
  },
  {
    route: "clerk",
    input: "unsigned (no svix headers)",
    status: 400,
    events: 0,
    deliver: () => ({ request: unsigned(clerkWebhookUrl, newUserCreated()) }),
  },
  {
    route: "clerk",
    input: "forged: signed with another secret",
    status: 400,
    events: 0,
    deliver: () => ({
      request: clerkDelivery(newUserCreated(), {
        secret: `whsec_${Buffer.from(randomUUID()).toString("base64")}`,
      }),
    }),
  },
  {
    route: "clerk",
    input: "tampered: body changed after signing",
    status: 400,
    events: 0,
    deliver: () => {
      const body = newUserCreated();
      const event = JSON.parse(body);
      event.data.id = "user_mallory";
      return { request: clerkDelivery(JSON.stringify(event), { signed: body }) };
    },
  },
  {
    route: "clerk",
    input: "replayed after 5 minutes (signed 5.5 minutes ago)",
    status: 400,
    events: 0,
    deliver: () => ({ request: clerkDelivery(newUserCreated(), { at: minutesAgo(5.5) }) }),
  },
  {
    route: "clerk",
    input: "signed 4 minutes ago (within the 5-minute tolerance)",
    status: 200,
    events: 1,
    deliver: () => ({ request: clerkDelivery(newUserCreated(), { at: minutesAgo(4) }) }),
  },
  {
    route: "clerk",
    input: "truncated in transit (half the signed body)",
    status: 400,
    events: 0,
    deliver: () => {
      const body = newUserCreated();
      return { request: clerkDelivery(body.slice(0, body.length / 2), { signed: body }) };
    },
  },
  {
    route: "clerk",
    input: "oversized: signed, 1 byte over 256 KiB",
    status: 413,
    events: 0,
    deliver: () => ({ request: clerkDelivery(oversized(newUserCreated(), maxWebhookBytes + 1)) }),
  },
  {
    route: "clerk",
    input: "wrong content type text/plain, signed JSON",
    status: 200,
    events: 1,
    deliver: () => ({
      request: clerkDelivery(newUserCreated(), { contentType: "text/plain" }),
    }),
  },
  {
    route: "clerk",
    input: "wrong content type application/x-www-form-urlencoded, signed JSON",
    status: 200,
    events: 1,
    deliver: () => ({
      request: clerkDelivery(newUserCreated(), {
        contentType: "application/x-www-form-urlencoded",
      }),
    }),
  },
  {
    route: "clerk",
    input: "unknown event type (email.created)",
    status: 200,
    events: 1,
    deliver: () => unknownType("clerk"),
  },
  {
    route: "clerk",
    input: "user.created with no primary email",
    status: 200,
    events: 1,
    deliver: userWithoutPrimaryEmail,
  },
  {
    route: "clerk",
    input: "user.created with no metadata",
    status: 200,
    events: 1,
    deliver: userWithoutMetadata,
  },

  // Stripe.
  {
    route: "stripe",
    input: "a genuine delivery",
    status: 200,
    events: 1,
    deliver: () => ({ request: stripeDelivery(knownSubscriptionUpdated()) }),
  },
  {
    route: "stripe",
    input: "unsigned (no Stripe-Signature)",
    status: 400,
    events: 0,
    deliver: () => ({ request: unsigned(stripeWebhookUrl, knownSubscriptionUpdated()) }),
  },
  {
    route: "stripe",
    input: "forged: signed with another secret",
    status: 400,
    events: 0,
    deliver: () => ({
      request: stripeDelivery(knownSubscriptionUpdated(), { secret: "whsec_someone_else" }),
    }),
  },
  {
    route: "stripe",
    input: "tampered: body changed after signing",
    status: 400,
    events: 0,
    deliver: () => {
      const body = knownSubscriptionUpdated();
      const event = JSON.parse(body);
      event.data.object.customer = "cus_mallory";
      return { request: stripeDelivery(JSON.stringify(event), { signed: body }) };
    },
  },
  {
    route: "stripe",
    input: "replayed after 5 minutes (signed 5.5 minutes ago)",
    status: 400,
    events: 0,
    deliver: () => ({
      request: stripeDelivery(knownSubscriptionUpdated(), { at: minutesAgo(5.5) }),
    }),
  },
  {
    route: "stripe",
    input: "signed 4 minutes ago (within the 5-minute tolerance)",
    status: 200,
    events: 1,
    deliver: () => ({ request: stripeDelivery(knownSubscriptionUpdated(), { at: minutesAgo(4) }) }),
  },
  {
    route: "stripe",
    input: "truncated in transit (half the signed body)",
    status: 400,
    events: 0,
    deliver: () => {
      const body = knownSubscriptionUpdated();
      return { request: stripeDelivery(body.slice(0, body.length / 2), { signed: body }) };
    },
  },
  {
    route: "stripe",
    input: "oversized: signed, 1 byte over 256 KiB",
    status: 413,
    events: 0,
    deliver: () => ({
      request: stripeDelivery(oversized(knownSubscriptionUpdated(), maxWebhookBytes + 1)),
    }),
  },
  {
    route: "stripe",
    input: "wrong content type text/plain, signed JSON",
    status: 200,
    events: 1,
    deliver: () => ({
      request: stripeDelivery(knownSubscriptionUpdated(), { contentType: "text/plain" }),
    }),
  },
  {
    route: "stripe",
    input: "wrong content type application/x-www-form-urlencoded, signed JSON",
    status: 200,
    events: 1,
    deliver: () => ({
      request: stripeDelivery(knownSubscriptionUpdated(), {
        contentType: "application/x-www-form-urlencoded",
      }),
    }),
  },
  {
    route: "stripe",
    input: "unknown event type (checkout.session.completed)",
    status: 200,
    events: 1,
    deliver: () => unknownType("stripe"),
  },
  {
    route: "stripe",
    input: "subscription event for an unknown customer",
    status: 200,
    events: 1,
    deliver: subscriptionOfUnknownCustomer,
  },
];

const routes = { clerk: clerkRoute, stripe: stripeRoute };
const rejection = { 400: /^Invalid (Clerk|Stripe) webhook: /, 413: /limited to 262144 bytes/ };

describe("bad-input corpus: POST /api/webhooks/{clerk,stripe}", () => {
  const rows = corpus.map(
    (row) =>
      [`${row.route} · ${row.input} → ${row.status}, ${row.events} event(s) queued`, row] as const,
  );

  it.each(rows)("%s", async (_, { route, status, events, deliver }) => {
    const { request, consume } = deliver();
    const sent = await request.clone().text();

    const response = await routes[route](request);

    expect(response.status).toBe(status);
    const answer = await response.json();
    expect(vendors.inngest.events).toHaveLength(events);
    if (status !== 200) {
      expect(answer.error).toMatch(rejection[status]);
      return;
    }
    // Accepted: exactly the delivered event, under the id that makes redeliveries one event.
    const payload = JSON.parse(sent);
    const [queued] = vendors.inngest.events;
    expect(queued).toMatchObject(
      route === "clerk"
        ? {
            id: `clerk-${request.headers.get("svix-id")}`,
            name: `clerk/${payload.type}`,
            data: payload.data,
          }
        : { id: payload.id, name: `stripe/${payload.type}`, data: payload.data.object },
    );
    expect(answer).toEqual({ received: true, id: queued!.id });
    await consume?.(queued!);
  });

  it("covers every kind of bad input issue 7 names, each next to an accepted delivery", () => {
    const kinds = [
      /^forged/,
      /^replayed after 5 minutes/,
      /^truncated/,
      /^oversized/,
      /^wrong content type/,
      /^unknown event type/,
    ];
    for (const route of ["clerk", "stripe"] as const) {
      const rows = corpus.filter((row) => row.route === route);
      for (const kind of kinds) expect(rows.some((row) => kind.test(row.input))).toBe(true);
      expect(rows.some((row) => row.input === "a genuine delivery" && row.events === 1)).toBe(true);
    }
    expect(corpus.map((row) => row.input)).toEqual(
      expect.arrayContaining([
        "user.created with no primary email",
        "user.created with no metadata",
        "subscription event for an unknown customer",
      ]),
    );
  });
});

describe("bad-input corpus: the onboarding server actions", () => {
  // Anyone signed in can call a server action with any arguments, as often as they like.
  const signIn = () => {
    signedIn.userId = `user_${randomUUID().replaceAll("-", "")}`;
    return signedIn.userId;
  };
  const card = "Your card details did not come through. Please enter them again.";
  const plan = { error: "Choose one of the plans.", needsPlan: true };
  const confirmation = "We couldn't tell which card your bank confirmed. Please reload the page.";
  const longToken = `ctoken_${"a".repeat(300)}`;
  const calls: [string, () => Promise<unknown>, object][] = [
    [
      "a token of another kind",
      () => submitPlanAndCard({ tier: "pro", confirmationToken: "pm_card_visa" }),
      { error: card },
    ],
    [
      "a token with a quote",
      () => submitPlanAndCard({ tier: "pro", confirmationToken: "ctoken_a'--" }),
      { error: card },
    ],
    [
      "a token with a newline",
      () => submitPlanAndCard({ tier: "pro", confirmationToken: "ctoken_a\n" }),
      { error: card },
    ],
    [
      "a 307-character token",
      () => submitPlanAndCard({ tier: "pro", confirmationToken: longToken }),
      { error: card },
    ],
    [
      "a token that is not a string",
      () => submitPlanAndCard({ tier: "pro", confirmationToken: { $gt: "" } as never }),
      { error: card },
    ],
    [
      "a price id for a tier",
      () => submitPlanAndCard({ tier: "price_pro_test", confirmationToken: confirmationToken() }),
      plan,
    ],
    [
      "__proto__ for a tier",
      () => submitPlanAndCard({ tier: "__proto__", confirmationToken: confirmationToken() }),
      plan,
    ],
    ["no tier", () => submitPlanAndCard({ confirmationToken: confirmationToken() } as never), plan],
    ["no arguments at all", () => submitPlanAndCard(undefined as never), plan],
    [
      "a new card with a tier of another kind",
      () => submitNewCard({ tier: "free", confirmationToken: confirmationToken() }),
      plan,
    ],
    [
      "a new card with a bad token",
      () => submitNewCard({ confirmationToken: "ctoken_" }),
      { error: card },
    ],
    [
      "a PaymentMethod for an intent",
      () => reportCardConfirmation({ intentId: "pm_123" }),
      { error: confirmation },
    ],
    [
      "a SetupIntent id with a quote (it goes into a wait's expression)",
      () => reportCardConfirmation({ intentId: "seti_1' || true || '" }),
      { error: confirmation },
    ],
  ];

  it.each(calls)("%s: a clear message, nothing stored, nothing sent", async (_, call, answer) => {
    const userId = signIn();
    expect(await call()).toEqual(answer);
    expect(vendors.inngest.events).toEqual([]);
    expect(vendors.clerk.requests).toEqual([]);
    const db = await getDb();
    expect(
      await db
        .select()
        .from(onboardingSubmissions)
        .where(eq(onboardingSubmissions.clerkUserId, userId)),
    ).toEqual([]);
  });

  it(`limits each user to ${SUBMISSIONS_PER_MINUTE} submissions a minute, with a clear message, sending nothing past it`, async () => {
    const userId = signIn();
    const answers = [];
    for (let i = 0; i < SUBMISSIONS_PER_MINUTE + 3; i++) {
      answers.push(
        await submitPlanAndCard({ tier: "pro", confirmationToken: confirmationToken() }),
      );
    }
    answers.push(await reportCardConfirmation({ intentId: "seti_123" }));
    // A new card without a tier would ask Clerk for the plan: refused before that.
    answers.push(await submitNewCard({ confirmationToken: confirmationToken() }));

    const tooMany = {
      error: "Too many attempts in a short time. Please wait a minute, then try again.",
    };
    expect(answers).toEqual([...Array(SUBMISSIONS_PER_MINUTE).fill({}), ...Array(5).fill(tooMany)]);
    expect(vendors.inngest.eventsNamed("app/onboarding.submitted")).toHaveLength(
      SUBMISSIONS_PER_MINUTE,
    );
    expect(
      vendors.inngest.events.every((event) => (event.data as { userId: string }).userId === userId),
    ).toBe(true);
    expect(vendors.clerk.requests).toEqual([]);

    // Someone else is not held back by it.
    signIn();
    expect(
      await submitPlanAndCard({ tier: "pro", confirmationToken: confirmationToken() }),
    ).toEqual({});
  });

  it("still passes on a well-formed card, taking the plan chosen at sign-up from Clerk", async () => {
    const user = vendors.clerk.addUser({ unsafe_metadata: { tier: "enterprise" } });
    signedIn.userId = user.id;
    const token = confirmationToken();
    expect(await submitNewCard({ confirmationToken: token })).toEqual({});
    expect(vendors.inngest.eventsNamed("app/onboarding.submitted")).toMatchObject([
      { data: { userId: user.id, tier: "enterprise", confirmationToken: token } },
    ]);
  });
});
