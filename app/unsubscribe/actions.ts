"use server";

import type { ActionResult } from "@/app/_lib/actions";
import { unsubscribeFromEmails, unsubscribingUser } from "@/lib/email/unsubscribe";

/** The unsubscribe page's button: the link's user, if its token is theirs, gets no more emails. */
export async function confirmUnsubscribe(
  _state: ActionResult & { done?: boolean },
  form: FormData,
): Promise<ActionResult & { done?: boolean }> {
  const userId = unsubscribingUser(Object.fromEntries(form));
  if (!userId) return { error: "This unsubscribe link is not valid." };
  await unsubscribeFromEmails(userId);
  return { done: true };
}
