import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { POST } from "@/app/api/email/unsubscribe/route";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { unsubscribeUrl } from "@/lib/email/unsubscribe";

beforeAll(() => getDb());

async function userRow(clerkUserId: string) {
  await (await getDb()).insert(users).values({ clerkUserId, email: "ada@example.com" });
  return async () =>
    (await (await getDb()).select().from(users).where(eq(users.clerkUserId, clerkUserId)))[0]!;
}

/** What a mail client sends for RFC 8058's one-click unsubscribe. */
const oneClick = (url: string) =>
  POST(new Request(url, { method: "POST", body: "List-Unsubscribe=One-Click" }));

describe("POST /api/email/unsubscribe (one click)", () => {
  it("unsubscribes the user the link names, once, keeping when they first asked", async () => {
    const row = await userRow("user_one_click");
    const { oneClick: url, page } = unsubscribeUrl("user_one_click");
    expect(new URL(page).pathname).toBe("/unsubscribe");

    const response = await oneClick(url);
    expect(response.status).toBe(200);
    const first = (await row()).emailsUnsubscribedAt;
    expect(first).toBeInstanceOf(Date);
    await oneClick(url);
    expect((await row()).emailsUnsubscribedAt).toEqual(first);
  });

  it("refuses a link whose token is not the user's, and changes nothing", async () => {
    const row = await userRow("user_victim");
    const mine = new URL(unsubscribeUrl("user_attacker").oneClick);
    mine.searchParams.set("user", "user_victim");
    for (const url of [
      mine.href,
      "http://localhost:3000/api/email/unsubscribe?user=user_victim",
      "http://localhost:3000/api/email/unsubscribe",
    ]) {
      const response = await oneClick(url);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: "This unsubscribe link is not valid" });
    }
    expect((await row()).emailsUnsubscribedAt).toBeNull();
  });
});
