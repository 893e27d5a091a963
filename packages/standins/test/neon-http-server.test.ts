import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NeonDbError, neon, neonConfig, type NeonQueryFunction } from "@neondatabase/serverless";
import { count, eq } from "drizzle-orm";
import { drizzle, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import {
  bigint,
  boolean,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import { startNeonHttpServer, type NeonHttpServer } from "@onramp/standins/neon";

const accounts = pgTable("accounts", {
  id: serial("id").primaryKey(),
  email: text("email").notNull().unique(),
  active: boolean("active").notNull().default(true),
  seats: integer("seats").notNull().default(1),
  credits: bigint("credits", { mode: "number" }).notNull().default(0),
  tags: text("tags").array().notNull().default([]),
  meta: jsonb("meta").$type<{ plan: string; limits: number[] }>(),
  trialEndsAt: timestamp("trial_ends_at", { withTimezone: true }),
});

let server: NeonHttpServer;
let sql: NeonQueryFunction<false, false>;
const previousEndpoint = neonConfig.fetchEndpoint;

/** Drizzle wraps driver errors in DrizzleQueryError; the SQLSTATE lives on the cause. */
function sqlState(error: unknown): string | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e instanceof NeonDbError) return e.code;
  }
  return undefined;
}

beforeAll(async () => {
  // In the postgres project, in front of the real server; elsewhere in front of PGlite.
  const postgres = process.env.TEST_POSTGRES_URL;
  server = await startNeonHttpServer(postgres ? { postgres } : {});
  neonConfig.fetchEndpoint = server.url;
  sql = neon(server.connectionString);
  await sql`
    create table accounts (
      id serial primary key,
      email text not null constraint accounts_email_unique unique,
      active boolean not null default true,
      seats integer not null default 1,
      credits bigint not null default 0,
      tags text[] not null default '{}',
      meta jsonb,
      trial_ends_at timestamptz
    )`;
});

afterAll(async () => {
  neonConfig.fetchEndpoint = previousEndpoint;
  await server?.close();
});

// drizzle() replaces the driver's global date parsers with identity ones, so the raw-driver type
// checks must run before any drizzle() call in this file; vitest runs suites in order.
describe("neon() against the local endpoint", () => {
  it("runs a parameterised select", async () => {
    const rows = await sql`select ${2}::int + ${3}::int as sum, ${"it's"} as quoted`;
    expect(rows).toEqual([{ sum: 5, quoted: "it's" }]);
    const full = await sql.query("select $1::text as t", ["x"], { fullResults: true });
    expect(full).toMatchObject({ command: "SELECT", rowCount: 1, rows: [{ t: "x" }] });
    expect(full.fields[0]).toMatchObject({ name: "t", dataTypeID: 25 });
  });

  it("round-trips values in Postgres text format to the right JS types", async () => {
    const at = new Date("2024-02-29T23:59:58.123Z");
    const meta = { plan: "pro", nested: { ok: true, list: [1, "two", null] } };
    const [row] = await sql`
      select ${at}::timestamptz as at,
             ${meta}::jsonb as meta,
             true as yes, false as no,
             ${42}::int as seats,
             9007199254740993::bigint as big,
             ${["a", "b c", 'q"uote', "{brace}"]}::text[] as tags,
             null::text as nothing,
             ${Buffer.from([0, 1, 255])}::bytea as bytes,
             1.50::numeric as amount`;
    expect(row).toEqual({
      at,
      meta,
      yes: true,
      no: false,
      seats: 42,
      big: "9007199254740993", // int8 arrives as text, exactly as with Neon
      tags: ["a", "b c", 'q"uote', "{brace}"],
      nothing: null,
      bytes: Buffer.from([0, 1, 255]),
      amount: "1.50",
    });
    expect(row?.at).toBeInstanceOf(Date);
  });

  it("runs sql.transaction() atomically: a failing statement undoes the earlier ones", async () => {
    const results = await sql.transaction([
      sql`insert into accounts (email) values ('kept@example.com') returning email`,
      sql`select count(*)::int as n from accounts`,
    ]);
    expect(results).toEqual([[{ email: "kept@example.com" }], [{ n: 1 }]]);

    const failure = await sql
      .transaction([
        sql`insert into accounts (email) values ('lost@example.com')`,
        sql`insert into accounts (email) values ('kept@example.com')`,
      ])
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(NeonDbError);
    expect(failure).toMatchObject({ code: "23505", constraint: "accounts_email_unique" });
    expect(await sql`select email from accounts order by id`).toEqual([
      { email: "kept@example.com" },
    ]);
  });

  it("honours the batch isolation level and read-only options", async () => {
    const [isolation, readOnly] = await sql.transaction(
      [sql`show transaction_isolation`, sql`show transaction_read_only`],
      { isolationLevel: "Serializable", readOnly: true },
    );
    expect(isolation).toEqual([{ transaction_isolation: "serializable" }]);
    expect(readOnly).toEqual([{ transaction_read_only: "on" }]);
    await expect(
      sql.transaction([sql`insert into accounts (email) values ('ro@example.com')`], {
        readOnly: true,
      }),
    ).rejects.toMatchObject({ code: "25006" });
  });

  it("keeps no session between requests, so a hand-rolled BEGIN/ROLLBACK does nothing", async () => {
    await sql`begin`;
    await sql`insert into accounts (email) values ('not-rolled-back@example.com')`;
    await sql`rollback`;
    expect(
      await sql`select count(*)::int as n from accounts where email like 'not-rolled%'`,
    ).toEqual([{ n: 1 }]);
  });

  it("rejects several statements in one query, as the extended protocol does", async () => {
    await expect(sql`select 1; select 2`).rejects.toMatchObject({ code: "42601" });
  });
});

describe("drizzle-orm/neon-http against the local endpoint", () => {
  let db: NeonHttpDatabase;

  beforeAll(async () => {
    db = drizzle({ client: sql });
    await sql`delete from accounts`;
  });

  it("maps inserted and selected columns to the right JS types", async () => {
    const trialEndsAt = new Date("2025-01-31T12:00:00.5Z");
    const [inserted] = await db
      .insert(accounts)
      .values({
        email: "owner@example.com",
        seats: 3,
        credits: 2 ** 40,
        tags: ["beta", "a,b"],
        meta: { plan: "team", limits: [5, 10] },
        trialEndsAt,
      })
      .returning();
    const [selected] = await db
      .select()
      .from(accounts)
      .where(eq(accounts.email, "owner@example.com"));

    for (const row of [inserted, selected]) {
      expect(row).toEqual({
        id: expect.any(Number),
        email: "owner@example.com",
        active: true,
        seats: 3,
        credits: 2 ** 40,
        tags: ["beta", "a,b"],
        meta: { plan: "team", limits: [5, 10] },
        trialEndsAt,
      });
      expect(row?.trialEndsAt).toBeInstanceOf(Date);
    }

    const [bare] = await db
      .insert(accounts)
      .values({ email: "bare@example.com" })
      .returning({ meta: accounts.meta, trialEndsAt: accounts.trialEndsAt });
    expect(bare).toEqual({ meta: null, trialEndsAt: null });
  });

  it("surfaces a unique violation with SQLSTATE 23505", async () => {
    await db.insert(accounts).values({ email: "dup@example.com" });
    const error = await db
      .insert(accounts)
      .values({ email: "dup@example.com" })
      .catch((e: unknown) => e);
    expect(sqlState(error)).toBe("23505");
  });

  it("runs db.batch() atomically", async () => {
    const [first, total] = await db.batch([
      db.insert(accounts).values({ email: "batch-1@example.com" }).returning({ id: accounts.id }),
      db.select({ n: count() }).from(accounts),
    ]);
    expect(first).toEqual([{ id: expect.any(Number) }]);
    expect(total).toEqual([{ n: expect.any(Number) }]);

    const error = await db
      .batch([
        db.insert(accounts).values({ email: "batch-2@example.com" }),
        db.insert(accounts).values({ email: "batch-1@example.com" }),
      ])
      .catch((e: unknown) => e);
    expect(sqlState(error)).toBe("23505");
    expect(
      await db.select().from(accounts).where(eq(accounts.email, "batch-2@example.com")),
    ).toEqual([]);
  });

  it("refuses interactive transactions, as the production driver does", async () => {
    let ran = false;
    await expect(
      db.transaction(async (tx) => {
        ran = true;
        await tx.insert(accounts).values({ email: "tx@example.com" });
      }),
    ).rejects.toThrow(/No transactions support in neon-http driver/);
    expect(ran).toBe(false);
    expect(await db.$count(accounts, eq(accounts.email, "tx@example.com"))).toBe(0);
  });
});
