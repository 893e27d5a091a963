/**
 * How fast and how frugal provisioning is, with every vendor answering after a simulated latency L.
 *
 *   npm run bench:provisioning -- [--latency 100] [--signups 5]
 *
 * Each sign-up runs the provisioning and email workflows side by side (as Inngest would, both
 * triggered by one user.created) against the hermetic vendor stand-ins, then delivers the same
 * user.created twice more. Printed: sequential vendor calls on the critical path (goal ≤ 4), time
 * from user.created to the Clerk write that sets onboardingComplete against 4×L, vendor requests
 * per sign-up (goal Stripe 3, Clerk 1, Resend 2) and extra requests under redelivery (goal 0).
 * Figures only, no assertions. The workflows run in-process on the Inngest simulator
 * (test/support/inngest-sim), which sends each step's request at once, so Inngest's own
 * scheduling between steps (a few ms to tens of ms per step in production) is not included.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { delay, http } from "msw";

const { values: args } = parseArgs({
  options: {
    latency: { type: "string", default: "100" },
    signups: { type: "string", default: "5" },
  },
});
const L = Number(args.latency);
const signups = Number(args.signups);

// The same hermetic environment as the tests (vitest.config.ts), before any app module loads.
const { default: vitestConfig } = await import("../vitest.config");
for (const [name, value] of Object.entries(vitestConfig.test?.env ?? {}))
  process.env[name] ??= value;

const { createVendors } = await import("@/test/support/vendors");
const { InngestSim } = await import("@/test/support/inngest-sim");
const { provisionSubscription } = await import("@/inngest/functions/provision-subscription");
const { sendOnboardingEmails } = await import("@/inngest/functions/send-onboarding-emails");
const { getDb, closeConnection } = await import("@/lib/db/client");
const { users } = await import("@/lib/db/schema");

const vendors = createVendors();
const hosts = {
  stripe: vendors.stripe.baseUrl,
  clerk: vendors.clerk.baseUrl,
  resend: vendors.resend.baseUrl,
};

/** Every vendor request with when it was sent and when its answer came back. */
interface Timed {
  vendor: keyof typeof hosts;
  what: string;
  start: number;
  end: number;
}
const timeline: Timed[] = [];
const started = new Map<string, { vendor: keyof typeof hosts; what: string; start: number }>();

vendors.server.listen({ onUnhandledRequest: "error" });
// Each vendor answers after L: a handler that only waits falls through to the stand-in.
vendors.server.use(
  ...Object.values(hosts).map((base) =>
    http.all(`${base}/*`, async () => {
      await delay(L);
    }),
  ),
);
vendors.server.events.on("request:start", ({ request, requestId }) => {
  const url = new URL(request.url);
  const vendor = (Object.keys(hosts) as (keyof typeof hosts)[]).find(
    (name) => new URL(hosts[name]).origin === url.origin,
  );
  if (vendor)
    started.set(requestId, {
      vendor,
      what: `${request.method} ${url.pathname}`,
      start: performance.now(),
    });
});
vendors.server.events.on("response:mocked", ({ requestId }) => {
  const request = started.get(requestId);
  if (request) timeline.push({ ...request, end: performance.now() });
});

/** The longest chain of calls each made after the previous one answered: the sequential depth. */
function sequentialCalls(calls: Timed[]) {
  let depth = 0;
  let free = -Infinity;
  for (const call of [...calls].sort((a, b) => a.end - b.end)) {
    if (call.start >= free) {
      depth += 1;
      free = call.end;
    }
  }
  return depth;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const count = (calls: Timed[], vendor: keyof typeof hosts) =>
  calls.filter((c) => c.vendor === vendor).length;

// The workflows log one JSON line per step; the figures are printed on stdout directly.
console.log = () => {};
const print = (text: string) => process.stdout.write(`${text}\n`);

await getDb(); // start (and migrate) the embedded database before timing anything
const results: {
  depth: number;
  toComplete: number;
  stripe: number;
  clerk: number;
  resend: number;
  extra: number;
}[] = [];

// One extra sign-up first, not counted: it pays for loading modules and the vendors' API specs.
for (let i = -1; i < signups; i++) {
  const user = vendors.clerk.addUser({
    email: `bench.${randomUUID().slice(0, 8)}@example.com`,
    first_name: "Bench",
    unsafe_metadata: {
      tier: "pro",
      confirmationToken: `ctoken_ok_${randomUUID().replaceAll("-", "")}`,
    },
  });
  const event = { id: `clerk-msg_${randomUUID()}`, name: "clerk/user.created", data: user };
  // Stripe's subscription event would mark the user trialing; the trial offer then goes out.
  await (
    await getDb()
  )
    .insert(users)
    .values({ clerkUserId: user.id, subscriptionStatus: "trialing" });
  timeline.length = 0;

  // Both workflows start from the one user.created, side by side, as on Inngest.
  const sim = new InngestSim({ functions: [provisionSubscription, sendOnboardingEmails] });
  const t0 = performance.now();
  const [provisioned, emailed] = sim.send(event);
  await sim.settle();
  if (provisioned!.error || emailed!.error)
    throw new Error(JSON.stringify([provisioned!.error, emailed!.error]));
  const firstDelivery = [...timeline];
  const clerkWrite = firstDelivery.find(
    (c) => c.vendor === "clerk" && c.what.endsWith("/metadata"),
  );
  const critical = firstDelivery.filter((c) => c.vendor !== "resend" && c.end <= clerkWrite!.end);

  // Redeliveries let through (Inngest's idempotency key would stop them): the workflows' own
  // defences must make them free.
  for (let again = 0; again < 2; again++) {
    sim.start(provisionSubscription, event);
    sim.start(sendOnboardingEmails, event);
    await sim.settle();
  }

  if (i >= 0)
    results.push({
      depth: sequentialCalls(critical),
      toComplete: clerkWrite!.end - t0,
      stripe: count(firstDelivery, "stripe"),
      clerk: count(firstDelivery, "clerk"),
      resend: count(firstDelivery, "resend"),
      extra: timeline.length - firstDelivery.length,
    });
  vendors.reset();
}

const toComplete = median(results.map((r) => r.toComplete));
const line = (label: string, value: string) => print(`${label.padEnd(58)} ${value}`);
print(`provisioning bench: L = ${L} ms per vendor call, ${signups} sign-ups (medians)\n`);
line(
  "sequential vendor calls, user.created → onboardingComplete",
  `${median(results.map((r) => r.depth))} (goal ≤ 4)`,
);
line("time to onboardingComplete (Clerk write answered)", `${toComplete.toFixed(0)} ms`);
line("  against 4×L", `${(4 * L).toFixed(0)} ms → ratio ${(toComplete / (4 * L)).toFixed(2)}`);
line("  overhead beyond 4×L (steps, database, engine)", `${(toComplete - 4 * L).toFixed(0)} ms`);
line(
  "vendor requests per sign-up: Stripe / Clerk / Resend",
  `${median(results.map((r) => r.stripe))} / ${median(results.map((r) => r.clerk))} / ${median(results.map((r) => r.resend))} (goal 3 / 1 / 2)`,
);
line(
  "extra vendor requests when user.created comes 3 times",
  `${Math.max(...results.map((r) => r.extra))} (goal 0)`,
);

vendors.server.close();
await closeConnection();
