// `npm run stripe:clock -- <email or Clerk user id> <duration>`: moves the Stripe test clock of
// that user's customer on by the duration (30m, 12h, 3d, 2w), and prints where their
// subscriptions stand after. Stripe then sends what happened meanwhile (trial_will_end, the
// trial's end, invoices paid or failed, retries) to the app's webhook as it would over that time.
// Needs customers made on test clocks: STRIPE_TEST_CLOCKS=1 with test keys, or demo mode, where
// `npm run dev` leaves the simulated Stripe's address in .data/demo-stripe.json while it runs.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
// A CommonJS bundle: Node's ESM loader sees only its default export.
import nextEnv from "@next/env";

const usage =
  "Usage: npm run stripe:clock -- <email or Clerk user id> <duration: 30m, 12h, 3d, 2w>\n" +
  "  e.g. npm run stripe:clock -- ada@example.com 11d   (three days before a 14-day trial ends)";
const units: Record<string, number> = { m: 60, h: 3600, d: 86_400, w: 604_800 };

const [who, span] = process.argv.slice(2);
const [, amount, unit] = /^(\d+)([mhdw])$/.exec(span ?? "") ?? [];
if (!who || !amount || !unit) exit(usage);
const seconds = Number(amount) * units[unit]!;

// The same .env files `next dev` reads; without a Stripe key there, demo mode's simulated Stripe.
nextEnv.loadEnvConfig(process.cwd(), true);
const demoStripe = path.join(process.cwd(), ".data/demo-stripe.json");
if (!process.env.STRIPE_SECRET_KEY && existsSync(demoStripe)) {
  Object.assign(
    process.env,
    JSON.parse(readFileSync(demoStripe, "utf8")) as Record<string, string>,
  );
  console.log(`Demo mode: the simulated Stripe at ${process.env.STRIPE_API_BASE}`);
}
if (!/^(sk|rk)_test_/.test(process.env.STRIPE_SECRET_KEY ?? "")) {
  exit(
    "Test clocks need a Stripe test key (STRIPE_SECRET_KEY=sk_test_…), or `npm run dev` running in demo mode.",
  );
}

const { advanceCustomerClock } = await import("@/lib/billing/test-clocks");
const { billingClient } = await import("@/lib/vendors/stripe");
try {
  const advanced = await advanceCustomerClock(billingClient()!, who, seconds);
  console.log(`${who}: customer ${advanced.customerId}, clock ${advanced.clockId}`);
  console.log(`Stripe's time for them is now ${advanced.frozenTime.toISOString()}`);
  for (const sub of advanced.subscriptions) {
    const trial = sub.trialEnd ? `, trial ends ${sub.trialEnd.toISOString()}` : "";
    console.log(`  ${sub.id}: ${sub.status}${trial}`);
  }
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  exit(
    /fetch failed|ECONNREFUSED/.test(message)
      ? `Stripe did not answer (${message}). Is \`npm run dev\` still running?`
      : message,
  );
}

function exit(message: string): never {
  console.error(message);
  process.exit(1);
}
