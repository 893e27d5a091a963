import type { BillingOwner } from "@/lib/billing/ownership";
import type { Pace } from "@/lib/vendors/pace";
import { clerk } from "@/lib/vendors/clerk";

/**
 * Clerk is the authority on whether an account exists: our tables may lag, or be another
 * database. The reconciler asks it about the owners of live subscriptions in batches (Clerk's list
 * endpoints take up to 100 ids), paced, so an hourly run costs a few requests of Clerk's 100 per
 * 10 seconds (development instances; production has 1000).
 */

/** What Clerk says about an account it has. */
export interface ClerkAccount {
  /** A user whose publicMetadata says onboarding completed (the workflow's write); orgs: true. */
  onboarded: boolean;
  /** The subscription the user's publicMetadata names (the one onramp made for them). */
  subscriptionId: string | null;
  /** What a missing row of ours is rebuilt from. */
  profile:
    | {
        kind: "user";
        email: string | null;
        firstName: string | null;
        lastName: string | null;
        updatedAt: Date;
      }
    | { kind: "org"; name: string; updatedAt: Date };
}

/** Ids per request: what Clerk's list endpoints accept. */
const BATCH = 100;

/**
 * The accounts Clerk has, by id; an id missing from the answer is an account Clerk does not have
 * (deleted, or never of this Clerk instance).
 */
export async function lookUpInClerk(
  owners: BillingOwner[],
  pace: Pace,
): Promise<Map<string, ClerkAccount>> {
  const found = new Map<string, ClerkAccount>();
  const ids = (key: BillingOwner["key"]) => [
    ...new Set(owners.filter((owner) => owner.key === key).map((owner) => owner.id)),
  ];
  for (const batch of chunks(ids("clerk_user_id"))) {
    // The SDK asks for the total count beside the list: two requests.
    await pace(2);
    const { data } = await clerk.users.getUserList({ userId: batch, limit: batch.length });
    for (const user of data) {
      const metadata = user.publicMetadata as {
        onboardingComplete?: unknown;
        stripeSubscriptionId?: unknown;
      };
      found.set(user.id, {
        onboarded: metadata.onboardingComplete === true,
        subscriptionId:
          typeof metadata.stripeSubscriptionId === "string" ? metadata.stripeSubscriptionId : null,
        profile: {
          kind: "user",
          email:
            user.emailAddresses.find((address) => address.id === user.primaryEmailAddressId)
              ?.emailAddress ?? null,
          firstName: user.firstName,
          lastName: user.lastName,
          updatedAt: new Date(user.updatedAt),
        },
      });
    }
  }
  for (const batch of chunks(ids("clerk_org_id"))) {
    await pace();
    const { data } = await clerk.organizations.getOrganizationList({
      organizationId: batch,
      limit: batch.length,
    });
    for (const org of data) {
      found.set(org.id, {
        onboarded: true,
        subscriptionId: null,
        profile: { kind: "org", name: org.name, updatedAt: new Date(org.updatedAt) },
      });
    }
  }
  return found;
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(items.slice(i, i + BATCH));
  return out;
}
