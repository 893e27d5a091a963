import { and, eq, isNull, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { env } from "@/lib/env";
import { isKeyedHash, keyedHash } from "@/lib/keyed-hash";
import { paths } from "@/lib/routes";

/**
 * Unsubscribing from onramp's emails: every email links to a page that asks to confirm (so a mail
 * scanner following links unsubscribes nobody) and carries a one-click link for mail clients
 * (RFC 8058, a POST). Both name the user and a keyed hash of their id, so nobody can unsubscribe
 * someone else, and neither needs a session.
 */

const purpose = "unsubscribe";

/** The links an email to this user carries: the confirmation page, and the one-click POST target. */
export function unsubscribeUrl(userId: string): { page: string; oneClick: string } {
  const query = new URLSearchParams({ user: userId, token: keyedHash(purpose, userId) });
  return {
    page: new URL(`${paths.unsubscribe}?${query}`, env.APP_URL).href,
    oneClick: new URL(`${paths.oneClickUnsubscribe}?${query}`, env.APP_URL).href,
  };
}

/** The user the link names, when its token is theirs; null for a link that was altered. */
export function unsubscribingUser(params: { user?: unknown; token?: unknown }): string | null {
  const { user, token } = params;
  if (typeof user !== "string" || typeof token !== "string" || !user || !token) return null;
  return isKeyedHash(purpose, user, token) ? user : null;
}

/** No more emails to the user (the first time they asked is kept). */
export async function unsubscribeFromEmails(userId: string): Promise<void> {
  const db = await getDb();
  await db
    .update(users)
    .set({ emailsUnsubscribedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(users.clerkUserId, userId), isNull(users.emailsUnsubscribedAt)));
}
