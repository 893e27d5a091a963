import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { fillCard } from "./sign-up";
import { screenshot, visit, type Visit } from "./support/browser";
import type { BrowserSuite } from "./support/suite";

// One person from the sign-up form to the dashboard, joined up end to end: the form in Chromium,
// Clerk's Svix-signed user.created to /api/webhooks/clerk, the app's workflows run through its own
// /api/inngest by the Inngest driver (packages/standins/src/inngest), Stripe, Clerk and Resend at
// their stand-ins (Stripe's subscription event back to /api/webhooks/stripe), the progress page
// polling /api/onboarding/status, the session refreshed, the dashboard. Nothing here writes
// progress or vendor state: the tests act as the person and look at what they see, then at what
// the vendors were left with.

/** The provisioning steps as the progress page labels them, in order. */
const provisioning = [
  "Choose a plan and card",
  "Create your billing account",
  "Save your card",
  "Start your trial",
  "Activate your account",
];

interface ProgressView {
  heading: string;
  /** label → status, as the page shows them */
  steps: Record<string, string>;
}

/** Every distinct state the progress page rendered (its heading and steps), in order. */
async function recordProgress(context: BrowserContext): Promise<ProgressView[]> {
  const views: ProgressView[] = [];
  await context.exposeBinding("__journeyProgress", (_source, view: ProgressView) => {
    views.push(view);
  });
  await context.addInitScript(() => {
    let last = "";
    const report = () => {
      const items = [...document.querySelectorAll("[data-step]")];
      if (!items.length) return;
      const steps = Object.fromEntries(
        items.map((item) => [
          item.querySelector("p")?.childNodes[0]?.textContent?.trim() ?? "",
          item.getAttribute("data-status") ?? "",
        ]),
      );
      const view = { heading: document.querySelector("h1")?.textContent ?? "", steps };
      const key = JSON.stringify(view);
      if (key === last) return;
      last = key;
      (window as unknown as { __journeyProgress: (view: unknown) => void }).__journeyProgress(view);
    };
    new MutationObserver(report).observe(document, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
  });
  return views;
}

const allDone = (view: ProgressView) => provisioning.every((label) => view.steps[label] === "done");

/** The form, the email code, and on to the progress page, as a person does it. */
async function signUp(
  journey: Visit,
  person: { name: string; email: string; plan: "Pro" | "Enterprise"; card: string },
) {
  const { page } = journey;
  await page.goto("/sign-up");
  await page.getByLabel("Card number").waitFor();
  await page.getByLabel("Work email").fill(person.email);
  await page.getByText(person.plan, { exact: true }).click();
  await fillCard(page, { number: person.card });
  await screenshot(page, `journey-${person.name}-1-sign-up`);
  await page.getByRole("button", { name: "Start free trial" }).click();
  await page.getByLabel("Verification code").fill(journey.clerk.code);
  await screenshot(page, `journey-${person.name}-2-code`);
  await page.getByRole("button", { name: "Verify email" }).click();
  await page.waitForURL((url) => url.pathname === "/after-sign-up");
}

/** The page paths the browser loaded as documents, in order. */
function recordDocuments(page: Page) {
  const documents: string[] = [];
  page.on("request", (request) => {
    if (request.resourceType() === "document") documents.push(new URL(request.url()).pathname);
  });
  return documents;
}

export function journeyTests(suite: () => BrowserSuite) {
  describe("one journey, end to end", () => {
    /**
     * A person with a browser, signed up with `plan` and `card` and now on the progress page;
     * their sign-up made Clerk send its user.created webhook.
     */
    async function signedUp(name: string, plan: "Pro" | "Enterprise", card: string) {
      const { appUrl, clerkApi, stripeApi, browser, webhooks } = suite();
      const journey = await visit(browser, { appUrl, clerkApi, stripeApi });
      journey.clerk.onUserCreated = (user) => webhooks.clerk("user.created", user);
      const progress = await recordProgress(journey.context);
      const documents = recordDocuments(journey.page);
      const email = `journey-${name}-${Date.now()}@example.com`;
      await signUp(journey, { name, email, plan, card });
      return { ...journey, progress, documents, email };
    }

    function clerkUser(email: string) {
      const user = [...suite().clerkApi.users.values()].find((candidate) =>
        candidate.email_addresses.some((address) => address.email_address === email),
      );
      if (!user) throw new Error(`Clerk has no user ${email}`);
      return user;
    }

    /** The person's Stripe customer (made by the workflow, named after the Clerk user). */
    function customerOf(email: string) {
      const user = clerkUser(email);
      const customer = [...suite().stripeApi.customers.values()].find(
        (candidate) => candidate.metadata.clerk_user_id === user.id,
      );
      if (!customer) throw new Error(`Stripe has no customer for ${email} yet`);
      return customer.id;
    }

    const runsFor = (functionId: string, matches: (data: Record<string, unknown>) => boolean) =>
      suite()
        .inngest.runsOf(functionId)
        .filter((run) => matches(run.event.data));

    /** A workflow run for the user that is waiting for `event`: what a person's next act answers. */
    const waitingFor = (userId: string, event: string) =>
      suite().inngest.until(
        () =>
          runsFor("provision-subscription", (data) => data.id === userId).some((run) =>
            run.waiting.some((wait) => wait.event === event),
          ),
        { what: `the provisioning run to wait for ${event}` },
      );

    /**
     * The dashboard the session refresh led to. The trial's details arrive with Stripe's
     * subscription event, which may land just after the dashboard opened (the page then says so
     * and asks for a refresh): once it has been handled, the person refreshes.
     */
    async function expectDashboard(
      page: Page,
      expected: { plan: string; email: string; customerId: string },
    ) {
      const { appUrl, stripeApi, inngest } = suite();
      await page.waitForURL(`${appUrl}/dashboard`, { timeout: 30_000 });
      await page.getByRole("heading", { name: "Dashboard" }).waitFor();
      await inngest.until(
        () =>
          runsFor("sync-subscription", (data) => data.customer === expected.customerId).some(
            (run) => run.status === "completed",
          ),
        { what: "Stripe's subscription event to be handled" },
      );
      await page.reload();
      const [subscription] = [...stripeApi.subscriptions.values()].filter(
        (candidate) => candidate.customer === expected.customerId,
      );
      const ends = new Intl.DateTimeFormat("en-US", { dateStyle: "long", timeZone: "UTC" }).format(
        new Date(subscription!.trial_end! * 1000),
      );
      await page.getByText(expected.plan, { exact: true }).waitFor();
      expect(await page.getByTestId("subscription-status").textContent()).toBe("Free trial");
      await page.getByText("14 days left in your trial").waitFor();
      expect(await page.getByText(`Ends ${ends}`).count()).toBe(1);
      expect(await page.getByText(`Signed in as ${expected.email}`).count()).toBe(1);
      expect(await page.getByRole("button", { name: "Manage billing" }).isDisabled()).toBe(false);
    }

    /** What the vendors were left with: one trialing subscription on the plan, the card saved, Clerk updated, the welcome sent. */
    function expectVendorEndState(expected: { email: string; tier: string; price: string }) {
      const { stripeApi, clerkApi, resendApi, webhooks } = suite();
      const user = clerkUser(expected.email);
      const [customer, ...otherCustomers] = [...stripeApi.customers.values()].filter(
        (candidate) => candidate.metadata.clerk_user_id === user.id,
      );
      expect(otherCustomers).toEqual([]);
      expect(customer).toMatchObject({ email: expected.email });
      const subscriptions = [...stripeApi.subscriptions.values()].filter(
        (subscription) => subscription.customer === customer!.id,
      );
      expect(subscriptions).toHaveLength(1);
      const [subscription] = subscriptions;
      const saved = [...stripeApi.setupIntents.values()].filter(
        (setupIntent) =>
          setupIntent.customer === customer!.id && setupIntent.status === "succeeded",
      );
      expect(saved).toHaveLength(1);
      expect(subscription).toMatchObject({
        status: "trialing",
        default_payment_method: saved[0]!.payment_method,
        items: { data: [{ price: { id: expected.price } }] },
      });
      expect(clerkApi.users.get(user.id)!.public_metadata).toEqual({
        onboardingComplete: true,
        tier: expected.tier,
        stripeCustomerId: customer!.id,
        stripeSubscriptionId: subscription!.id,
      });
      expect(clerkApi.users.get(user.id)!.unsafe_metadata).not.toHaveProperty("confirmationToken");
      expect(
        resendApi.emails
          .filter((email) => email.recipients.includes(expected.email))
          .map((email) => email.tags),
      ).toEqual([[{ name: "kind", value: "welcome" }]]);
      // Clerk's and Stripe's webhooks were all taken (Svix and Stripe would retry anything else).
      expect(webhooks.deliveries.filter((delivery) => delivery.status !== 200)).toEqual([]);
      for (const vendor of [stripeApi, clerkApi, resendApi]) expect(vendor.violations).toEqual([]);
      // One provisioning run did everything, however many cards it took.
      const runs = runsFor("provision-subscription", (data) => data.id === user.id);
      expect(runs.map((run) => run.status)).toEqual(["completed"]);
      const setupIntents = [...stripeApi.setupIntents.values()].filter(
        (setupIntent) => setupIntent.customer === customer!.id,
      );
      return { runs, setupIntents };
    }

    it("signs up with a card and lands on the dashboard, each step shown on the way", async () => {
      const { page, context, clerk, progress, documents, email } = await signedUp(
        "card",
        "Pro",
        "4242 4242 4242 4242",
      );
      await page.locator('[data-step="customer"][data-status="done"]').waitFor({ timeout: 30_000 });
      await screenshot(page, "journey-card-3-progress");

      await expectDashboard(page, { plan: "Pro", email, customerId: customerOf(email) });
      await screenshot(page, "journey-card-4-dashboard");

      // The page showed the steps done one after another, then all of them, and moved on.
      expect(
        progress.some(
          (view) =>
            view.steps["Create your billing account"] === "done" &&
            view.steps["Start your trial"] !== "done",
        ),
      ).toBe(true);
      expect(progress.findLast(allDone)?.heading).toBe("You're all set");
      // To the dashboard once the refreshed session said so, without bouncing (then the refresh).
      expect(documents).toEqual(["/sign-up", "/dashboard", "/dashboard"]);
      expect(clerk.named("session.getToken").length).toBeGreaterThanOrEqual(1);
      expectVendorEndState({ email, tier: "pro", price: "price_pro_test" });
      await context.close();
    }, 90_000);

    it("after a declined card, takes a new card and another plan on the progress page; the plan picked last is billed (the same run continues)", async () => {
      const { page, context, progress, email } = await signedUp(
        "declined",
        "Enterprise",
        "4000 0000 0000 0002",
      );
      const declinedHeading = page.getByRole("heading", { name: "We couldn't save your card" });
      await declinedHeading.waitFor({ timeout: 30_000 });
      expect(await page.getByText("Your card was declined.").count()).toBeGreaterThan(0);
      await screenshot(page, "journey-declined-3-declined");

      // A person takes a moment to type another card; by then the run is waiting for it. They
      // pick the cheaper plan with it, and that card is declined too.
      const userId = clerkUser(email).id;
      await waitingFor(userId, "app/onboarding.submitted");
      await page.getByRole("button", { name: "Choose another plan" }).click();
      await page.getByRole("radio", { name: /^Pro/ }).check();
      await fillCard(page, { number: "4000 0000 0000 0002" });
      await page.getByRole("button", { name: "Save card and continue" }).click();
      await page.getByText("Trying your new card…").waitFor();
      await declinedHeading.waitFor({ timeout: 30_000 });

      // The fresh form keeps the plan they picked, and says so.
      await page.getByText("Your plan stays Pro.").waitFor();
      await waitingFor(userId, "app/onboarding.submitted");
      await fillCard(page, { number: "5555 5555 5555 4444" });
      await screenshot(page, "journey-declined-4-new-card");
      await page.getByRole("button", { name: "Save card and continue" }).click();

      await expectDashboard(page, { plan: "Pro", email, customerId: customerOf(email) });
      await screenshot(page, "journey-declined-5-dashboard");

      const declined = progress.find((view) => view.heading === "We couldn't save your card");
      expect(declined?.steps).toMatchObject({
        "Choose a plan and card": "done",
        "Create your billing account": "done",
        "Save your card": "failed",
        "Start your trial": "pending",
      });
      expect(progress.findLast(allDone)?.heading).toBe("You're all set");
      const { setupIntents } = expectVendorEndState({
        email,
        tier: "pro",
        price: "price_pro_test",
      });
      // The declined cards' SetupIntents stay behind, refused; the last card's saved the card.
      expect(setupIntents.map((setupIntent) => setupIntent.status)).toEqual([
        "requires_payment_method",
        "requires_payment_method",
        "succeeded",
      ]);
      expect(setupIntents[0]!.last_setup_error).toMatchObject({ code: "card_declined" });
      await context.close();
    }, 120_000);

    it("with 3-D Secure, confirms with the bank on the progress page and the same run continues", async () => {
      const { page, context, stripe, progress, email } = await signedUp(
        "3ds",
        "Pro",
        "4000 0025 0000 3155",
      );
      await page
        .getByRole("heading", { name: "Confirm your card with your bank" })
        .waitFor({ timeout: 30_000 });
      await screenshot(page, "journey-3ds-3-confirm");
      await page.getByRole("button", { name: "Confirm with my bank" }).click();
      const bank = page.getByRole("dialog", { name: "3D Secure 2 Test Page" });
      await bank.waitFor();
      await screenshot(page, "journey-3ds-4-bank");

      // The bank's page takes the person a moment; by then the run is waiting for the word.
      await waitingFor(clerkUser(email).id, "app/onboarding.payment_confirmed");
      await bank.getByRole("button", { name: "Complete" }).click();

      await expectDashboard(page, { plan: "Pro", email, customerId: customerOf(email) });
      await screenshot(page, "journey-3ds-5-dashboard");

      const confirming = progress.find(
        (view) => view.heading === "Confirm your card with your bank",
      );
      expect(confirming?.steps).toMatchObject({
        "Save your card": "running",
        "Start your trial": "pending",
      });
      expect(progress.findLast(allDone)?.heading).toBe("You're all set");
      const clientSecret = stripe.named("handleNextAction")[0]?.payload.clientSecret;
      const { setupIntents, runs } = expectVendorEndState({
        email,
        tier: "pro",
        price: "price_pro_test",
      });
      expect(
        setupIntents.map((setupIntent) => [setupIntent.client_secret, setupIntent.status]),
      ).toEqual([[clientSecret, "succeeded"]]);
      // The browser's word ended the wait: the run did not sit out its fallback to ask Stripe.
      expect(
        suite()
          .inngest.history.filter((entry) => entry.runId === runs[0]!.id)
          .map((e) => e.type),
      ).toContain("wait-matched");
      await context.close();
    }, 90_000);
  });
}
