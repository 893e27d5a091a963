"use server";

import { auth } from "@clerk/nextjs/server";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { openSeatPortal, startSeatCheckout } from "@/lib/orgs/checkout";
import { LicensingError } from "@/lib/orgs/errors";
import { setLicensed } from "@/lib/orgs/licensing";
import { paths } from "@/lib/routes";

/**
 * Thin wrappers: the verified session from Clerk goes to lib/licensing, which authorizes it
 * (admins of the active organization only) and applies the rules. Nothing the form sends names
 * an organization or a role.
 */

export interface ActionState {
  error?: string;
  message?: string;
}

/** A refusal the admin can act on becomes the message; anything else is a bug and is thrown. */
async function attempt<T>(work: () => Promise<T>): Promise<{ value: T } | { error: string }> {
  try {
    return { value: await work() };
  } catch (error) {
    if (error instanceof LicensingError) return { error: error.message };
    throw error;
  }
}

export async function buySeats(_: ActionState, form: FormData): Promise<ActionState> {
  const quantity = Number(form.get("quantity"));
  const session = await auth();
  const outcome = await attempt(() => startSeatCheckout(session, quantity));
  if ("error" in outcome) return outcome;
  redirect(outcome.value);
}

export async function manageSubscription(): Promise<ActionState> {
  const session = await auth();
  const outcome = await attempt(() => openSeatPortal(session));
  if ("error" in outcome) return outcome;
  redirect(outcome.value);
}

export async function setMemberLicense(_: ActionState, form: FormData): Promise<ActionState> {
  const userId = String(form.get("userId") ?? "");
  const licensed = form.get("licensed") === "true";
  const session = await auth();
  const outcome = await attempt(() => setLicensed(session, { userId, licensed }));
  // Also after a refusal: the page then shows what the database holds now.
  revalidatePath(paths.licensing);
  if ("error" in outcome) return outcome;
  return { message: outcome.value.message };
}
