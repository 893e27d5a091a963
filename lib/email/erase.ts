import { eq } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { emails } from "@/lib/db/schema";

/**
 * Erases what the stored emails (receipts and the dev outbox) hold about a deleted user: the
 * address and the body, which greets them by name. The row stays, with its kind, subject and
 * time, so each kind still reaches each user once.
 */
export async function eraseStoredEmails(clerkUserId: string) {
  const db = await getDb();
  await db.update(emails).set({ to: "", html: "" }).where(eq(emails.clerkUserId, clerkUserId));
}
