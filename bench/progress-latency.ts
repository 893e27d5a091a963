/**
 * How long the progress page takes to notice that onboarding is complete, in every phase: the goal
 * is within 1 s at p95 however long the page has gone without a change.
 *
 *   npm run bench:progress -- [--samples 10] [--concurrency 6]
 *
 * Against `next build && next start` in Chromium (the browser suite's harness, one build). For each
 * sample a user is mid-provisioning on /after-sign-up; after a quiet period without any change the
 * final step is recorded exactly as the workflow records it (lib/onboarding/progress over the Neon
 * HTTP driver), and the page reports, from the browser, the moment its [data-state] becomes
 * "complete". The phases are quiet periods, so they hold whatever the page's polling does. The
 * poll interval in effect is read from the page's own requests to /api/onboarding/status: the gap
 * between the last one before the final step and the first one after it. Samples run
 * `--concurrency` at a time in separate browser contexts (a sample is mostly waiting).
 * BROWSER_TEST_SKIP_BUILD=1 reuses a build the suite (or `npm run bench`) made.
 */
import { parseArgs } from "node:util";
import {
  formatSpread,
  goalOnPercentile,
  markdownTable,
  percentile,
  print,
  printGoals,
} from "./measure";
import { loadTestEnvironment } from "./test-env";

const { values: args } = parseArgs({
  options: {
    samples: { type: "string", default: "10" },
    concurrency: { type: "string", default: "6" },
  },
});
const samplesPerPhase = Number(args.samples);
const concurrency = Number(args.concurrency);
if (!(samplesPerPhase > 0 && samplesPerPhase <= 200) || !(concurrency > 0 && concurrency <= 32)) {
  console.error("--samples 1..200 (per phase), --concurrency 1..32");
  process.exit(2);
}

/** Quiet periods before the final step, in ms: drawn uniformly from each range. */
const phases = [
  { name: "0.5–9 s after the last change (provisioning moving)", quiet: [500, 9_000] },
  { name: "20–30 s after the last change", quiet: [20_000, 30_000] },
  { name: "60–75 s after the last change", quiet: [60_000, 75_000] },
] as const;

// The tests' environment, with the database at a Neon SQL-over-HTTP endpoint that both this
// process and the app server use; set before any app module loads.
await loadTestEnvironment();
const { startNeonHttpServer } = await import("@onramp/standins/neon");
const neon = await startNeonHttpServer();
process.env.DATABASE_URL = neon.connectionString;
process.env.NEON_FETCH_ENDPOINT = neon.url;

const { connect } = await import("@/lib/db/client");
await (await connect(neon.connectionString, neon.url)).migrate();
const { recordState, recordSteps } = await import("@/lib/onboarding/progress");
const { buildApp } = await import("@/test/browser/support/app-server");
const { visit } = await import("@/test/browser/support/browser");
const { startSuite } = await import("@/test/browser/support/suite");

await buildApp();
const suite = await startSuite({
  connectionString: neon.connectionString,
  fetchEndpoint: neon.url,
});

interface Sample {
  latencyMs: number;
  /** The gap between the page's polls around the final step; null without polls on both sides. */
  intervalMs: number | null;
}

/** One sample: the final step recorded `quietMs` after the page last saw a change. */
async function sample(quietMs: number): Promise<Sample> {
  const user = suite.addUser({ unsafe_metadata: { tier: "pro" } });
  await recordState(user.id, "running");
  await recordSteps(user.id, ["plan", "customer", "payment-method", "subscription"], "done");
  await recordSteps(user.id, "account", "running");
  const { context, page } = await visit(suite.browser, {
    appUrl: suite.appUrl,
    clerkApi: suite.clerkApi,
    token: suite.tokenFor(user.id),
  });
  const polls: number[] = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/api/onboarding/status") polls.push(Date.now());
  });
  let noticed: (at: number) => void = () => {};
  const noticedAt = new Promise<number>((resolve) => (noticed = resolve));
  await context.exposeFunction("__benchNoticed", (at: number) => noticed(at));
  await context.addInitScript(() => {
    const report = (window as unknown as { __benchNoticed: (at: number) => void }).__benchNoticed;
    new MutationObserver(() => {
      if (document.querySelector('[data-state="complete"]')) report(Date.now());
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-state"] });
  });
  await page.goto("/after-sign-up");
  await page.locator('[data-state="running"]').waitFor();
  await new Promise((resolve) => setTimeout(resolve, quietMs));

  suite.clerkApi.users.get(user.id)!.public_metadata = { onboardingComplete: true, tier: "pro" };
  await recordSteps(user.id, "account", "done");
  await recordState(user.id, "complete");
  const recordedAt = Date.now();
  const latencyMs = (await within(noticedAt, 60_000)) - recordedAt;
  await context.close();
  const before = polls.filter((at) => at < recordedAt).at(-1);
  const after = polls.find((at) => at >= recordedAt);
  return {
    latencyMs,
    intervalMs: before !== undefined && after !== undefined ? after - before : null,
  };
}

/** `promise`, or an error once `ms` have passed without it. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the page did not show completion within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const results = phases.map(() => [] as Sample[]);
try {
  // Longest first, so the pool drains evenly; each sample knows its phase.
  const queue = phases
    .flatMap((phase, index) =>
      Array.from({ length: samplesPerPhase }, () => ({
        index,
        quietMs: phase.quiet[0] + Math.random() * (phase.quiet[1] - phase.quiet[0]),
      })),
    )
    .sort((a, b) => b.quietMs - a.quietMs);
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        results[next.index]!.push(await sample(next.quietMs));
        process.stderr.write(`progress-latency: ${++done} of ${phases.length * samplesPerPhase}\n`);
      }
    }),
  );
} finally {
  await suite.close();
  await neon.close();
}

print(`The final step recorded → the page shows completion. \`next start\` and Chromium on this machine, ${samplesPerPhase} samples per phase, ${concurrency} at a time. A phase is how long the page had gone without any change when the final step was recorded. The poll interval is measured from the page's requests.
`);
print(
  markdownTable(
    ["phase", "latency, median (min–max)", "p95", "poll interval in effect", "latency ÷ interval"],
    phases.map((phase, i) => {
      const samples = results[i]!;
      const latencies = samples.map((s) => s.latencyMs);
      const timed = samples.filter((s) => s.intervalMs !== null);
      return [
        phase.name,
        formatSpread(latencies, 0, " ms"),
        `${percentile(latencies, 0.95).toFixed(0)} ms`,
        timed.length
          ? formatSpread(
              timed.map((s) => s.intervalMs!),
              0,
              " ms",
            )
          : "no polls seen",
        timed.length
          ? formatSpread(
              timed.map((s) => s.latencyMs / s.intervalMs!),
              2,
              "×",
            )
          : "–",
      ];
    }),
  ),
);
print();
printGoals(
  phases.map((phase, i) =>
    goalOnPercentile(
      "progress",
      `completion noticed ${phase.name}`,
      results[i]!.map((s) => s.latencyMs),
      0.95,
      { atMost: 1000, unit: " ms" },
    ),
  ),
);
print(`\nSamples (ms):`);
for (const [i, phase] of phases.entries())
  print(`- ${phase.name}: ${results[i]!.map((s) => s.latencyMs).join(", ")}`);
