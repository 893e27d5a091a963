import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { HttpResponse, http } from "msw";
import { renderToStaticMarkup } from "react-dom/server";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { sendOnboardingEmails } from "@/inngest/functions/send-onboarding-emails";
import { getDb } from "@/lib/db/client";
import { emails, users } from "@/lib/db/schema";
import { recordSteps } from "@/lib/onboarding/progress";
import { onboardingStatus } from "@/lib/onboarding/status";
import { markUserDeleted, upsertUserProfile } from "@/lib/users";
import { eraseStoredEmails } from "@/lib/email/erase";
import { sendOnboardingEmail } from "@/lib/email/send";
import { InngestSim, runFunction } from "@onramp/standins/inngest";
import { captureLogs } from "@/test/support/logs";
import { setupVendors } from "@onramp/standins/vitest";

const vendors = setupVendors();

beforeAll(() => getDb());

afterEach(() => {
  // Every request matched Resend's published spec (addresses, tags, idempotency key).
  expect(vendors.resend.violations).toEqual([]);
});

function signUp(fields: { email?: string | null; first_name?: string } = {}) {
  const address =
    fields.email === undefined ? `grace.${randomUUID().slice(0, 8)}@example.com` : fields.email;
  const user = vendors.clerk.addUser({
    ...(address ? { email: address } : {}),
    first_name: fields.first_name ?? "Grace",
    last_name: "Hopper",
  });
  const event = { id: `clerk-msg_${randomUUID()}`, name: "clerk/user.created", data: user };
  return { userId: user.id, address, event };
}

/** One delivery run to its end (every sleep slept on Inngest's clock). */
const send = (event: { name: string; data: unknown }) => runFunction(sendOnboardingEmails, event);

/** Inngest with the drip, and the run user.created starts; the test drives the clock. */
function deliver(event: { name: string; data: unknown }) {
  const sim = new InngestSim({ functions: [sendOnboardingEmails] });
  const [run] = sim.send(event);
  const delay = () => sim.until(() => run!.sleeping("wait-before-trial-offer"));
  return { sim, run: run!, delay };
}

/** Clerk's user.deleted for the user, as the webhook route forwards it. */
const userDeleted = (userId: string) => ({
  id: `clerk-msg_${randomUUID()}`,
  name: "clerk/user.deleted",
  data: { id: userId, object: "user", deleted: true },
});

const DAY = 24 * 60 * 60 * 1000;

/** The users row as the Stripe subscription sync (and the user.deleted sync) leave it. */
async function userRow(userId: string, fields: { subscriptionStatus?: string; deletedAt?: Date }) {
  const db = await getDb();
  await db
    .insert(users)
    .values({ clerkUserId: userId, ...fields })
    .onConflictDoUpdate({ target: users.clerkUserId, set: fields });
}

const receipts = async (userId: string) =>
  (await getDb()).select().from(emails).where(eq(emails.clerkUserId, userId));

describe("send-onboarding-emails", () => {
  it("sends the welcome email at once and, after TRIAL_OFFER_DELAY, the trial offer to a user still trialing", async () => {
    const { userId, address, event } = signUp();
    await userRow(userId, { subscriptionStatus: "trialing" });
    const { sim, run, delay } = deliver(event);

    await delay();
    const sentBeforeSleep = vendors.resend.emails.map((e) => e.subject);
    const sleptFrom = sim.now();
    await sim.settle();

    expect(run.error).toBeUndefined();
    expect(run.result).toEqual({ userId, welcome: "sent", trialOffer: "sent" });
    expect(run.sleeps).toEqual([{ id: "wait-before-trial-offer", duration: "3d" }]);
    expect(sentBeforeSleep).toEqual(["Welcome to onramp"]);
    // The offer went out when the 3 days had passed on Inngest's clock, not before.
    const offerSent = sim.history.find(
      (h) => h.type === "step-ran" && h.step === "send-trial-offer-email",
    );
    expect(offerSent!.at - sleptFrom).toBe(3 * DAY);

    const [welcome, offer] = vendors.resend.emails;
    for (const [email, kind] of [
      [welcome, "welcome"],
      [offer, "trial_offer"],
    ] as const) {
      expect(email).toMatchObject({
        from: process.env.EMAIL_FROM,
        to: address,
        tags: [{ name: "kind", value: kind }],
        idempotencyKey: `${kind}/${userId}`,
      });
      expect(email!.html).toContain("Grace");
      expect(email!.text).toMatch(/grace/i);
    }
    expect(offer!.subject).toBe("Make the most of your onramp trial");

    const rows = await receipts(userId);
    expect(rows.map((r) => [r.kind, r.transport, r.resendId]).sort()).toEqual(
      [
        ["trial_offer", "resend", offer!.id],
        ["welcome", "resend", welcome!.id],
      ].sort(),
    );
    expect(
      (await onboardingStatus(userId)).steps.find((s) => s.id === "welcome-email"),
    ).toMatchObject({ status: "done" });
  });

  it("until Stripe's first subscription event, goes by the trial provisioning started", async () => {
    const { userId, event } = signUp();
    await recordSteps(userId, "subscription", "done");

    const run = await send(event);

    expect(run.result).toMatchObject({ trialOffer: "sent" });
    expect(vendors.resend.emailsOfKind("trial_offer")).toHaveLength(1);
  });

  it.each([
    [
      "converted to a paid plan",
      (userId: string) => userRow(userId, { subscriptionStatus: "trialing" }),
      (userId: string) => userRow(userId, { subscriptionStatus: "active" }),
      "skipped: the subscription is active, no longer trialing",
    ],
    [
      "deleted",
      (userId: string) => userRow(userId, { subscriptionStatus: "trialing" }),
      (userId: string) => userRow(userId, { deletedAt: new Date() }),
      "skipped: the account was deleted",
    ],
    [
      "never given a trial (billing skipped)",
      (userId: string) => recordSteps(userId, "subscription", "skipped"),
      async () => {},
      "skipped: no trial was started",
    ],
  ])("skips the trial offer for a user %s", async (_, before, duringDelay, outcome) => {
    const { userId, event } = signUp();
    await before(userId);

    const { sim, run, delay } = deliver(event);

    await delay();
    await duringDelay(userId);
    await sim.settle();

    expect(run.result).toEqual({ userId, welcome: "sent", trialOffer: outcome });
    expect(vendors.resend.emails.map((e) => e.tags[0]?.value)).toEqual(["welcome"]);
  });

  it.each([
    ["an address changed since sign-up", "grace.new@example.com", "sent"],
    ["no email address any more", null, "skipped: no email address"],
  ])("sends the trial offer to the address the user has now: %s", async (_, current, outcome) => {
    const { userId, address, event } = signUp();
    await userRow(userId, { subscriptionStatus: "trialing" });
    const { sim, run, delay } = deliver(event);

    await delay();
    // What sync-user writes for Clerk's user.updated during the 3 days.
    await upsertUserProfile({
      clerkUserId: userId,
      email: current,
      firstName: "Grace",
      lastName: "Hopper",
      clerkUpdatedAt: new Date(),
    });
    await sim.settle();

    expect(run.result).toEqual({ userId, welcome: "sent", trialOffer: outcome });
    expect(vendors.resend.emailsOfKind("welcome").map((email) => email.to)).toEqual([address]);
    expect(vendors.resend.emailsOfKind("trial_offer").map((email) => email.to)).toEqual(
      current ? [current] : [],
    );
  });

  it.each([
    [
      "refused by Resend (a 422)",
      {
        status: 422,
        times: 1,
        body: { statusCode: 422, name: "validation_error", message: "Invalid `to` field." },
      },
      "We could not send you an email. Please check your email address, or contact support.",
      /Invalid `to` field/,
    ],
    [
      "failing every attempt (a 500)",
      {
        status: 500,
        times: 100,
        body: {
          statusCode: 500,
          name: "application_error",
          message: "smtp relay mx-3.internal down",
        },
      },
      "We could not send your welcome email. Please contact support.",
      /mx-3\.internal/,
    ],
  ])(
    "a welcome email %s shows as failed on the progress page, not running forever",
    async (_, failure, reason, detail) => {
      const { userId, event } = signUp();
      vendors.resend.failNext("POST", "/emails", failure);
      const logs = captureLogs();
      const { sim, run } = deliver(event);
      await sim.settle();
      vi.restoreAllMocks();

      expect(run.status).toBe("failed");
      expect(sim.runsOf("onramp-send-onboarding-emails-failure")).toMatchObject([
        { status: "completed" },
      ]);
      const step = (await onboardingStatus(userId)).steps.find((s) => s.id === "welcome-email");
      expect(step).toMatchObject({ status: "failed", reason });
      // Resend's own words are for the operator: in the log, with the failed run's id.
      const logged = logs.find((line) => line.msg === "onboarding emails failed");
      expect(logged).toMatchObject({ failedRunId: run.id });
      expect(JSON.stringify(logged!.error)).toMatch(detail);
      expect(JSON.stringify(step)).not.toMatch(detail);
    },
  );

  it("is cancelled by user.deleted: a run cancelled during the delay sends no trial offer", async () => {
    const { userId, event } = signUp();
    await userRow(userId, { subscriptionStatus: "trialing" });
    const { sim, run, delay } = deliver(event);

    await delay();
    // Another user's deletion is not this run's business.
    sim.send(userDeleted(`user_${randomUUID()}`));
    await sim.advance("1d");
    expect(run.status).toBe("running");
    // Clerk's user.deleted arrives during the delay.
    const deleted = userDeleted(userId);
    sim.send(deleted);
    await sim.settle();

    expect(run.cancelled).toBe(true);
    expect(run.cancelledBy).toMatchObject({ id: deleted.id, name: "clerk/user.deleted" });
    expect(run.steps).toEqual(["send-welcome-email"]);
    expect(vendors.resend.emails.map((e) => e.tags[0]?.value)).toEqual(["welcome"]);
    const [config] = (
      sendOnboardingEmails as unknown as {
        getConfig(opts: { baseUrl: URL; appPrefix: string }): Record<string, unknown>[];
      }
    ).getConfig({ baseUrl: new URL("http://localhost:3000/api/inngest"), appPrefix: "onramp" });
    expect(config).toMatchObject({
      idempotency: "event.data.id",
      concurrency: { key: "event.data.id", limit: 1 },
      throttle: { limit: 1, period: "1s" },
      cancel: [{ event: "clerk/user.deleted", if: "event.data.id == async.data.id" }],
    });
  });

  it("a user.deleted arriving while the welcome email is being sent lets that send finish, and nothing after it runs", async () => {
    const { userId, event } = signUp();
    await userRow(userId, { subscriptionStatus: "trialing" });
    const { sim, run } = deliver(event);
    // Clerk's user.deleted reaches Inngest while Resend is still answering the welcome email.
    vendors.server.use(
      http.post(
        `${vendors.resend.baseUrl}/emails`,
        () => {
          sim.send(userDeleted(userId));
        },
        { once: true },
      ),
    );

    await sim.settle();

    expect(run.cancelled).toBe(true);
    // Inngest cannot stop a step that runs: the email went out and its receipt was written.
    expect(run.steps).toEqual(["send-welcome-email"]);
    expect(vendors.resend.emailsOfKind("welcome")).toHaveLength(1);
    expect(await receipts(userId)).toHaveLength(1);
    // The run went no further: no delay, no trial offer.
    expect(run.sleeps).toEqual([]);
    expect(vendors.resend.emailsOfKind("trial_offer")).toEqual([]);
  });

  it("sends nothing, not even the welcome, to a user whose deletion was processed first", async () => {
    const { userId, event } = signUp();
    // Svix delivered user.deleted before user.created: close-deleted-user left the tombstone.
    await userRow(userId, { subscriptionStatus: "canceled", deletedAt: new Date() });

    const run = await send(event);

    expect(run.error).toBeUndefined();
    expect(run.result).toEqual({
      userId,
      welcome: "skipped: the account was deleted",
      trialOffer: "skipped: the account was deleted",
    });
    expect(vendors.resend.requests).toEqual([]);
    expect(await receipts(userId)).toEqual([]);
  });

  it("sends each kind once: each send failing once (5xx), and user.created delivered 3 times", async () => {
    const { userId, event } = signUp();
    await userRow(userId, { subscriptionStatus: "trialing" });
    vendors.resend.failNext("POST", "/emails", { status: 500 });

    // Each delivery let through as a new run (Inngest's idempotency key would stop them).
    const sim = new InngestSim({ functions: [sendOnboardingEmails] });
    const runs = [];
    for (let delivery = 0; delivery < 3; delivery++) {
      const run = sim.start(sendOnboardingEmails, event);
      if (delivery === 0) {
        await sim.until(() => run.sleeping("wait-before-trial-offer"));
        vendors.resend.failNext("POST", "/emails", { status: 503 });
      }
      await sim.settle();
      runs.push(run);
    }

    expect(runs[0]!.failures).toHaveLength(2);
    expect(runs[0]!.result).toMatchObject({ welcome: "sent", trialOffer: "sent" });
    for (const redelivery of runs.slice(1)) {
      expect(redelivery.result).toEqual({
        userId,
        welcome: "already sent",
        trialOffer: "already sent",
      });
    }
    expect(vendors.resend.count("POST", "/emails", { status: "success" })).toBe(2);
    expect(vendors.resend.emailsOfKind("welcome")).toHaveLength(1);
    expect(vendors.resend.emailsOfKind("trial_offer")).toHaveLength(1);
    expect(await receipts(userId)).toHaveLength(2);
  });

  it("does not send twice when Resend sent the email but its answer was lost", async () => {
    const { userId, event } = signUp();
    const resend = vendors.resend.handler();
    vendors.server.use(
      http.post(
        `${vendors.resend.baseUrl}/emails`,
        async ({ request, requestId }) => {
          await resend.run({ request, requestId });
          return HttpResponse.error();
        },
        { once: true },
      ),
    );

    const { run, delay } = deliver(event);
    await delay();

    expect(run.failures).toHaveLength(1);
    const attempts = vendors.resend.requests;
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.idempotencyKey).toBe(attempts[0]!.idempotencyKey);
    expect(vendors.resend.emailsOfKind("welcome")).toHaveLength(1);
    expect(await receipts(userId)).toHaveLength(1);
  });

  it("retries Resend's rate limit, and does not retry an email Resend rejects as invalid", async () => {
    const limited = signUp();
    vendors.resend.failNext("POST", "/emails", { status: 429, headers: { "retry-after": "1" } });
    const { run: retried, delay } = deliver(limited.event);
    await delay();
    expect(retried.failures).toEqual([expect.objectContaining({ name: "RetryAfterError" })]);
    expect(retried.retries).toMatchObject([{ delay: 1000, cause: "retry-after" }]);
    expect(vendors.resend.emailsOfKind("welcome")).toHaveLength(1);

    const rejected = signUp();
    vendors.resend.failNext("POST", "/emails", {
      status: 422,
      body: { statusCode: 422, name: "validation_error", message: "Invalid `to` field." },
    });
    const logs = captureLogs();
    const run = await send(rejected.event);
    vi.restoreAllMocks();
    // The run's reason is ours; Resend's words go to the log, on the line of the failed step.
    expect(run.error).toMatchObject({
      name: "NonRetriableError",
      message:
        "We could not send you an email. Please check your email address, or contact support.",
    });
    expect(logs).toContainEqual(
      expect.objectContaining({
        msg: "step failed",
        runID: run.id,
        step: "send-welcome-email",
        error: expect.objectContaining({
          cause: expect.objectContaining({
            message: "Resend refused the email (validation_error): Invalid `to` field.",
          }),
        }),
      }),
    );
    expect(vendors.resend.count("POST", "/emails", { status: 422 })).toBe(1);
    expect(await receipts(rejected.userId)).toEqual([]);
  });

  it("waits out each Retry-After of Resend's rate limit, in order, on Inngest's clock", async () => {
    const { event } = signUp();
    vendors.resend.failNext("POST", "/emails", { status: 429, headers: { "retry-after": "2" } });
    vendors.resend.failNext("POST", "/emails", { status: 429, headers: { "retry-after": "5" } });
    const { sim, run, delay } = deliver(event);

    await delay();

    expect(run.retries.map(({ step, delay, cause }) => ({ step, delay, cause }))).toEqual([
      { step: "send-welcome-email", delay: 2000, cause: "retry-after" },
      { step: "send-welcome-email", delay: 5000, cause: "retry-after" },
    ]);
    // Each attempt when its Retry-After was over: 0 s, 2 s, then 2 + 5 s.
    const welcome = sim.history.filter((h) => h.step === "send-welcome-email");
    expect(welcome.map((h) => [h.type, h.at - run.startedAt!])).toEqual([
      ["step-error", 0],
      ["step-error", 2000],
      ["step-ran", 7000],
    ]);
    expect(vendors.resend.count("POST", "/emails", { status: 429 })).toBe(2);
    expect(vendors.resend.emailsOfKind("welcome")).toHaveLength(1);
  });

  it("skips a user without an email address", async () => {
    const { userId, event } = signUp({ email: null });

    const run = await send(event);

    expect(run.result).toEqual({ userId, welcome: "skipped: no email address" });
    expect(vendors.resend.requests).toEqual([]);
    expect(
      (await onboardingStatus(userId)).steps.find((s) => s.id === "welcome-email"),
    ).toMatchObject({ status: "skipped", reason: "No email address" });
  });
});

describe("the receipt of an email sent while the account is deleted", () => {
  it("keeps no address or body once the erasure ran between the send and the receipt", async () => {
    const { userId, address } = signUp({ first_name: "Erased" });
    await userRow(userId, { subscriptionStatus: "trialing" });
    // Clerk's user.deleted is processed (tombstone, then erasure) while Resend is sending: the
    // erasure finds no receipt yet.
    vendors.server.use(
      http.post(
        `${process.env.RESEND_BASE_URL}/emails`,
        async () => {
          await markUserDeleted(userId, new Date());
          await eraseStoredEmails(userId);
          return HttpResponse.json({ id: randomUUID() });
        },
        { once: true },
      ),
    );

    const result = await sendOnboardingEmail({
      userId,
      kind: "welcome",
      to: address!,
      firstName: "Erased",
    });

    expect(result).toMatchObject({ kind: "welcome", outcome: "sent" });
    const [receipt] = await receipts(userId);
    // The row stays (each kind reaches each user once), without what identified them.
    expect(receipt).toMatchObject({ kind: "welcome", to: "", html: "" });
    expect(JSON.stringify(await receipts(userId))).not.toContain("Erased");
  });
});

describe("send-onboarding-emails without RESEND_API_KEY", () => {
  it("keeps the emails in the outbox, shown at /dev/emails only where npm run dev turned it on", async () => {
    vi.stubEnv("RESEND_API_KEY", "");
    vi.resetModules();
    try {
      const { sendOnboardingEmails: toOutbox } =
        await import("@/inngest/functions/send-onboarding-emails");
      const { userId, address, event } = signUp({ first_name: "Outbox" });
      await userRow(userId, { subscriptionStatus: "trialing" });

      const run = await runFunction(toOutbox, event);

      expect(run.result).toEqual({ userId, welcome: "sent", trialOffer: "sent" });
      expect(vendors.resend.requests).toEqual([]);
      const rows = await receipts(userId);
      expect(rows.map((r) => [r.kind, r.transport, r.to]).sort()).toEqual([
        ["trial_offer", "outbox", address],
        ["welcome", "outbox", address],
      ]);
      expect(rows[0]!.html).toContain("Outbox");

      // Unless the dev launcher turned it on, the page does not exist, in development too.
      for (const nodeEnv of ["test", "development"]) {
        vi.stubEnv("NODE_ENV", nodeEnv);
        vi.resetModules();
        const { default: OutboxPageInTest } = await import("@/app/dev/emails/page");
        await expect(OutboxPageInTest(), nodeEnv).rejects.toMatchObject({
          digest: expect.stringContaining("404"),
        });
      }

      vi.stubEnv("ONRAMP_DEV_EMAILS", "1");
      vi.resetModules();
      const { default: OutboxPage } = await import("@/app/dev/emails/page");
      const html = renderToStaticMarkup(await OutboxPage());
      expect(html).toContain("Welcome to onramp");
      expect(html).toContain(address!);
      // Each email renders in an iframe whose sandbox allows nothing (no script, no navigation).
      expect(html).toMatch(/<iframe[^>]*sandbox=""[^>]*srcDoc="[^"]*Outbox/i);
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});
