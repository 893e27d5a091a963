import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { GET } from "@/app/api/onboarding/status/route";
import { getDb } from "@/lib/db/client";
import { onboardingStatusHolds } from "@/lib/db/schema";
import { recordState, recordSteps } from "@/lib/onboarding/progress";
import { longPoll, nextLookDelay, statusChange } from "@/lib/onboarding/status-changes";
import { HELD_REQUESTS_PER_USER } from "@/lib/onboarding/status-holds";
import { driverUnderTest } from "@/test/support/driver-under-test";
import { mintSessionToken, sessionHeaders } from "@/test/support/session";

// The status long poll's bounds (issue 22), on every driver: in the postgres project the
// requests below reach a real server through a pool at the same time, so the per-user limit is
// taken by concurrent statements, as it is across server instances.

/** Every database read of a status (each is two statements), counted per user. */
const reads = vi.hoisted(() => new Map<string, number>());
vi.mock("@/lib/onboarding/status", async (original) => {
  const actual = await original<typeof import("@/lib/onboarding/status")>();
  return {
    ...actual,
    onboardingStatus: (userId: string) => {
      reads.set(userId, (reads.get(userId) ?? 0) + 1);
      return actual.onboardingStatus(userId);
    },
  };
});

const newUserId = () => `user_${randomUUID().replaceAll("-", "")}`;

/** A signed-in user part-way through, the ETag of their status now, and a way to ask. */
async function userMidway() {
  const userId = newUserId();
  await recordState(userId, "running");
  await recordSteps(userId, "plan", "done");
  const headers = sessionHeaders(mintSessionToken({ userId }));
  const ask = (query = "", signal?: AbortSignal) =>
    GET(new Request(`http://localhost:3000/api/onboarding/status${query}`, { headers, signal }));
  const etag = (await ask()).headers.get("etag")!;
  const wait = (signal?: AbortSignal) => ask(`?wait=${encodeURIComponent(etag)}`, signal);
  return { userId, etag, wait };
}

const holdsOf = async (userId: string) =>
  (await getDb())
    .select()
    .from(onboardingStatusHolds)
    .where(eq(onboardingStatusHolds.clerkUserId, userId));

/** A request in flight, and whether it has been answered yet. */
function inFlight(response: Promise<Response>) {
  const tracked = { response, answered: false };
  void response.then(() => (tracked.answered = true));
  return tracked;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000) {
  for (const end = Date.now() + ms; !(await condition());) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(() => getDb());

describe(`the onboarding status long poll's bounds (${driverUnderTest})`, () => {
  it("holds at most two requests per user at once; the others are answered at once", async () => {
    const { userId, etag, wait } = await userMidway();
    const clients = Array.from({ length: 5 }, () => new AbortController());
    const requests = clients.map((client) => inFlight(wait(client.signal)));
    try {
      // Three are answered "unchanged" straight away; two stay held.
      await until(() => requests.filter((r) => r.answered).length === 3, "three answers");
      for (const request of requests.filter((r) => r.answered)) {
        const response = await request.response;
        expect(response.status).toBe(304);
        expect(response.headers.get("etag")).toBe(etag);
      }
      expect(HELD_REQUESTS_PER_USER).toBe(2);
      expect(await holdsOf(userId)).toHaveLength(2);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(requests.filter((r) => !r.answered)).toHaveLength(2);

      // Another user is held as usual meanwhile.
      const other = await userMidway();
      const otherClient = new AbortController();
      const otherRequest = inFlight(other.wait(otherClient.signal));
      await until(async () => (await holdsOf(other.userId)).length === 1, "the other user's hold");
      expect(otherRequest.answered).toBe(false);
      otherClient.abort();
      await otherRequest.response;

      // The change reaches both held requests, which give their slots back.
      await recordSteps(userId, "customer", "done");
      for (const request of requests.filter((r) => !r.answered)) {
        const response = await request.response;
        expect(response.status).toBe(200);
        expect((await response.json()).steps[1]).toMatchObject({ id: "customer", status: "done" });
      }
      expect(await holdsOf(userId)).toEqual([]);
    } finally {
      clients.forEach((client) => client.abort());
      await Promise.all(requests.map((r) => r.response));
    }
  });

  it.each(["complete", "failed"] as const)(
    "answers at once, holding nothing, when the status is %s",
    async (state) => {
      const { userId, wait } = await userMidway();
      await recordState(userId, state, state === "failed" ? { reason: "Declined" } : {});
      const finalTag = (await wait()).headers.get("etag")!;
      const before = reads.get(userId)!;
      const response = await statusChange(userId, { seen: [finalTag], wait: true });
      expect(response).toMatchObject({ changed: false, etag: finalTag });
      expect(reads.get(userId)! - before).toBe(1);
      expect(await holdsOf(userId)).toEqual([]);
    },
  );

  it("stops looking and gives its slot back as soon as the client goes away", async () => {
    const { userId, etag, wait } = await userMidway();
    const clients = [new AbortController(), new AbortController()];
    const held = clients.map((client) => wait(client.signal));
    await until(async () => (await holdsOf(userId)).length === 2, "two holds");
    clients.forEach((client) => client.abort());
    for (const response of await Promise.all(held)) {
      expect(response.status).toBe(304);
      expect(response.headers.get("etag")).toBe(etag);
    }
    expect(await holdsOf(userId)).toEqual([]);
    const readsAfter = reads.get(userId);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(reads.get(userId)).toBe(readsAfter);

    // Both slots are free again: two new requests are held, not answered at once.
    const again = [new AbortController(), new AbortController()];
    const next = again.map((client) => inFlight(wait(client.signal)));
    await until(async () => (await holdsOf(userId)).length === 2, "two new holds");
    expect(next.filter((r) => r.answered)).toEqual([]);
    again.forEach((client) => client.abort());
    await Promise.all(next.map((r) => r.response));
  });

  it("takes a slot left by a server that stopped once its time is over", async () => {
    const { userId, wait } = await userMidway();
    const db = await getDb();
    const longAgo = new Date(Date.now() - 60_000);
    await db.insert(onboardingStatusHolds).values([
      { clerkUserId: userId, slot: 0, holder: "gone-1", heldUntil: longAgo },
      { clerkUserId: userId, slot: 1, holder: "gone-2", heldUntil: new Date(Date.now() + 60_000) },
    ]);
    const client = new AbortController();
    const request = inFlight(wait(client.signal));
    await until(
      async () => (await holdsOf(userId)).every((hold) => hold.holder !== "gone-1"),
      "slot 0 taken over",
    );
    expect(request.answered).toBe(false);
    client.abort();
    await request.response;
    // It gave back its own slot only; the live one is untouched.
    expect((await holdsOf(userId)).map((hold) => hold.holder)).toEqual(["gone-2"]);
  });

  it("looks often at first, then less and less while nothing changes", async () => {
    // The schedule the route runs: 250 ms for 2 s, then ×1.5 up to 750 ms.
    const delays: number[] = [];
    for (let held = 0, previous: number | null = null; held < longPoll.holdMs;) {
      previous = nextLookDelay(previous, held);
      delays.push(previous);
      held += previous;
    }
    expect(delays.slice(0, 8).every((delay) => delay === 250)).toBe(true);
    expect(delays.slice(8, 12)).toEqual([375, 563, 750, 750]);
    // A 25 s hold looks 40 times after the first, where a look every 250 ms made 100.
    expect(delays).toHaveLength(40);

    // And a held request follows it: a short hold, counted.
    const { userId, etag } = await userMidway();
    const schedule = { ...longPoll, holdMs: 1_500, fastForMs: 500, slowestLookMs: 400 };
    const before = reads.get(userId)!;
    const answer = await statusChange(userId, { seen: [etag], wait: true, schedule });
    expect(answer.changed).toBe(false);
    // 1 at once, then 250 250 | 375 400 400 (1 675 ms > 1 500: the last is cut short).
    expect(reads.get(userId)! - before).toBe(6);
  });
});
