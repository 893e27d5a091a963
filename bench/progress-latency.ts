/**
 * How long the progress page takes to notice that onboarding is complete.
 *
 *   npm run bench:progress -- [--samples 10] [--late 3]
 *
 * Against `next build && next start` in Chromium (the browser suite's harness, one build): for
 * each sample a user is mid-provisioning on /after-sign-up; after a random pause the final step is
 * recorded exactly as the workflow records it (lib/onboarding/progress over the Neon HTTP driver),
 * and the page reports, from the browser, the moment its [data-state] becomes "complete". Printed:
 * that delay (median, p95, max) against the goal of 1 s, and as a ratio of the poll interval in
 * effect. `--late` samples finish after a long quiet step, once polling has backed off. Figures
 * only, no assertions. BROWSER_TEST_SKIP_BUILD=1 reuses a build the suite made.
 */
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    samples: { type: "string", default: "10" },
    late: { type: "string", default: "3" },
  },
});

// The tests' environment (vitest.config.ts), with the database at a Neon SQL-over-HTTP endpoint
// that both this process and the app server use; set before any app module loads.
const { default: vitestConfig } = await import("../vitest.config");
for (const [name, value] of Object.entries(vitestConfig.test?.env ?? {})) {
  process.env[name] ??= value;
}
const { startNeonHttpServer } = await import("@/test/support/neon-http-server");
const neon = await startNeonHttpServer();
process.env.DATABASE_URL = neon.connectionString;
process.env.NEON_FETCH_ENDPOINT = neon.url;

const { connect } = await import("@/lib/db/client");
await (await connect(neon.connectionString, neon.url)).migrate();
const { recordState, recordSteps } = await import("@/lib/onboarding/progress");
const { nextPollDelay, polling } = await import("@/app/_lib/polling");
const { buildApp } = await import("@/test/browser/support/app-server");
const { visit } = await import("@/test/browser/support/browser");
const { startSuite } = await import("@/test/browser/support/suite");

await buildApp();
const suite = await startSuite({
  connectionString: neon.connectionString,
  fetchEndpoint: neon.url,
});

/** The poll interval in effect after `quietMs` without a change (the schedule the page follows). */
function intervalAfter(quietMs: number): number {
  let delay: number | null = null;
  let elapsed = 0;
  for (;;) {
    const next = nextPollDelay(delay, elapsed);
    if (next === null || elapsed + next > quietMs) return next ?? polling.slowestMs;
    elapsed += next;
    delay = next;
  }
}

/** One sample: the final step recorded `quietMs` after the page last saw a change. */
async function sample(quietMs: number): Promise<number> {
  const user = suite.addUser({ unsafe_metadata: { tier: "pro" } });
  await recordState(user.id, "running");
  await recordSteps(user.id, ["plan", "customer", "payment-method", "subscription"], "done");
  await recordSteps(user.id, "account", "running");
  const { context, page } = await visit(suite.browser, {
    appUrl: suite.appUrl,
    clerkApi: suite.clerkApi,
    token: suite.tokenFor(user.id),
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
  const latency = (await noticedAt) - recordedAt;
  await context.close();
  return latency;
}

interface Sample {
  latencyMs: number;
  /** The poll interval in effect when the final step was recorded. */
  intervalMs: number;
}

async function measure(quietMs: number): Promise<Sample> {
  return { latencyMs: await sample(quietMs), intervalMs: intervalAfter(quietMs) };
}

function summary(label: string, samples: Sample[]) {
  const pick = (values: number[], q: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  };
  const latencies = samples.map((s) => s.latencyMs);
  const ratios = samples.map((s) => s.latencyMs / s.intervalMs);
  const intervals = [...new Set(samples.map((s) => s.intervalMs))].sort((a, b) => a - b);
  console.log(
    `  ${label} (poll interval ${intervals.join("/")} ms, n=${samples.length}): ` +
      `median ${pick(latencies, 0.5)} ms, p95 ${pick(latencies, 0.95)} ms, ` +
      `max ${Math.max(...latencies)} ms; median ${pick(ratios, 0.5).toFixed(2)}× the poll interval; ` +
      `goal < 1000 ms at p95: ${pick(latencies, 0.95) < 1000 ? "met" : "not met"}`,
  );
  console.log(`    samples (ms): ${latencies.join(", ")}`);
}

try {
  const fast: Sample[] = [];
  for (let i = 0; i < Number(args.samples); i++) {
    // Anywhere in the fast window, so the final step lands at a random point of the poll cycle.
    fast.push(await measure(500 + Math.random() * (polling.fastForMs - 2_000)));
  }
  // Well after the fast window, once the interval has grown to its slowest.
  const late: Sample[] = [];
  for (let i = 0; i < Number(args.late); i++) {
    late.push(await measure(polling.fastForMs + 12_000 + Math.random() * polling.slowestMs));
  }

  console.log(
    "\nprogress-latency: final step recorded → progress page notices completion (next start, Chromium)",
  );
  summary("while provisioning moves (fast polling)", fast);
  if (late.length) summary("after 22–27 s without any change (polling backed off)", late);
  console.log();
} finally {
  await suite.close();
  await neon.close();
}
