import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { http } from "msw";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { driverHandler, InngestDriver } from "@onramp/standins/inngest";
import { setupVendors } from "@onramp/standins/vitest";

// The app's own /api/inngest route, served over HTTP and run by the Inngest driver: the real
// functions, the real SDK protocol (with checkpointing), the vendors' stand-ins behind their SDKs.
// Events the app sends and the steps it checkpoints (INNGEST_BASE_URL) go to the same driver.

const vendors = setupVendors();

async function toNextRequest(req: IncomingMessage, origin: string) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = chunks.length ? new Uint8Array(Buffer.concat(chunks)) : undefined;
  return new NextRequest(new URL(req.url!, origin), {
    method: req.method,
    headers: req.headers as Record<string, string>,
    body,
  });
}

const app = createServer((req, res) => {
  void (async () => {
    const response = await handlers[req.method!]!(await toNextRequest(req, origin), undefined);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  })();
});
await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
// The app registers with Inngest at its configured origin, never a request's Host: this server's,
// set before the route (and lib/env) load.
vi.stubEnv("INNGEST_SERVE_ORIGIN", origin);
const { GET, POST, PUT } = await import("@/app/api/inngest/route");
const { onboardingStatus } = await import("@/lib/onboarding/status");
const { getDb } = await import("@/lib/db/client");
const handlers = { GET, POST, PUT } as Record<
  string,
  (req: NextRequest, ctx: unknown) => Promise<Response>
>;
let driver: InngestDriver;

beforeAll(async () => {
  // The embedded database starts before the tests, not inside the first one.
  await getDb();
  // Real time, so the 3-D Secure wait (1 minute) and the email drip's sleep (3 days) stay
  // pending while the test acts; retries follow at once.
  driver = new InngestDriver({ serveUrl: `${origin}/api/inngest`, backoff: () => 0 });
});
beforeEach(() => {
  const handle = driverHandler(driver);
  // Inngest's API for the app: its events, and the checkpoints of the steps it runs.
  vendors.server.use(
    http.post(`${process.env.INNGEST_BASE_URL}/*`, ({ request }) => handle(request)),
  );
});
afterAll(async () => {
  driver.close();
  app.closeAllConnections();
  await new Promise((resolve) => app.close(resolve));
});

function signUp(confirmationToken: string) {
  const user = vendors.clerk.addUser({
    email: `grace.${randomUUID().slice(0, 8)}@example.com`,
    first_name: "Grace",
    unsafe_metadata: { tier: "pro", confirmationToken },
  });
  return {
    user,
    event: { id: `clerk-msg_${randomUUID()}`, name: "clerk/user.created", data: user },
  };
}

const runOf = (functionId: string, userId: string) =>
  driver.runsOf(functionId).find((run) => run.event.data.id === userId);

describe("the Inngest driver running the app's /api/inngest", () => {
  it("provisions a new user from user.created through every workflow, retrying a Stripe failure", async () => {
    const { user, event } = signUp(vendors.stripe.issueConfirmationToken());
    vendors.stripe.failNext("POST", "/v1/subscriptions", { status: 500 });
    await driver.accept(event);
    await driver.idle();

    expect(runOf("provision-subscription", user.id)).toMatchObject({ status: "completed" });
    expect(runOf("sync-user", user.id)).toMatchObject({ status: "completed" });
    // The drip sent its welcome and sleeps until the trial offer.
    expect(runOf("send-onboarding-emails", user.id)!.sleeping("wait-before-trial-offer")).toBe(
      true,
    );
    expect(runOf("provision-subscription", user.id)!.retries).toContainEqual(
      expect.objectContaining({ cause: "backoff" }),
    );

    const [subscription, ...others] = vendors.stripe.subscriptions.values();
    expect(others).toEqual([]);
    expect(subscription).toMatchObject({
      status: "trialing",
      items: { data: [{ price: { id: "price_pro_test" } }] },
    });
    expect(vendors.clerk.users.get(user.id)!.public_metadata).toMatchObject({
      onboardingComplete: true,
      tier: "pro",
      stripeSubscriptionId: subscription!.id,
    });
    expect(vendors.resend.emails.map((email) => email.tags)).toEqual([
      [{ name: "kind", value: "welcome" }],
    ]);
    expect((await onboardingStatus(user.id)).state).toBe("complete");
    for (const vendor of [vendors.stripe, vendors.clerk, vendors.resend])
      expect(vendor.violations).toEqual([]);

    // Deleting the user cancels the drip (cancelOn), so no trial offer follows.
    await driver.accept({
      id: `clerk-msg_${randomUUID()}`,
      name: "clerk/user.deleted",
      data: { id: user.id, deleted: true },
    });
    expect(runOf("send-onboarding-emails", user.id)).toMatchObject({ status: "cancelled" });
  });

  it("waits for the browser's word after 3-D Secure, matched to the user, and then finishes", async () => {
    const { user, event } = signUp(vendors.stripe.issueConfirmationToken("3ds"));
    await driver.accept(event);
    await driver.idle();
    const provisioning = () => runOf("provision-subscription", user.id)!;
    expect(provisioning().busy).toBe(false);
    expect(provisioning().waiting).toEqual([
      expect.objectContaining({ event: "app/onboarding.payment_confirmed" }),
    ]);
    expect((await onboardingStatus(user.id)).state).toBe("action_required");

    // Another user's confirmation is not this run's.
    await driver.accept({
      name: "app/onboarding.payment_confirmed",
      data: { userId: "user_someone_else" },
    });
    expect(provisioning().waiting).toHaveLength(1);

    const [setupIntent] = vendors.stripe.setupIntents.values();
    vendors.stripe.completeSetupIntentAction(setupIntent!.id);
    await driver.accept({
      name: "app/onboarding.payment_confirmed",
      data: { userId: user.id, setupIntentId: setupIntent!.id },
    });
    await driver.until(() => provisioning().status === "completed");
    expect((await onboardingStatus(user.id)).state).toBe("complete");
    expect([...vendors.stripe.subscriptions.values()]).toEqual([
      expect.objectContaining({ status: "trialing", customer: setupIntent!.customer }),
    ]);
  });
});
