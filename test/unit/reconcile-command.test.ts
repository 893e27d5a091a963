import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { serveStandIn, type ServedStandIn } from "@onramp/standins/http";
import { seedBillingDrift } from "@/test/support/billing-drift";
import { StripeStandIn } from "@onramp/standins/vitest";

const root = process.cwd();
const dataDir = mkdtempSync(path.join(tmpdir(), "onramp-reconcile-"));
let stripe: ServedStandIn<StripeStandIn>;
let drift: Awaited<ReturnType<typeof seedBillingDrift>>;

/** `npm run reconcile -- <args>` against the served Stripe stand-in and the seeded database. */
async function reconcile(...args: string[]) {
  try {
    const { stdout } = await promisify(execFile)(
      path.join(root, "node_modules/.bin/tsx"),
      ["scripts/reconcile.ts", ...args],
      {
        cwd: root,
        env: { ...process.env, DATABASE_URL: `pglite:${dataDir}`, STRIPE_API_BASE: stripe.url },
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
) {
  const connection = await connect(`pglite:${dataDir}`);
  try {
    await connection.migrate();
    return await query(connection.db);
  } finally {
    await connection.close();
  }
}

beforeAll(async () => {
  stripe = await serveStandIn((url) => new StripeStandIn(url));
  drift = await withDatabase((db) => seedBillingDrift(stripe.standIn, db));
});
afterAll(async () => {
  await stripe.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("npm run reconcile", () => {
  // Each command starts tsx and the embedded database: seconds, not milliseconds.
  it(
    "reports the drift page by page without changing anything, then resumes with --apply and repairs it",
    { timeout: 60_000 },
    async () => {
      const dryRun = await reconcile("--page-size", "4");
      console.log(dryRun.stdout);
      expect(dryRun.code).toBe(1);
      expect(dryRun.stdout).toContain("dry run: nothing was changed");
      // Each page says where to resume after it.
      expect(dryRun.stdout).toMatch(/^page 3: 2 customers, \d+ findings; the last page$/m);
      expect(dryRun.stdout).toMatch(/^live subscription of a deleted account +2 +0 +2 +0 +0 +0$/m);
      expect(dryRun.stdout).toMatch(/^live subscription of an unknown account +1 +0 +0 +1 +0 +0$/m);
      expect(dryRun.stdout).toContain("Run with --apply to repair");
      expect(stripe.standIn.requests.filter((r) => r.method !== "GET")).toEqual([]);

      // The operator resumes after the first page (the newest customers), repairing this time.
      const [, cursor] =
        /^page 1: 4 customers, \d+ findings; to resume after it: --from (cus_\w+)$/m.exec(
          dryRun.stdout,
        )!;
      const applied = await reconcile("--apply", "--from", cursor!);
      console.log(applied.stdout);
      expect(applied.code).toBe(0);
      expect(applied.stdout).toContain("6 of 6 Stripe customers compared");
      expect(applied.stdout).toMatch(
        /^live subscription of an unknown account +1 +1 +0 +0 +0 +0$/m,
      );
      expect(applied.stdout).toMatch(/^our row differs from Stripe +3 +3 +0 +0 +0 +0$/m);
      expect(applied.stdout).toContain("The books are straight");
      for (const subscription of [drift.unknownUser.subscription, drift.deletedUser.subscription]) {
        expect(stripe.standIn.subscriptions.get(subscription)!.status).toBe("canceled");
      }
      const [converted] = await withDatabase((db) =>
        db.select().from(users).where(eq(users.clerkUserId, drift.convertedUser.userId)),
      );
      expect(converted).toMatchObject({ subscriptionStatus: "active" });
    },
  );

  it("refuses a malformed command line", async () => {
    const wrong = await reconcile("--page-size", "1000");
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toContain("--page-size must be a whole number from 1 to 100");
  });
});
