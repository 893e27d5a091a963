"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { withOrgAdmin, type ActionResult } from "@/app/_lib/actions";
import { openSeatPortal, startSeatCheckout } from "@/lib/orgs/checkout";
import { setLicensed } from "@/lib/orgs/licensing";
import { paths } from "@/lib/routes";

/**
 * The licensing forms. Clerk's verified session goes to lib/orgs, which authorizes it again
 * (admins of the active organization only) and applies the rules; nothing the form sends names
 * an organization or a role.
 */

export interface ActionState extends ActionResult {
  message?: string;
}

export const buySeats = withOrgAdmin(
  // A whole number from 1 to the maximum: lib/orgs says so in the admin's words.
  z.object({ quantity: z.string().transform(Number) }),
  async ({ quantity }, session): Promise<ActionState> =>
    redirect(await startSeatCheckout(session, quantity)),
);

export const manageSubscription = withOrgAdmin(
  z.object({}),
  async (_, session): Promise<ActionState> => redirect(await openSeatPortal(session)),
);

export const setMemberLicense = withOrgAdmin(
  z.object({ userId: z.string(), licensed: z.enum(["true", "false"]) }),
  async ({ userId, licensed }, session): Promise<ActionState> => {
    try {
      const change = await setLicensed(session, { userId, licensed: licensed === "true" });
      return { message: change.message };
    } finally {
      // Also after a refusal: the page then shows what the database holds now.
      revalidatePath(paths.licensing);
    }
  },
);
