import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getConnection, getDb } from "@/lib/db/client";
import { driverUnderTest } from "@/test/support/driver-under-test";
import { checkDatabase } from "@/lib/db/health";
import { emails, orgs, users } from "@/lib/db/schema";

const id = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "")}`;

/** The Postgres error code behind a failed query, whichever driver wrapped it. */
async function errorCode(query: Promise<unknown>) {
  const error = await query.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  let current = error as { code?: string; cause?: unknown } | undefined;
  while (current && !current.code) current = current.cause as typeof current;
  return current?.code;
}

describe(`database (${driverUnderTest})`, () => {
  it("uses the driver DATABASE_URL names, with the migrations applied", async () => {
    const { driver } = await getConnection();
    expect(driver).toBe(driverUnderTest);
    const db = await getDb();
    // Every driver answers execute() with { rows }; the shared Database type cannot say so.
    const tables = (await db.execute(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    )) as unknown as { rows: { table_name: string }[] };
    expect(tables.rows.map((row) => row.table_name)).toEqual(
      expect.arrayContaining(["emails", "onboarding", "onboarding_steps", "orgs", "users"]),
    );
  });

  it("refuses a second user with the same Stripe customer", async () => {
    const db = await getDb();
    const customer = id("cus");
    await db.insert(users).values({ clerkUserId: id("user"), stripeCustomerId: customer });
    expect(
      await errorCode(
        db.insert(users).values({ clerkUserId: id("user"), stripeCustomerId: customer }),
      ),
    ).toBe("23505");
  });

  it("refuses a second email of the same kind and reference to the same user", async () => {
    const db = await getDb();
    const userId = id("user");
    const email = {
      clerkUserId: userId,
      kind: "welcome" as const,
      to: "a@example.com",
      from: "onramp <hello@example.com>",
      subject: "Welcome",
      html: "<p>hi</p>",
      transport: "outbox" as const,
    };
    await db.insert(emails).values(email);
    expect(await errorCode(db.insert(emails).values(email))).toBe("23505");
    const inserted = await db
      .insert(emails)
      .values(email)
      .onConflictDoNothing({ target: [emails.clerkUserId, emails.kind, emails.reference] })
      .returning();
    expect(inserted).toEqual([]);
    // The same kind about another invoice is another email.
    const other = { ...email, kind: "payment_failed" as const, reference: "in_1" };
    await db.insert(emails).values(other);
    await db.insert(emails).values({ ...other, reference: "in_2" });
    expect(await errorCode(db.insert(emails).values(other))).toBe("23505");
  });

  it("upserts in one statement, so a replayed event cannot create a second row", async () => {
    const db = await getDb();
    const orgId = id("org");
    for (const name of ["Acme", "Acme Corp", "Acme Corp"]) {
      await db
        .insert(orgs)
        .values({ clerkOrgId: orgId, name })
        .onConflictDoUpdate({ target: orgs.clerkOrgId, set: { name, updatedAt: sql`now()` } });
    }
    const rows = await db.select().from(orgs).where(eq(orgs.clerkOrgId, orgId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: "Acme Corp", purchasedSeats: 0 });
    expect(rows[0]!.createdAt).toBeInstanceOf(Date);
  });

  it("never stores a negative seat count", async () => {
    const db = await getDb();
    expect(
      await errorCode(
        db.insert(orgs).values({ clerkOrgId: id("org"), name: "x", purchasedSeats: -1 }),
      ),
    ).toBe("23514");
  });

  it("reports itself healthy", async () => {
    expect(await checkDatabase()).toMatchObject({ ok: true });
  });
});
