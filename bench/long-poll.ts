/**
 * What one request to the onboarding status long poll costs the database, in statements.
 *
 *   npm run bench:long-poll -- [--users 4]
 *
 * The app's own code (lib/onboarding/status-changes, as GET /api/onboarding/status?wait= runs
 * it) on the production driver (Neon over HTTP) against the local SQL-over-HTTP endpoint, each
 * statement counted at the endpoint and charged to the user whose id it carries. Requests of
 * `--users` users run side by side, each user alone in its case:
 * - held for its whole 25 s with nothing changing, as the route holds it, and again with a look
 *   every 250 ms (how it held before issue 22), in the same run: the ratio is the saving;
 * - a status already final (complete), answered at once;
 * - a third request while the user's two are held, answered at once;
 * - a held request whose client goes away after 1 s.
 * Reads are SELECTs (a look at the status is two); writes take and give back the user's slot.
 * The next look is timed from the end of the last, so on a loaded machine (slow statements) both
 * schedules look less often and the ratio moves toward 1.
 * It takes about 30 s, most of it the 25-s holds. Figures only, no assertions.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { formatSpread, goalOverRuns, markdownTable, print, printGoals } from "./measure";
import { loadTestEnvironment } from "./test-env";

const { values: args } = parseArgs({ options: { users: { type: "string", default: "4" } } });
const users = Number(args.users);
if (!(users > 0 && users <= 50)) {
  console.error("--users 1..50");
  process.exit(2);
}

await loadTestEnvironment();
const { startNeonHttpServer } = await import("@onramp/standins/neon");
const neon = await startNeonHttpServer();
process.env.DATABASE_URL = neon.connectionString;
process.env.NEON_FETCH_ENDPOINT = neon.url;

/** Statements per user id, from what the driver sends the endpoint. */
const statements = new Map<string, { reads: number; writes: number }>();
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  if (url.startsWith(neon.url) && typeof init?.body === "string") {
    const body = JSON.parse(init.body) as { query?: string; params?: unknown[] };
    const userId = body.params?.find(
      (param) => typeof param === "string" && param.startsWith("user_bench_"),
    );
    if (typeof userId === "string") {
      const counted = statements.get(userId) ?? { reads: 0, writes: 0 };
      if (/^\s*select/i.test(body.query ?? "")) counted.reads++;
      else counted.writes++;
      statements.set(userId, counted);
    }
  }
  return realFetch(input, init);
};

const { connect } = await import("@/lib/db/client");
await (await connect(neon.connectionString, neon.url)).migrate();
const { recordState, recordSteps } = await import("@/lib/onboarding/progress");
const { getDb } = await import("@/lib/db/client");
const { onboardingStatusHolds } = await import("@/lib/db/schema");
const { eq } = await import("drizzle-orm");
const { longPoll, statusChange } = await import("@/lib/onboarding/status-changes");

/** A user part-way through onboarding, and the ETag of their status now. */
async function userMidway(state: "running" | "complete" = "running") {
  const userId = `user_bench_${randomUUID().replaceAll("-", "")}`;
  await recordState(userId, state);
  await recordSteps(userId, "plan", "done");
  const { etag } = await statusChange(userId, { seen: [], wait: false });
  statements.delete(userId); // the setup is not the request's
  return { userId, etag };
}

const holdsOf = async (userId: string) =>
  (
    await (
      await getDb()
    )
      .select()
      .from(onboardingStatusHolds)
      .where(eq(onboardingStatusHolds.clerkUserId, userId))
  ).length;
const cost = (userId: string) => statements.get(userId) ?? { reads: 0, writes: 0 };
const each = <T>(work: () => Promise<T>) => Promise.all(Array.from({ length: users }, work));

type Case = { name: string; perRequest: { reads: number; writes: number }[] };

const held = (schedule = longPoll) =>
  each(async () => {
    const { userId, etag } = await userMidway();
    await statusChange(userId, { seen: [etag], wait: true, schedule });
    return cost(userId);
  });

const final = each(async () => {
  const { userId, etag } = await userMidway("complete");
  await statusChange(userId, { seen: [etag], wait: true });
  return cost(userId);
});

const overTheLimit = each(async () => {
  const { userId, etag } = await userMidway();
  // The two held requests look only after the third is answered, so what is counted is its own.
  const client = new AbortController();
  const quiet = { ...longPoll, firstLookMs: 60_000 };
  const holding = [1, 2].map(() =>
    statusChange(userId, { seen: [etag], wait: true, signal: client.signal, schedule: quiet }),
  );
  while ((await holdsOf(userId)) < 2) await new Promise((resolve) => setTimeout(resolve, 50));
  const before = { ...cost(userId) };
  await statusChange(userId, { seen: [etag], wait: true });
  const after = { ...cost(userId) };
  client.abort();
  await Promise.all(holding);
  return { reads: after.reads - before.reads, writes: after.writes - before.writes };
});

const clientGone = each(async () => {
  const { userId, etag } = await userMidway();
  const client = new AbortController();
  setTimeout(() => client.abort(), 1000);
  await statusChange(userId, { seen: [etag], wait: true, signal: client.signal });
  // Anything still running for it would show here.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return cost(userId);
});

const everyQuarterSecond = { ...longPoll, fastForMs: Number.POSITIVE_INFINITY };
const [route, before, ...rest] = await Promise.all([
  held(),
  held(everyQuarterSecond),
  final,
  overTheLimit,
  clientGone,
]);
await neon.close();

const cases: Case[] = [
  { name: "held 25 s, nothing changes (the route's schedule)", perRequest: route },
  { name: "held 25 s, nothing changes, a look every 250 ms (before)", perRequest: before },
  { name: "status already final (complete)", perRequest: rest[0]! },
  { name: "a third request while two are held", perRequest: rest[1]! },
  { name: "held, client gone after 1 s", perRequest: rest[2]! },
];

print(
  `Database statements per status request (\`?wait=\`), on the Neon HTTP driver; ${users} users side by side, one request each per case. A look at the status is 2 reads; writes take and give back the user's held-request slot.\n`,
);
print(
  markdownTable(
    ["request", "reads", "writes"],
    cases.map(({ name, perRequest }) => [
      name,
      formatSpread(
        perRequest.map((c) => c.reads),
        0,
      ),
      formatSpread(
        perRequest.map((c) => c.writes),
        0,
      ),
    ]),
  ),
);
print();
printGoals([
  goalOverRuns(
    "long-poll",
    "database reads per held request (25 s, no change) ÷ a look every 250 ms",
    route.map((c, i) => c.reads / before[i]!.reads),
    { atMost: 0.5, unit: "×", digits: 2 },
  ),
]);
