import { createClerkClient } from "@clerk/backend";
import { Inngest } from "inngest";
import { serve } from "inngest/next";
import { Resend } from "resend";
import Stripe from "stripe";
import { describe, expect, it, vi } from "vitest";
import { FakeStripeJs } from "@onramp/standins/stripe";
import { setupVendors } from "@onramp/standins/vitest";

// The real SDKs, pointed at the stand-ins exactly as the app points them (vitest.config.ts env).
const vendors = setupVendors();
const { stripe: stripeApi, clerk: clerkApi, resend: resendApi, inngest: inngestApi } = vendors;
const stripe = new Stripe("sk_test_onramp", {
  host: "stripe.test",
  port: 80,
  protocol: "http",
  maxNetworkRetries: 0,
});
const clerk = createClerkClient({ secretKey: "sk_test_onramp", apiUrl: "http://clerk.test" });
const resend = new Resend("re_onramp_test", { baseUrl: "http://resend.test" });
const inngest = new Inngest({ id: "t", isDev: true, baseUrl: "http://inngest.test" });

const PRICE = "price_pro_test";

describe("Stripe stand-in", () => {
  it("creates, retrieves and searches customers by metadata", async () => {
    const c = await stripe.customers.create({
      email: "a@onramp.test",
      metadata: { clerk_user_id: "user_a" },
    });
    expect(c.id).toMatch(/^cus_/);
    expect((await stripe.customers.retrieve(c.id)) as Stripe.Customer).toMatchObject({
      email: "a@onramp.test",
    });
    stripeApi.createCustomer({ metadata: { clerk_user_id: "user_b" } });
    const found = await stripe.customers.search({ query: "metadata['clerk_user_id']:'user_a'" });
    expect(found.data.map((x) => x.id)).toEqual([c.id]);
    stripeApi.eventualSearch = true; // Stripe's search index lags writes
    stripeApi.createCustomer({ metadata: { clerk_user_id: "user_late" } });
    const late = { query: "metadata['clerk_user_id']:'user_late'" };
    expect((await stripe.customers.search(late)).data).toHaveLength(0);
    stripeApi.indexSearch();
    expect((await stripe.customers.search(late)).data).toHaveLength(1);
    expect(stripeApi.requests[0]).toMatchObject({
      method: "POST",
      path: "/v1/customers",
      body: { metadata: { clerk_user_id: "user_a" } },
    });
    await expect(stripe.customers.retrieve("cus_missing")).rejects.toMatchObject({
      statusCode: 404,
      code: "resource_missing",
    });
  });

  it("replays an idempotent request and rejects the same key with other params", async () => {
    const first = await stripe.customers.create(
      { email: "i@onramp.test" },
      { idempotencyKey: "cust:i" },
    );
    const again = await stripe.customers.create(
      { email: "i@onramp.test" },
      { idempotencyKey: "cust:i" },
    );
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers["idempotent-replayed"]).toBe("true");
    expect(stripeApi.customers.size).toBe(1);
    await expect(
      stripe.customers.create({ email: "other@onramp.test" }, { idempotencyKey: "cust:i" }),
    ).rejects.toMatchObject({
      type: "StripeIdempotencyError",
      statusCode: 400,
    });
    expect(stripeApi.count("POST", "/v1/customers")).toBe(3);
    expect(stripeApi.count("POST", "/v1/customers", { status: "success" })).toBe(2);
  });

  it("confirms SetupIntents by ConfirmationToken: success, decline, 3DS, single use, expiry after 12 hours, never-issued ones missing", async () => {
    const customer = stripeApi.createCustomer({ email: "s@onramp.test" });
    const setup = (token: string) =>
      stripe.setupIntents.create({
        customer: customer.id,
        usage: "off_session",
        confirm: true,
        confirmation_token: token,
      });

    // Stripe.js has Stripe make each token; an id Stripe never issued does not exist.
    await expect(setup("ctoken_ok_never_issued")).rejects.toMatchObject({
      statusCode: 400,
      type: "StripeInvalidRequestError",
      code: "resource_missing",
      param: "confirmation_token",
      message: "No such confirmationtoken: 'ctoken_ok_never_issued'",
    });

    const token = stripeApi.issueConfirmationToken();
    const ok = await setup(token);
    expect(ok).toMatchObject({ status: "succeeded", customer: customer.id, usage: "off_session" });
    expect(ok.payment_method).toMatch(/^pm_/);
    await expect(setup(token)).rejects.toMatchObject({
      statusCode: 400,
      code: "token_already_used",
      param: "confirmation_token",
    });

    const declined = await setup(stripeApi.issueConfirmationToken("decline")).catch(
      (e: unknown) => e,
    );
    expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(declined).toMatchObject({
      statusCode: 402,
      code: "card_declined",
      decline_code: "generic_decline",
    });

    const action = await setup(stripeApi.issueConfirmationToken("3ds"));
    expect(action).toMatchObject({
      status: "requires_action",
      next_action: { type: "use_stripe_sdk" },
    });
    expect(action.client_secret).toContain(`${action.id}_secret_`);
    expect(stripeApi.completeSetupIntentAction(action.id).status).toBe("succeeded");

    // Stripe.js made it 12 hours ago: too late. One made now expires when the clock gets there.
    const stale = stripeApi.issueConfirmationToken("ok", { ageSeconds: 12 * 3600 });
    await expect(setup(stale)).rejects.toMatchObject({
      statusCode: 400,
      param: "confirmation_token",
      message: expect.stringMatching(/expired/),
    });
    const fresh = stripeApi.issueConfirmationToken();
    stripeApi.advanceClock(12 * 3600 - 1);
    expect(await setup(fresh)).toMatchObject({ status: "succeeded" });
    const late = stripeApi.issueConfirmationToken("ok", { ageSeconds: 12 * 3600 - 1 });
    stripeApi.advanceClock(1);
    await expect(setup(late)).rejects.toMatchObject({ statusCode: 400 });
    expect([...stripeApi.setupIntents.values()].map((s) => s.status)).toEqual([
      "succeeded",
      "requires_payment_method",
      "succeeded",
      "succeeded",
    ]);
  });

  it("has the ConfirmationTokens the simulated Stripe.js hands the page issued by the API, by test card", async () => {
    const stripeJs = new FakeStripeJs(stripeApi);
    const tokenFor = (number: string) =>
      (
        stripeJs.handle("createConfirmationToken", { card: { number } }) as {
          confirmationToken: { id: string };
        }
      ).confirmationToken.id;
    const customer = stripeApi.createCustomer({});
    const confirm = (token: string) =>
      stripe.setupIntents
        .create({ customer: customer.id, confirm: true, confirmation_token: token })
        .catch((error: { code?: string }) => error.code);

    expect(await confirm(tokenFor("4242 4242 4242 4242"))).toMatchObject({ status: "succeeded" });
    expect(await confirm(tokenFor("4000 0000 0000 0002"))).toBe("card_declined");
    expect(await confirm(tokenFor("4000 0025 0000 3155"))).toMatchObject({
      status: "requires_action",
    });
    expect(stripeJs.issuedTokens).toHaveLength(3);
  });

  it("saves a server error that happened while executing, and replays it under the key", async () => {
    stripeApi.failAfterEffect("POST", "/v1/customers");
    const create = () =>
      stripe.customers.create({ email: "e@onramp.test" }, { idempotencyKey: "cust:e" });
    await expect(create()).rejects.toMatchObject({ statusCode: 500 });
    // The customer exists, but the key answers the 500 for as long as Stripe keeps it (24 h).
    expect(stripeApi.customers.size).toBe(1);
    const replay = await create().catch((e: unknown) => e);
    expect(replay).toMatchObject({ statusCode: 500 });
    expect((replay as Stripe.errors.StripeError).headers?.["idempotent-replayed"]).toBe("true");
    stripeApi.advanceClock(24 * 3600);
    expect((await create()).id).not.toBe([...stripeApi.customers.keys()][0]);
    expect(stripeApi.customers.size).toBe(2);
  });

  it("charges the first invoice at once without a trial: a failed charge leaves it incomplete", async () => {
    const customer = stripeApi.createCustomer();
    const saveCard = async (kind: string) =>
      (
        await stripe.setupIntents.create({
          customer: customer.id,
          confirm: true,
          confirmation_token: stripeApi.issueConfirmationToken(kind),
        })
      ).payment_method as string;
    const subscribe = async (kind: string) => {
      const sub = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: PRICE }],
        default_payment_method: await saveCard(kind),
      });
      return { status: sub.status, invoice: stripeApi.invoices.get(sub.latest_invoice as string) };
    };

    expect(await subscribe("ok")).toMatchObject({
      status: "active",
      invoice: { status: "paid", attempt_count: 1 },
    });
    expect(await subscribe("unchargeable")).toMatchObject({
      status: "incomplete",
      invoice: { status: "open", amount_paid: 0 },
    });
    expect((await subscribe("chargeauth")).status).toBe("incomplete");
  });

  it("refunds what a PaymentIntent received, once: the rest, or part of it, then charge_already_refunded", async () => {
    const customer = stripeApi.createCustomer();
    const card = await stripe.setupIntents.create({
      customer: customer.id,
      confirm: true,
      confirmation_token: stripeApi.issueConfirmationToken("ok"),
    });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: PRICE }],
      default_payment_method: card.payment_method as string,
    });
    // The invoices of a subscription, paid ones, and the PaymentIntent that paid it.
    const [invoice] = (await stripe.invoices.list({ subscription: sub.id, status: "paid" })).data;
    expect(invoice).toMatchObject({
      status: "paid",
      status_transitions: { paid_at: expect.any(Number) },
    });
    expect((await stripe.invoices.list({ subscription: sub.id, status: "open" })).data).toEqual([]);
    const [payment] = (
      await stripe.invoicePayments.list({
        invoice: invoice!.id!,
        expand: ["data.payment.payment_intent"],
      })
    ).data;
    const intent = payment!.payment.payment_intent as Stripe.PaymentIntent;

    const part = await stripe.refunds.create({ payment_intent: intent.id, amount: 500 });
    const rest = await stripe.refunds.create({
      payment_intent: intent.id,
      metadata: { why: "test" },
    });
    expect([part.amount, rest.amount]).toEqual([500, intent.amount_received - 500]);
    expect(rest).toMatchObject({
      status: "succeeded",
      payment_intent: intent.id,
      metadata: { why: "test" },
    });
    await expect(stripe.refunds.create({ payment_intent: intent.id })).rejects.toMatchObject({
      statusCode: 400,
      code: "charge_already_refunded",
    });
    const listed = await stripe.refunds.list({ payment_intent: intent.id });
    expect(listed.data.map((r) => r.id)).toEqual([rest.id, part.id]);
    expect(stripeApi.violations).toEqual([]);
  });

  it("lists every subscription not canceled by default (incomplete_expired too), as Stripe documents", async () => {
    const customer = stripeApi.createCustomer();
    const subscription = (status: Stripe.Subscription.Status) =>
      stripeApi.createSubscription({ customer: customer.id, status }).id;
    const [expired, canceled, active] = [
      subscription("incomplete_expired"),
      subscription("canceled"),
      subscription("active"),
    ];
    const ids = async (params: Stripe.SubscriptionListParams) =>
      (await stripe.subscriptions.list({ customer: customer.id, ...params })).data.map((s) => s.id);

    expect(await ids({})).toEqual([active, expired]);
    expect(await ids({ status: "ended" })).toEqual([canceled, expired]);
    expect(await ids({ status: "all" })).toEqual([active, canceled, expired]);
  });

  it("shows a new customer in search a minute of Stripe's clock later when search lags, and follows another clock", async () => {
    stripeApi.eventualSearch = true;
    stripeApi.createCustomer({ metadata: { clerk_user_id: "user_lagging" } });
    const query = { query: "metadata['clerk_user_id']:'user_lagging'" };
    expect((await stripe.customers.search(query)).data).toHaveLength(0);
    stripeApi.advanceClock(60);
    expect((await stripe.customers.search(query)).data).toHaveLength(1);

    const simulated = Date.now() + 5 * 3_600_000;
    stripeApi.followClock(() => simulated);
    expect(stripeApi.now()).toBe(Math.floor(simulated / 1000));
  });

  it("holds a request in flight until told, then acts on it", async () => {
    let release!: () => void;
    const held: string[] = [];
    stripeApi.holdNext("POST", "/v1/customers", (request) => {
      held.push(request.body.email);
      return new Promise<void>((resolve) => (release = resolve));
    });
    const creating = stripe.customers.create({ email: "slow@onramp.test" });
    await vi.waitUntil(() => held.length === 1);
    expect(stripeApi.customers.size).toBe(0);
    release();
    expect((await creating).email).toBe("slow@onramp.test");
    expect(held).toEqual(["slow@onramp.test"]);
  });

  it("refuses a default payment method that is missing or not the customer's", async () => {
    const customer = stripeApi.createCustomer();
    const other = stripeApi.createCustomer();
    const { payment_method: othersCard } = await stripe.setupIntents.create({
      customer: other.id,
      confirm: true,
      confirmation_token: stripeApi.issueConfirmationToken(),
    });
    const subscribe = (paymentMethod: string) =>
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: PRICE }],
        default_payment_method: paymentMethod,
      });
    await expect(subscribe("pm_missing")).rejects.toMatchObject({
      statusCode: 400,
      code: "resource_missing",
      param: "default_payment_method",
    });
    await expect(subscribe(othersCard as string)).rejects.toMatchObject({
      statusCode: 400,
      code: "resource_missing",
      message: expect.stringMatching(/must be attached to the customer/),
    });
    expect(stripeApi.subscriptions.size).toBe(0);
  });

  it("ignores idempotency keys on DELETE, and refuses to cancel a cancelled subscription", async () => {
    const { id } = stripeApi.createSubscription({ customer: stripeApi.createCustomer().id });
    const cancel = () => stripe.subscriptions.cancel(id, {}, { idempotencyKey: `cancel:${id}` });
    expect((await cancel()).status).toBe("canceled");
    await expect(cancel()).rejects.toMatchObject({ statusCode: 404, code: "resource_missing" });
    expect((await stripe.subscriptions.retrieve(id)).status).toBe("canceled");
  });

  it("creates trial subscriptions and rejects unknown prices", async () => {
    const customer = stripeApi.createCustomer();
    const { payment_method: card } = await stripe.setupIntents.create({
      customer: customer.id,
      confirm: true,
      confirmation_token: stripeApi.issueConfirmationToken(),
    });
    const before = Math.floor(Date.now() / 1000);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: PRICE, quantity: 3 }],
      trial_period_days: 14,
      default_payment_method: card as string,
      metadata: { clerk_user_id: "user_s" },
    });
    expect(sub).toMatchObject({
      status: "trialing",
      customer: customer.id,
      metadata: { clerk_user_id: "user_s" },
    });
    expect(sub.items.data[0]).toMatchObject({ price: { id: PRICE }, quantity: 3 });
    expect(sub.trial_end! - before).toBeGreaterThanOrEqual(14 * 86_400);
    expect(sub.trial_end! - before).toBeLessThan(14 * 86_400 + 5);

    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: "price_nope" }],
        trial_period_days: 14,
      }),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: "resource_missing",
      param: "items[0][price]",
    });

    stripeApi.updateSubscription(sub.id, { quantity: 5, status: "past_due" });
    expect(await stripe.subscriptions.retrieve(sub.id)).toMatchObject({
      status: "past_due",
      items: { data: [{ quantity: 5 }] },
    });
    expect((await stripe.subscriptions.cancel(sub.id)).status).toBe("canceled");
    const event = stripeApi.webhookEvent(
      "customer.subscription.deleted",
      stripeApi.subscriptions.get(sub.id)!,
    );
    expect(event).toMatchObject({
      object: "event",
      type: "customer.subscription.deleted",
      data: { object: { id: sub.id } },
    });
    expect(event.id).toMatch(/^evt_/);
    const delivery = stripeApi.signWebhook(event);
    const verified = await stripe.webhooks.constructEventAsync(
      delivery.body,
      delivery.headers["stripe-signature"]!,
      "whsec_onramp_stripe_test",
    );
    expect(verified.id).toBe(event.id);
  });

  it("rejects parameters the pinned API version does not accept", async () => {
    const customer = stripeApi.createCustomer();
    // removed from SetupIntent create in the SDK's API version; real Stripe answers parameter_unknown
    const params = {
      customer: customer.id,
      payment_method_types: ["card"],
    } as Stripe.SetupIntentCreateParams;
    await expect(stripe.setupIntents.create(params)).rejects.toMatchObject({
      statusCode: 400,
      code: "parameter_unknown",
      param: "payment_method_types",
    });
    expect(stripeApi.violations).toEqual([
      "POST /setup_intents: unknown parameter payment_method_types",
    ]);
    expect(stripeApi.setupIntents.size).toBe(0);
  });

  it("serves an injected failure, then succeeds", async () => {
    stripeApi.failNext("POST", "/v1/customers", { status: 500 });
    await expect(
      stripe.customers.create({ email: "f@onramp.test" }, { idempotencyKey: "f" }),
    ).rejects.toMatchObject({ statusCode: 500 });
    const c = await stripe.customers.create({ email: "f@onramp.test" }, { idempotencyKey: "f" });
    expect(c.lastResponse.headers["idempotent-replayed"]).toBeUndefined();
    expect(stripeApi.requests.map((r) => [r.status, r.idempotencyKey])).toEqual([
      [500, "f"],
      [200, "f"],
    ]);
  });

  it("creates checkout and billing portal sessions; a paid Checkout's first invoice is paid with the card entered there", async () => {
    const customer = stripeApi.createCustomer();
    const cs = await stripe.checkout.sessions.create({
      mode: "subscription",
      customer: customer.id,
      line_items: [{ price: PRICE, quantity: 1 }],
      success_url: "http://localhost/ok",
    });
    expect(cs.url).toContain(cs.id);
    const subscription = stripeApi.payCheckout(cs.id)!;
    const [invoice] = (await stripe.invoices.list({ subscription: subscription.id })).data;
    expect(invoice).toMatchObject({ status: "paid", customer: customer.id });
    expect(invoice!.amount_paid).toBeGreaterThan(0);
    const portal = await stripe.billingPortal.sessions.create({
      customer: customer.id,
      return_url: "http://localhost/back",
    });
    expect(portal).toMatchObject({ customer: customer.id, return_url: "http://localhost/back" });
    expect(stripeApi.violations).toEqual([]);
  });
});

describe("Clerk stand-in", () => {
  it("reads users and deep-merges metadata (null deletes)", async () => {
    const seeded = clerkApi.addUser({
      email: "c@onramp.test",
      public_metadata: { a: 1, nested: { keep: true, drop: "x" } },
    });
    const user = await clerk.users.getUser(seeded.id);
    expect(user.primaryEmailAddress?.emailAddress).toBe("c@onramp.test");
    const updated = await clerk.users.updateUserMetadata(seeded.id, {
      publicMetadata: { onboardingComplete: true, nested: { drop: null } },
      unsafeMetadata: { confirmationToken: null },
    });
    expect(updated.publicMetadata).toEqual({
      a: 1,
      onboardingComplete: true,
      nested: { keep: true },
    });
    expect(clerkApi.users.get(seeded.id)!.public_metadata).toEqual(updated.publicMetadata);
    await expect(clerk.users.getUser("user_missing")).rejects.toMatchObject({ status: 404 });
    const byEmail = await clerk.users.getUserList({ emailAddress: ["c@onramp.test"], limit: 5 });
    expect([byEmail.totalCount, byEmail.data[0]?.id]).toEqual([1, seeded.id]);
    expect(clerkApi.violations).toEqual([]);
    expect(clerkApi.responseViolations).toEqual([]);
  });

  it("handles organizations and memberships", async () => {
    const org = clerkApi.addOrganization({ name: "Acme" });
    const u = clerkApi.addUser({ email: "m@onramp.test" });
    clerkApi.addMembership({ organizationId: org.id, userId: u.id, role: "org:admin" });
    expect((await clerk.organizations.getOrganization({ organizationId: org.id })).name).toBe(
      "Acme",
    );
    const merged = await clerk.organizations.updateOrganizationMetadata(org.id, {
      publicMetadata: { seats: 3 },
    });
    expect(merged.publicMetadata).toEqual({ seats: 3 });
    const list = await clerk.organizations.getOrganizationMembershipList({
      organizationId: org.id,
    });
    expect(list.totalCount).toBe(1);
    expect(list.data[0]?.publicUserData?.userId).toBe(u.id);
    const m = await clerk.organizations.updateOrganizationMembershipMetadata({
      organizationId: org.id,
      userId: u.id,
      publicMetadata: { licensed: true },
    });
    expect(m.publicMetadata).toEqual({ licensed: true });
    expect(clerkApi.violations).toEqual([]);
    expect(clerkApi.responseViolations).toEqual([]);
  });

  it("lists organizations by id, as the reconciler asks about them", async () => {
    const [a, b] = [
      clerkApi.addOrganization({ name: "A" }),
      clerkApi.addOrganization({ name: "B" }),
    ];
    clerkApi.addOrganization({ name: "C" });
    const { data, totalCount } = await clerk.organizations.getOrganizationList({
      organizationId: [a.id, b.id, "org_gone"],
      limit: 3,
    });
    expect(data.map((org) => org.id).sort()).toEqual([a.id, b.id].sort());
    expect(totalCount).toBe(2);
    expect(clerkApi.violations).toEqual([]);
    expect(clerkApi.responseViolations).toEqual([]);
  });

  it("answers 422 and records a violation for a request the spec forbids", async () => {
    const u = clerkApi.addUser();
    const res = await fetch(`http://clerk.test/v1/users/${u.id}/metadata`, {
      method: "PATCH",
      headers: { authorization: "Bearer sk_test_onramp", "content-type": "application/json" },
      body: JSON.stringify({ public_metadata: "not an object", tier: "pro" }),
    });
    expect(res.status).toBe(422);
    expect(clerkApi.violations.join("\n")).toMatch(
      /public_metadata: must be object[\s\S]*tier|tier[\s\S]*public_metadata/,
    );
    expect(clerkApi.users.get(u.id)!.public_metadata).toEqual({});
  });

  it("injects a 429 with Retry-After, then succeeds", async () => {
    const u = clerkApi.addUser();
    clerkApi.failNext("GET", /^\/v1\/users\//, { status: 429, headers: { "Retry-After": "7" } });
    await expect(clerk.users.getUser(u.id)).rejects.toMatchObject({ status: 429, retryAfter: 7 });
    expect((await clerk.users.getUser(u.id)).id).toBe(u.id);
    expect(clerkApi.count("GET", `/v1/users/${u.id}`, { status: 429 })).toBe(1);
  });
});

describe("Resend stand-in", () => {
  const email = {
    from: "onramp <hello@onramp.test>",
    to: "r@onramp.test",
    subject: "Welcome",
    html: "<p>hi</p>",
    tags: [{ name: "kind", value: "welcome" }],
  };

  it("delivers once per idempotency key and rejects a changed payload", async () => {
    const first = await resend.emails.send(email, { idempotencyKey: "welcome/user_r" });
    const again = await resend.emails.send(email, { idempotencyKey: "welcome/user_r" });
    expect(first.error).toBeNull();
    expect(again.data?.id).toBe(first.data?.id);
    expect(resendApi.emails).toHaveLength(1);
    expect(resendApi.emailsOfKind("welcome")[0]).toMatchObject({
      to: "r@onramp.test",
      subject: "Welcome",
    });
    const changed = await resend.emails.send(
      { ...email, subject: "Other" },
      { idempotencyKey: "welcome/user_r" },
    );
    expect(changed.error).toMatchObject({ statusCode: 409, name: "invalid_idempotent_request" });
    expect(resendApi.violations).toEqual([]);
  });

  it("rejects a request that breaks the spec", async () => {
    const res = await resend.emails.send({
      from: "onramp <hello@onramp.test>",
      subject: "x",
      html: "x",
    } as never);
    expect(res.error).toMatchObject({ statusCode: 422, name: "missing_required_field" });
    const badTag = await resend.emails.send({
      ...email,
      tags: [{ name: "kind", value: "user@x" }],
    });
    expect(badTag.error).toMatchObject({ statusCode: 422 });
    expect(resendApi.violations).toHaveLength(2);
    expect(resendApi.emails).toHaveLength(0);
  });

  it("injects failures, then delivers", async () => {
    resendApi.failNext("POST", "/emails", { status: 500, times: 2 });
    expect((await resend.emails.send(email)).error).toMatchObject({ statusCode: 500 });
    expect((await resend.emails.send(email)).error).toMatchObject({ statusCode: 500 });
    expect((await resend.emails.send(email)).error).toBeNull();
    expect(resendApi.count("POST", "/emails", { status: "success" })).toBe(1);
  });
});

describe("Inngest stand-in", () => {
  it("records sent events in order, without dedup", async () => {
    const sent = await inngest.send([
      { id: "clerk-msg_1", name: "clerk/user.created", data: { id: "user_1" } },
      { id: "clerk-msg_1", name: "clerk/user.created", data: { id: "user_1" } },
    ]);
    expect(sent.ids).toHaveLength(2);
    expect(inngestApi.events.map((e) => [e.id, e.name])).toEqual([
      ["clerk-msg_1", "clerk/user.created"],
      ["clerk-msg_1", "clerk/user.created"],
    ]);
    expect(inngestApi.count("POST", /^\/e\//)).toBe(1);
  });

  it("receives the function registration of PUT /api/inngest", async () => {
    const fn = inngest.createFunction(
      { id: "noop", triggers: [{ event: "app/ping" }] },
      async () => null,
    );
    const { PUT } = serve({ client: inngest, functions: [fn] });
    const res = await PUT(
      new Request("http://localhost:3000/api/inngest", { method: "PUT" }) as never,
      undefined,
    );
    expect(res.status).toBe(200);
    expect(inngestApi.registrations).toHaveLength(1);
    expect(inngestApi.registrations[0]).toMatchObject({
      url: "http://localhost:3000/api/inngest",
      functions: [{ id: "t-noop" }],
    });
  });

  it("retries through an injected failure", async () => {
    inngestApi.failNext("POST", /^\/e\//, { status: 502 });
    await inngest.send({ name: "app/ping", data: {} });
    expect(inngestApi.requests.map((r) => r.status)).toEqual([502, 200]);
    expect(inngestApi.eventsNamed("app/ping")).toHaveLength(1);
  });
});
