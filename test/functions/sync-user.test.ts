import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { syncUser } from "@/inngest/functions/sync-user";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { runFunction } from "@onramp/standins/inngest";
import { setupVendors } from "@onramp/standins/vitest";
import { contractPath } from "@onramp/standins/contracts";

const vendors = setupVendors();
// The in-memory database starts (and migrates) once per file: in a hook, not in the first test.
beforeAll(() => getDb());
afterEach(() => {
  // The sync reads only the event: no vendor is called.
  expect(vendors.clerk.requests).toEqual([]);
  expect(vendors.stripe.requests).toEqual([]);
});

const sample = (file: string) =>
  JSON.parse(readFileSync(contractPath("clerk-webhooks", file), "utf8")).data;

/** A Clerk sample for a fresh user id, at the given `updated_at`. */
function userEvent(
  type: "user.created" | "user.updated",
  userId: string,
  updatedAt: number,
  changes = {},
) {
  const file = type === "user.created" ? "user.created.clerk-docs.json" : "user.updated.json";
  return {
    name: `clerk/${type}`,
    data: { ...sample(file), id: userId, updated_at: updatedAt, ...changes },
  };
}

/** A fresh run per delivery, as Inngest would start one. */
const deliver = (event: { name: string; data: Record<string, unknown> }) =>
  runFunction(syncUser, event);

async function row(userId: string) {
  const db = await getDb();
  const [found] = await db.select().from(users).where(eq(users.clerkUserId, userId));
  return found;
}

const newUserId = () => `user_${randomUUID().replaceAll("-", "")}`;

describe("sync-user", () => {
  it("creates the row from user.created, with the primary email", async () => {
    const userId = newUserId();
    const { result, error } = await deliver(userEvent("user.created", userId, 1_654_012_591_835));

    expect(error).toBeUndefined();
    expect(result).toEqual({ userId, outcome: "written" });
    expect(await row(userId)).toMatchObject({
      email: "example@example.org",
      firstName: "Example",
      lastName: "Example",
      clerkUpdatedAt: new Date(1_654_012_591_835),
      deletedAt: null,
    });
  });

  it("applies a newer user.updated and ignores an older delivery that arrives later", async () => {
    const userId = newUserId();
    await deliver(userEvent("user.created", userId, 1000));
    await deliver(userEvent("user.updated", userId, 3000, { last_name: "Newest" }));
    const late = await deliver(userEvent("user.updated", userId, 2000, { last_name: "Stale" }));

    expect(late.result).toMatchObject({ outcome: expect.stringMatching(/^skipped/) });
    expect(await row(userId)).toMatchObject({ lastName: "Newest", clerkUpdatedAt: new Date(3000) });
  });

  it("does not rewrite the row for a replay of the same version", async () => {
    const userId = newUserId();
    const event = userEvent("user.created", userId, 1000);
    await deliver(event);
    const before = await row(userId);
    const replay = await deliver(event);

    expect(replay.result).toMatchObject({ outcome: expect.stringMatching(/^skipped/) });
    expect((await row(userId))!.updatedAt).toEqual(before!.updatedAt);
  });
});
