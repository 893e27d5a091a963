import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveStandIn, type ServedStandIn } from "@onramp/standins/http";
import { StripeStandIn } from "@onramp/standins/vitest";

const root = process.cwd();
const DAY = 86_400;
let stripe: ServedStandIn<StripeStandIn>;

/** `npm run stripe:clock -- <args>` against the served Stripe stand-in. */
async function advance(...args: string[]) {
  try {
    const { stdout } = await promisify(execFile)(
      path.join(root, "node_modules/.bin/tsx"),
      ["scripts/stripe-clock.ts", ...args],
      { cwd: root, env: { ...process.env, STRIPE_API_BASE: stripe.url } },
    );
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout + failed.stderr };
  }
}

beforeAll(async () => {
  stripe = await serveStandIn((url) => new StripeStandIn(url));
});
afterAll(() => stripe.close());

describe("npm run stripe:clock", () => {
  it(
    "moves the user's test clock on, and Stripe's billing with it; says plainly what it cannot do",
    { timeout: 60_000 },
    async () => {
      const url = new URL(stripe.url);
      const sdk = new Stripe("sk_test_onramp", {
        host: url.hostname,
        port: Number(url.port),
        protocol: "http",
      });
      const start = Math.floor(Date.now() / 1000);
      // The same address at another deployment sharing the Stripe account: not this one's clock.
      const theirs = await sdk.testHelpers.testClocks.create({ frozen_time: start });
      await sdk.customers.create({
        email: "ada@example.com",
        test_clock: theirs.id,
        metadata: { clerk_user_id: "user_ada", onramp_environment: "staging" },
      });
      const clock = await sdk.testHelpers.testClocks.create({ frozen_time: start });
      const customer = await sdk.customers.create({
        email: "ada@example.com",
        test_clock: clock.id,
        metadata: { clerk_user_id: "user_ada" },
      });
      const { payment_method } = await sdk.setupIntents.create({
        customer: customer.id,
        confirm: true,
        confirmation_token: stripe.standIn.issueConfirmationToken(),
      });
      const subscription = await sdk.subscriptions.create({
        customer: customer.id,
        items: [{ price: "price_pro_test" }],
        default_payment_method: payment_method as string,
        trial_period_days: 14,
      });

      const trialEnded = await advance("ada@example.com", "15d");
      expect(trialEnded.code).toBe(0);
      expect(trialEnded.stdout).toContain(`${subscription.id}: active`);
      expect(stripe.standIn.testClocks.get(clock.id)!.frozen_time).toBe(start + 15 * DAY);
      expect(stripe.standIn.testClocks.get(theirs.id)!.frozen_time).toBe(start);
      // By Clerk user id too.
      expect((await advance("user_ada", "2h")).stdout).toContain(
        new Date((start + 15 * DAY + 7200) * 1000).toISOString(),
      );

      expect(await advance("nobody@example.com", "1d")).toMatchObject({
        code: 1,
        stdout: expect.stringContaining("Stripe has no customer for nobody@example.com"),
      });
      expect(await advance("ada@example.com", "soon")).toMatchObject({
        code: 1,
        stdout: expect.stringContaining("Usage: npm run stripe:clock"),
      });
    },
  );
});
