// `npm run bench:inline -- [--runs 5] [--requests 200] [--concurrency 16] [--latency 40] [--signups 10]`
//
// Where a sign-up's vendor calls run: in the webhook handler before it answers (inline,
// bench/inline-webhook.ts, as most tutorials do it) or in a workflow after the webhook has been
// queued (durable, onramp). Measured in this process through the real SDKs against the msw
// stand-ins, every vendor (Stripe, Clerk, Inngest's event API) answering after L ms:
//
// 1. Time to answer the webhook. durable: onramp's POST /api/webhooks/clerk (verify, one send to
//    Inngest, answer); inline: verify, then Stripe customer, SetupIntent, subscription and the
//    Clerk write, then answer. Each run sends the same number of signed user.created webhooks to
//    both, alternating which goes first.
// 2. Work repeated when one vendor call fails once (503), for each of the four calls in turn.
//    inline: the handler answers 500 and the webhook is redelivered, as Svix does, running every
//    call again; durable: the webhook was answered already, and the provisioning workflow, run by
//    packages/standins/src/inngest (which retries a failed step with the finished steps memoized, as
//    Inngest does), retries the step that failed. The inline handler calls the same lib functions
//    as the workflow's steps, so both send the same idempotency keys and neither creates anything
//    twice: what differs is what is sent again. The wait before a retry (Svix's schedule against
//    Inngest's step backoff) is not part of this in-process measurement.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { delay, http } from "msw";
import { Webhook } from "svix";
import { formatSpread, markdownTable, print, repeat } from "./measure";
import { addSignedUpUser } from "./signed-up-user";
import { loadTestEnvironment } from "./test-env";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    requests: { type: "string", default: "200" },
    concurrency: { type: "string", default: "16" },
    latency: { type: "string", default: "40" },
    signups: { type: "string", default: "10" },
  },
});
const runs = Number(values.runs);
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
const L = Number(values.latency);
const signups = Number(values.signups);
if (
  !(runs > 0 && runs <= 100) ||
  !(requests > 0 && requests <= 20_000) ||
  !(concurrency > 0 && concurrency <= 256) ||
  !(L > 0) ||
  !(signups > 0 && signups <= 1000)
) {
  console.error(
    "--runs 1..100, --requests 1..20000, --concurrency 1..256, --latency > 0 (ms), --signups 1..1000",
  );
  process.exit(2);
}

await loadTestEnvironment();
const { createVendors } = await import("@onramp/standins/vitest");
const { runFunction } = await import("@onramp/standins/inngest");
const { POST: durableWebhook } = await import("@/app/api/webhooks/clerk/route");
const { provisionSubscription } = await import("@/inngest/functions/provision-subscription");
const { handleSignUpInline } = await import("./inline-webhook");
const { getDb, closeConnection } = await import("@/lib/db/client");

// The workflow and the SDKs log every step and every injected failure; only the figures print.
console.log = console.info = console.warn = console.error = () => {};

const vendors = createVendors();
let latency = L;
// Every vendor call waits `latency` before its stand-in answers (a handler that returns nothing
// falls through to the stand-in).
vendors.server.use(
  http.all(/^http:\/\/(stripe|clerk|inngest)\.test\//, async () => {
    await delay(latency);
  }),
);
vendors.server.listen({ onUnhandledRequest: "error" });

const svix = new Webhook(process.env.CLERK_WEBHOOK_SIGNING_SECRET!);

/** A new Clerk user who chose a plan and a card at sign-up, and its user.created delivery. */
function signUp() {
  const user = addSignedUpUser(vendors);
  const body = JSON.stringify({ type: "user.created", object: "event", data: user });
  const msgId = `msg_${randomUUID()}`;
  // A redelivery carries the same svix-id, signed anew.
  const deliver = () => {
    const at = new Date();
    return new Request("http://localhost/api/webhooks/clerk", {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "svix-id": msgId,
        "svix-timestamp": String(Math.floor(at.getTime() / 1000)),
        "svix-signature": svix.sign(msgId, at, body),
      },
    });
  };
  return { userId: user.id, deliver };
}

type Handler = (request: Request) => Promise<Response>;
const handlers: { name: string; handle: Handler }[] = [
  { name: "durable", handle: durableWebhook },
  { name: "inline", handle: handleSignUpInline },
];

// ---- 1. Time to answer the webhook ----

/** Delivers each webhook once, `concurrency` at a time; the time each took to be answered. */
async function answerTimes(handle: Handler, deliveries: (() => Request)[]) {
  const times: number[] = [];
  let answered = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < deliveries.length; i = next++) {
        const request = deliveries[i]!();
        const begin = performance.now();
        const response = await handle(request);
        times.push(performance.now() - begin);
        if (response.ok) answered++;
      }
    }),
  );
  return { times, answered };
}

const vendorRequests = () =>
  vendors.stripe.requests.length + vendors.clerk.requests.length + vendors.inngest.requests.length;

async function answerBatch(handle: Handler, count: number) {
  vendors.reset();
  const deliveries = Array.from({ length: count }, () => signUp().deliver);
  const { times, answered } = await answerTimes(handle, deliveries);
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { p50: at(0.5), p99: at(0.99), answered, requestsPerWebhook: vendorRequests() / count };
}

await getDb(); // start (and migrate) the embedded database before timing anything
for (const { handle } of handlers) await answerBatch(handle, Math.min(20, requests)); // warm-up
const perRun = await repeat("inline-vs-durable", runs, async (run) => {
  const results = new Map<Handler, Awaited<ReturnType<typeof answerBatch>>>();
  for (const { handle } of run % 2 === 0 ? handlers : [...handlers].reverse())
    results.set(handle, await answerBatch(handle, requests));
  return handlers.map(({ handle }) => results.get(handle)!);
});

print(`In this process, through the real SDKs, against the msw stand-ins, every vendor answering after L = ${L} ms; not a production measurement.

### 1. Time to answer the webhook

${runs} runs of ${requests} signed \`user.created\` webhooks per handler, ${concurrency} at a time; median (min–max) over the runs.
`);
const across = (pick: (run: (typeof perRun)[0]) => number, digits: number, unit = "") =>
  formatSpread(perRun.map(pick), digits, unit);
print(
  markdownTable(
    ["handler", "answered 2xx", "vendor requests per webhook", "p50 ms", "p99 ms", "p50 ÷ L"],
    handlers.map(({ name }, i) => [
      name,
      across((run) => run[i]!.answered, 0),
      across((run) => run[i]!.requestsPerWebhook, 2),
      across((run) => run[i]!.p50, 1),
      across((run) => run[i]!.p99, 1),
      across((run) => run[i]!.p50 / L, 2),
    ]),
  ),
);
print(`
Inline ÷ durable, within each run: p50 ${across((run) => run[1]!.p50 / run[0]!.p50, 2, "×")}, p99 ${across((run) => run[1]!.p99 / run[0]!.p99, 2, "×")}. The durable route's requests are its sends to Inngest (concurrent webhooks share one); the inline handler's are Stripe's and Clerk's.
`);

// ---- 2. Work repeated when one vendor call fails once ----

const calls = [
  { name: "Stripe customer", method: "POST", path: "/v1/customers", standIn: vendors.stripe },
  { name: "SetupIntent", method: "POST", path: "/v1/setup_intents", standIn: vendors.stripe },
  { name: "subscription", method: "POST", path: "/v1/subscriptions", standIn: vendors.stripe },
  {
    name: "Clerk metadata",
    method: "PATCH",
    path: /^\/v1\/users\/[^/]+\/metadata$/,
    standIn: vendors.clerk,
  },
];
/** Svix's documented schedule has 8 attempts. */
const maxDeliveries = 8;

/** Redelivers until the answer is 2xx, as Svix does (without its waits); how many deliveries it took. */
async function deliverUntilAnswered(handle: Handler, deliver: () => Request) {
  for (let attempt = 1; attempt <= maxDeliveries; attempt++)
    if ((await handle(deliver())).ok) return attempt;
  return maxDeliveries;
}

/** What one sign-up cost when `failing` answered 503 once. */
async function signUpWithOneFailure(name: string, failing: (typeof calls)[number]) {
  vendors.reset();
  const { userId, deliver } = signUp();
  failing.standIn.failNext(failing.method, failing.path, { status: 503 });
  let deliveries: number;
  if (name === "inline") {
    deliveries = await deliverUntilAnswered(handleSignUpInline, deliver);
  } else {
    deliveries = await deliverUntilAnswered(durableWebhook, deliver);
    for (const event of vendors.inngest.eventsNamed("clerk/user.created"))
      await runFunction(provisionSubscription, {
        id: event.id,
        name: event.name,
        data: event.data,
      });
  }
  // A request is sent again when the same call (same idempotency key, or the same Clerk user's
  // metadata) had already been answered 2xx.
  const answered = new Set<string>();
  let repeated = 0;
  for (const request of [...vendors.stripe.requests, ...vendors.clerk.requests]) {
    const call = `${request.method} ${request.path} ${request.idempotencyKey ?? ""}`;
    if (answered.has(call)) repeated++;
    if (request.status >= 200 && request.status < 300) answered.add(call);
  }
  return {
    deliveries,
    requests: vendors.stripe.requests.length + vendors.clerk.requests.length,
    repeated,
    created: [
      vendors.stripe.customers.size,
      vendors.stripe.setupIntents.size,
      vendors.stripe.subscriptions.size,
    ],
    onboarded: vendors.clerk.users.get(userId)?.public_metadata?.onboardingComplete === true,
  };
}

latency = 0; // counts only: no need to wait
const rows: string[][] = [];
for (const failing of calls) {
  for (const { name } of handlers) {
    const results: Awaited<ReturnType<typeof signUpWithOneFailure>>[] = [];
    for (let i = 0; i < signups; i++) results.push(await signUpWithOneFailure(name, failing));
    const spread = (pick: (r: (typeof results)[0]) => number) => formatSpread(results.map(pick), 0);
    rows.push([
      failing.name,
      name,
      spread((r) => r.deliveries),
      spread((r) => r.requests),
      spread((r) => r.repeated),
      [0, 1, 2].map((k) => spread((r) => r.created[k]!)).join(" / "),
      `${results.filter((r) => r.onboarded).length} of ${signups}`,
    ]);
  }
}
vendors.server.close();
await closeConnection();

print(`### 2. Work repeated when one vendor call fails once

For each of the four calls in turn, ${signups} sign-ups whose call fails once with a 503; per sign-up, median (min–max). A clean sign-up makes 4 Stripe and Clerk requests. "Sent again" counts requests for a call that had already been answered 2xx (Stripe replays those from its idempotency key; they create nothing).
`);
print(
  markdownTable(
    [
      "call that fails once",
      "handler",
      "webhook deliveries",
      "Stripe + Clerk requests",
      "sent again after a 2xx",
      "Stripe customers / SetupIntents / subscriptions",
      "onboarded",
    ],
    rows,
  ),
);
print(`
Not measured here: how long each retry waits (Svix documents redeliveries after 5 s, 5 min, 30 min, …; Inngest retries a step on its own backoff), and what happens when Stripe's idempotency keys have expired (24 h) before a retry.`);
