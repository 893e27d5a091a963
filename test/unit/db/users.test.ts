import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getConnection, getDb } from "@/lib/db/client";
import { driverUnderTest } from "@/test/support/driver-under-test";
import { orgs, users } from "@/lib/db/schema";
import { applySubscriptionToOrg, findOrgStripeCustomerId, upsertOrg } from "@/lib/orgs/orgs";
import {
  applySubscriptionToUser,
  markUserDeleted,
  upsertUserProfile,
  type UserProfile,
} from "@/lib/users";
import type { SubscriptionState } from "@/lib/billing/subscriptions";

const id = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "")}`;
const driver = driverUnderTest;

const profile = (clerkUserId: string, at: number, lastName = "Doe"): UserProfile => ({
  clerkUserId,
  email: "jane@example.com",
  firstName: "Jane",
  lastName,
  clerkUpdatedAt: new Date(at),
});

const userRow = async (clerkUserId: string) =>
  (await (await getDb()).select().from(users).where(eq(users.clerkUserId, clerkUserId)))[0];
const orgRow = async (clerkOrgId: string) =>
  (await (await getDb()).select().from(orgs).where(eq(orgs.clerkOrgId, clerkOrgId)))[0];

function subscription(
  customerId: string,
  changes: Partial<SubscriptionState> = {},
): SubscriptionState {
  return {
    stripeCustomerId: customerId,
    stripeSubscriptionId: id("sub"),
    status: "active",
    owner: null,
    tier: "enterprise",
    seats: 3,
    trialEndsAt: null,
    currentPeriodEnd: null,
    cancelsAt: null,
    ended: false,
    ...changes,
  };
}

describe(`users and orgs data access (${driver})`, () => {
  it("runs on the driver under test", async () => {
    expect((await getConnection()).driver).toBe(driver);
  });

  describe("upsertUserProfile", () => {
    it("inserts, then only lets a newer Clerk version through", async () => {
      const userId = id("user");
      expect(await upsertUserProfile(profile(userId, 2000, "Second"))).toBe(true);
      expect(await upsertUserProfile(profile(userId, 1000, "First"))).toBe(false);
      expect(await upsertUserProfile(profile(userId, 2000, "Replay"))).toBe(false);
      expect(await userRow(userId)).toMatchObject({
        lastName: "Second",
        clerkUpdatedAt: new Date(2000),
      });

      expect(await upsertUserProfile(profile(userId, 3000, "Third"))).toBe(true);
      expect(await userRow(userId)).toMatchObject({
        lastName: "Third",
        clerkUpdatedAt: new Date(3000),
      });
    });

    it("fills in a row another writer created first, without touching its other columns", async () => {
      const userId = id("user");
      const customerId = id("cus");
      await (
        await getDb()
      )
        .insert(users)
        .values({ clerkUserId: userId, tier: "pro", stripeCustomerId: customerId });
      expect(await upsertUserProfile(profile(userId, 1000))).toBe(true);
      expect(await userRow(userId)).toMatchObject({
        email: "jane@example.com",
        tier: "pro",
        stripeCustomerId: customerId,
      });
    });

    it("never revives a deleted user", async () => {
      const userId = id("user");
      await upsertUserProfile(profile(userId, 1000));
      expect(await markUserDeleted(userId, new Date("2026-01-01T00:00:00Z"))).toBe(true);
      expect(await upsertUserProfile(profile(userId, 9000, "Ghost"))).toBe(false);
      expect(await userRow(userId)).toMatchObject({
        lastName: "Doe",
        deletedAt: new Date("2026-01-01T00:00:00Z"),
      });
    });
  });

  describe("markUserDeleted", () => {
    it("leaves a tombstone for a user it has not seen, and keeps the first deletion time", async () => {
      const userId = id("user");
      expect(await markUserDeleted(userId, new Date(5000))).toBe(true);
      expect(await markUserDeleted(userId, new Date(6000))).toBe(false);
      expect(await upsertUserProfile(profile(userId, 1000))).toBe(false);
      expect(await userRow(userId)).toMatchObject({ email: null, deletedAt: new Date(5000) });
    });
  });

  describe("upsertOrg", () => {
    it("creates the row with 0 seats and keeps the first Stripe customer and the seats on replays", async () => {
      const orgId = id("org");
      const first = id("cus");
      expect(
        await upsertOrg({
          clerkOrgId: orgId,
          name: "Acme",
          stripeCustomerId: first,
          clerkUpdatedAt: new Date(1000),
        }),
      ).toEqual({
        stripeCustomerId: first,
      });
      await (
        await getDb()
      )
        .update(orgs)
        .set({ purchasedSeats: 7 })
        .where(eq(orgs.clerkOrgId, orgId));

      const replay = await upsertOrg({
        clerkOrgId: orgId,
        name: "Acme",
        stripeCustomerId: id("cus"),
        clerkUpdatedAt: new Date(1000),
      });

      expect(replay).toEqual({ stripeCustomerId: first });
      expect(await orgRow(orgId)).toMatchObject({ stripeCustomerId: first, purchasedSeats: 7 });
      expect(await findOrgStripeCustomerId(orgId)).toBe(first);
    });

    it("adds the customer to a row created without one, and renames only for a newer version", async () => {
      const orgId = id("org");
      const customer = id("cus");
      await upsertOrg({
        clerkOrgId: orgId,
        name: "Acme",
        stripeCustomerId: null,
        clerkUpdatedAt: new Date(2000),
      });
      await upsertOrg({
        clerkOrgId: orgId,
        name: "Old name",
        stripeCustomerId: customer,
        clerkUpdatedAt: new Date(1000),
      });
      expect(await orgRow(orgId)).toMatchObject({
        name: "Acme",
        stripeCustomerId: customer,
        clerkUpdatedAt: new Date(2000),
      });

      await upsertOrg({
        clerkOrgId: orgId,
        name: "Acme Corp",
        stripeCustomerId: null,
        clerkUpdatedAt: new Date(3000),
      });
      expect(await orgRow(orgId)).toMatchObject({
        name: "Acme Corp",
        stripeCustomerId: customer,
        clerkUpdatedAt: new Date(3000),
      });
    });

    it("answers null for an org it has no row for", async () => {
      expect(await findOrgStripeCustomerId(id("org"))).toBeNull();
    });
  });

  describe("applying a subscription", () => {
    it("updates the user with the customer: subscription, status, tier and trial end", async () => {
      const userId = id("user");
      const customer = id("cus");
      await (
        await getDb()
      )
        .insert(users)
        .values({ clerkUserId: userId, stripeCustomerId: customer, tier: "pro" });
      const trialing = subscription(customer, {
        status: "trialing",
        tier: null,
        trialEndsAt: new Date(7000),
        currentPeriodEnd: new Date(7000),
        cancelsAt: new Date(7000),
      });

      // The plan before and after: what Clerk's metadata must follow.
      expect(await applySubscriptionToUser(trialing)).toEqual({
        userId,
        before: { tier: "pro", subscriptionStatus: null },
        after: { tier: "pro", subscriptionStatus: "trialing" },
      });
      expect(await userRow(userId)).toMatchObject({
        stripeSubscriptionId: trialing.stripeSubscriptionId,
        subscriptionStatus: "trialing",
        tier: "pro", // a price outside the catalogue keeps the tier
        trialEndsAt: new Date(7000),
        currentPeriodEnd: new Date(7000),
        cancelsAt: new Date(7000),
      });
      const upgraded = { ...trialing, status: "active", tier: "enterprise", cancelsAt: null };
      expect(await applySubscriptionToUser(upgraded)).toMatchObject({
        before: { tier: "pro", subscriptionStatus: "trialing" },
        after: { tier: "enterprise", subscriptionStatus: "active" },
      });
      expect(await userRow(userId)).toMatchObject({ cancelsAt: null });
      expect(await applySubscriptionToOrg(trialing)).toBeNull();
    });

    it("updates the org's seats, and lets an ended subscription speak only for its own row", async () => {
      const orgId = id("org");
      const customer = id("cus");
      await upsertOrg({
        clerkOrgId: orgId,
        name: "Acme",
        stripeCustomerId: customer,
        clerkUpdatedAt: null,
      });
      const old = subscription(customer, { seats: 2 });
      const successor = subscription(customer, { seats: 9 });

      expect(await applySubscriptionToOrg(old)).toBe(orgId);
      expect(await applySubscriptionToOrg(successor)).toBe(orgId);
      const oldEnded = { ...old, status: "canceled", seats: 0, ended: true };
      expect(await applySubscriptionToOrg(oldEnded)).toBeNull();
      expect(await orgRow(orgId)).toMatchObject({
        stripeSubscriptionId: successor.stripeSubscriptionId,
        subscriptionStatus: "active",
        purchasedSeats: 9,
      });

      const successorEnded = { ...successor, status: "canceled", seats: 0, ended: true };
      expect(await applySubscriptionToOrg(successorEnded)).toBe(orgId);
      expect(await orgRow(orgId)).toMatchObject({
        subscriptionStatus: "canceled",
        purchasedSeats: 0,
      });
    });

    it("finds nobody for an unknown customer", async () => {
      const unknown = subscription(id("cus"));
      expect(await applySubscriptionToUser(unknown)).toBeNull();
      expect(await applySubscriptionToOrg(unknown)).toBeNull();
    });
  });
});
