import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ownerMetadata } from "@/lib/billing/ownership";
import { connect } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { serveStandIn, type ServedStandIn } from "@onramp/standins/http";
import { seedBillingDrift } from "@/test/support/billing-drift";
import { ClerkStandIn, StripeStandIn } from "@onramp/standins/vitest";

const root = process.cwd();
const dataDir = mkdtempSync(path.join(tmpdir(), "onramp-reconcile-"));
let stripe: ServedStandIn<StripeStandIn>;
let clerk: ServedStandIn<ClerkStandIn>;

/**
 * `npm run reconcile -- <args>` as an operator runs it: its own process, against the served
 * Stripe and Clerk stand-ins and the embedded database in `database` (a fresh directory: empty).
 */
async function reconcile(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout } = await promisify(execFile)(
      path.join(root, "node_modules/.bin/tsx"),
      ["scripts/reconcile.ts", ...args],
      {
        cwd: root,
        env: {
          ...process.env,
          DATABASE_URL: `pglite:${dataDir}`,
          STRIPE_API_BASE: stripe.url,
          CLERK_API_URL: clerk.url,
          ...env,
        },
      },
    );
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout + failed.stderr };
  }
}

async function withDatabase<T>(
  query: (db: Awaited<ReturnType<typeof connect>>["db"]) => Promise<T>,
  directory = dataDir,
) {
  const connection = await connect(`pglite:${directory}`);
  try {
    await connection.migrate();
    return await query(connection.db);
  } finally {
    await connection.close();
  }
}

const statusOf = (subscriptionId: string) =>
  stripe.standIn.subscriptions.get(subscriptionId)!.status;
const writes = () => stripe.standIn.requests.filter((r) => r.method !== "GET");

beforeAll(async () => {
  stripe = await serveStandIn((url) => new StripeStandIn(url));
  clerk = await serveStandIn((url) => new ClerkStandIn(url));
});
beforeEach(() => {
  stripe.standIn.reset();
  clerk.standIn.reset();
});
afterAll(async () => {
  await stripe.close();
  await clerk.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("npm run reconcile", () => {
  // Each command starts tsx and the embedded database: seconds, not milliseconds.
  it(
    "reports the drift page by page without changing anything, then resumes with --apply and repairs it",
    { timeout: 60_000 },
    async () => {
      const drift = await withDatabase((db) =>
        seedBillingDrift({ stripe: stripe.standIn, clerk: clerk.standIn }, db),
      );

      const dryRun = await reconcile(["--page-size", "4"]);
      console.log(dryRun.stdout);
      expect(dryRun.code).toBe(1);
      expect(dryRun.stdout).toContain("dry run: nothing was changed");
      // Each page says where to resume after it.
      expect(dryRun.stdout).toMatch(/^page 4: 2 customers, \d+ findings; the last page$/m);
      expect(dryRun.stdout).toMatch(/^live subscription of a deleted account +2 +0 +2 +0 +0 +0$/m);
      expect(dryRun.stdout).toMatch(/^account missing from our tables +1 +0 +1 +0 +0 +0$/m);
      expect(dryRun.stdout).toContain("Run with --apply to repair");
      expect(writes()).toEqual([]);

      // The operator resumes after the first page (the newest customers), repairing this time.
      const [, cursor] =
        /^page 1: 4 customers, \d+ findings; to resume after it: --from (cus_\w+)$/m.exec(
          dryRun.stdout,
        )!;
      const applied = await reconcile(["--apply", "--from", cursor!]);
      console.log(applied.stdout);
      expect(applied.stdout).toContain("10 of 10 Stripe customers compared");
      expect(applied.stdout).toMatch(/^live subscription of a deleted account +2 +2 +0 +0 +0 +0$/m);
      for (const subscription of [drift.deletedUser.subscription, drift.deletedOrg.subscription]) {
        expect(statusOf(subscription)).toBe("canceled");
      }
      // Clerk has the user our tables lacked: the row is written, the trial stays.
      expect(statusOf(drift.unknownUser.subscription)).toBe("trialing");
      const [converted] = await withDatabase((db) =>
        db.select().from(users).where(eq(users.clerkUserId, drift.convertedUser.userId)),
      );
      expect(converted).toMatchObject({ subscriptionStatus: "active" });
    },
  );

  describe("run after an incident against an empty database (case 2)", () => {
    const emptyDir = () => mkdtempSync(path.join(tmpdir(), "onramp-reconcile-empty-"));

    /** Paying accounts Clerk has, and one it deleted (its user.deleted never arrived). */
    function accounts() {
      const trial = (userId: string) => {
        const metadata = ownerMetadata({ key: "clerk_user_id", id: userId });
        const customer = stripe.standIn.createCustomer({ metadata });
        return stripe.standIn.createSubscription({
          customer: customer.id,
          price: process.env.STRIPE_PRICE_PRO!,
          trialDays: 14,
          metadata,
        }).id;
      };
      const living = Array.from({ length: 4 }, (_, i) =>
        trial(clerk.standIn.addUser({ email: `still.here.${i}@example.com` }).id),
      );
      const gone = trial("user_deleted_in_clerk_long_ago");
      return { living, gone };
    }

    it(
      "--apply writes the rows Clerk and Stripe know back, closes only what Clerk deleted, and cancels nobody Clerk still has",
      { timeout: 60_000 },
      async () => {
        const { living, gone } = accounts();
        const directory = emptyDir();
        try {
          const run = await reconcile(["--apply"], { DATABASE_URL: `pglite:${directory}` });
          console.log(run.stdout);

          expect(run.code).toBe(0);
          expect(run.stdout).toMatch(/^account missing from our tables +4 +4 +0 +0 +0 +0$/m);
          expect(run.stdout).toMatch(/^account Clerk no longer has +1 +1 +0 +0 +0 +0$/m);
          expect(run.stdout).toContain("The books are straight");
          expect(living.map(statusOf)).toEqual(living.map(() => "trialing"));
          expect(statusOf(gone)).toBe("canceled");
          // Only the one Clerk does not have was cancelled.
          expect(stripe.standIn.count("DELETE", /^\/v1\/subscriptions\//)).toBe(1);
          const rows = await withDatabase((db) => db.select().from(users), directory);
          expect(rows.filter((row) => row.subscriptionStatus === "trialing")).toHaveLength(4);
        } finally {
          rmSync(directory, { recursive: true, force: true });
        }
      },
    );

    it(
      "stops before closing anything when Clerk has none of the accounts (a wrong CLERK_SECRET_KEY's instance), saying why",
      { timeout: 60_000 },
      async () => {
        const { living, gone } = accounts();
        clerk.standIn.users.clear();
        const directory = emptyDir();
        try {
          const run = await reconcile(["--apply"], { DATABASE_URL: `pglite:${directory}` });
          console.log(run.stdout);

          expect(run.code).toBe(1);
          expect(run.stdout).toMatch(
            /Stopped after page 1: Clerk has none of 5 of the 5 accounts asked about on this page\. Is CLERK_SECRET_KEY the key of this deployment's Clerk instance\? Nothing was closed\./,
          );
          expect([...living, gone].map(statusOf)).toEqual([...living, gone].map(() => "trialing"));
          expect(writes()).toEqual([]);
        } finally {
          rmSync(directory, { recursive: true, force: true });
        }
      },
    );

    it(
      "refuses a live Stripe key with the embedded database, before asking Stripe anything",
      { timeout: 60_000 },
      async () => {
        accounts();
        // DATABASE_URL unset: the embedded database under .data/.
        const run = await reconcile(["--apply"], {
          DATABASE_URL: "",
          STRIPE_SECRET_KEY: "sk_live_onramp_production",
        });
        expect(run.code).toBe(2);
        expect(run.stdout).toMatch(
          /STRIPE_SECRET_KEY is a live key, but the database is the embedded one \(DATABASE_URL is not set\).*Set DATABASE_URL to the production database/,
        );
        expect(stripe.standIn.requests).toEqual([]);
      },
    );
  });

  it("refuses a malformed command line", async () => {
    const wrong = await reconcile(["--page-size", "1000"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toContain("--page-size must be a whole number from 1 to 100");
  });
});
