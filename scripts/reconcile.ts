// `npm run reconcile [-- --apply] [--from <customer id>] [--rate <requests/s>] [--page-size <n>]`:
// compares Stripe with Clerk and our tables and prints what it found (lib/billing/reconcile), as
// the scheduled reconcile-billing function does. A dry run by default; --apply repairs. It never
// cancels an account Clerk still has: accounts our tables lack get their rows back. It refuses a
// live Stripe key with the embedded database (DATABASE_URL unset: surely the wrong database), and
// stops before closing anything when Clerk seems to have none of the accounts (a wrong Clerk key).
// Each page prints the --from that resumes after it. Exit code 0: the books are straight; 1:
// something is left or it stopped; 2: the command line or the configuration is wrong.
import { parseArgs } from "node:util";
// A CommonJS bundle: Node's ESM loader sees only its default export.
import nextEnv from "@next/env";

const usage =
  "Usage: npm run reconcile [-- --apply] [--from <customer id>] [--rate <requests/s>] [--page-size <1-100>]";
let args;
try {
  args = parseArgs({
    options: {
      apply: { type: "boolean", default: false },
      from: { type: "string" },
      rate: { type: "string", default: "10" },
      "page-size": { type: "string", default: "100" },
    },
  }).values;
} catch (error) {
  exit(`${error instanceof Error ? error.message : error}\n${usage}`);
}
const rate = Number(args.rate);
const pageSize = Number(args["page-size"]);
if (!(rate > 0)) exit(`--rate must be a positive number of requests a second\n${usage}`);
if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
  exit(`--page-size must be a whole number from 1 to 100\n${usage}`);

// The same .env files `next dev` reads, so STRIPE_* and DATABASE_URL set there apply here.
nextEnv.loadEnvConfig(process.cwd(), true);
const { reconcilePage } = await import("@/lib/billing/reconcile");
const { addPage, booksAreStraight, emptySummary, formatSummary } =
  await import("@/lib/billing/reconcile-report");
const { closeConnection } = await import("@/lib/db/client");
const { requestPacer } = await import("@/lib/vendors/pace");
const { billingClient } = await import("@/lib/vendors/stripe");
const { clerkConfigured } = await import("@/lib/vendors/clerk");
const { env } = await import("@/lib/env");
const stripe = billingClient();
if (!stripe) exit("STRIPE_SECRET_KEY is not set: there is no billing to reconcile.");
if (!clerkConfigured) {
  exit(
    "CLERK_SECRET_KEY is not set: Clerk says which accounts exist, so nothing can be reconciled without it.",
  );
}
const embedded = !env.DATABASE_URL || env.DATABASE_URL.startsWith("pglite:");
if (embedded && /^(sk|rk)_live_/.test(env.STRIPE_SECRET_KEY ?? "")) {
  exit(
    `STRIPE_SECRET_KEY is a live key, but the database is the embedded one (${env.DATABASE_URL ?? "DATABASE_URL is not set"}): ` +
      "this is not the database your live payments were recorded in. Set DATABASE_URL to the production database and run again.",
  );
}

const options = {
  apply: args.apply,
  pageSize,
  pace: requestPacer(rate),
  // Far inside Clerk's 100 requests per 10 seconds: a page asks about 100 accounts in one or two.
  clerkPace: requestPacer(2),
};
let summary = emptySummary(args.apply);
let cursor = args.from ?? null;
do {
  let page;
  try {
    page = await reconcilePage(stripe, cursor, options);
  } catch (error) {
    // Pages already done stay done; this one is repeated safely (every repair re-reads first).
    console.log(`\n${formatSummary(summary)}`);
    console.error(
      `\nPage ${summary.pages + 1} failed: ${error instanceof Error ? error.message : error}\n` +
        `Resume with: npm run reconcile -- ${args.apply ? "--apply " : ""}${cursor ? `--from ${cursor}` : ""}`,
    );
    await closeConnection();
    process.exit(1);
  }
  summary = addPage(summary, page);
  cursor = page.stopped ? null : page.next;
  console.log(
    `page ${summary.pages}: ${page.customers} customers, ${page.findings.length} findings` +
      (page.stopped
        ? "; stopped here"
        : cursor
          ? `; to resume after it: --from ${cursor}`
          : "; the last page"),
  );
} while (cursor);
console.log(`\n${formatSummary(summary)}`);
if (args.from) console.log(`(Only the customers listed after ${args.from} were compared.)`);
await closeConnection();
process.exit(booksAreStraight(summary) ? 0 : 1);

/** Exit code 2: the command line or the configuration is wrong. */
function exit(message: string): never {
  console.error(message);
  process.exit(2);
}
