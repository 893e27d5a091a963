/**
 * How fast and how frugal provisioning is, with every vendor answering after a simulated latency L.
 *
 *   npm run bench:provisioning -- [--latency 100] [--runs 7]
 *
 * Each sign-up runs the provisioning and email workflows side by side (as Inngest would, both
 * triggered by one user.created) against the hermetic vendor stand-ins, then delivers the same
 * user.created twice more. Printed: sequential vendor calls on the critical path (goal ≤ 4), time
 * from user.created to the Clerk write that sets onboardingComplete against 4×L, vendor requests
 * per sign-up (goal Stripe 3, Clerk 1, Resend 2) and extra requests under redelivery (goal 0).
 * Figures only, no assertions. The workflows run in-process on the Inngest simulator
 * (packages/standins/src/inngest), which sends each step's request at once, so Inngest's own
 * scheduling between steps (a few ms to tens of ms per step in production) is not included.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { delay, http } from "msw";
import { formatSpread, goalOverRuns, markdownTable, print, printGoals, repeat } from "./measure";
import { addSignedUpUser } from "./signed-up-user";
import { loadTestEnvironment } from "./test-env";

const { values: args } = parseArgs({
  options: {
    latency: { type: "string", default: "100" },
    runs: { type: "string", default: "7" },
  },
});
const L = Number(args.latency);
const runs = Number(args.runs);
if (!(L > 0) || !(runs > 0 && runs <= 1000)) {
  console.error("--latency > 0 (ms), --runs 1..1000");
  process.exit(2);
}

await loadTestEnvironment();

const { createVendors } = await import("@onramp/standins/vitest");
const { InngestSim } = await import("@onramp/standins/inngest");
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

const count = (calls: Timed[], vendor: keyof typeof hosts) =>
  calls.filter((c) => c.vendor === vendor).length;

// The workflows log one JSON line per step; the figures are printed on stdout directly.
console.log = () => {};

await getDb(); // start (and migrate) the embedded database before timing anything

async function signUp() {
  const user = addSignedUpUser(vendors);
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
  vendors.reset();
  return {
    depth: sequentialCalls(critical),
    toComplete: clerkWrite!.end - t0,
    stripe: count(firstDelivery, "stripe"),
    clerk: count(firstDelivery, "clerk"),
    resend: count(firstDelivery, "resend"),
    extra: timeline.length - firstDelivery.length,
  };
}

await signUp(); // not counted: it pays for loading modules and the vendors' API specs
const results = await repeat("provisioning", runs, signUp);

const across = (pick: (r: (typeof results)[0]) => number) => results.map(pick);
print(`In this process, not in production: the provisioning and email workflows run on the Inngest simulator (packages/standins/src/inngest) against the msw stand-ins, every vendor answering after L = ${L} ms, with PGlite in memory. ${runs} sign-ups (runs) after one warm-up; median (min–max) over the runs.
`);
printGoals(
  (
    [
      ["sequential vendor calls, user.created → onboardingComplete", (r) => r.depth, 4],
      ["Stripe requests per sign-up", (r) => r.stripe, 3],
      ["Clerk requests per sign-up", (r) => r.clerk, 1],
      ["Resend requests per sign-up", (r) => r.resend, 2],
      ["extra vendor requests when user.created comes 3 times", (r) => r.extra, 0],
    ] as const satisfies [string, (r: (typeof results)[0]) => number, number][]
  ).map(([name, pick, atMost]) => goalOverRuns("provisioning", name, across(pick), { atMost })),
);
print();
print(
  markdownTable(
    ["figure", "median (min–max)"],
    [
      [
        "time to onboardingComplete (the Clerk write answered)",
        formatSpread(
          across((r) => r.toComplete),
          0,
          " ms",
        ),
      ],
      [
        "the same ÷ 4×L (four vendor calls in sequence)",
        formatSpread(
          across((r) => r.toComplete / (4 * L)),
          2,
          "×",
        ),
      ],
      [
        "beyond 4×L: this harness's overhead (in-process engine, PGlite, msw), not production's",
        formatSpread(
          across((r) => r.toComplete - 4 * L),
          0,
          " ms",
        ),
      ],
    ],
  ),
);

vendors.server.close();
await closeConnection();
