import { beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import type { SessionAuth } from "@/lib/auth";
import { LicensingError } from "@/lib/orgs/errors";

// The wrappers every server action goes through. Clerk's auth() only runs inside a Next.js
// request, so here it answers with the session a test sets; the rest is the real code.
let session: SessionAuth = { userId: null };
vi.mock("@clerk/nextjs/server", () => ({ auth: async () => session }));
const { withOrgAdmin, withUser } = await import("@/app/_lib/actions");
type ActionResult = import("@/app/_lib/actions").ActionResult;

const admin: SessionAuth = { userId: "user_admin", orgId: "org_1", orgRole: "org:admin" };
const member: SessionAuth = { userId: "user_member", orgId: "org_1", orgRole: "org:member" };

function form(fields: Record<string, string>) {
  const data = new FormData();
  for (const [key, value] of Object.entries(fields)) data.set(key, value);
  return data;
}

beforeEach(() => {
  session = { userId: null };
});

describe("withUser", () => {
  const action = vi.fn(
    async (
      input: { note: string },
      user: { userId: string },
    ): Promise<ActionResult & { done: string }> => ({
      done: `${user.userId}:${input.note}`,
    }),
  );
  const act = withUser(z.object({ note: z.string().min(1, "Write a note.") }), action);

  beforeEach(() => {
    action.mockClear();
  });

  it("refuses a signed-out request before reading its input", async () => {
    expect(await act({ note: "hi" })).toEqual({
      error: "Your session has ended. Sign in again to continue.",
    });
    expect(action).not.toHaveBeenCalled();
  });

  it("answers invalid input with the schema's message, and runs nothing", async () => {
    session = { userId: "user_1" };
    expect(await act({ note: "" })).toEqual({ error: "Write a note." });
    expect(await act({ nope: 1 } as never)).toEqual({ error: expect.any(String) });
    expect(action).not.toHaveBeenCalled();
  });

  it("runs the action as the session's user, whatever the input says", async () => {
    session = { userId: "user_1" };
    const input = { note: "hi", userId: "user_other" } as { note: string };
    expect(await act(input)).toEqual({ done: "user_1:hi" });
    expect(action).toHaveBeenCalledWith({ note: "hi" }, { userId: "user_1" });
  });
});

describe("withOrgAdmin", () => {
  const action = vi.fn(
    async (input: { seats: number }): Promise<ActionResult & { message: string }> => {
      if (input.seats > 10) throw new LicensingError("invalid_quantity", "Too many seats.");
      if (input.seats === 0) throw new Error("a bug");
      return { message: `${input.seats} seats` };
    },
  );
  const act = withOrgAdmin(z.object({ seats: z.string().transform(Number) }), action);

  beforeEach(() => {
    action.mockClear();
  });

  it("refuses anyone but an admin of the active organization, in the admin's words", async () => {
    for (const who of [{ userId: null }, { userId: "user_1" }, member]) {
      session = who;
      const { error } = await act({}, form({ seats: "1" }));
      expect(error).toMatch(/Sign in|organization/);
    }
    expect(action).not.toHaveBeenCalled();
  });

  it("hands an admin's form to the action with the verified session", async () => {
    session = admin;
    expect(await act({}, form({ seats: "3" }))).toEqual({ message: "3 seats" });
    expect(action).toHaveBeenCalledWith({ seats: 3 }, admin);
  });

  it("turns a refusal into the message, and lets a bug through", async () => {
    session = admin;
    expect(await act({}, form({ seats: "11" }))).toEqual({ error: "Too many seats." });
    await expect(act({}, form({ seats: "0" }))).rejects.toThrow("a bug");
    expect(await act({}, form({}))).toEqual({ error: expect.any(String) });
  });
});
