import { sql } from "drizzle-orm";
import { logger } from "@/lib/logger";
import { getConnection } from "./client";

export type DatabaseHealth = { ok: true; driver: string } | { ok: false; reason: string };

/**
 * One round trip to the database. The reason of a failure is for the operator (hosts, users and
 * driver messages): it goes to the log, never to the public /api/health.
 */
export async function checkDatabase(): Promise<DatabaseHealth> {
  try {
    const { db, driver } = await getConnection();
    await db.execute(sql`select 1`);
    return { ok: true, driver };
  } catch (error) {
    const reason = describe(error);
    logger.error("health check: the database did not answer", { reason });
    return { ok: false, reason };
  }
}

/** Drizzle wraps driver errors as "Failed query: …"; the cause is what an operator can act on. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? describe(error.cause) : error.message;
}
