// `npm run bench:ingress -- [--runs 5] [--requests 2000] [--concurrency 32]`, after `npm run build`.
//
// Verified-webhook throughput and latency on `next start`, next to baselines on the same server in
// the same run:
//   no-op     PUT  /api/webhooks/clerk with the same body → 405, answered by Next itself: the same
//             server, routing, route module and bytes on the wire, with no code of ours (the
//             closest the app has to a no-op route, without adding one just for the benchmark);
//   rejected  POST /api/webhooks/clerk with a bad signature → 400: our parsing and verification
//             without the send, so the difference to "verified" is the hand-off to Inngest;
//   verified  POST /api/webhooks/clerk signed with the endpoint's secret → 200 and one event.
// Each run sends `--requests` to every scenario, one scenario after the other in an order that
// rotates from run to run, so load from anything else on the machine weighs on each alike. The
// ratios are taken within each run and printed as the median and range over the runs, against
// the goals: a guard, verified throughput ≥ 0.50× the no-op's, and p99 ≤ 2× the no-op's.
// Inngest is a stand-in HTTP server in this process (POST /e/:key), so the send is a real HTTP call
// over loopback. The run checks that every 2xx produced exactly one event, and nothing else did.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { parseArgs } from "node:util";
import { Webhook } from "svix";
import { formatSpread, goalOverRuns, markdownTable, printGoals, repeat } from "./measure";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    requests: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "32" },
  },
});
const runs = Number(values.runs);
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
if (
  !(runs > 0 && runs <= 100) ||
  !(requests > 0 && requests <= 100_000) ||
  !(concurrency > 0 && concurrency <= 1024)
) {
  console.error(
    "--runs must be 1..100, --requests 1..100000 (per scenario and run), --concurrency 1..1024",
  );
  process.exit(2);
}
const warmup = Math.min(200, Math.ceil(requests / 10));

const root = path.resolve(import.meta.dirname, "..");
const builtRoute = path.join(root, ".next/server/app/api/webhooks/clerk/route.js");
if (!existsSync(path.join(root, ".next/BUILD_ID")) || !existsSync(builtRoute)) {
  console.error("No build with /api/webhooks/clerk in .next: run `npm run build` first.");
  process.exit(2);
}

// ---- Inngest stand-in: counts every event id it receives ----
const received = new Map<string, number>();
let sendRequests = 0;
const unexpected: string[] = [];
const inngest = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    if (request.method !== "POST" || !/^\/e\/[^/]+$/.test(request.url ?? "")) {
      unexpected.push(`${request.method} ${request.url}`);
      response.writeHead(404).end();
      return;
    }
    const events = JSON.parse(Buffer.concat(chunks).toString()) as { id?: string }[];
    sendRequests += 1;
    for (const event of events)
      received.set(event.id ?? "", (received.get(event.id ?? "") ?? 0) + 1);
    response
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ ids: events.map(() => randomUUID()), status: 200 }));
  });
});

const listen = (server: http.Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );

async function freePort() {
  const probe = http.createServer();
  const port = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

// ---- the app under `next start`, configured for this run only ----
const secret = `whsec_${randomBytes(32).toString("base64")}`;
const inngestPort = await listen(inngest);
const appPort = await freePort();
const origin = `http://127.0.0.1:${appPort}`;
const url = `${origin}/api/webhooks/clerk`;

let app: ChildProcess | undefined;
let appOutput = "";
const stopApp = () => {
  // The app runs in its own process group (detached), so this ends it and nothing else.
  if (app?.pid && app.exitCode === null) process.kill(-app.pid, "SIGTERM");
};
process.on("SIGINT", () => {
  stopApp();
  process.exit(130);
});

try {
  app = spawn(
    path.join(root, "node_modules/.bin/next"),
    ["start", "-p", String(appPort), "-H", "127.0.0.1"],
    {
      cwd: root,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      // Only what this run needs, so no key from the caller's shell reaches the server.
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        DATABASE_URL: "pglite:memory://",
        APP_URL: origin,
        ONRAMP_ENVIRONMENT: "bench",
        // The stand-in plays the dev server (unsigned), which production refuses without the opt-in.
        INNGEST_DEV: "1",
        ONRAMP_UNSAFE_ALLOW_INNGEST_DEV_IN_PRODUCTION: "1",
        INNGEST_SIGNING_KEY: "signkey-test-0123456789abcdef",
        INNGEST_EVENT_KEY: "bench-event-key",
        INNGEST_BASE_URL: `http://127.0.0.1:${inngestPort}`,
        CLERK_SECRET_KEY: "sk_test_bench",
        NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: `pk_test_${Buffer.from("clerk.bench.test$").toString("base64").replace(/=+$/, "")}`,
        NEXT_PUBLIC_CLERK_KEYLESS_DISABLED: "1",
        NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED: "1",
        CLERK_WEBHOOK_SIGNING_SECRET: secret,
        RESEND_API_KEY: "re_bench",
      },
    },
  );
  const remember = (chunk: Buffer) => (appOutput = (appOutput + chunk.toString()).slice(-4000));
  app.stdout?.on("data", remember);
  app.stderr?.on("data", remember);

  await waitForApp();

  const noop = () => {
    const delivery = signedDelivery(secret);
    return () => fetch(url, { ...delivery.init, method: "PUT" });
  };
  const rejected = () => {
    const forged = signedDelivery(`whsec_${randomBytes(32).toString("base64")}`);
    return () => fetch(url, forged.init);
  };
  const accepted: string[] = [];
  const verified = () => {
    const delivery = signedDelivery(secret);
    return async () => {
      const response = await fetch(url, delivery.init);
      if (response.ok) accepted.push(delivery.eventId);
      return response;
    };
  };

  const scenarios = [
    { name: "no-op (PUT, Next's 405)", make: noop },
    { name: "rejected (bad signature, 400)", make: rejected },
    { name: "verified (signed, 200 + event)", make: verified },
  ];
  for (const scenario of scenarios) await load(warmup, scenario.make);
  accepted.length = 0;
  received.clear();
  sendRequests = 0;
  const perRun = await repeat("ingress", runs, async (run) => {
    const results = new Map<string, Result>();
    for (let i = 0; i < scenarios.length; i++) {
      const scenario = scenarios[(run + i) % scenarios.length]!;
      results.set(scenario.name, summarize(await load(requests, scenario.make)));
    }
    return scenarios.map((scenario) => results.get(scenario.name)!);
  });

  console.log(
    `\`next start\` and this load generator on the same machine: ${runs} runs of ${requests} requests per scenario (after ${warmup} warm-up), ` +
      `concurrency ${concurrency}; ` +
      `median (min–max) over the runs.\n`,
  );
  const across = (pick: (run: Result[]) => number, digits: number) =>
    formatSpread(perRun.map(pick), digits);
  console.log(
    markdownTable(
      ["scenario", "req/s", "p50 ms", "p99 ms", "statuses, all runs"],
      scenarios.map((scenario, i) => {
        const statuses: Record<number, number> = {};
        for (const run of perRun)
          for (const [status, n] of Object.entries(run[i]!.statuses))
            statuses[Number(status)] = (statuses[Number(status)] ?? 0) + n;
        return [
          scenario.name,
          across((run) => run[i]!.throughput, 0),
          across((run) => run[i]!.p50, 1),
          across((run) => run[i]!.p99, 1),
          Object.entries(statuses)
            .map(([status, n]) => `${n}× ${status}`)
            .join(", "),
        ];
      }),
    ),
  );
  const ratios = (a: number, b: number) => ({
    throughput: perRun.map((run) => run[a]!.throughput / run[b]!.throughput),
    p99: perRun.map((run) => run[a]!.p99 / run[b]!.p99),
  });
  const againstNoop = ratios(2, 0);
  const againstRejected = ratios(2, 1);
  console.log("\nVerified webhooks against the no-op, ratios taken within each run:\n");
  printGoals([
    goalOverRuns("ingress", "verified ÷ no-op throughput", againstNoop.throughput, {
      atLeast: 0.5,
      unit: "×",
      digits: 2,
    }),
    goalOverRuns("ingress", "verified ÷ no-op p99 latency", againstNoop.p99, {
      atMost: 2,
      unit: "×",
      digits: 2,
    }),
  ]);
  console.log(
    `\nVerified ÷ rejected (the cost of the send to Inngest): throughput ` +
      `${formatSpread(againstRejected.throughput, 2, "×")}, p99 ${formatSpread(againstRejected.p99, 2, "×")}.`,
  );

  // Every 2xx is one event at the stand-in, exactly once; nothing else arrived.
  const missing = accepted.filter((id) => received.get(id) !== 1);
  const acceptedIds = new Set(accepted);
  const extra = [...received.keys()].filter((id) => !acceptedIds.has(id));
  const ok = missing.length === 0 && extra.length === 0 && unexpected.length === 0;
  const eventsReceived = [...received.values()].reduce((a, b) => a + b, 0);
  console.log(
    `\n- Events, all runs: ${accepted.length} answered 2xx → ${eventsReceived} received by the stand-in, ` +
      `${missing.length} missing or duplicated, ${extra.length} unexpected` +
      (unexpected.length
        ? `, other requests at the stand-in: ${unexpected.slice(0, 3).join(", ")}`
        : "") +
      (ok ? " ✓" : " ✗"),
  );
  console.log(
    `- Sends: ${eventsReceived} events in ${sendRequests} requests to Inngest ` +
      `(${(eventsReceived / Math.max(1, sendRequests)).toFixed(1)} events per request).`,
  );
  process.exitCode = ok ? 0 : 1;
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  if (appOutput) console.error(`\nnext start said:\n${appOutput}`);
  process.exitCode = 1;
} finally {
  stopApp();
  inngest.close();
}

interface Batch {
  latencies: Float64Array;
  elapsed: number;
  statuses: Record<number, number>;
}

interface Result {
  throughput: number;
  p50: number;
  p99: number;
  statuses: Record<number, number>;
}

/** A Clerk user.updated delivery with its own svix-id, signed with `withSecret` now. */
function signedDelivery(withSecret: string) {
  const msgId = `msg_${randomUUID()}`;
  const at = new Date();
  const body = JSON.stringify({
    type: "user.updated",
    object: "event",
    instance_id: "ins_bench",
    timestamp: at.getTime(),
    data: {
      id: `user_${randomUUID()}`,
      object: "user",
      first_name: "Bench",
      last_name: "Mark",
      email_addresses: [{ id: "idn_bench", email_address: "bench@onramp.test" }],
      primary_email_address_id: "idn_bench",
      public_metadata: {},
      unsafe_metadata: {},
      created_at: at.getTime(),
      updated_at: at.getTime(),
    },
  });
  const headers = {
    "content-type": "application/json",
    "svix-id": msgId,
    "svix-timestamp": String(Math.floor(at.getTime() / 1000)),
    "svix-signature": new Webhook(withSecret).sign(msgId, at, body),
  };
  return { eventId: `clerk-${msgId}`, init: { method: "POST", headers, body } };
}

/**
 * Sends `count` requests, `concurrency` at a time. Requests are built (and signed) before the
 * clock starts, so signing is not measured.
 */
async function load(count: number, make: () => () => Promise<Response>): Promise<Batch> {
  const sends = Array.from({ length: count }, make);
  const latencies = new Float64Array(count);
  const statuses: Record<number, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) {
        const sentAt = performance.now();
        const response = await sends[i]!();
        await response.arrayBuffer();
        latencies[i] = performance.now() - sentAt;
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      }
    }),
  );
  return { latencies, elapsed: performance.now() - started, statuses };
}

/** Throughput over the batch's elapsed time; percentiles over its requests. */
function summarize(batch: Batch): Result {
  const latencies = Float64Array.from(batch.latencies).sort();
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    throughput: (latencies.length / batch.elapsed) * 1000,
    p50: at(0.5),
    p99: at(0.99),
    statuses: batch.statuses,
  };
}

/** Waits (at most a minute) until the server answers on the webhook route. */
async function waitForApp() {
  for (let attempt = 0; attempt < 240; attempt++) {
    if (app?.exitCode !== null) throw new Error(`next start exited with code ${app?.exitCode}`);
    const status = await fetch(url, { method: "GET" }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 405) return;
    if (status !== 0)
      throw new Error(`GET ${url} answered ${status}, expected 405: is the build current?`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error("next start did not answer within a minute");
}
