import { sql } from "drizzle-orm";
import { getConnection } from "./client";

export type DatabaseHealth = { ok: true; driver: string } | { ok: false; reason: string };

/** One round trip to the database; the reason is safe to show (no credentials). */
export async function checkDatabase(): Promise<DatabaseHealth> {
  try {
    const { db, driver } = await getConnection();
    await db.execute(sql`select 1`);
    return { ok: true, driver };
  } catch (error) {
    return { ok: false, reason: redactUrls(describe(error)) };
  }
}

/** Drizzle wraps driver errors as "Failed query: …"; the cause is what an operator can act on. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? describe(error.cause) : error.message;
}

const redactUrls = (text: string) => text.replace(/\/\/[^@/\s]+@/g, "//***@");
