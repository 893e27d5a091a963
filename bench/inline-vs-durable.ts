// `npm run bench:inline -- [--requests 400] [--concurrency 16] [--latency 40]`
//
// What the durable design buys at the front door, measured in one run under the same simulated
// vendor latency L per call (Stripe, Clerk and Inngest's event API alike):
//   durable  onramp's POST /api/webhooks/clerk: verify, one inngest.send, answer;
//   inline   what most tutorials do: verify, then create the Stripe customer, confirm the
//            SetupIntent, create the subscription and write Clerk metadata before answering.
// Both run in this process against the same msw stand-ins through the real SDKs. Then each again
// with one transient failure per sign-up on its last vendor call, redelivered on 5xx as Svix does:
// the inline handler repeats its side effects, the durable one re-sends one event with the same id.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { delay, http } from "msw";
import { Webhook } from "svix";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "400" },
    concurrency: { type: "string", default: "16" },
    latency: { type: "string", default: "40" },
  },
});
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
const latency = Number(values.latency);
if (!(
  requests > 0 &&
  requests <= 20_000 &&
  concurrency > 0 &&
  concurrency <= 256 &&
  latency >= 0
)) {
  console.error("--requests 1..20000, --concurrency 1..256, --latency ≥ 0 (ms)");
  process.exit(2);
}

// The app under test reads its configuration from the environment; point every vendor at msw.
const secret = "whsec_b25yYW1wLXRlc3Qtc3ZpeC1zZWNyZXQtMzJieXRlcyE=";
Object.assign(process.env, {
  NODE_ENV: "test",
  DATABASE_URL: "pglite:memory://",
  INNGEST_DEV: "1",
  INNGEST_BASE_URL: "http://inngest.test",
  CLERK_SECRET_KEY: "sk_test_onramp",
  CLERK_API_URL: "http://clerk.test",
  CLERK_WEBHOOK_SIGNING_SECRET: secret,
  STRIPE_SECRET_KEY: "sk_test_onramp",
  STRIPE_API_BASE: "http://stripe.test",
  STRIPE_PRICE_PRO: "price_pro_test",
  STRIPE_PRICE_ENTERPRISE: "price_enterprise_test",
});

const { createVendors } = await import("@/test/support/vendors");
const { POST: durableWebhook } = await import("@/app/api/webhooks/clerk/route");
const { handleSignUpInline } = await import("./inline-webhook");

const vendors = createVendors();
// Every vendor call waits L before its stand-in answers (a handler that returns nothing falls through).
vendors.server.use(http.all(/^http:\/\/(stripe|clerk|inngest)\.test\//, () => delay(latency)));
vendors.server.listen({ onUnhandledRequest: "error" });

const svix = new Webhook(secret);
function signedSignUp() {
  const userId = `user_${randomUUID().replaceAll("-", "")}`;
  vendors.clerk.addUser({ id: userId, email: `${userId}@example.com` });
  const body = JSON.stringify({
    type: "user.created",
    object: "event",
    data: {
      id: userId,
      primary_email_address_id: "idn_1",
      email_addresses: [{ id: "idn_1", email_address: `${userId}@example.com` }],
      unsafe_metadata: { tier: "pro", confirmationToken: `ctoken_${userId}` },
      public_metadata: {},
    },
  });
  const msgId = `msg_${randomUUID()}`;
  const timestamp = new Date();
  return () =>
    new Request("http://localhost/api/webhooks/clerk", {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "svix-id": msgId,
        "svix-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
        "svix-signature": svix.sign(msgId, timestamp, body),
      },
    });
}

type Handler = (request: Request) => Promise<Response>;

/** Sends every request (and its redeliveries while the answer is not 2xx, as Svix does). */
async function drive(handler: Handler, deliveries: (() => Request)[]) {
  const latencies: number[] = [];
  let attempts = 0;
  let answered = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < deliveries.length) {
        const makeRequest = deliveries[next++]!;
        const begin = performance.now();
        for (let attempt = 0; attempt < 5; attempt++) {
          attempts++;
          if ((await handler(makeRequest())).ok) {
            answered++;
            break;
          }
        }
        latencies.push(performance.now() - begin);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { rate: deliveries.length / seconds, p50: at(0.5), p99: at(0.99), attempts, answered };
}

function vendorWrites() {
  return {
    customers: vendors.stripe.count("POST", "/v1/customers", { status: "success" }),
    subscriptions: vendors.stripe.count("POST", "/v1/subscriptions", { status: "success" }),
    events: vendors.inngest.events.length,
  };
}

/** One transient failure per sign-up on the LAST vendor call each handler makes before answering. */
function failLastCallOnce(handler: Handler) {
  if (handler === durableWebhook) {
    // The first request carrying each event fails, shared or not.
    const failedOnce = new Set<string | undefined>();
    vendors.inngest.refuseEvents(
      (event) => !failedOnce.has(event.id) && Boolean(failedOnce.add(event.id)),
      503,
    );
  } else
    vendors.clerk.failNext("PATCH", /^\/v1\/users\/[^/]+\/metadata$/, {
      status: 503,
      times: requests,
    });
}

async function scenario(name: string, handler: Handler, withFailures: boolean) {
  await drive(handler, Array.from({ length: Math.min(20, requests) }, signedSignUp)); // warm-up
  vendors.reset();
  const deliveries = Array.from({ length: requests }, signedSignUp);
  if (withFailures) failLastCallOnce(handler);
  const result = await drive(handler, deliveries);
  return { name, ...result, ...vendorWrites() };
}

const rows = [
  await scenario("durable", durableWebhook, false),
  await scenario("inline", handleSignUpInline, false),
  await scenario("durable, 1 vendor 5xx per sign-up", durableWebhook, true),
  await scenario("inline, 1 vendor 5xx per sign-up", handleSignUpInline, true),
];
vendors.server.close();

const [durable, inline] = rows as [(typeof rows)[0], (typeof rows)[0]];
const fixed = (n: number, digits = 1) => n.toFixed(digits);
console.log(`## Webhook handled durably vs inline (L = ${latency} ms per vendor call)

${requests} signed \`user.created\` webhooks, ${concurrency} at a time, in one process through the real SDKs.

| handler | webhooks/s | p50 ms | p99 ms | deliveries | answered 2xx | Stripe customers | subscriptions | Inngest events |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows
  .map(
    (row) =>
      `| ${row.name} | ${fixed(row.rate)} | ${fixed(row.p50)} | ${fixed(row.p99)} | ${row.attempts} | ${row.answered} | ${row.customers} | ${row.subscriptions} | ${row.events} |`,
  )
  .join("\n")}

- Throughput, durable ÷ inline: **${fixed(durable.rate / inline.rate, 2)}×**; p99, inline ÷ durable: **${fixed(inline.p99 / durable.p99, 2)}×** (the inline handler waits for 4 vendor calls, ≈ 4L, before answering; the durable one for 1).
- With one transient failure per sign-up on the last call (deliveries are retried up to 5 times, as Svix would), the inline handler answers 5xx and its redelivery starts over: ${rows[3]!.customers} Stripe customers for ${requests} sign-ups, and only ${rows[3]!.answered} sign-ups ever answered 2xx, because the ConfirmationToken was spent on the first try. The durable route's send is retried with the same event id (deduplicated by Inngest): ${rows[2]!.answered} answered 2xx, ${rows[2]!.events} events, and the workflow retries only the step that failed.`);
