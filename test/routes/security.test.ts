import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { NextRequest } from "next/server";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { POST as clerkWebhook } from "@/app/api/webhooks/clerk/route";
import { createOrganizationCustomer } from "@/inngest/functions/create-organization-customer";
import { provisionSubscription } from "@/inngest/functions/provision-subscription";
import { syncSubscription } from "@/inngest/functions/sync-subscription";
import { clerk } from "@/lib/vendors/clerk";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { env } from "@/lib/env";
import { type SessionAuth } from "@/lib/auth";
import { ownerMetadata } from "@/lib/billing/ownership";
import { openSeatPortal } from "@/lib/orgs/checkout";
import { licensingOverview } from "@/lib/orgs/licensing";
import { runFunction } from "@onramp/standins/inngest";
import { mintSessionToken, sessionHeaders } from "@/test/support/session";
import { setupVendors } from "@onramp/standins/vitest";
import { canonical } from "@onramp/standins/http";
import { clerkDelivery, stripeDelivery } from "@/test/support/webhooks";
import { contractPath } from "@onramp/standins/contracts";

/**
 * Security evidence (issue 7): /api/inngest in production mode runs only what Inngest signed;
 * secrets never reach a response or a log line; unsafeMetadata cannot choose a price, a trial or a
 * customer; nobody reads another organization's data. Cross-user reads of the onboarding status
 * and cross-org writes are in test/routes/onboarding-status.test.ts and licensing.test.ts.
 */

const vendors = setupVendors();
afterEach(() => {
  expect(vendors.clerk.violations).toEqual([]);
  expect(vendors.stripe.violations).toEqual([]);
  expect(vendors.inngest.violations).toEqual([]);
});

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

describe("in production mode", () => {
  // Every secret distinct and random, so finding one in an output can only be a leak.
  const dbPassword = hex(16);
  const secrets = {
    INNGEST_SIGNING_KEY: `signkey-prod-${hex(32)}`,
    INNGEST_EVENT_KEY: hex(32),
    CLERK_SECRET_KEY: `sk_live_${hex(24)}`,
    CLERK_WEBHOOK_SIGNING_SECRET: `whsec_${randomBytes(32).toString("base64")}`,
    STRIPE_SECRET_KEY: `sk_live_${hex(24)}`,
    STRIPE_WEBHOOK_SECRET: `whsec_${hex(24)}`,
    RESEND_API_KEY: `re_${hex(24)}`,
  };
  const signingKeyBody = secrets.INNGEST_SIGNING_KEY.replace(/^signkey-\w+-/, "");
  /** What the SDK sends Inngest as its bearer token: a credential too. */
  const signingKeyHash = createHash("sha256").update(Buffer.from(signingKeyBody, "hex"));
  const hashedSigningKey = `signkey-prod-${signingKeyHash.digest("hex")}`;
  const secretValues: Record<string, string> = {
    ...secrets,
    "INNGEST_SIGNING_KEY without its prefix": signingKeyBody,
    "the hashed INNGEST_SIGNING_KEY": hashedSigningKey,
    "CLERK_WEBHOOK_SIGNING_SECRET without its prefix": secrets.CLERK_WEBHOOK_SIGNING_SECRET.slice(
      "whsec_".length,
    ),
    "the DATABASE_URL password": dbPassword,
  };
  /** The names of the secrets found in `texts`. */
  const leaked = (texts: string[]) =>
    Object.entries(secretValues)
      .filter(([, value]) => texts.some((text) => text.includes(value)))
      .map(([name]) => name);

  const serveUrl = "http://localhost:3000/api/inngest";
  let app: {
    inngest: typeof import("@/app/api/inngest/route");
    clerkWebhook: typeof import("@/app/api/webhooks/clerk/route");
    stripeWebhook: typeof import("@/app/api/webhooks/stripe/route");
    health: typeof import("@/app/api/health/route");
    db: typeof import("@/lib/db/client");
  };

  beforeAll(async () => {
    vi.resetModules();
    vi.stubEnv("NODE_ENV", "production");
    vi.stubEnv("INNGEST_DEV", undefined);
    vi.stubEnv("APP_URL", new URL(serveUrl).origin);
    vi.stubEnv("ONRAMP_ENVIRONMENT", "production");
    for (const [name, value] of Object.entries(secrets)) vi.stubEnv(name, value);
    // Unreachable on purpose: nothing here needs the database but the health check.
    vi.stubEnv("DATABASE_URL", `postgres://onramp:${dbPassword}@127.0.0.1:1/onramp`);
    app = {
      inngest: await import("@/app/api/inngest/route"),
      clerkWebhook: await import("@/app/api/webhooks/clerk/route"),
      stripeWebhook: await import("@/app/api/webhooks/stripe/route"),
      health: await import("@/app/api/health/route"),
      db: await import("@/lib/db/client"),
    };
    expect((await import("@/lib/env")).env.NODE_ENV).toBe("production");
    expect((await import("@/inngest/client")).inngest.mode).toBe("cloud");
  });

  afterAll(async () => {
    await app.db.closeConnection();
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  // Every response and every log line of every test here is checked for secrets.
  let outputs: string[] = [];
  let logLines: string[] = [];
  beforeEach(() => {
    outputs = [];
    logLines = [];
    const collect = (line: unknown) => void logLines.push(String(line));
    vi.spyOn(console, "log").mockImplementation(collect);
    vi.spyOn(console, "error").mockImplementation(collect);
    vi.spyOn(console, "warn").mockImplementation(collect);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    expect(leaked([...outputs, ...logLines])).toEqual([]);
  });

  async function answer(response: Response) {
    const text = await response.text();
    outputs.push(text, JSON.stringify([...response.headers]));
    return { status: response.status, text, headers: response.headers };
  }
  const logged = (pattern: RegExp) => logLines.some((line) => pattern.test(line));

  it("the secret scan finds a secret wherever it is", () => {
    expect(leaked([`Bearer ${hashedSigningKey}`, `postgres://u:${dbPassword}@db/app`])).toEqual([
      "the hashed INNGEST_SIGNING_KEY",
      "the DATABASE_URL password",
    ]);
  });

  describe("/api/inngest runs only requests Inngest signed", () => {
    /**
     * Inngest's signature, made as the SDK checks it (inngest/helpers/net.js): HMAC-SHA256 keyed
     * with the signing key minus its `signkey-…-` prefix, over the canonical (RFC 8785) JSON body
     * followed by the unix timestamp.
     */
    function inngestSignature(
      body: string,
      { key = secrets.INNGEST_SIGNING_KEY, at = new Date() } = {},
    ) {
      const t = Math.floor(at.getTime() / 1000);
      const data = body === "" ? "" : canonical(JSON.parse(body));
      const hmac = createHmac("sha256", key.replace(/^signkey-\w+-/, ""));
      return `t=${t}&s=${hmac.update(data + t).digest("hex")}`;
    }

    /** Inngest calling sync-subscription for a subscription Stripe does not have: its only step asks Stripe. */
    function execution() {
      const subscriptionId = `sub_probe${hex(8)}`;
      const event = {
        id: randomUUID(),
        name: "stripe/customer.subscription.updated",
        data: { id: subscriptionId, object: "subscription", customer: "cus_probe" },
        ts: Date.now(),
      };
      const body = JSON.stringify({
        event,
        events: [event],
        steps: {},
        ctx: { run_id: randomUUID(), attempt: 0, stack: { stack: [], current: 0 } },
      });
      const ran = () => vendors.stripe.count("GET", `/v1/subscriptions/${subscriptionId}`);
      return { body, ran };
    }

    const post = (body: string, signature?: string) =>
      app.inngest.POST(
        new NextRequest(`${serveUrl}?fnId=onramp-sync-subscription&stepId=step`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(signature ? { "x-inngest-signature": signature } : {}),
          },
          body,
        }),
        undefined,
      );

    it.each([
      ["without a signature", () => undefined, /No x-inngest-signature provided/],
      [
        "signed with another key",
        (body: string) => inngestSignature(body, { key: `signkey-prod-${hex(32)}` }),
        /Invalid signature/,
      ],
      [
        "with a signature for another body",
        (body: string) => inngestSignature(body.replace("cus_probe", "cus_other")),
        /Invalid signature/,
      ],
      [
        "replayed: signed 6 minutes ago",
        (body: string) => inngestSignature(body, { at: new Date(Date.now() - 6 * 60_000) }),
        /Signature has expired/,
      ],
    ])("POST %s: 401, and the function never runs", async (_, sign, why) => {
      const { body, ran } = execution();
      const response = await answer(await post(body, sign(body)));

      expect(response.status).toBe(401);
      expect(JSON.parse(response.text)).toEqual({ message: "Unauthorized" });
      expect(ran()).toBe(0);
      expect(vendors.stripe.requests).toEqual([]);
      // The SDK logs why (through lib/logger), and nothing else about the request.
      expect(logged(/Signature validation failed/)).toBe(true);
      expect(logged(why)).toBe(true);
    });

    it("POST signed with INNGEST_SIGNING_KEY runs the function, and the answer is signed", async () => {
      const { body, ran } = execution();
      const response = await answer(await post(body, inngestSignature(body)));

      expect(ran()).toBe(1);
      // The step ran and failed for good (Stripe does not know the subscription): the run's
      // outcome, not a refusal of the request.
      expect(response.status).toBe(206);
      expect(JSON.parse(response.text)).toEqual([
        expect.objectContaining({
          op: "StepFailed",
          displayName: "refetch-and-save-subscription",
          // Our words; Stripe's own, for the operator in Inngest, in the cause.
          error: expect.objectContaining({
            message:
              "Something our payment provider needs for your account is missing. Please contact support.",
            cause: expect.objectContaining({
              message: expect.stringMatching(/No such subscription/),
            }),
          }),
        }),
      ]);
      expect(response.headers.get("x-inngest-signature")).toMatch(/^t=\d+&s=[0-9a-f]{64}$/);
    });

    it("GET without a signature: 401, no introspection; signed: the app's details", async () => {
      const unsigned = await answer(await app.inngest.GET(new NextRequest(serveUrl), undefined));
      expect(unsigned.status).toBe(401);
      expect(JSON.parse(unsigned.text)).toEqual({ message: "Unauthorized" });

      const signed = await answer(
        await app.inngest.GET(
          new NextRequest(serveUrl, { headers: { "x-inngest-signature": inngestSignature("") } }),
          undefined,
        ),
      );
      expect(signed.status).toBe(200);
      expect(JSON.parse(signed.text)).toMatchObject({
        authentication_succeeded: true,
        mode: "cloud",
        app_id: "onramp",
      });
    });

    it("PUT (sync) never hands the function config to an unsigned caller", async () => {
      const functionIds = /onramp-(sync-subscription|provision-subscription|sync-user)/;
      const inBand = (signature?: string) => {
        const body = JSON.stringify({ url: serveUrl });
        return app.inngest.PUT(
          new NextRequest(serveUrl, {
            method: "PUT",
            headers: {
              "content-type": "application/json",
              "x-inngest-sync-kind": "in_band",
              ...(signature ? { "x-inngest-signature": signature } : {}),
            },
            body,
          }),
          undefined,
        );
      };

      // In-band sync answers with the config: only to Inngest.
      const unsigned = await answer(await inBand());
      expect(unsigned.status).toBe(401);
      expect(unsigned.text).not.toMatch(functionIds);
      const signed = await answer(
        await inBand(inngestSignature(JSON.stringify({ url: serveUrl }))),
      );
      expect(signed.status).toBe(200);
      expect(signed.text).toMatch(functionIds);

      // Out-of-band sync (the SDK's default, and `curl -X PUT` after a deploy) is allowed
      // unsigned: it only makes the SDK send the config to the configured Inngest API, with the
      // hashed signing key. The caller gets a status message.
      const outOfBand = await answer(
        await app.inngest.PUT(new NextRequest(serveUrl, { method: "PUT" }), undefined),
      );
      expect(outOfBand.status).toBe(200);
      expect(JSON.parse(outOfBand.text)).toEqual({
        message: "Successfully registered",
        modified: false,
      });
      expect(outOfBand.text).not.toMatch(functionIds);
      const [register] = vendors.inngest.requests.filter((r) => r.path === "/fn/register");
      expect(register!.headers.authorization).toBe(`Bearer ${hashedSigningKey}`);
      expect(JSON.stringify(register!.body)).toMatch(functionIds);
      expect(register!.body).toMatchObject({ url: serveUrl });

      // A sync with a forged Host still registers the app at APP_URL, not at the caller's host.
      const forged = "http://evil.example/api/inngest";
      const hijack = await answer(
        await app.inngest.PUT(
          new NextRequest(forged, { method: "PUT", headers: { host: "evil.example" } }),
          undefined,
        ),
      );
      expect(hijack.status).toBe(200);
      const registered = vendors.inngest.requests
        .filter((r) => r.path === "/fn/register")
        .map((r) => (r.body as { url: string }).url);
      expect(registered).toEqual([serveUrl, serveUrl]);
      expect(JSON.stringify(registered)).not.toContain("evil.example");
    });
  });

  describe("secrets never appear in responses or logs", () => {
    const clerkBody = () => readFileSync(contractPath("clerk-webhooks/user.created.json"), "utf8");
    const stripeBody = () =>
      JSON.stringify(
        vendors.stripe.webhookEvent(
          "customer.subscription.updated",
          vendors.stripe.createSubscription({ customer: vendors.stripe.createCustomer().id }),
        ),
      );

    it("webhooks: a bad signature gets 400 and a reason; a good one, 200", async () => {
      const badClerk = await answer(
        await app.clerkWebhook.POST(
          clerkDelivery(clerkBody(), { secret: `whsec_${randomBytes(32).toString("base64")}` }),
        ),
      );
      expect(badClerk.status).toBe(400);
      const badStripe = await answer(
        await app.stripeWebhook.POST(stripeDelivery(stripeBody(), { secret: "whsec_other" })),
      );
      expect(badStripe.status).toBe(400);
      expect(JSON.parse(badStripe.text).error).toMatch(/No signatures found/);
      expect(vendors.inngest.events).toEqual([]);

      // The same deliveries signed with this server's secrets go through.
      expect((await answer(await app.clerkWebhook.POST(clerkDelivery(clerkBody())))).status).toBe(
        200,
      );
      expect(
        (await answer(await app.stripeWebhook.POST(stripeDelivery(stripeBody())))).status,
      ).toBe(200);
      expect(vendors.inngest.events).toHaveLength(2);
    });

    it("webhooks: Inngest refusing the event gets 502, and the log line carries no event key", async () => {
      vendors.inngest.failNext("POST", /^\/e\//, { status: 401, times: 5 });
      const response = await answer(await app.clerkWebhook.POST(clerkDelivery(clerkBody())));

      expect(response.status).toBe(502);
      // The send went to Inngest's event API under the event key, as it must…
      expect(vendors.inngest.requests[0]!.path).toBe(`/e/${secrets.INNGEST_EVENT_KEY}`);
      // …and the error logged about it names the event, not the key.
      expect(logged(/could not queue webhook event/)).toBe(true);
    });

    it("health: 503 and only a status for the public; the driver's reason goes to the log, without the password", async () => {
      const response = await answer(await app.health.GET());
      expect(response.status).toBe(503);
      expect(JSON.parse(response.text)).toEqual({ status: "unavailable" });
      expect(response.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|onramp/);
      expect(
        logLines.some(
          (line) =>
            line.includes("health check: the database did not answer") &&
            line.includes("ECONNREFUSED"),
        ),
      ).toBe(true);
    });
  });
});

describe("a production server with INNGEST_DEV set", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  /** The app's /api/inngest as `next start` would load it with this environment. */
  async function productionServe(vars: Record<string, string>) {
    vi.resetModules();
    const production: Record<string, string> = {
      NODE_ENV: "production",
      APP_URL: "http://localhost:3000",
      ONRAMP_ENVIRONMENT: "production",
      INNGEST_DEV: "1",
      INNGEST_SIGNING_KEY: `signkey-prod-${hex(32)}`,
      INNGEST_EVENT_KEY: hex(32),
      ...vars,
    };
    for (const [name, value] of Object.entries(production)) vi.stubEnv(name, value);
    return import("@/app/api/inngest/route");
  }

  /** The unsigned call from the issue: a forged user.created for provisioning. */
  const forgedCall = (serve: typeof import("@/app/api/inngest/route")) => {
    const event = {
      id: randomUUID(),
      name: "clerk/user.created",
      data: { id: "user_forged", unsafe_metadata: { tier: "enterprise" } },
      ts: Date.now(),
    };
    return serve.POST(
      new NextRequest(
        "http://localhost:3000/api/inngest?fnId=onramp-provision-subscription&stepId=step",
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            event,
            events: [event],
            steps: {},
            ctx: { run_id: randomUUID(), attempt: 0, stack: { stack: [], current: 0 } },
          }),
        },
      ),
      undefined,
    );
  };

  it("never starts, so it never runs an unsigned function call", async () => {
    const error = await productionServe({}).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: "InvalidEnvironmentError" });
    expect((error as Error).message).toMatch(/INNGEST_DEV: must not be set in production/);
  });

  it("runs one only with the opt-in whose name says it is unsafe", async () => {
    const serve = await productionServe({ ONRAMP_UNSAFE_ALLOW_INNGEST_DEV_IN_PRODUCTION: "1" });
    // The issue's reproduction: unsigned, and planned all the same (206). Hence the refusal.
    expect((await forgedCall(serve)).status).toBe(206);
  });
});

describe("unsafeMetadata is the browser's word", () => {
  beforeAll(() => getDb());

  it("cannot pick a price, a trial length, or another user's Stripe customer", async () => {
    const PRO = process.env.STRIPE_PRICE_PRO!;
    // Everything it names exists at Stripe, so using any of it would succeed and be noticed.
    vendors.stripe.addPrice({ id: "price_evil" });
    const someoneElse = vendors.stripe.createCustomer({
      metadata: { clerk_user_id: "user_other" },
    });
    const anotherCustomer = vendors.stripe.createCustomer();
    const db = await getDb();
    const otherUserId = `user_${hex(12)}`;
    await db.insert(users).values({ clerkUserId: otherUserId, stripeCustomerId: someoneElse.id });
    const injected = ["price_evil", someoneElse.id, anotherCustomer.id];

    const user = vendors.clerk.addUser({
      email: `eve.${hex(4)}@example.com`,
      first_name: "Eve",
      unsafe_metadata: {
        tier: "pro",
        confirmationToken: vendors.stripe.issueConfirmationToken(),
        price: "price_evil",
        priceId: "price_evil",
        trialDays: 365,
        trial_period_days: 365,
        stripeCustomerId: someoneElse.id,
        customer: anotherCustomer.id,
      },
    });

    // Through the real ingress, then the run Inngest would start for the queued event.
    const response = await clerkWebhook(
      clerkDelivery(JSON.stringify({ type: "user.created", object: "event", data: user })),
    );
    expect(response.status).toBe(200);
    const [queued] = vendors.inngest.events;
    const run = await runFunction(provisionSubscription, {
      id: queued!.id,
      name: queued!.name,
      data: queued!.data,
    });
    expect(run.error).toBeUndefined();

    // A customer of its own, made for this user.
    const created = vendors.stripe.requests.filter((r) => r.method === "POST");
    expect(created.map((r) => r.path)).toEqual([
      "/v1/customers",
      "/v1/setup_intents",
      "/v1/subscriptions",
    ]);
    const [customer, setupIntent, subscription] = created;
    const ours = ownerMetadata({ key: "clerk_user_id", id: user.id });
    expect(customer!.body.metadata).toEqual(ours);
    const customerId = (run.result as { customerId: string }).customerId;
    expect([someoneElse.id, anotherCustomer.id]).not.toContain(customerId);
    expect(vendors.stripe.customers.get(customerId)!.metadata).toEqual(ours);
    expect(setupIntent!.body.customer).toBe(customerId);
    // The catalogue's price and the configured trial.
    expect(subscription!.body).toMatchObject({
      customer: customerId,
      items: [{ price: PRO }],
      trial_period_days: String(env.TRIAL_DAYS),
    });
    expect(subscription!.body).not.toHaveProperty("trial_end");
    // Nothing the browser wrote reached Stripe, in any request.
    const sentToStripe = JSON.stringify(
      vendors.stripe.requests.map((r) => [r.path, r.query, r.body]),
    );
    for (const value of injected) expect(sentToStripe).not.toContain(value);
    expect(sentToStripe).not.toContain('"365"');

    // What the user holds afterwards is theirs; the other user keeps theirs.
    expect(vendors.clerk.users.get(user.id)!.public_metadata).toMatchObject({
      tier: "pro",
      stripeCustomerId: customerId,
    });
    const rows = await db.select().from(users);
    expect(rows.find((row) => row.clerkUserId === user.id)?.stripeCustomerId).toBe(customerId);
    expect(rows.find((row) => row.clerkUserId === otherUserId)?.stripeCustomerId).toBe(
      someoneElse.id,
    );
    expect(
      [...vendors.stripe.subscriptions.values()].map((s) => [
        s.customer,
        s.items.data[0]!.price.id,
      ]),
    ).toEqual([[customerId, PRO]]);
  });
});

describe("nobody reads another organization's data (minted session tokens)", () => {
  beforeAll(() => getDb());

  /** The session a request carries, as the app verifies it (networkless, the test key). */
  async function sessionOf(token: string): Promise<SessionAuth> {
    const state = await clerk.authenticateRequest(
      new Request("http://localhost:3000/org/licensing", { headers: sessionHeaders(token) }),
      {
        acceptsToken: "session_token",
        jwtKey: env.CLERK_JWT_KEY,
        authorizedParties: [new URL(env.APP_URL).origin],
      },
    );
    return state.toAuth() ?? { userId: null };
  }

  const orgSample = JSON.parse(
    readFileSync(contractPath("clerk-webhooks/organization.created.json"), "utf8"),
  ).data;

  /** An organization with an admin and a member, its Stripe customer and row from the workflow. */
  async function organization(name: string) {
    const org = vendors.clerk.addOrganization({ name });
    const admin = vendors.clerk.addUser({ email: `admin.${hex(4)}@example.com` });
    const member = vendors.clerk.addUser({ email: `member.${hex(4)}@example.com` });
    vendors.clerk.addMembership({ organizationId: org.id, userId: admin.id, role: "org:admin" });
    vendors.clerk.addMembership({ organizationId: org.id, userId: member.id });
    const created = await runFunction(createOrganizationCustomer, {
      name: "clerk/organization.created",
      data: { ...orgSample, id: org.id, name },
    });
    const customerId = (created.result as { stripeCustomerId: string }).stripeCustomerId;
    const asAdmin = () =>
      sessionOf(
        mintSessionToken({
          userId: admin.id,
          claims: { o: { id: org.id, slg: org.slug, rol: "admin" } },
        }),
      );
    return { org, admin, member, customerId, asAdmin };
  }

  it("an admin sees only their active organization's members, seats and billing", async () => {
    const acme = await organization("Acme Corp");
    const globex = await organization("Globex");
    // Acme bought 5 seats.
    const seats = vendors.stripe.createSubscription({
      customer: acme.customerId,
      price: process.env.STRIPE_PRICE_ENTERPRISE!,
      quantity: 5,
    });
    const synced = await runFunction(syncSubscription, {
      name: "stripe/customer.subscription.created",
      data: structuredClone(seats),
    });
    expect(synced.result).toMatchObject({ appliedTo: { orgId: acme.org.id }, seats: 5 });

    const acmeView = await licensingOverview(await acme.asAdmin());
    expect(acmeView.seats).toMatchObject({ purchased: 5 });
    expect(acmeView.members?.map((m) => m.userId).sort()).toEqual(
      [acme.admin.id, acme.member.id].sort(),
    );

    const globexView = await licensingOverview(await globex.asAdmin());
    expect(globexView.actor.orgId).toBe(globex.org.id);
    expect(globexView.seats).toMatchObject({ purchased: 0, hasSubscription: false });
    expect(globexView.members?.map((m) => m.userId).sort()).toEqual(
      [globex.admin.id, globex.member.id].sort(),
    );
    expect(JSON.stringify(globexView)).not.toMatch(
      new RegExp([acme.org.id, acme.admin.id, acme.member.id, acme.customerId].join("|")),
    );

    await openSeatPortal(await globex.asAdmin());
    await openSeatPortal(await acme.asAdmin());
    expect([...vendors.stripe.portalSessions.values()].map((p) => p.customer)).toEqual([
      globex.customerId,
      acme.customerId,
    ]);
  });
});
