import { randomUUID } from "node:crypto";
import { and, eq, lt, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { onboardingStatusHolds } from "@/lib/db/schema";

/**
 * How many status requests one user may have held open at once (a tab or two of the progress
 * page). Each held request reads the database every so often and keeps a function running, so
 * one account opening many would starve the connection pool and bill idle time on serverless.
 * Counted in the database, so the limit holds across every server instance.
 */
export const HELD_REQUESTS_PER_USER = 2;

/** A slot while it is held: what giving it back needs. */
export interface StatusHold {
  userId: string;
  slot: number;
  holder: string;
}

/**
 * Takes one of the user's slots for `forMs`, or null when all are held. Each slot is one upsert
 * that takes the row only when it is free (absent, or its time is over), so concurrent requests
 * for one user queue on its rows and no slot ever has two holders, on any driver. The margin
 * covers the hold's last database look and the answer.
 */
export async function takeStatusHold(userId: string, forMs: number): Promise<StatusHold | null> {
  const db = await getDb();
  const holder = randomUUID();
  const heldUntil = sql`now() + ${`${forMs + 5_000} milliseconds`}::interval`;
  for (let slot = 0; slot < HELD_REQUESTS_PER_USER; slot++) {
    const [taken] = await db
      .insert(onboardingStatusHolds)
      .values({ clerkUserId: userId, slot, holder, heldUntil })
      .onConflictDoUpdate({
        target: [onboardingStatusHolds.clerkUserId, onboardingStatusHolds.slot],
        set: { holder, heldUntil },
        setWhere: lt(onboardingStatusHolds.heldUntil, sql`now()`),
      })
      .returning({ slot: onboardingStatusHolds.slot });
    if (taken) return { userId, slot, holder };
  }
  return null;
}

/** Gives the slot back, unless its time ran out and another request holds it now. */
export async function releaseStatusHold({ userId, slot, holder }: StatusHold): Promise<void> {
  const db = await getDb();
  await db
    .delete(onboardingStatusHolds)
    .where(
      and(
        eq(onboardingStatusHolds.clerkUserId, userId),
        eq(onboardingStatusHolds.slot, slot),
        eq(onboardingStatusHolds.holder, holder),
      ),
    );
}
