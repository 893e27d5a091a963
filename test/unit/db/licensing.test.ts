import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getConnection, getDb } from "@/lib/db/client";
import { whileOrgLocked } from "@/test/support/contention";
import { driverUnderTest } from "@/test/support/driver-under-test";
import { orgs, orgSeatAssignments } from "@/lib/db/schema";
import {
  assignSeat,
  isLicensed,
  releaseMembershipSeat,
  releaseSeat,
  seatHolders,
  seatSummary,
} from "@/lib/orgs/seats";
import { applySubscriptionToOrg } from "@/lib/orgs/orgs";

const id = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "")}`;
const driver = driverUnderTest;
/**
 * Statements a concurrency test must see in flight together on a real server: the app's
 * node-postgres pool holds 5 connections (the Neon endpoint's pools hold more).
 */
const inFlight = 5;

/** An org with a paying subscription for `seats` seats, as sync-subscription leaves it. */
async function orgWithSeats(seats: number, status = "active") {
  const orgId = id("org");
  const customerId = id("cus");
  const subscriptionId = id("sub");
  await (await getDb()).insert(orgs).values({
    clerkOrgId: orgId,
    name: "Acme",
    stripeCustomerId: customerId,
    stripeSubscriptionId: subscriptionId,
    subscriptionStatus: status,
    purchasedSeats: seats,
  });
  /** What a Stripe update (the Portal) does to the row: seats and status from the subscription. */
  const stripeSays = (update: { seats: number; status?: string }) =>
    applySubscriptionToOrg({
      stripeCustomerId: customerId,
      stripeSubscriptionId: subscriptionId,
      status: update.status ?? "active",
      owner: { orgId },
      tier: "enterprise",
      seats: update.seats,
      trialEndsAt: null,
      currentPeriodEnd: null,
      cancelsAt: null,
      ended: update.status === "canceled",
    });
  return { orgId, stripeSays };
}

const assign = (orgId: string, userId: string, membershipId = `mem_${orgId}_${userId}`) =>
  assignSeat({ orgId, userId, membershipId, assignedBy: "user_admin" });

/** The counter and the rows it counts; they must always agree. */
async function seatRows(orgId: string) {
  const db = await getDb();
  const rows = await db
    .select()
    .from(orgSeatAssignments)
    .where(eq(orgSeatAssignments.clerkOrgId, orgId));
  const [org] = await db
    .select({ assigned: orgs.assignedSeats })
    .from(orgs)
    .where(eq(orgs.clerkOrgId, orgId));
  expect(org?.assigned).toBe(rows.length);
  return rows;
}

describe(`seat licensing rules (${driver})`, () => {
  it("runs on the driver under test", async () => {
    expect((await getConnection()).driver).toBe(driver);
  });

  it("assigns seats up to the purchased count, then refuses; assigning again changes nothing", async () => {
    const { orgId } = await orgWithSeats(2);
    expect(await assign(orgId, "user_a")).toBe("assigned");
    expect(await assign(orgId, "user_a")).toBe("already_assigned");
    expect(await assign(orgId, "user_b")).toBe("assigned");
    expect(await assign(orgId, "user_c")).toBe("no_free_seats");

    expect(await seatSummary(orgId)).toMatchObject({
      purchased: 2,
      assigned: 2,
      free: 0,
      overAssignedBy: 0,
      hasSubscription: true,
      paying: true,
    });
    expect((await seatRows(orgId)).map((row) => row.clerkUserId).sort()).toEqual([
      "user_a",
      "user_b",
    ]);
    expect(await seatHolders(orgId, ["user_a", "user_c"])).toEqual(new Set(["user_a"]));
  });

  it("refuses for an org without a row or without seats", async () => {
    expect(await assign(id("org"), "user_a")).toBe("no_org");
    const { orgId } = await orgWithSeats(0);
    expect(await assign(orgId, "user_a")).toBe("no_free_seats");
    expect(await seatRows(orgId)).toEqual([]);
  });

  it("20 concurrent assignments for 5 seats license exactly 5 members", async () => {
    const { orgId } = await orgWithSeats(5);
    const outcomes = await whileOrgLocked(orgId, inFlight, () =>
      Promise.all(Array.from({ length: 20 }, (_, i) => assign(orgId, `user_${i}`))),
    );
    expect(outcomes.filter((o) => o === "assigned")).toHaveLength(5);
    expect(outcomes.filter((o) => o === "no_free_seats")).toHaveLength(15);
    expect(await seatRows(orgId)).toHaveLength(5);
    expect(await seatSummary(orgId)).toMatchObject({ assigned: 5, free: 0 });
  });

  // On a server, the assignments queued behind the first one cannot see its new seat row: their
  // inserts hit the primary key, and assignSeat's retry finds the seat. Without the retry they fail.
  it("two admins licensing the same member at once use one seat", async () => {
    const { orgId } = await orgWithSeats(3);
    const outcomes = await whileOrgLocked(orgId, inFlight, () =>
      Promise.all(Array.from({ length: 6 }, () => assign(orgId, "user_same"))),
    );
    expect(outcomes.filter((o) => o === "assigned")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "already_assigned")).toHaveLength(5);
    expect(await seatRows(orgId)).toHaveLength(1);
  });

  it("concurrent license and unlicense toggles never exceed the seats, and the counter stays exact", async () => {
    const { orgId } = await orgWithSeats(3);
    await Promise.all(["user_0", "user_1", "user_2"].map((user) => assign(orgId, user)));
    await whileOrgLocked(orgId, inFlight, () =>
      Promise.all(
        Array.from({ length: 40 }, (_, i) => {
          const user = `user_${i % 7}`;
          return i % 3 === 0 ? releaseSeat(orgId, user) : assign(orgId, user);
        }),
      ),
    );
    const rows = await seatRows(orgId);
    expect(rows.length).toBeLessThanOrEqual(3);
    expect(await seatSummary(orgId)).toMatchObject({ purchased: 3, assigned: rows.length });
  });

  it("frees a seat once, however often it is released", async () => {
    const { orgId } = await orgWithSeats(1);
    await assign(orgId, "user_a");
    expect(await releaseSeat(orgId, "user_a")).toBe(true);
    expect(await releaseSeat(orgId, "user_a")).toBe(false);
    expect(await seatSummary(orgId)).toMatchObject({ assigned: 0, free: 1 });
    expect(await assign(orgId, "user_b")).toBe("assigned");
  });

  it("a removed membership frees its seat, but a late removal of an older membership does not", async () => {
    const { orgId } = await orgWithSeats(2);
    await assign(orgId, "user_a", "mem_first");
    // The user left and was invited back; an admin licensed the new membership before the
    // old membership's removal reached us.
    expect(await assign(orgId, "user_a", "mem_second")).toBe("already_assigned");
    expect(await releaseMembershipSeat(orgId, "mem_first")).toBe(false);
    expect(await isLicensed(orgId, "user_a")).toBe(true);

    expect(await releaseMembershipSeat(orgId, "mem_second")).toBe(true);
    expect(await releaseMembershipSeat(orgId, "mem_second")).toBe(false);
    expect(await seatRows(orgId)).toEqual([]);
  });

  it("seats lowered below the assigned count leave the org over-assigned, unlicensing nobody", async () => {
    const { orgId, stripeSays } = await orgWithSeats(3);
    for (const user of ["user_a", "user_b", "user_c"]) await assign(orgId, user);

    expect(await stripeSays({ seats: 1 })).toBe(orgId);

    expect(await seatSummary(orgId)).toMatchObject({
      purchased: 1,
      assigned: 3,
      free: 0,
      overAssignedBy: 2,
    });
    for (const user of ["user_a", "user_b", "user_c"]) {
      expect(await isLicensed(orgId, user)).toBe(true);
    }
    // No new seat until the admin resolves it; unlicensing is always possible.
    expect(await assign(orgId, "user_d")).toBe("no_free_seats");
    expect(await releaseSeat(orgId, "user_a")).toBe(true);
    expect(await assign(orgId, "user_d")).toBe("no_free_seats");
    expect(await releaseSeat(orgId, "user_b")).toBe(true);
    expect(await seatSummary(orgId)).toMatchObject({ assigned: 1, overAssignedBy: 0, free: 0 });
    expect(await assign(orgId, "user_d")).toBe("no_free_seats");

    await stripeSays({ seats: 2 });
    expect(await assign(orgId, "user_d")).toBe("assigned");
    expect(await seatRows(orgId)).toHaveLength(2);
  });

  it("licenses only while the subscription pays; a cancelled one suspends seats without removing them", async () => {
    const { orgId, stripeSays } = await orgWithSeats(2, "trialing");
    await assign(orgId, "user_a");
    expect(await isLicensed(orgId, "user_a")).toBe(true);
    expect(await isLicensed(orgId, "user_b")).toBe(false);
    expect(await isLicensed(id("org"), "user_a")).toBe(false);

    await stripeSays({ seats: 2, status: "past_due" });
    expect(await isLicensed(orgId, "user_a")).toBe(true);

    await stripeSays({ seats: 2, status: "unpaid" });
    expect(await isLicensed(orgId, "user_a")).toBe(false);

    await stripeSays({ seats: 0, status: "canceled" });
    expect(await isLicensed(orgId, "user_a")).toBe(false);
    expect(await seatSummary(orgId)).toMatchObject({
      purchased: 0,
      assigned: 1,
      overAssignedBy: 1,
      hasSubscription: false,
      paying: false,
    });
    expect(await seatRows(orgId)).toHaveLength(1);
  });

  it("no longer licenses anyone in a deleted org, nor assigns there", async () => {
    const { orgId } = await orgWithSeats(2);
    await assign(orgId, "user_a");
    const db = await getDb();
    await db
      .update(orgs)
      .set({ deletedAt: sql`now()` })
      .where(eq(orgs.clerkOrgId, orgId));
    expect(await isLicensed(orgId, "user_a")).toBe(false);
    expect(await assign(orgId, "user_b")).toBe("no_org");
  });

  it("answers an empty summary for an org it has no row for", async () => {
    expect(await seatSummary(id("org"))).toEqual({
      purchased: 0,
      assigned: 0,
      free: 0,
      overAssignedBy: 0,
      subscriptionStatus: null,
      hasSubscription: false,
      paying: false,
      stripeCustomerId: null,
    });
  });
});
