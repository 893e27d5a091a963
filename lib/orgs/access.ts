import type { SessionAuth } from "@/lib/auth";
import { LicensingError } from "./errors";

/**
 * Who may act on an organization: always the session's active one, never one the request names.
 * Anyone in it may look; only its admins may buy seats, manage the subscription or license members.
 */

export const orgAdminRole = "org:admin";

export interface OrgActor {
  userId: string;
  /** The session's active organization: the only one an actor can act on. */
  orgId: string;
  isAdmin: boolean;
}

/** The signed-in user in their active organization, or a LicensingError saying what is missing. */
export function orgActor(auth: SessionAuth): OrgActor {
  if (!auth.userId) throw new LicensingError("signed_out", "Sign in to manage licenses.");
  if (!auth.orgId) {
    throw new LicensingError(
      "no_organization",
      "Choose or create an organization first: licenses belong to an organization.",
    );
  }
  return { userId: auth.userId, orgId: auth.orgId, isAdmin: auth.orgRole === orgAdminRole };
}

/** Like orgActor, and refuses anyone but an admin of the active organization. */
export function orgAdmin(auth: SessionAuth): OrgActor {
  const actor = orgActor(auth);
  if (!actor.isAdmin) {
    throw new LicensingError(
      "forbidden",
      "Only organization admins can buy seats, manage the subscription or change licenses. Ask an admin of this organization.",
    );
  }
  return actor;
}
