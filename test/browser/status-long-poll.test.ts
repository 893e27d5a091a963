import { request } from "node:http";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { onboardingStatusHolds } from "@/lib/db/schema";
import { recordState, recordSteps } from "@/lib/onboarding/progress";
import { setupBrowserSuite } from "./support/suite";

// The status long poll on `next start` (issue 22): a held request ends when its client goes
// away (Next aborts the request's signal when the connection closes), giving back the user's
// slot, and past two held requests an unchanged status is answered at once.

const suite = setupBrowserSuite();

const holdsOf = async (userId: string) =>
  (await getDb())
    .select()
    .from(onboardingStatusHolds)
    .where(eq(onboardingStatusHolds.clerkUserId, userId));

async function until(condition: () => Promise<boolean>, what: string, ms = 10_000) {
  for (const end = Date.now() + ms; !(await condition());) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the status long poll on the built app", () => {
  it("lets go of a held request when its client disconnects, and holds two at most", async () => {
    const { appUrl, addUser, tokenFor } = suite();
    const user = addUser({ unsafe_metadata: { tier: "pro" } });
    await recordState(user.id, "running");
    await recordSteps(user.id, "plan", "done");
    const authorization = `Bearer ${tokenFor(user.id)}`;
    const status = `${appUrl}/api/onboarding/status`;
    const etag = (await fetch(status, { headers: { authorization } })).headers.get("etag")!;
    const path = `/api/onboarding/status?wait=${encodeURIComponent(etag)}`;

    // Two held, over plain sockets that can be dropped as a closed tab drops them.
    const { port } = new URL(appUrl);
    const sockets = [1, 2].map(() => {
      const held = request({ host: "localhost", port, path, headers: { authorization } });
      held.on("error", () => {}); // destroyed below
      held.end();
      return held;
    });
    await until(async () => (await holdsOf(user.id)).length === 2, "two held requests");

    // A third is answered at once, unchanged.
    const third = await fetch(`${appUrl}${path}`, {
      headers: { authorization },
      signal: AbortSignal.timeout(5_000),
    });
    expect(third.status).toBe(304);

    sockets.forEach((socket) => socket.destroy());
    await until(async () => (await holdsOf(user.id)).length === 0, "the slots to be given back");

    // Held again, and answered with the change.
    const again = fetch(`${appUrl}${path}`, { headers: { authorization } });
    await until(async () => (await holdsOf(user.id)).length === 1, "a new held request");
    await recordSteps(user.id, "customer", "done");
    const changed = await again;
    expect(changed.status).toBe(200);
    expect((await changed.json()).steps[1]).toMatchObject({ id: "customer", status: "done" });
  });
});
