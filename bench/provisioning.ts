/**
 * How fast and how frugal provisioning is, with every vendor answering after a simulated latency
 * L, run as Inngest runs it with checkpointing (the v4 default) and step by step.
 *
 *   npm run bench:provisioning -- [--latency 100] [--runs 7] [--inngest-ms 20]
 *
 * Each sign-up runs the provisioning, email and user-sync workflows side by side (as Inngest
 * would, all three triggered by one user.created) against the hermetic vendor stand-ins, then delivers the same
 * user.created twice more. Each run signs up four users, interleaved: checkpointing and step by
 * step, each with Inngest in this process (every request to the app, and every checkpoint, at
 * once) and with Inngest H ms away (each request Inngest sends to the app, and each call the SDK
 * makes to Inngest's API, takes H ms more). Printed: sequential vendor calls on the critical path
 * (goal ≤ 4), time from user.created to the Clerk write that sets onboardingComplete against 4×L
 * (goal with checkpointing ≤ 4×L + 50 ms), vendor requests per sign-up (goal Stripe 3, Clerk 1,
 * Resend 2), extra requests under redelivery (goal 0), the HTTP calls between Inngest and the app
 * for provisioning, and the calls of one sign-up in order. Figures only, no assertions. The
 * workflows run in-process on the Inngest simulator (packages/standins/src/inngest); Inngest's
 * own queueing between steps in production is not modelled beyond H.
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
    "inngest-ms": { type: "string", default: "20" },
  },
});
const L = Number(args.latency);
const runs = Number(args.runs);
const H = Number(args["inngest-ms"]);
if (!(L > 0) || !(runs > 0 && runs <= 1000) || !(H >= 0)) {
  console.error("--latency > 0 (ms), --runs 1..1000, --inngest-ms ≥ 0");
  process.exit(2);
}

await loadTestEnvironment();

const { createVendors } = await import("@onramp/standins/vitest");
const { InngestSim } = await import("@onramp/standins/inngest");
const { provisionSubscription } = await import("@/inngest/functions/provision-subscription");
const { sendOnboardingEmails } = await import("@/inngest/functions/send-onboarding-emails");
const { syncUser } = await import("@/inngest/functions/sync-user");
const { getDb, closeConnection } = await import("@/lib/db/client");
const { users } = await import("@/lib/db/schema");

type Mode = "checkpointing" | "step-by-step";
const modes: Mode[] = ["checkpointing", "step-by-step"];

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
/** How far away Inngest is for the sign-up being measured, ms. */
let inngestMs = 0;

vendors.server.listen({ onUnhandledRequest: "error" });
// Each vendor answers after L, each checkpoint after H: a handler that only waits falls through
// to the stand-in.
vendors.server.use(
  ...Object.values(hosts).map((base) =>
    http.all(`${base}/*`, async () => {
      await delay(L);
    }),
  ),
  http.all(`${vendors.inngest.baseUrl}/v1/*`, async () => {
    if (inngestMs) await delay(inngestMs);
  }),
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

/** The HTTP calls between Inngest and the app for one run, in order, as one line each. */
function callsOf(sim: InstanceType<typeof InngestSim>, runId: string) {
  return sim.history
    .filter((entry) => entry.runId === runId)
    .flatMap((entry) => {
      const detail = (entry.detail ?? {}) as { steps?: string[]; status?: number; ops?: string[] };
      if (entry.type === "request-sent") {
        return [
          `Inngest → app: POST /api/inngest?stepId=${entry.step ? "<planned step>" : "step"}`,
        ];
      }
      if (entry.type === "request-answered") {
        return [`  ← ${detail.status}${detail.ops ? ` [${detail.ops.join(", ")}]` : ""}`];
      }
      if (entry.type === "checkpoint") {
        return [
          `  app → Inngest: POST /v1/checkpoint/<run>/async [${detail.steps!.join(", ")}] ← ${detail.status}`,
        ];
      }
      return [];
    });
}

async function signUp(mode: Mode, distance: number) {
  inngestMs = distance;
  const user = addSignedUpUser(vendors);
  const event = { id: `clerk-msg_${randomUUID()}`, name: "clerk/user.created", data: user };
  // Stripe's subscription event would mark the user trialing; the trial offer then goes out.
  await (
    await getDb()
  )
    .insert(users)
    .values({ clerkUserId: user.id, subscriptionStatus: "trialing" });
  timeline.length = 0;

  // The workflows start from the one user.created, side by side, as on Inngest.
  const sim = new InngestSim({
    functions: [provisionSubscription, sendOnboardingEmails, syncUser],
    mode,
    requestLatencyMs: distance,
  });
  const t0 = performance.now();
  const [provisioned, emailed, synced] = sim.send(event);
  await sim.settle();
  if (provisioned!.error || emailed!.error || synced!.error)
    throw new Error(JSON.stringify([provisioned!.error, emailed!.error, synced!.error]));
  const firstDelivery = [...timeline];
  const clerkWrite = firstDelivery.find(
    (c) => c.vendor === "clerk" && c.what.endsWith("/metadata"),
  );
  const critical = firstDelivery.filter((c) => c.vendor !== "resend" && c.end <= clerkWrite!.end);
  const calls = callsOf(sim, provisioned!.id);
  const otherCalls = [emailed!, synced!].map((run) => callsOf(sim, run.id));

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
    requests: calls.filter((call) => call.startsWith("Inngest → app")).length,
    checkpoints: calls.filter((call) => call.includes("app → Inngest")).length,
    calls,
    otherCalls,
  };
}

type Measured = Awaited<ReturnType<typeof signUp>>;
/** One run: each mode in process and H ms away, in an order that alternates between runs. */
interface Run {
  near: Record<Mode, Measured>;
  far: Record<Mode, Measured>;
}

// Not counted: it pays for loading modules and the vendors' API specs.
for (const mode of modes) await signUp(mode, 0);
const results = await repeat("provisioning", runs, async (run): Promise<Run> => {
  const order = run % 2 === 0 ? modes : [...modes].reverse();
  const near = {} as Record<Mode, Measured>;
  const far = {} as Record<Mode, Measured>;
  for (const mode of order) near[mode] = await signUp(mode, 0);
  for (const mode of order) far[mode] = await signUp(mode, H);
  return { near, far };
});

const across = (pick: (r: Run) => number) => results.map(pick);
const spread = (pick: (r: Run) => number, digits: number, unit: string) =>
  formatSpread(across(pick), digits, unit);
print(`In this process, not in production: the provisioning, email and user-sync workflows run on the Inngest simulator (packages/standins/src/inngest) against the msw stand-ins, every vendor answering after L = ${L} ms, with PGlite in memory. ${runs} runs after one warm-up, each signing up four users, interleaved: checkpointing and step by step, with Inngest in this process and H = ${H} ms away. Median (min–max) over the runs.
`);
const checkpointing = (pick: (m: Measured) => number) => across((r) => pick(r.near.checkpointing));
printGoals(
  (
    [
      ["sequential vendor calls, user.created → onboardingComplete", (m) => m.depth, 4],
      ["Stripe requests per sign-up", (m) => m.stripe, 3],
      ["Clerk requests per sign-up", (m) => m.clerk, 1],
      ["Resend requests per sign-up", (m) => m.resend, 2],
      ["extra vendor requests when user.created comes 3 times", (m) => m.extra, 0],
    ] as const satisfies [string, (m: Measured) => number, number][]
  )
    .map(([name, pick, atMost]) =>
      goalOverRuns("provisioning", `${name} (checkpointing)`, checkpointing(pick), { atMost }),
    )
    .concat(
      goalOverRuns(
        "provisioning",
        "time to onboardingComplete with checkpointing, Inngest in process, 4×L + 50 ms:",
        checkpointing((m) => m.toComplete),
        { atMost: 4 * L + 50, unit: " ms" },
      ),
    ),
);
print();
const row = (figure: string, pick: (m: Measured) => number, digits: number, unit: string) => [
  figure,
  spread((r) => pick(r.near.checkpointing), digits, unit),
  spread((r) => pick(r.near["step-by-step"]), digits, unit),
  spread((r) => pick(r.far.checkpointing), digits, unit),
  spread((r) => pick(r.far["step-by-step"]), digits, unit),
];
print(
  markdownTable(
    [
      "figure",
      "checkpointing, in process",
      "step by step, in process",
      `checkpointing, Inngest ${H} ms away`,
      `step by step, Inngest ${H} ms away`,
    ],
    [
      row("time to onboardingComplete (the Clerk write answered)", (m) => m.toComplete, 0, " ms"),
      row("the same ÷ 4×L (four vendor calls in sequence)", (m) => m.toComplete / (4 * L), 2, "×"),
      row("beyond 4×L", (m) => m.toComplete - 4 * L, 0, " ms"),
      row("sequential vendor calls", (m) => m.depth, 0, ""),
      row("requests Inngest → app (provisioning)", (m) => m.requests, 0, ""),
      row("checkpoints app → Inngest (provisioning)", (m) => m.checkpoints, 0, ""),
    ],
  ),
);
print(`
Checkpointing ÷ step by step, time to onboardingComplete within each run: in process ${spread((r) => r.near.checkpointing.toComplete / r.near["step-by-step"].toComplete, 2, "×")}; Inngest ${H} ms away ${spread((r) => r.far.checkpointing.toComplete / r.far["step-by-step"].toComplete, 2, "×")}.
`);
for (const mode of modes) {
  const { calls, otherCalls } = results[0]!.near[mode];
  print(`The HTTP calls between Inngest and the app for one sign-up, ${mode}: provisioning, then the onboarding emails and the user sync (the three run side by side):

\`\`\`
${[calls, ...otherCalls].map((lines) => lines.join("\n")).join("\n\n")}
\`\`\`
`);
}

vendors.server.close();
await closeConnection();
